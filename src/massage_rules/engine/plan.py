"""The session plan: a base dose from the best-matched complaint, then each modifier, all shown.

The plan also carries when to check in, what change to expect by when, a booster
where effects fade, and after-care for the client. All of their texts and
thresholds come from the ``plan`` section of the knowledge files.
"""

from __future__ import annotations

from collections.abc import Sequence

from massage_rules.engine.billing import billing_units
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import AfterCare, MeaningfulChange, Plan, PlanAdvice, PlanStep, RankedTechnique
from massage_rules.rules.facts import Facts
from massage_rules.rules.firing import Fired

__all__ = ["build_plan", "check_in_sessions", "plan_sources"]

# The order after-care is shown in: what to expect, what to do, when to stop.
_KIND_ORDER = {"expect": 0, "self_care": 1, "warning_sign": 2}


def build_plan(fired: Fired, facts: Facts, knowledge: KnowledgeBase, offered: Sequence[RankedTechnique]) -> Plan:
    """The plan for a profile whose care is allowed, its arithmetic shown step by step.

    The base dose is the best dose rule that fired (a named diagnosis first, then
    the most specific match), else the phase's default; each sessions rule that
    fired then moves the range, in rule-id order. After-care tied to techniques
    is shown only when one of them is offered, and the offered techniques' codes
    give the billing units of a session.
    """
    dose_rules = [rule for rule in fired.rules if rule.dose is not None]
    base_rule = min(dose_rules, key=lambda rule: _dose_priority(rule, facts), default=None)
    default, _origin = knowledge.plan_defaults[facts.phase]
    if base_rule is not None:
        dose = base_rule.dose
        assert dose is not None
        base_id, base_text, base_sources = base_rule.id, dose.text or base_rule.text, base_rule.sources
    else:
        dose = default
        base_id = f"plan.default.{facts.phase}"
        base_text = default.text or f"the usual course in the {facts.phase} phase"
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
    for rule in fired.rules:
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
    settings = knowledge.plan_settings
    first = min(dose.check_in_after_sessions, high)
    reassess = settings.reassess
    meaningful = None
    if settings.meaningful_change is not None:
        mcid = settings.meaningful_change
        by = max(1, min(dose.expect_change_by_session or default.expect_change_by_session or first, high))
        meaningful = MeaningfulChange(
            pain_points=mcid.pain_points,
            pain_percent=mcid.pain_percent,
            function_points=mcid.function_points,
            by_session=by,
            text=mcid.text,
            sources=tuple(mcid.sources),
        )
    offered_ids = {technique.id for technique in offered}
    maintenance: list[PlanAdvice] = []
    aftercare: list[AfterCare] = []
    for position in fired.advice:
        advice = settings.advice[position]
        if advice.techniques is not None and advice.techniques.isdisjoint(offered_ids):
            continue
        if isinstance(advice.shown, AfterCare):
            aftercare.append(advice.shown)
        else:
            maintenance.append(advice.shown)
    aftercare.sort(key=lambda item: _KIND_ORDER[item.kind])  # stable: file order within a kind
    codes = sorted({technique.cpt for technique in offered})
    return Plan(
        sessions_min=low,
        sessions_max=high,
        sessions_per_week=dose.sessions_per_week,
        session_minutes=dose.session_minutes,
        check_in_after_sessions=first,
        derivation=tuple(steps),
        billing=billing_units(dose.session_minutes, knowledge, codes),
        check_in_sessions=check_in_sessions(first, reassess.every_sessions if reassess else first, high),
        check_in_reason=settings.reassess_advice,
        meaningful_change=meaningful,
        maintenance=tuple(maintenance),
        aftercare=tuple(aftercare),
    )


def _dose_priority(rule: CompiledRule, facts: Facts) -> tuple[int, int, int, str]:
    assert rule.dose is not None
    named = rule.kind == "condition" and rule.diagnosis in facts.diagnoses
    # A named diagnosis beats an inferred match; then the most specific match wins.
    return (0 if named else 1, -rule.specificity, -rule.dose.sessions_max, rule.id)


def check_in_sessions(first: int, every: int, last: int) -> tuple[int, ...]:
    """Session numbers after which to check in: ``first``, then every ``every``, up to ``last``."""
    first = min(first, last)
    return tuple(range(first, last + 1, max(1, every)))


def plan_sources(plan: Plan) -> list[tuple[str, ...]]:
    """Every group of sources the plan cites: its derivation, advice, check-ins, expected change and billing."""
    groups = [step.sources for step in plan.derivation]
    groups += [a.sources for a in plan.maintenance] + [a.sources for a in plan.aftercare]
    if plan.check_in_reason is not None:
        groups.append(plan.check_in_reason.sources)
    if plan.meaningful_change is not None:
        groups.append(plan.meaningful_change.sources)
    if plan.billing is not None:
        groups.append(plan.billing.sources)
    return groups
