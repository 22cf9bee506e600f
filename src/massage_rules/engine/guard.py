"""The last line of defence: an answer is checked against every fired restriction before it is returned.

Ranking already keeps forbidden techniques out; this check states the safety
promise once more, in one place, from the answer's side: whatever the scores
say, an offered technique is never where a fired rule forbids it, outside what
a fired allow-list allows, or above a fired pressure cap, and nothing is offered
when care must stop or wait for a physician. It should never trigger.
"""

from __future__ import annotations

from massage_rules.engine.screen import Screen
from massage_rules.errors import UnsafeAnswerError
from massage_rules.models import Recommendation

__all__ = ["check_answer"]


def check_answer(answer: Recommendation, screen: Screen) -> None:
    """Raise :class:`UnsafeAnswerError` when ``answer`` offers anything a fired restriction rules out."""
    problems: list[str] = []
    rules: list[str] = []

    def unsafe(rule: str, problem: str) -> None:
        rules.append(rule)
        problems.append(problem)

    stopped = answer.no_massage is not None
    waiting = answer.referral is not None and not answer.referral.massage_meanwhile
    if (stopped or waiting) and (answer.techniques or answer.plan is not None):
        rule = answer.no_massage.rule if answer.no_massage is not None else answer.referral.rule  # type: ignore[union-attr]
        unsafe(rule, "techniques or a plan offered although care must stop or wait")
    for offered in answer.techniques:
        areas, skipped = frozenset(offered.areas), frozenset(offered.skip_areas)
        whole_body = not areas.isdisjoint(screen.whole_body)
        for rule in screen.allow:
            if rule.allow_only is not None and offered.id not in rule.allow_only:
                unsafe(rule.id, f"{offered.id} offered outside the techniques rule '{rule.id}' allows")
        for forbid in screen.forbids:
            named = forbid.rule.forbid_set is None or offered.id in forbid.rule.forbid_set
            if named and _reaches(forbid.scope, areas, skipped, whole_body):
                unsafe(forbid.rule.id, f"{offered.id} offered where rule '{forbid.rule.id}' forbids it")
        for cap in screen.caps:
            assert cap.rule.cap is not None
            limit = cap.rule.cap.max
            if limit < offered.pressure_min:  # even its lightest pressure is over: the cap rules it out there
                if _reaches(cap.scope, areas, skipped, whole_body):
                    unsafe(cap.rule.id, f"{offered.id} offered where even its lightest pressure is over {limit}")
            elif offered.pressure_max > limit and (cap.scope is None or whole_body or not cap.scope.isdisjoint(areas)):
                unsafe(
                    cap.rule.id, f"{offered.id} offered up to pressure {offered.pressure_max}, over the cap of {limit}"
                )
    if problems:
        raise UnsafeAnswerError(problems, rules)


def _reaches(scope: frozenset[str] | None, areas: frozenset[str], skipped: frozenset[str], whole_body: bool) -> bool:
    """Whether an offer on ``areas`` (skipping ``skipped`` in a whole-body session) touches ``scope``."""
    if scope is None or not scope.isdisjoint(areas):
        return True
    return whole_body and not scope <= skipped
