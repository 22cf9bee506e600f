"""The compiled form of a knowledge base: a rule index and the answer parts built once.

A rule is filed under every combination of the values its conditions name (its
areas x causes x phases x goals x findings x complaints), so a profile looks up
the combinations it has and gets back only rules whose listed conditions all
hold; ranges and the remaining findings are checked by ``holds``. A profile's
cost therefore grows with the rules that can fire, not with the size of the base.

The answer parts that depend only on the knowledge (a reason per rule and
technique, a referral per rule, a source reference per source) are built here,
once; parts that depend on a few facts of the profile are memoised in bounded
tables. All of them are immutable, so sharing them between answers is safe.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from .models import KnowledgeStamp, MatchedCondition, OverrideStamp, PackStamp, SourceRef

if TYPE_CHECKING:
    from . import _schema as s
    from ._engine import Resolved
    from ._knowledge import CompiledRule

__all__ = ["DIMENSIONS", "Memo", "RuleIndex", "Tables", "residual_check", "rule_keys", "trusted"]

# The order of a profile's values handed to RuleIndex.lookup, and of the values in a key.
DIMENSIONS = ("areas", "causes", "phases", "goals", "health", "conditions", "diagnosis", "severity")
_CONDITIONS = DIMENSIONS.index("conditions")
_DIAGNOSIS = DIMENSIONS.index("diagnosis")
_SEVERITY = DIMENSIONS.index("severity")
_PAIN_SCALE = range(11)  # the 0-10 values ClientProfile.severity accepts: a range becomes a set of them
# A rule listing many values on many dimensions would be filed under their whole
# product; past this many keys the widest dimensions are left to ``holds`` instead.
MAX_KEYS_PER_RULE = 64

Key = tuple[int, tuple[str, ...]]
ModelT = TypeVar("ModelT", bound=BaseModel)
_set = object.__setattr__


def trusted(cls: type[ModelT], defaults: dict[str, Any] | None = None, /, **values: Any) -> ModelT:
    """Build a frozen model from values the engine made itself, already of the field types, without validating.

    Validating a whole answer costs several times more than computing it; the
    values here come from validated knowledge and the engine's own arithmetic.
    This is what ``model_construct`` does, minus its per-field Python loop. The
    tests check that every answer equals its validated copy, byte for byte.
    Give every field, in field order; ``defaults`` holds the leading fields left at their default.
    """
    model = cls.__new__(cls)
    _set(model, "__dict__", {**defaults, **values} if defaults else values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model  # (bit mask of the dimensions, one value for each, in order)


def _dimensions(rule: CompiledRule) -> list[tuple[int, frozenset[str]]]:
    dims: list[tuple[int, frozenset[str]]] = []
    for position, values in enumerate((rule.areas, rule.causes, rule.phases, rule.goals)):
        if values:
            dims.append((position, values))
    if rule.health_all:  # a profile must have every one, so it has the first
        dims.append((4, frozenset([min(rule.health_all)])))
    elif rule.health_any:
        dims.append((4, rule.health_any))
    if rule.conditions:
        dims.append((_CONDITIONS, rule.conditions))
    if rule.severity is not None:
        low, high = rule.severity
        points = frozenset(str(v) for v in _PAIN_SCALE if low <= v <= high)
        if points:  # a range off the scale never holds; ``holds`` and the residual check say so
            dims.append((_SEVERITY, points))
    return dims


def rule_keys(rule: CompiledRule) -> list[Key]:
    """The keys to file ``rule`` under: a profile that satisfies the rule has at least one of them."""
    keys: list[Key] = []
    if rule.diagnosis is not None:
        keys.append((1 << _DIAGNOSIS, (rule.diagnosis,)))
        if not rule.has_match:
            return keys
    chosen = _chosen(rule)
    mask = sum(1 << dim for dim, _ in chosen)
    keys.extend((mask, combo) for combo in itertools.product(*(sorted(values) for _, values in chosen)))
    return keys


def _chosen(rule: CompiledRule) -> list[tuple[int, frozenset[str]]]:
    """The dimensions a rule is filed by, in dimension order, keeping the number of keys under the cap."""
    chosen: list[tuple[int, frozenset[str]]] = []
    product = 1
    # Complaints first (the second pass is looked up by them), then the narrowest dimensions.
    for dim, values in sorted(_dimensions(rule), key=lambda d: (d[0] != _CONDITIONS, len(d[1]), d[0])):
        if chosen and product * len(values) > MAX_KEYS_PER_RULE:
            continue
        chosen.append((dim, values))
        product *= len(values)
    chosen.sort(key=lambda d: d[0])
    return chosen


Check = Callable[["Resolved", frozenset[str]], bool]


def residual_check(rule: CompiledRule) -> Check | None:
    """What is left to test once the index has found ``rule`` for a profile; None when nothing is.

    A lookup hit means the profile has one of the rule's values on every dimension
    the rule is filed by, so only the other conditions (ranges, the rest of
    ``health_all``, dimensions left out by the cap) remain. A rule that a named
    diagnosis also fires is tested in full, by ``holds``.
    """
    from ._engine import holds

    if rule.diagnosis is not None:
        return lambda r, matched: holds(rule, r, matched)
    filed = {dim for dim, _ in _chosen(rule)}
    checks: list[Check] = []
    if rule.areas is not None and 0 not in filed:
        areas = rule.areas
        checks.append(lambda r, m: not areas.isdisjoint(r.areas))
    if rule.causes is not None and 1 not in filed:
        causes = rule.causes
        checks.append(lambda r, m: r.cause in causes)
    if rule.phases is not None and 2 not in filed:
        phases = rule.phases
        checks.append(lambda r, m: r.phase in phases)
    if rule.goals is not None and 3 not in filed:
        goals = rule.goals
        checks.append(lambda r, m: not goals.isdisjoint(r.goals))
    if rule.severity is not None and _SEVERITY not in filed:
        low, high = rule.severity
        checks.append(lambda r, m: low <= r.severity <= high)
    if rule.days is not None:
        first, last = rule.days
        checks.append(lambda r, m: r.days is not None and first <= r.days <= last)
    if rule.area_count is not None:
        fewest, most = rule.area_count
        checks.append(lambda r, m: fewest <= len(r.areas) <= most)
    if rule.health_all is not None and (4 not in filed or len(rule.health_all) > 1):
        every = rule.health_all
        checks.append(lambda r, m: every <= r.health)
    if rule.health_any is not None and (4 not in filed or rule.health_all is not None):
        some = rule.health_any
        checks.append(lambda r, m: not some.isdisjoint(r.health))
    if rule.conditions is not None and _CONDITIONS not in filed:
        conditions = rule.conditions
        checks.append(lambda r, m: not conditions.isdisjoint(m))
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    every_check = tuple(checks)
    return lambda r, m: all(check(r, m) for check in every_check)


class RuleIndex:
    """Rule positions filed by key; a lookup returns every rule that may fire, and few that cannot."""

    __slots__ = ("_patterns",)

    def __init__(self, entries: Iterable[tuple[int, CompiledRule]]) -> None:
        tables: dict[int, dict[tuple[str, ...], list[int]]] = {}
        for position, rule in entries:
            for mask, combo in rule_keys(rule):
                tables.setdefault(mask, {}).setdefault(combo, []).append(position)
        self._patterns: tuple[tuple[tuple[int, ...], dict[tuple[str, ...], tuple[int, ...]]], ...] = tuple(
            (
                tuple(d for d in range(len(DIMENSIONS)) if mask >> d & 1),
                {combo: tuple(positions) for combo, positions in table.items()},
            )
            for mask, table in sorted(tables.items())
        )

    def __len__(self) -> int:
        return sum(len(table) for _, table in self._patterns)

    def lookup(self, values: Sequence[Collection[str]]) -> set[int]:
        """Positions of the rules filed under any combination of ``values`` (one collection per dimension)."""
        found: set[int] = set()
        product = itertools.product
        for dims, table in self._patterns:
            if len(dims) == 1:
                for value in values[dims[0]]:
                    hit = table.get((value,))
                    if hit is not None:
                        found.update(hit)
                continue
            parts = [values[d] for d in dims]
            if not all(parts):  # the profile has nothing on one of these dimensions
                continue
            for combo in product(*parts):
                hit = table.get(combo)
                if hit is not None:
                    found.update(hit)
        return found


class Memo(dict[Any, Any]):
    """A bounded memo table: emptied when full, so a stream of odd profiles cannot grow it without end."""

    __slots__ = ("limit",)

    def __init__(self, limit: int = 50_000) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: Any, value: Any) -> Any:
        """Remember ``value`` under ``key`` and return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


class Tables:
    """Everything the engine needs besides the rules: two indexes, prebuilt answer parts, memo tables."""

    __slots__ = (
        "avoided",
        "checks",
        "first",
        "limits",
        "matched_conditions",
        "scored",
        "second",
        "source_refs",
        "stamp",
        "techniques",
    )

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        *,
        sources: dict[str, s.Source],
        conditions: dict[str, s.Condition],
        techniques: dict[str, s.Technique],
        version: str,
        content_hash: str,
        packs: tuple[tuple[str, str], ...],
        overrides: tuple[OverrideStamp, ...] = (),
    ) -> None:
        # Rules that name complaints can only fire once the complaints are known: a second pass.
        self.first = RuleIndex((i, rule) for i, rule in enumerate(rules) if rule.conditions is None)
        self.second = RuleIndex((i, rule) for i, rule in enumerate(rules) if rule.conditions is not None)
        self.checks = tuple(residual_check(rule) for rule in rules)  # by rule position
        self.source_refs = {
            sid: SourceRef(id=sid, citation=src.citation, url=src.url, evidence=src.evidence)
            for sid, src in sources.items()
        }
        self.stamp = KnowledgeStamp(
            version=version,
            content_hash=content_hash,
            packs=tuple(PackStamp(id=p, version=v) for p, v in packs),
            overrides=overrides,
        )
        self.matched_conditions = {
            (cid, by): MatchedCondition(id=cid, name=cond.name, icd10=tuple(cond.icd10), matched_by=by)
            for cid, cond in conditions.items()
            for by in ("diagnosis", "profile")
        }
        # What a ranked technique shows that does not depend on the profile, read once.
        self.techniques: dict[str, tuple[str, int, int, frozenset[str] | None, str, str]] = {
            tid: (
                t.name,
                t.pressure.min if t.pressure.min is not None else 0,
                t.pressure.max if t.pressure.max is not None else 5,
                None if t.areas is None else frozenset(t.areas),
                t.cpt,
                t.evidence,
            )
            for tid, t in techniques.items()
        }
        self.avoided = Memo()  # the screen's restrictions -> the avoided list
        self.limits = Memo()  # (cap rule, scope) -> its pressure limits
        self.scored = Memo()  # (technique, *its reasons' rules) -> (score, rounded, reasons shown, sources)
