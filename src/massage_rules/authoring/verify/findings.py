"""Part 2's view of health findings: the entries walked per area, which findings stop care alone, which go together.

On a one-area profile, where a finding is tied matters only through whether
the restrictions scoped to it reach that area: tied to the area itself (the
same as untied, which covers every problem area), or tied to another area, which
the restrictions reach or not by their kind: a ``distal`` one reaches the areas
further along the limb, one with a ``spread`` the areas sharing an area group
(a lymph quadrant), and others only the area itself (a whole-body area is
reached by none, but a whole-body session skips what they cover). The *reach* of
a tie is which kinds reach the area from it; one entry stands for every tie of
the same reach. A finding tied to several areas reaches where any of them does.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from massage_rules.authoring.verify.space import Space
from massage_rules.authoring.verify.walk import Point, plan_only
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.rules.facts import tie_findings

__all__ = ["Findings", "findings_rules"]

Entry = tuple[str, str]  # (finding, health entry as written: the finding, or finding@area)


def findings_rules(rules: Sequence[CompiledRule]) -> list[CompiledRule]:
    """The rules that cut the space for Part 2: all but those that only dose and need no finding (Part 1 has them)."""
    needing = _needing_findings(rules)
    return [rule for rule in rules if not plan_only(rule) or rule.id in needing]


def _needing_findings(rules: Sequence[CompiledRule]) -> frozenset[str]:
    """Rules that test findings, or a complaint that does (through ``conditions``)."""
    found = {rule.id for rule in rules if rule.health_all is not None or rule.health_any is not None}
    grown = True
    while grown:
        grown = False
        for rule in rules:
            if rule.id not in found and not found.isdisjoint(rule.conditions or ()):
                found.add(rule.id)
                grown = True
    return frozenset(found)


class Findings:
    """The findings of a knowledge base as Part 2 walks them."""

    def __init__(self, kb: KnowledgeBase) -> None:
        rules = kb.rules
        self.kb = kb
        # a rule that stops care on one finding alone, whatever else: every profile with it stops
        self.stopping = frozenset(
            finding
            for rule in rules
            if (rule.no_massage is not None or (rule.refer is not None and not rule.refer.massage_meanwhile))
            and _only_findings(rule)
            for finding in _alone(rule)
        )
        self.tied = frozenset(  # findings whose areas a restriction is scoped to
            finding
            for rule in rules
            if (rule.forbid is not None and rule.forbid.where == "finding_areas")
            or (rule.cap is not None and rule.cap.where == "finding_areas")
            for finding in (rule.health_all or frozenset()) | (rule.health_any or frozenset())
        )
        # the kinds of restriction scoped to findings' areas: (distal, spread)
        self.kinds = sorted(
            {
                (scoped.distal, scoped.spread or "")
                for rule in rules
                for scoped in (rule.forbid, rule.cap)
                if scoped is not None and scoped.where == "finding_areas"
            }
        )
        self.together = _together(rules)
        needing = _needing_findings(rules)
        self.additive = all(points >= 0 for rule in rules if rule.id in needing for _, points in rule.score)
        self._by_reach = {area: self._ties(area) for area in kb.areas}  # asked for once per walked entry

    def reach(self, tied: str, area: str) -> tuple[bool, ...]:
        """Which kinds of restriction scoped to a finding tied to ``tied`` reach ``area``."""
        kb = self.kb
        out = []
        for distal, spread in self.kinds:
            scope = {tied} | (kb.distal.get(tied, frozenset()) if distal else frozenset())
            companions = kb.area_groups.get(spread, {}) if spread else {}
            out.append(area in scope or any(area in companions.get(x, frozenset()) for x in scope))
        return tuple(out)

    def _ties(self, area: str) -> dict[tuple[bool, ...], list[str]]:
        """The other areas by the reach of a tie to them, in the knowledge's order."""
        found: dict[tuple[bool, ...], list[str]] = {}
        for x in self.kb.areas:
            if x != area:
                found.setdefault(self.reach(x, area), []).append(x)
        return found

    def entries(self, area: str) -> list[Entry]:
        """Every finding untied; those a restriction is scoped to also tied to one area of each reach."""
        ties = self._by_reach[area]
        out = []
        for finding in self.kb.findings:
            out.append((finding, finding))
            if finding in self.tied:
                out += [(finding, f"{finding}@{areas[0]}") for areas in ties.values()]
        return out

    def weight(self, entry: Entry, area: str) -> int:
        """How many ways of writing the finding in a profile the entry stands for (untied, or tied to some area)."""
        finding, written = entry
        if finding not in self.tied:
            return 1 + len(self.kb.areas)  # untied, or tied to any area: no rule reads where
        if written == finding:
            return 2  # untied, or tied to the area itself
        return len(self._by_reach[area][self.reach(written.partition("@")[2], area)])

    def sets(self, entries: list[Entry]) -> Iterable[tuple[Entry, ...]]:
        """Pairs of entries of two findings, then each set of three or more findings a rule needs all of."""
        yield from (pair for pair in itertools.combinations(entries, 2) if pair[0][0] != pair[1][0])
        for rule in self.kb.rules:
            if rule.health_all is not None and len(rule.health_all) > 2:
                yield tuple((f, f) for f in sorted(rule.health_all))

    def separable(self, chosen: tuple[Entry, ...]) -> bool:
        """True for a pair no rule tests together, when rules on findings never take points away."""
        return len(chosen) == 2 and self.additive and frozenset(f for f, _ in chosen) not in self.together

    def representative(self, space: Space, point: Point) -> Point:
        """The profile Part 2 walks for a one-area ``point`` with findings (same goals): its cell's profile.

        With a finding that stops care alone, the part's first cell: the answer is
        a stop whatever else the profile says.
        """
        (area,) = point.areas
        ties = self._by_reach[area]
        health = set()
        for finding, tied in tie_findings(point.health).items():
            if finding not in self.tied or not tied or area in tied:
                health.add(finding)  # covers the area, as untied does
            else:
                reach = tuple(map(any, zip(*(self.reach(x, area) for x in tied), strict=True)))
                # the reach of several ties is the reach of one tie (checked for the bundled knowledge); else the
                # nearest reach that covers it, the cautious reading
                shown = min((r for r in ties if all(a or not b for a, b in zip(r, reach, strict=True))), key=sum)
                health.add(f"{finding}@{ties[shown][0]}")
        near = space.near(area)
        if not {entry.partition("@")[0] for entry in point.health}.isdisjoint(self.stopping):
            first, low = near.timings[0], near.severities[0][0]
            cell = Point(point.areas, near.causes[0].cause, first.phase, first.days, low, point.goals)
        else:
            cell = near.cell_of(point)
        return Point(cell.areas, cell.cause, cell.phase, cell.days, cell.severity, point.goals, tuple(sorted(health)))


def _only_findings(rule: CompiledRule) -> bool:
    """True when the rule tests findings and nothing else."""
    others = (rule.areas, rule.causes, rule.phases, rule.goals, rule.conditions, rule.severity, rule.days)
    return rule.diagnosis is None and rule.area_count is None and all(x is None for x in others)


def _alone(rule: CompiledRule) -> frozenset[str]:
    """The findings each of which alone meets the rule's finding conditions."""
    if rule.health_all is not None:
        return rule.health_all if len(rule.health_all) == 1 and rule.health_any is None else frozenset()
    return rule.health_any or frozenset()


def _together(rules: Sequence[CompiledRule]) -> set[frozenset[str]]:
    """Pairs of findings one rule tests together, directly or through the complaints it needs."""
    by_id = {rule.id: rule for rule in rules}

    def findings(rule: CompiledRule, seen: frozenset[str]) -> frozenset[str]:
        own = (rule.health_all or frozenset()) | (rule.health_any or frozenset())
        for complaint in rule.conditions or ():
            if complaint in by_id and complaint not in seen:
                own |= findings(by_id[complaint], seen | {complaint})
        return own

    return {
        frozenset(pair)
        for rule in rules
        for pair in itertools.combinations(sorted(findings(rule, frozenset([rule.id]))), 2)
    }
