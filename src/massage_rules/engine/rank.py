"""Rank techniques: add up the cited reasons that fired rules give each one, and place it under the screen.

Equal scores are ordered by what a clinician would weigh, in this order: the
matched complaint's own preference (the points its ``favour`` gives), the
technique's evidence level (``ranking.evidence_order``), and, where the pain is
severe or irritable (``ranking.lighter_first``), the lighter technique first.
Techniques still equal after all that share a rank (1, 2, 2, 4); the id only
fixes the order in which they are listed. Each technique that shares its score
with the one above it says, in ``tie_break``, what put it there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from massage_rules.engine.screen import Placement, Screen
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import RankedTechnique, Reason
from massage_rules.rules.facts import Facts
from massage_rules.rules.firing import holds

__all__ = ["Ranked", "lighter_first_rule", "rank", "score_reasons"]


def score_reasons(reasons: Iterable[Reason]) -> tuple[float, tuple[Reason, ...]]:
    """A technique's score as shown (the exact sum rounded to six places) and its reasons, most points first."""
    ordered = _most_points_first(reasons)
    return round(math.fsum(reason.points for reason in ordered), 6), ordered


def _most_points_first(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    return tuple(sorted(reasons, key=lambda reason: (-reason.points, reason.rule)))


@dataclass(slots=True)
class _Candidate:
    """A technique that may be offered. Not frozen: it never leaves :func:`rank`, and a frozen __init__ is slow."""

    technique_id: str
    score: float
    preference: float  # the points matched complaints give it
    evidence: int  # its place in the evidence order (0 is best)
    pressure: tuple[int, int]  # (top, lowest) pressure when lighter comes first, else (0, 0)
    reasons: tuple[Reason, ...]
    placement: Placement

    def key(self) -> tuple[float, float, int, tuple[int, int]]:
        """What orders techniques, best first; equal keys share a rank."""
        return (-self.score, -self.preference, self.evidence, self.pressure)


@dataclass(frozen=True, slots=True)
class Ranked:
    """The ranked techniques, and the sources of the lighter-first rule when it broke a tie."""

    techniques: list[RankedTechnique]
    sources: tuple[str, ...] = ()


def lighter_first_rule(facts: Facts | None, complaints: frozenset[str], kb: KnowledgeBase) -> CompiledRule | None:
    """The first ``ranking.lighter_first`` entry that holds for the profile, if any."""
    if facts is None:
        return None
    return next((rule for rule in kb.ranking.lighter_first if holds(rule, facts, complaints)), None)


def rank(
    fired: Sequence[CompiledRule],
    screen: Screen,
    areas: frozenset[str],
    kb: KnowledgeBase,
    facts: Facts | None = None,
    complaints: frozenset[str] = frozenset(),
) -> Ranked:
    """The techniques with points above zero that the screen lets go somewhere, best first, ties broken as above."""
    given: dict[str, list[Reason]] = {}
    for rule in fired:
        for technique_id, reason in rule.reasons:
            given.setdefault(technique_id, []).append(reason)
    lighter = lighter_first_rule(facts, complaints, kb)
    order = {level: i for i, level in enumerate(kb.ranking.evidence_order)}
    candidates: list[_Candidate] = []
    for technique_id, reasons in given.items():
        total = math.fsum(reason.points for reason in reasons)
        if total <= 0:
            continue
        technique = kb.techniques[technique_id]
        lowest = technique.pressure.min if technique.pressure.min is not None else 0
        highest = technique.pressure.max if technique.pressure.max is not None else 5
        usable = areas if technique.areas is None else areas.intersection(technique.areas)
        placement = screen.place(technique_id, lowest, highest, usable)
        if placement is None:
            continue
        preference = round(math.fsum(r.points for r in reasons if r.effect == "condition"), 6)
        candidates.append(
            _Candidate(
                technique_id=technique_id,
                score=round(total, 6),  # as score_reasons gives it, without summing the reasons again
                preference=preference,
                evidence=order.get(technique.evidence, 0),
                pressure=(placement.pressure_max, lowest) if lighter is not None else (0, 0),
                reasons=_most_points_first(reasons),
                placement=placement,
            )
        )
    candidates.sort(key=lambda c: (c.key(), c.technique_id))
    ranked: list[RankedTechnique] = []
    used_lighter = False
    for position, candidate in enumerate(candidates):
        above = candidates[position - 1] if position else None
        shared = above is not None and above.key() == candidate.key()
        number = ranked[-1].rank if shared else position + 1
        tie_break = None
        if above is not None and above.score == candidate.score:
            tie_break, by_pressure = _tie_break(above, candidate, number, shared, lighter, kb)
            used_lighter = used_lighter or by_pressure
        technique = kb.techniques[candidate.technique_id]
        ranked.append(
            RankedTechnique(
                id=candidate.technique_id,
                name=technique.name,
                rank=number,
                score=candidate.score,
                areas=tuple(sorted(candidate.placement.areas)),
                skip_areas=tuple(sorted(candidate.placement.skip)),
                pressure_min=technique.pressure.min if technique.pressure.min is not None else 0,
                pressure_max=candidate.placement.pressure_max,
                cpt=technique.cpt,
                evidence=technique.evidence,
                reasons=candidate.reasons,
                after_screening=(),
                tie_break=tie_break,
            )
        )
    sources = lighter.sources if used_lighter and lighter is not None else ()
    return Ranked(ranked, sources)


def _tie_break(
    above: _Candidate, this: _Candidate, number: int, shared: bool, lighter: CompiledRule | None, kb: KnowledgeBase
) -> tuple[str, bool]:
    """Why ``this`` stands below ``above``, which has the same score; and whether pressure decided it."""
    name = kb.techniques[above.technique_id].name
    if shared:
        weighed = "complaint preference, evidence" + (" and pressure" if lighter is not None else "")
        return f"equal to {name} on score, {weighed}: shares rank {number}", False
    if above.preference != this.preference:
        return (
            f"same score as {name}, which the matched complaint favours more "
            f"({above.preference:g} against {this.preference:g})",
            False,
        )
    if above.evidence != this.evidence:
        mine = kb.techniques[this.technique_id].evidence
        theirs = kb.techniques[above.technique_id].evidence
        return (
            f"same score and complaint preference as {name}; its evidence is {mine.replace('_', ' ')}, "
            f"{name}'s {theirs.replace('_', ' ')}",
            False,
        )
    assert lighter is not None  # only pressure is left to tell them apart
    return (
        f"same score, preference and evidence as {name}; {lighter.text} ({name} at pressure "
        f"{above.pressure[1]}-{above.pressure[0]}, this at {this.pressure[1]}-{this.pressure[0]})",
        True,
    )
