"""The three parts of the walk and the profiles each visits (the package docstring says why they suffice)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from massage_rules.authoring.verify.cells import Timing
from massage_rules.authoring.verify.findings import Entry, Findings
from massage_rules.authoring.verify.judge import Part
from massage_rules.authoring.verify.space import Space
from massage_rules.authoring.verify.walk import Point

__all__ = ["walk_core", "walk_diagnoses", "walk_findings"]

_SEVERITIES = 11  # the 0-10 pain scale


def walk_core(space: Space, part: Part) -> None:
    """Part 1: every area set, cause, timing, severity and goal set; no findings, no diagnoses."""
    kb = space.kb
    steps = len(space.causes) * len(kb.phases)
    for n, cause_class in enumerate(space.causes):
        cause = cause_class.cause
        for m, phase in enumerate(kb.phases):
            rules = space.candidates(cause, phase)
            goals = space.goal_classes(rules)
            for area_class in space.area_classes(rules).classes:
                for timing in space.timings_of(phase):
                    base = Point(area_class.areas, cause, phase, timing.days, 0, frozenset())
                    for goal_class in goals:
                        part.walk.represented += (
                            area_class.size * len(cause_class.members) * timing.size * _SEVERITIES * goal_class.size
                        )
                        part.cell(base, goal_class, space.severities)
            part.progress(0.4 * (n * len(kb.phases) + m + 1) / steps)
    part.finish()


def walk_diagnoses(space: Space, part: Part) -> None:
    """Part 3: each named diagnosis alone, on every area set, timing, severity and goal set, with no cause."""
    kb = space.kb
    steps = len(kb.conditions) * len(kb.phases)
    for n, diagnosis in enumerate(kb.conditions):
        named = frozenset([diagnosis])
        for m, phase in enumerate(kb.phases):
            rules = space.candidates(None, phase, named=named)
            goals = space.goal_classes(rules)
            # the named complaint fires whatever its own match says, so its areas tell nothing apart
            for area_class in space.area_classes([r for r in rules if r.diagnosis != diagnosis]).classes:
                for timing in space.timings_of(phase):
                    base = Point(area_class.areas, None, phase, timing.days, 0, frozenset(), (), named)
                    for goal_class in goals:
                        part.walk.represented += area_class.size * timing.size * _SEVERITIES * goal_class.size
                        part.cell(base, goal_class, space.severities)
            part.progress(0.3 * (n * len(kb.phases) + m + 1) / steps)
    part.finish()


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What one finding gets in one cell whatever the goals: an answer, or the techniques it keeps offering."""

    answered: bool
    kept: frozenset[str]

    def settles(self, other: _Verdict) -> bool:
        """Whether two findings no rule tests together have, together, an answer for every goal set."""
        return self.answered or other.answered or not self.kept.isdisjoint(other.kept)


def walk_findings(space: Space, part: Part, findings: Findings) -> int:
    """Part 2: every finding and pair of findings on every single area; return how many pair cells were settled.

    Each in every cause, timing and severity class and every goal set. A finding
    that stops care alone is walked in one cell: it stops every profile. A pair
    that no rule tests together is settled, in a cell, from its two singles
    there (see the package docstring) instead of walked.
    """
    cells = {
        area: [(c.cause, len(c.members), timing) for c in near.causes for timing in near.timings]
        for area, near in ((area, space.near(area)) for area in space.areas)
    }
    goal_sets = (2 ** len(space.goals) - 1) * _SEVERITIES
    weight = {area: goal_sets * sum(size * timing.size for _, size, timing in cells[area]) for area in space.areas}
    spellings = findings.weight
    walked: dict[tuple[str, Entry], list[list[int]]] = {}
    for n, area in enumerate(space.areas):
        for entry in findings.entries(area):
            stops = entry[0] in findings.stopping
            walked[(area, entry)] = [
                _walk_cell(space.near(area), part, area, (entry,), cause, timing)
                for cause, _, timing in cells[area][: 1 if stops else None]
            ]
            part.walk.represented += weight[area] * spellings(entry, area)
        part.progress(0.2 * (n + 1) / len(space.areas))
    part.finish(0.4)
    verdicts = {
        key: [_Verdict(True, frozenset())] * len(cells[key[0]])
        if key[1][0] in findings.stopping
        else [_summary(part, situations) for situations in per_cell]
        for key, per_cell in walked.items()
    }
    settled = 0
    for n, area in enumerate(space.areas):
        for chosen in findings.sets(findings.entries(area)):
            stops = not findings.stopping.isdisjoint(f for f, _ in chosen)
            separable = findings.separable(chosen)
            part.walk.represented += weight[area] * math.prod(spellings(entry, area) for entry in chosen)
            for c, (cause, _, timing) in enumerate(cells[area]):
                one, other = (verdicts[(area, entry)][c] for entry in chosen[:2])
                if stops or (separable and one.settles(other)):
                    settled += 1
                else:
                    _walk_cell(space.near(area), part, area, chosen, cause, timing)
        part.progress(0.4 + 0.3 * (n + 1) / len(space.areas))
    part.finish()
    return settled


def _walk_cell(
    space: Space, part: Part, area: str, chosen: tuple[Entry, ...], cause: str | None, timing: Timing
) -> list[int]:
    """Walk one finding set on one area in one cell, for every goal class; the situations of its largest goal sets."""
    names = frozenset(f for f, _ in chosen)
    health = tuple(sorted(e for _, e in chosen))
    base = Point(frozenset([area]), cause, timing.phase, timing.days, 0, frozenset(), health)
    out: list[int] = []
    for goal_class in space.goal_classes(space.candidates(cause, timing.phase, names)):
        out += part.cell(base, goal_class, space.severities)
    return out


def _summary(part: Part, situations: list[int]) -> _Verdict:
    """What a single finding gets in a cell whatever the goals: an answer, or the techniques it keeps offering."""
    answered = all(part.verdicts[k][0].answered for k in situations)
    kept = frozenset.intersection(*(part.kept(k) for k in situations)) if situations else frozenset()
    return _Verdict(answered, kept)
