"""The session plan: a base dose from the best-matched complaint, then each modifier, all shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .models import Plan, PlanStep

if TYPE_CHECKING:
    from ._engine import Resolved
    from ._knowledge import CompiledRule, KnowledgeBase

__all__ = ["build_plan"]


def _dose_priority(rule: CompiledRule, resolved: Resolved) -> tuple[int, int, int, str]:
    assert rule.dose is not None
    named = rule.kind == "condition" and rule.diagnosis in resolved.diagnoses
    # A named diagnosis beats an inferred match; then the most specific match wins.
    return (0 if named else 1, -rule.specificity, -rule.dose.sessions_max, rule.id)


def build_plan(fired: Sequence[CompiledRule], resolved: Resolved, knowledge: KnowledgeBase) -> Plan:
    """Build the plan for a profile whose care is allowed, with its arithmetic step by step."""
    dosed = [rule for rule in fired if rule.dose is not None]
    if dosed:
        base_rule = min(dosed, key=lambda rule: _dose_priority(rule, resolved))
        dose = base_rule.dose
        assert dose is not None
        base_id, base_text, base_sources = base_rule.id, dose.text or base_rule.text, base_rule.sources
    else:
        default, _origin = knowledge.plan_defaults[resolved.phase]
        dose = default
        base_id = f"plan.default.{resolved.phase}"
        base_text = default.text or f"the usual course in the {resolved.phase} phase"
        base_sources = tuple(default.sources)
    low, high = dose.sessions_min, dose.sessions_max
    steps = [
        PlanStep(
            rule=base_id,
            text=base_text,
            add_min=0,
            add_max=0,
            sessions_min=low,
            sessions_max=high,
            sources=base_sources,
        )
    ]
    for rule in fired:  # fired rules come in id order, so the steps do too
        if rule.sessions is None:
            continue
        low = max(1, low + rule.sessions.add_min)
        high = max(low, high + rule.sessions.add_max)
        steps.append(
            PlanStep(
                rule=rule.id,
                text=rule.text,
                add_min=rule.sessions.add_min,
                add_max=rule.sessions.add_max,
                sessions_min=low,
                sessions_max=high,
                sources=rule.sources,
            )
        )
    return Plan(
        sessions_min=low,
        sessions_max=high,
        sessions_per_week=dose.sessions_per_week,
        session_minutes=dose.session_minutes,
        check_in_after_sessions=min(dose.check_in_after_sessions, high),
        derivation=tuple(steps),
    )
