"""The session plan: a base dose from the best-matched complaint, then each modifier, all shown.

The plan also carries when to check in, what change to expect by when, a booster
where effects fade, and after-care for the client. All of their texts and
thresholds come from the ``plan`` section of the knowledge files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from massage_rules.knowledge import schema as s
from massage_rules.models import AfterCare, MeaningfulChange, Plan, PlanAdvice, PlanStep, RankedTechnique
from massage_rules.rules.compiled import Memo, ModelT, bits, trusted

if TYPE_CHECKING:
    from massage_rules.engine.recommend import Resolved
    from massage_rules.knowledge.load import CompiledRule, KnowledgeBase, _Checker, _Located

__all__ = ["CompiledAdvice", "PlanKnowledge", "build_plan", "compile_plan_settings", "plan_sources"]

# The order after-care is shown in: what to expect, what to do, when to stop.
_KIND_ORDER = {"expect": 0, "self_care": 1, "warning_sign": 2}
_UNKNOWN: Any = object()  # not in a memo table yet (None may be a remembered value)
_SECTION_KIND = {"maintenance": "maintenance", "aftercare": "expect", "warning_signs": "warning_sign"}


@dataclass(frozen=True, slots=True)
class CompiledAdvice:
    """A plan text with its conditions compiled: maintenance, after-care, or a warning sign."""

    kind: str  # "maintenance", "expect", "self_care", "warning_sign"
    rule: CompiledRule
    techniques: frozenset[str] | None
    shown: PlanAdvice | AfterCare  # what a plan shows for it: built once, shared by every plan


@dataclass(frozen=True, slots=True)
class PlanKnowledge:
    """The plan settings of all knowledge files, merged and checked."""

    reassess: s.Reassess | None = None
    reassess_advice: PlanAdvice | None = None  # the check-in reason a plan shows: built once, shared
    meaningful_change: s.MeaningfulChangeSettings | None = None
    advice: tuple[CompiledAdvice, ...] = ()
    checks: tuple[s.Check, ...] = ()
    status_advice: s.StatusAdvice | None = None


def _severity_is_monotone(rule: s.Rule) -> bool:
    """True when a sessions rule keyed on pain can never give more pain fewer sessions."""
    severity, change = rule.when.severity, rule.sessions
    if severity is None or change is None:
        return True
    raises = change.add_min >= 0 and change.add_max >= 0
    lowers = change.add_min <= 0 and change.add_max <= 0
    if severity.max is None or severity.max >= 10:
        return raises  # fires from some pain upward
    if severity.min is None or severity.min <= 0:
        return lowers  # fires from some pain downward
    return change.add_min == 0 and change.add_max == 0


def compile_plan_settings(
    files: Sequence[tuple[str, s.KnowledgeFile, Any]],
    checker: _Checker,
    cite: Callable[..., None],
    check_when: Callable[..., None],
    techniques: Mapping[str, _Located],
    rules: Mapping[str, _Located],
) -> PlanKnowledge:
    """Merge and cross-check the ``plan`` sections; report problems to ``checker``."""
    from massage_rules.knowledge.load import CompiledRule, _Located, _origin, _unique, _when_fields

    scalars: dict[str, Any] = {}
    lists: dict[str, list[_Located]] = {"maintenance": [], "aftercare": [], "warning_signs": [], "checks": []}
    for name, model, data in files:
        for key in ("reassess", "meaningful_change", "status_advice"):
            value = getattr(model.plan, key)
            if value is not None:
                scalars[key] = _Located(value, name, data, ("plan", key))
        for key, found in lists.items():
            found.extend(_Located(v, name, data, ("plan", key, i)) for i, v in enumerate(getattr(model.plan, key)))
    _unique(checker, (item for found in lists.values() for item in found), "plan advice")

    for key, item in scalars.items():
        if key == "status_advice":
            for status in s.StatusAdvice.model_fields:
                cite(item, f"plan.status_advice.{status}", getattr(item.value, status).sources, status)
        else:
            cite(item, f"plan.{key}", item.value.sources)
    advice: list[CompiledAdvice] = []
    for key in ("maintenance", "aftercare", "warning_signs"):
        for item in lists[key]:
            entry: s.Advice = item.value
            cite(item, entry.id, entry.sources)
            check_when(item, entry.id, entry.when, "when")
            for i, tech in enumerate(entry.techniques or ()):
                checker.ref(item, entry.id, "technique", tech, techniques, "techniques", i)
            kind = entry.kind if isinstance(entry, s.AfterCareAdvice) else _SECTION_KIND[key]
            rule = CompiledRule(
                id=entry.id,
                text=entry.text,
                sources=tuple(entry.sources),
                origin=_origin(item),
                kind="advice",
                effect_label="score",
                label=entry.id,
                **_when_fields(entry.when),
            )
            techs = frozenset(entry.techniques) if entry.techniques is not None else None
            advice.append(CompiledAdvice(kind, rule, techs, _shown_advice(kind, rule)))
    for item in lists["checks"]:
        cite(item, item.value.id, item.value.sources)
    for ident, item in rules.items():
        if not _severity_is_monotone(item.value):
            checker.error(
                item.where(),
                "a sessions rule keyed on severity must add sessions only from a minimum pain upward "
                "(or remove them only from a maximum downward), so more pain never means fewer sessions",
                ident,
            )
    reassess = scalars["reassess"].value if "reassess" in scalars else None
    return PlanKnowledge(
        reassess=reassess,
        reassess_advice=(
            trusted(PlanAdvice, rule="plan.reassess", text=reassess.text, sources=tuple(reassess.sources))
            if reassess
            else None
        ),
        meaningful_change=scalars["meaningful_change"].value if "meaningful_change" in scalars else None,
        advice=tuple(advice),
        checks=tuple(item.value for item in lists["checks"]),
        status_advice=scalars["status_advice"].value if "status_advice" in scalars else None,
    )


def _shown_advice(kind: str, rule: CompiledRule) -> PlanAdvice | AfterCare:
    """The plan entry for one piece of advice: a maintenance line, or after-care of its kind."""
    if kind == "maintenance":
        return trusted(PlanAdvice, rule=rule.id, text=rule.text, sources=rule.sources)
    after_care_kind: Any = kind
    return trusted(AfterCare, rule=rule.id, kind=after_care_kind, text=rule.text, sources=rule.sources)


def _dose_priority(rule: CompiledRule, resolved: Resolved) -> tuple[int, int, int, str]:
    assert rule.dose is not None
    named = rule.kind == "condition" and rule.diagnosis in resolved.diagnoses
    # A named diagnosis beats an inferred match; then the most specific match wins.
    return (0 if named else 1, -rule.specificity, -rule.dose.sessions_max, rule.id)


def check_in_sessions(first: int, every: int, last: int) -> tuple[int, ...]:
    """Session numbers after which to check in: ``first``, then every ``every``, up to ``last``."""
    first = min(first, last)
    return tuple(range(first, last + 1, max(1, every)))


def build_plan(
    fired: int,
    complaints: int,
    resolved: Resolved,
    knowledge: KnowledgeBase,
    offered: Sequence[RankedTechnique],
) -> tuple[Plan, int]:
    """The plan for a profile whose care is allowed, its arithmetic step by step, and the mask of its sources.

    ``fired`` is the mask the index gave (the rules that fired, then the plan
    advice that holds), ``complaints`` the complaint rules of its first pass;
    ``offered`` the techniques the answer offers: after-care tied to a technique
    is shown only when that technique is offered, and their codes give the
    billing units of a session. A plan follows from the phase, the dose and
    sessions rules that fired, which dose wins (named diagnoses first), the
    advice shown and the codes; it is memoised by them. Every value comes from
    validated knowledge and integer arithmetic, so the models are built without
    re-validation (``trusted``); the batch property tests compare each answer
    with its validated copy.
    """
    tables = knowledge._tables
    index = tables.index
    rules = knowledge.rules
    condition_rules = fired & index.condition_rules
    if condition_rules == complaints:
        advice = fired >> tables.rule_count
    else:  # a complaint matched through another: advice naming it is tested again, knowing every complaint
        matched = frozenset(rules[i].id for i in bits(condition_rules))
        advice = tables.advice.holding(resolved, matched)
    # Advice tied to techniques is shown when one of them is offered; the billing codes are those offered.
    wanted, codes_mask = tables.advice_free, 0
    plan_bits = tables.plan_bits
    for technique in offered:
        naming, code = plan_bits[technique.id]
        wanted |= naming
        codes_mask |= code
    shown_mask = advice & wanted
    dosing = fired & index.effects["plan"]
    # Strings and integers only, so the key is one the garbage collector stops tracking.
    key = (resolved.phase, dosing, resolved.diagnosis_key, shown_mask, codes_mask)
    known: tuple[Plan, int] | None = tables.plans.get(key)
    if known is not None:
        return known
    shown = tuple(bits(shown_mask))
    codes = tuple(map(tables.codes_in_order.__getitem__, bits(codes_mask)))  # each once, in order
    dosed = [rules[i] for i in bits(dosing)]
    base_rule = min(
        (rule for rule in dosed if rule.dose is not None), key=lambda rule: _dose_priority(rule, resolved), default=None
    )
    sessions = tuple(rule for rule in dosed if rule.sessions is not None)
    plan = _plan(resolved.phase, base_rule, sessions, shown, codes, knowledge)
    groups = [step.sources for step in plan.derivation] + plan_sources(plan)
    if plan.billing is not None:
        groups.append(plan.billing.sources)
    return tables.plans.put(key, (plan, tables.cited_union(groups)))  # type: ignore[no-any-return]


def _plan(
    phase: str,
    base_rule: CompiledRule | None,
    sessions: tuple[CompiledRule, ...],
    shown: tuple[int, ...],
    cpt: tuple[str, ...],
    knowledge: KnowledgeBase,
) -> Plan:
    default, _origin = knowledge.plan_defaults[phase]
    if base_rule is not None:
        dose = base_rule.dose
        assert dose is not None
        base_id, base_text, base_sources = base_rule.id, dose.text or base_rule.text, base_rule.sources
    else:
        dose = default
        base_id = f"plan.default.{phase}"
        base_text = default.text or f"the usual course in the {phase} phase"
        base_sources = tuple(default.sources)
    low, high = dose.sessions_min, dose.sessions_max
    parts = knowledge._tables.plan_parts
    steps = [
        _shared(
            parts,
            ("base", base_id, low, high),
            PlanStep,
            rule=base_id,
            text=base_text,
            add_min=0,
            add_max=0,
            sessions_min=low,
            sessions_max=high,
            sources=base_sources,
        )
    ]
    for rule in sessions:  # fired rules come in id order, so the steps do too
        assert rule.sessions is not None
        low = max(1, low + rule.sessions.add_min)
        high = max(low, high + rule.sessions.add_max)
        steps.append(
            _shared(
                parts,
                ("step", rule.id, low, high),
                PlanStep,
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
    check_ins = check_in_sessions(first, reassess.every_sessions if reassess else first, high)
    check_in_reason = settings.reassess_advice
    meaningful = None
    mcid = settings.meaningful_change
    if mcid is not None:
        by = dose.expect_change_by_session or default.expect_change_by_session or first
        meaningful = _shared(
            parts,
            ("meaningful_change", max(1, min(by, high))),
            MeaningfulChange,
            pain_points=mcid.pain_points,
            pain_percent=mcid.pain_percent,
            function_points=mcid.function_points,
            by_session=max(1, min(by, high)),
            text=mcid.text,
            sources=tuple(mcid.sources),
        )
    maintenance: list[PlanAdvice] = []
    aftercare: list[AfterCare] = []
    for position in shown:
        item = settings.advice[position].shown
        if isinstance(item, AfterCare):
            aftercare.append(item)
        else:
            maintenance.append(item)
    aftercare.sort(key=lambda a: _KIND_ORDER[a.kind])  # stable: file order within a kind
    from massage_rules.engine.billing import billing_units  # _billing imports _knowledge, which imports this module

    billing_key = ("billing", dose.session_minutes, *cpt)
    billing = parts.get(billing_key, _UNKNOWN)  # None is an answer too: the knowledge may have no billing rule
    if billing is _UNKNOWN:
        billing = parts.put(billing_key, billing_units(dose.session_minutes, knowledge, cpt))
    return trusted(
        Plan,
        sessions_min=low,
        sessions_max=high,
        sessions_per_week=dose.sessions_per_week,
        session_minutes=dose.session_minutes,
        check_in_after_sessions=first,
        derivation=tuple(steps),
        billing=billing,
        check_in_sessions=check_ins,
        check_in_reason=check_in_reason,
        meaningful_change=meaningful,
        maintenance=tuple(maintenance),
        aftercare=tuple(aftercare),
    )


def _shared(parts: Memo, key: tuple[Any, ...], cls: type[ModelT], **values: Any) -> ModelT:
    """The one ``cls`` for ``key`` (which must fix every value), built on first use: plans share their parts.

    Each part a memoised plan holds is an object the garbage collector walks
    again and again; plans that differ in one step still share the rest.
    """
    found: ModelT | None = parts.get(key)
    return found if found is not None else parts.put(key, trusted(cls, **values))


def plan_sources(plan: Plan) -> list[tuple[str, ...]]:
    """Every source group the plan cites beyond its derivation."""
    groups = [a.sources for a in plan.maintenance] + [a.sources for a in plan.aftercare]
    if plan.check_in_reason is not None:
        groups.append(plan.check_in_reason.sources)
    if plan.meaningful_change is not None:
        groups.append(plan.meaningful_change.sources)
    return groups
