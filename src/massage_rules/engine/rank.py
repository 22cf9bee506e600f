"""Rank techniques: add up the cited reasons that fired rules give each one, and place it under the screen."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from massage_rules.engine.screen import Screen
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import RankedTechnique, Reason

__all__ = ["rank", "score_reasons"]


def score_reasons(reasons: Iterable[Reason]) -> tuple[float, tuple[Reason, ...]]:
    """A technique's score as shown (the exact sum rounded to six places) and its reasons, most points first."""
    ordered = tuple(sorted(reasons, key=lambda reason: (-reason.points, reason.rule)))
    return round(math.fsum(reason.points for reason in ordered), 6), ordered


def rank(
    fired: Sequence[CompiledRule], screen: Screen, areas: frozenset[str], kb: KnowledgeBase
) -> list[RankedTechnique]:
    """The techniques with points above zero that the screen lets go somewhere, best first; ties by id."""
    given: dict[str, list[Reason]] = {}
    for rule in fired:
        for technique_id, reason in rule.reasons:
            given.setdefault(technique_id, []).append(reason)
    scored: list[tuple[float, str, tuple[Reason, ...]]] = []
    for technique_id, reasons in given.items():
        if math.fsum(reason.points for reason in reasons) > 0:
            score, ordered = score_reasons(reasons)
            scored.append((score, technique_id, ordered))
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    ranked: list[RankedTechnique] = []
    for score, technique_id, ordered in scored:
        technique = kb.techniques[technique_id]
        lowest = technique.pressure.min if technique.pressure.min is not None else 0
        highest = technique.pressure.max if technique.pressure.max is not None else 5
        usable = areas if technique.areas is None else areas.intersection(technique.areas)
        placement = screen.place(technique_id, lowest, highest, usable)
        if placement is None:
            continue
        ranked.append(
            RankedTechnique(
                id=technique_id,
                name=technique.name,
                rank=len(ranked) + 1,
                score=score,
                areas=tuple(sorted(placement.areas)),
                skip_areas=tuple(sorted(placement.skip)),
                pressure_min=lowest,
                pressure_max=placement.pressure_max,
                cpt=technique.cpt,
                evidence=technique.evidence,
                reasons=ordered,
            )
        )
    return ranked
