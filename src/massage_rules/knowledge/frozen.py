"""Read-only list and dict types, so a loaded knowledge base is immutable all the way down.

Pydantic's ``frozen=True`` stops attribute assignment but leaves list and dict
fields open to ``append`` and ``[key] = value``; one caller doing that would
change the answers of every other caller sharing the knowledge base. These
subclasses keep ``isinstance(x, list)`` (so validation and serialisation are
unchanged) and refuse every mutating method with a :class:`TypeError`, as a
tuple or a ``MappingProxyType`` would.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["FrozenDict", "FrozenList", "freeze"]


def _refuse(self: object, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"this {type(self).__name__} belongs to a loaded knowledge base and cannot be changed")


class FrozenList(list[Any]):
    """A list that refuses every change after construction."""

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenList, (list(self),))


class FrozenDict(dict[Any, Any]):
    """A dict that refuses every change after construction."""

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))


def freeze(value: Any) -> Any:
    """``value`` with every list and dict inside it (not inside models) made read-only."""
    if isinstance(value, FrozenList | FrozenDict):
        return value
    if isinstance(value, list):
        return FrozenList(freeze(v) for v in value)
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    return value
