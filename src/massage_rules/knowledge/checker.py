"""What cross-checking needs: where an item stands in its file, and a collector of every problem."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from massage_rules.errors import Problem, close_match
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.yaml_files import locate

__all__ = ["Checker", "Located", "each", "origin", "unique"]


@dataclass(frozen=True, slots=True)
class Located:
    value: Any
    file: str
    data: Any
    loc: tuple[str | int, ...]

    def where(self) -> tuple[str, int, int]:
        line, column = locate(self.data, self.loc)
        return self.file, line, column


class Checker:
    """Collects problems while cross-checking merged knowledge."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(
        self, where: tuple[str, int, int], message: str, rule: str | None = None, suggestion: str | None = None
    ) -> None:
        file, line, column = where
        self.problems.append(Problem(0, file, line, column, message, rule, suggestion))

    def warn(self, where: tuple[str, int, int], message: str, rule: str | None = None) -> None:
        file, line, column = where
        self.problems.append(Problem(1, file, line, column, message, rule))

    def ref(
        self, item: Located, owner: str | None, kind: str, value: str, allowed: Mapping[str, Any], *loc: str | int
    ) -> bool:
        if value in allowed:
            return True
        where = Located(None, item.file, item.data, item.loc + loc).where()
        self.error(where, f"{kind} '{value}' is not defined", owner, close_match(value, allowed))
        return False


def each(files: Sequence[tuple[str, s.KnowledgeFile, Any]], section: str) -> Iterator[Located]:
    for name, model, data in files:
        if section.startswith("vocabulary."):
            sub = section.split(".", 1)[1]
            for i, item in enumerate(getattr(model.vocabulary, sub)):
                yield Located(item, name, data, ("vocabulary", sub, i))
        elif section == "plan.defaults":
            for i, item in enumerate(model.plan.defaults):
                yield Located(item, name, data, ("plan", "defaults", i))
        else:
            for i, item in enumerate(getattr(model, section)):
                yield Located(item, name, data, (section, i))


def unique(
    checker: Checker, items: Iterable[Located], kind: str, taken: dict[str, Located] | None = None
) -> dict[str, Located]:
    seen: dict[str, Located] = {} if taken is None else taken
    folded: dict[str, str] = {k.casefold(): k for k in seen}
    for item in items:
        ident = item.value.id
        if ident in seen:
            first = seen[ident].where()
            hint = "; to change that rule, add an 'overrides:' entry with a reason" if kind == "rule" else ""
            checker.error(item.where(), f"{kind} id '{ident}' is already defined at {first[0]}:{first[1]}{hint}", ident)
            continue
        seen[ident] = item
        folded[ident.casefold()] = ident
    return seen


def origin(item: Located) -> str:
    file, line, _ = item.where()
    return f"{file}:{line}"
