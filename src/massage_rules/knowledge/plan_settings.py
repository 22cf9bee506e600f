"""The ``plan`` sections of the knowledge files: merged, cross-checked, and their advice compiled as rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from massage_rules.knowledge import schema as s
from massage_rules.knowledge.checker import Checker, Located, origin, unique
from massage_rules.knowledge.rule import CompiledRule, when_fields
from massage_rules.models import AfterCare, PlanAdvice

__all__ = ["CompiledAdvice", "PlanKnowledge", "compile_plan_settings"]

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
    checker: Checker,
    cite: Callable[..., None],
    check_when: Callable[..., None],
    techniques: Mapping[str, Located],
    rules: Mapping[str, Located],
) -> PlanKnowledge:
    """Merge and cross-check the ``plan`` sections; report problems to ``checker``."""
    scalars: dict[str, Any] = {}
    lists: dict[str, list[Located]] = {"maintenance": [], "aftercare": [], "warning_signs": [], "checks": []}
    for name, model, data in files:
        for key in ("reassess", "meaningful_change", "status_advice"):
            value = getattr(model.plan, key)
            if value is not None:
                scalars[key] = Located(value, name, data, ("plan", key))
        for key, found in lists.items():
            found.extend(Located(v, name, data, ("plan", key, i)) for i, v in enumerate(getattr(model.plan, key)))
    unique(checker, (item for found in lists.values() for item in found), "plan advice")

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
                origin=origin(item),
                kind="advice",
                effect_label="score",
                label=entry.id,
                **when_fields(entry.when),
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
            PlanAdvice(rule="plan.reassess", text=reassess.text, sources=tuple(reassess.sources)) if reassess else None
        ),
        meaningful_change=scalars["meaningful_change"].value if "meaningful_change" in scalars else None,
        advice=tuple(advice),
        checks=tuple(item.value for item in lists["checks"]),
        status_advice=scalars["status_advice"].value if "status_advice" in scalars else None,
    )


def _shown_advice(kind: str, rule: CompiledRule) -> PlanAdvice | AfterCare:
    """The plan entry for one piece of advice: a maintenance line, or after-care of its kind."""
    if kind == "maintenance":
        return PlanAdvice(rule=rule.id, text=rule.text, sources=rule.sources)
    after_care_kind: Any = kind
    return AfterCare(rule=rule.id, kind=after_care_kind, text=rule.text, sources=rule.sources)
