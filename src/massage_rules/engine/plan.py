"""The session plan: a base dose from the best-matched complaint, then severity and each modifier, all shown.

The plan also carries when to check in, what change to expect by when, a booster
where effects fade, and after-care for the client. All of their texts and
thresholds come from the ``plan`` section of the knowledge files.
"""

from __future__ import annotations

from collections.abc import Sequence

from massage_rules.engine.billing import billing_units
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import AfterCare, MeaningfulChange, Plan, PlanAdvice, PlanStep, RankedTechnique
from massage_rules.rules.facts import Facts
from massage_rules.rules.firing import Fired, holds

__all__ = ["build_plan", "check_in_sessions", "move_course", "plan_sources", "severity_band", "treated_regions"]

# The order after-care is shown in: what to expect, what to do, when to stop.
_KIND_ORDER = {"expect": 0, "self_care": 1, "warning_sign": 2}


def build_plan(fired: Fired, facts: Facts, knowledge: KnowledgeBase, offered: Sequence[RankedTechnique]) -> Plan:
    """The plan for a profile whose care is allowed, its arithmetic shown step by step.

    No course at all when the client's pain is in the "no course" band and every
    goal is a pain goal. Otherwise the base is the best dose rule that fired (a
    named diagnosis first, then the most specific match: a trial's dose), else a
    short block when every goal is one of the short block's (relaxation, recovery),
    else the phase's default. A trial's dose or a default longer than the short
    course limit is then moved by the client's severity band, by each plan
    modifier that holds (in file order), and by each fired ``sessions`` rule, and a
    trial's dose is kept within the trial margin. Every step is in ``derivation``.
    """
    model = knowledge.course_model
    band = severity_band(facts.severity, knowledge)
    regions = treated_regions(offered, knowledge)
    if _no_course(model.no_course, band, facts):
        return _no_course_plan(model.no_course, fired, facts, knowledge, offered, band, regions)
    dose_rules = [rule for rule in fired.rules if rule.dose is not None]
    base_rule = min(dose_rules, key=lambda rule: _dose_priority(rule, facts), default=None)
    default, _origin = knowledge.plan_defaults[facts.phase]
    block = model.short_block
    dose: s.Dose
    if base_rule is not None:
        assert base_rule.dose is not None
        dose, basis = base_rule.dose, "trial"
        base_id, base_text, base_sources = base_rule.id, base_rule.dose.text or base_rule.text, base_rule.sources
    elif block is not None and facts.goals <= set(block.goals):
        dose, basis = block, "short_block"
        base_id, base_text, base_sources = "plan.short_block", block.text or "a short block", tuple(block.sources)
    else:
        dose, basis = default, "phase_default"
        base_id = f"plan.default.{facts.phase}"
        base_text = default.text or f"the usual course in the {facts.phase} phase"
        base_sources = tuple(default.sources)
    low, high = dose.sessions_min, dose.sessions_max
    steps = [_step(base_id, base_text, 0, 0, low, high, base_sources, dose.evidence)]
    if basis != "short_block" and dose.sessions_max > model.short_course_max:
        low, high = _moves(steps, fired, facts, knowledge, band, regions, dose, trial=basis == "trial")
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
    maintenance, aftercare = _advice(fired, knowledge, offered)
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
        basis=basis,
        severity_band=band,
        treated_regions=regions,
    )


def _moves(
    steps: list[PlanStep],
    fired: Fired,
    facts: Facts,
    knowledge: KnowledgeBase,
    band: str | None,
    regions: int,
    dose: s.Dose,
    *,
    trial: bool,
) -> tuple[int, int]:
    """Move the base course by severity, the plan modifiers, fired ``sessions`` rules and the trial margin."""
    model = knowledge.course_model
    low, high = dose.sessions_min, dose.sessions_max
    spanned = low < high  # a range the source gave is never collapsed to one value

    def move(rule: str, text: str, add_min: int, add_max: int, sources: tuple[str, ...], evidence: str | None) -> None:
        nonlocal low, high
        low, high = move_course(low, high, add_min, add_max, spanned)
        steps.append(_step(rule, text, add_min, add_max, low, high, sources, evidence))

    if model.severity is not None and model.steps is not None and band is not None and band in model.steps:
        step = model.steps[band]
        move(f"plan.severity.{band}", step.text, step.add_min, step.add_max, tuple(model.severity.sources),
             model.severity.evidence)  # fmt: skip
    for modifier in model.modifiers:
        window = modifier.regions
        if window is not None and not window[0] <= regions <= window[1]:
            continue
        if holds(modifier.rule, facts, fired.complaints):
            change = modifier.modifier.sessions
            move(modifier.rule.id, modifier.rule.text, change.add_min, change.add_max, modifier.rule.sources,
                 modifier.modifier.evidence)  # fmt: skip
    for rule in fired.rules:
        if rule.sessions is not None:
            move(rule.id, rule.text, rule.sessions.add_min, rule.sessions.add_max, rule.sources, rule.sessions.evidence)
    margin = model.trial_margin
    if margin is not None and trial:
        floor, ceiling = max(1, dose.sessions_min - margin.sessions), dose.sessions_max + margin.sessions
        kept_low, kept_high = min(max(low, floor), ceiling), min(max(high, floor), ceiling)
        kept_low, kept_high = _unspread(kept_low, kept_high, spanned)
        if (kept_low, kept_high) != (low, high):
            add_min, add_max = kept_low - low, kept_high - high
            low, high = kept_low, kept_high
            steps.append(
                _step("plan.trial_margin", margin.text, add_min, add_max, low, high, tuple(margin.sources), "tested")
            )
    return low, high


def move_course(low: int, high: int, add_min: int, add_max: int, spanned: bool) -> tuple[int, int]:
    """A course ``low``-``high`` moved by ``add_min``/``add_max``: at least one session, the minimum never past
    the maximum, and a range (``spanned``) never collapsed to one value."""
    moved_low, moved_high = max(1, low + add_min), max(1, high + add_max)
    return _unspread(min(moved_low, moved_high), moved_high, spanned)


def _unspread(low: int, high: int, spanned: bool) -> tuple[int, int]:
    """Keep a range a range: one value becomes the value and the one below it (or above, at 1)."""
    low = min(low, high)
    if spanned and low == high:
        return (low - 1, high) if low > 1 else (low, high + 1)
    return low, high


def _step(
    rule: str,
    text: str,
    add_min: int,
    add_max: int,
    low: int,
    high: int,
    sources: tuple[str, ...] | list[str],
    evidence: str | None,
) -> PlanStep:
    return PlanStep(
        rule=rule,
        text=text,
        add_min=add_min,
        add_max=add_max,
        sessions_min=low,
        sessions_max=high,
        sources=tuple(sources),
        evidence=evidence,
    )


def severity_band(severity: int, knowledge: KnowledgeBase) -> str | None:
    """The id of the first severity band whose range holds ``severity``."""
    return next((band.id for band in knowledge.severity_bands.values() if band.min <= severity <= band.max), None)


def treated_regions(offered: Sequence[RankedTechnique], knowledge: KnowledgeBase) -> int:
    """How many body regions the offered techniques reach: a whole-body session is one; ungrouped areas count alone."""
    areas = {area for technique in offered for area in technique.areas}
    if not areas:
        return 0
    if not areas.isdisjoint(knowledge.whole_body_areas):
        return 1
    regions = knowledge.area_groups.get("region", {})
    return len({min(regions.get(area, {area})) for area in areas})


def _no_course(rule: s.NoCourse | None, band: str | None, facts: Facts) -> bool:
    return rule is not None and band == rule.band and facts.goals <= set(rule.goals)


def _no_course_plan(
    rule: s.NoCourse | None,
    fired: Fired,
    facts: Facts,
    knowledge: KnowledgeBase,
    offered: Sequence[RankedTechnique],
    band: str | None,
    regions: int,
) -> Plan:
    """No course: zero sessions, and the plan says why; after-care and boosters still hold if pain returns."""
    assert rule is not None
    default, _origin = knowledge.plan_defaults[facts.phase]
    step = _step("plan.no_course", rule.text, 0, 0, 0, 0, tuple(rule.sources), None)
    maintenance, aftercare = _advice(fired, knowledge, offered)
    return Plan(
        sessions_min=0,
        sessions_max=0,
        sessions_per_week=default.sessions_per_week,
        session_minutes=default.session_minutes,
        check_in_after_sessions=0,
        derivation=(step,),
        maintenance=tuple(maintenance),
        aftercare=tuple(aftercare),
        basis="no_course",
        severity_band=band,
        treated_regions=regions,
        no_course_reason=PlanAdvice(rule="plan.no_course", text=rule.text, sources=tuple(rule.sources)),
    )


def _advice(
    fired: Fired, knowledge: KnowledgeBase, offered: Sequence[RankedTechnique]
) -> tuple[list[PlanAdvice], list[AfterCare]]:
    """Maintenance and after-care whose conditions hold; advice tied to techniques only when one is offered."""
    settings = knowledge.plan_settings
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
    return maintenance, aftercare


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
