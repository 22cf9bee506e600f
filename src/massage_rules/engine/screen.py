"""The fired restrictions of one profile, resolved to areas: what they rule out, where, and why.

A restriction is a fired rule that forbids techniques, caps pressure, or allows
only some techniques. Each applies everywhere, on the problem areas, or on the
areas of the findings it names (and, when it says so, the areas distal to
them). Ranking asks the screen where a technique may go; the answer lists what
the screen rules out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import Avoidance, NoMassageNow, PressureLimit
from massage_rules.models.result import AvoidanceKind
from massage_rules.rules.facts import Facts

__all__ = ["Placement", "Restriction", "Screen", "screen"]

_EVERYWHERE: frozenset[str] | None = None
_COME_BACK = "once the affected area has healed or been cleared; other areas may be treated"


@dataclass(frozen=True, slots=True)
class Restriction:
    """One fired rule's forbid or pressure cap, and where it applies (None: everywhere)."""

    rule: CompiledRule
    scope: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a technique may go for this profile, the areas a whole-body session skips, and its top pressure."""

    areas: frozenset[str]
    skip: frozenset[str]
    pressure_max: int


@dataclass(frozen=True, slots=True)
class Screen:
    """The fired restrictions of one profile, in rule-id order, and the warnings met while placing them."""

    forbids: tuple[Restriction, ...] = ()
    caps: tuple[Restriction, ...] = ()
    allow: tuple[CompiledRule, ...] = ()
    warnings: tuple[str, ...] = ()
    whole_body: frozenset[str] = field(default_factory=frozenset)  # the profile's areas that mean the whole body

    def place(self, technique: str, lowest: int, highest: int, areas: frozenset[str]) -> Placement | None:
        """Where ``technique`` (pressure ``lowest``-``highest``) may go among ``areas``; None when nowhere."""
        for rule in self.allow:
            if rule.allow_only is not None and technique not in rule.allow_only:
                return None
        blocked: set[str] = set()
        for forbid in self.forbids:
            if forbid.rule.forbid_set is None or technique in forbid.rule.forbid_set:
                if forbid.scope is None:
                    return None
                blocked |= forbid.scope
        for cap in self.caps:
            if _cap(cap) < lowest:  # even its lightest pressure is over the cap
                if cap.scope is None:
                    return None
                blocked |= cap.scope
        areas = areas.difference(blocked)
        if not areas:
            return None
        whole_body = not areas.isdisjoint(self.whole_body)  # a whole-body session passes over every area
        for cap in self.caps:
            if lowest <= _cap(cap) < highest and (cap.scope is None or whole_body or not cap.scope.isdisjoint(areas)):
                highest = _cap(cap)
        return Placement(areas, frozenset(blocked) if whole_body else frozenset(), highest)

    def avoided(self, knowledge: KnowledgeBase) -> tuple[Avoidance, ...]:
        """What the restrictions rule out, by technique, area and rule; the first restriction to name one wins."""
        found: dict[tuple[str, str, str], Avoidance] = {}
        parts: list[tuple[AvoidanceKind, CompiledRule, frozenset[str] | None, list[str]]] = [
            *[("forbidden", f.rule, f.scope, _forbidden(f.rule, knowledge)) for f in self.forbids],
            *[("not_allowed", rule, _EVERYWHERE, _not_allowed(rule, knowledge)) for rule in self.allow],
            *[("pressure_cap", c.rule, c.scope, _over_cap(_cap(c), knowledge)) for c in self.caps],
        ]
        for kind, rule, scope, techniques in parts:
            areas = _in_order(scope)
            for technique in techniques:
                for area in areas:
                    key = (technique, area or "", rule.id)
                    if key in found:  # checked first: setdefault would build (and validate) an Avoidance to drop
                        continue
                    found[key] = Avoidance(
                        technique=technique,
                        area=area,
                        rule=rule.id,
                        kind=kind,
                        reason=(rule.forbid_reason if kind == "forbidden" else None) or rule.text,
                        sources=rule.sources,
                    )
        return tuple(found[key] for key in sorted(found))

    def limits(self) -> tuple[PressureLimit, ...]:
        """The pressure caps, one per area they apply to (or one for everywhere)."""
        return tuple(
            PressureLimit(area=area, max_pressure=_cap(c), rule=c.rule.id, reason=c.rule.text, sources=c.rule.sources)
            for c in self.caps
            for area in _in_order(c.scope)
        )

    def every_area_ruled_out(self, facts: Facts) -> NoMassageNow | None:
        """When forbids of every technique cover every problem area, "no massage now" (the first such rule's)."""
        covering = [f for f in self.forbids if f.rule.forbid_set is None]
        ruled_out: set[str] = set()
        for forbid in covering:
            ruled_out |= facts.areas if forbid.scope is None else forbid.scope
        if not covering or not facts.areas <= ruled_out:
            return None
        rule = covering[0].rule
        assert rule.forbid is not None
        come_back = (
            rule.forbid.come_back or "once the affected area has healed or been cleared; other areas may be treated"
        )
        return NoMassageNow(reason=rule.text, rule=rule.id, come_back=come_back, sources=rule.sources)


def screen(fired: Iterable[CompiledRule], facts: Facts, knowledge: KnowledgeBase) -> Screen:
    """The restrictions among the ``fired`` rules, each resolved to the areas it applies to."""
    forbids: list[Restriction] = []
    caps: list[Restriction] = []
    allow: list[CompiledRule] = []
    warnings: list[str] = []
    for rule in fired:
        if rule.forbid is not None:
            scope = _scope(rule, rule.forbid.where, rule.forbid.distal, facts, knowledge, warnings)
            forbids.append(Restriction(rule, _spread(scope, rule.forbid.spread, knowledge)))
        if rule.cap is not None:
            scope = _scope(rule, rule.cap.where, rule.cap.distal, facts, knowledge, warnings)
            caps.append(Restriction(rule, _spread(scope, rule.cap.spread, knowledge)))
        if rule.allow_only is not None:
            allow.append(rule)
    if not (forbids or caps or allow):
        return Screen(warnings=tuple(warnings))
    return Screen(tuple(forbids), tuple(caps), tuple(allow), tuple(warnings), knowledge.whole_body_areas & facts.areas)


def _scope(
    rule: CompiledRule, on: str, distal: bool, facts: Facts, knowledge: KnowledgeBase, warnings: list[str]
) -> frozenset[str] | None:
    """The areas a restriction applies to (None: everywhere), noting a local finding given without its area."""
    if on == "everywhere":
        return _EVERYWHERE
    if on == "problem_areas":
        areas = set(facts.areas)
    else:
        areas = set()
        findings = (rule.health_all or frozenset()) | ((rule.health_any or frozenset()) & facts.health)
        for finding in sorted(findings):
            tied = facts.health_areas.get(finding, frozenset())
            if tied:
                areas |= tied
            else:  # cautious: a local finding with no area said may be anywhere we would work
                areas |= facts.areas
                warnings.append(
                    f"'{finding}' was given without an area; rule '{rule.id}' applies it to "
                    f"every problem area. Give it as {finding}@area to be precise."
                )
    if distal:
        for area in list(areas):
            areas |= knowledge.distal.get(area, frozenset())
    return frozenset(areas)


def _spread(scope: frozenset[str] | None, kind: str | None, knowledge: KnowledgeBase) -> frozenset[str] | None:
    """``scope`` widened to every area sharing an area group of ``kind`` with one of its areas."""
    if scope is None or kind is None:
        return scope
    companions = knowledge.area_groups.get(kind, {})
    wider = set(scope)
    for area in scope:
        wider |= companions.get(area, frozenset())
    return frozenset(wider)


def _cap(restriction: Restriction) -> int:
    assert restriction.rule.cap is not None
    return restriction.rule.cap.max


def _in_order(scope: frozenset[str] | None) -> list[str | None]:
    return [None] if scope is None else [*sorted(scope)]


def _lowest_pressure(technique: str, knowledge: KnowledgeBase) -> int:
    lowest = knowledge.techniques[technique].pressure.min
    return lowest if lowest is not None else 0


def _forbidden(rule: CompiledRule, knowledge: KnowledgeBase) -> list[str]:
    return sorted(rule.forbid_set if rule.forbid_set is not None else knowledge.techniques)


def _not_allowed(rule: CompiledRule, knowledge: KnowledgeBase) -> list[str]:
    assert rule.allow_only is not None
    return sorted(technique for technique in knowledge.techniques if technique not in rule.allow_only)


def _over_cap(cap: int, knowledge: KnowledgeBase) -> list[str]:
    return sorted(technique for technique in knowledge.techniques if _lowest_pressure(technique, knowledge) > cap)
