"""The dose model of the ``plan`` section: how severity, goals and modifiers move a course, merged and checked.

A later file's ``severity``, ``no_course``, ``short_block``, ``trial_margin`` or
``short_course_max`` replaces an earlier one's; ``modifiers`` are merged. The
checks here keep the model honest: every band and goal it names exists, every
band has a step, and a step for more pain never moves the course down.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from massage_rules.knowledge import schema as s
from massage_rules.knowledge.checker import Checker, Located, origin
from massage_rules.knowledge.rule import CompiledRule, when_fields

__all__ = ["CompiledModifier", "CourseModel", "compile_course_model"]


@dataclass(frozen=True, slots=True)
class CompiledModifier:
    """A plan modifier with its ``when`` compiled as a rule (tested by the engine when it plans)."""

    modifier: s.PlanModifier
    rule: CompiledRule
    regions: tuple[int, int] | None  # the treated-regions window, when it has one


@dataclass(frozen=True, slots=True)
class CourseModel:
    """How a course is set and moved: severity steps by band, no course, a short block, modifiers, the trial margin."""

    severity: s.SeveritySteps | None = None
    steps: Mapping[str, s.SeverityStep] | None = None  # band id -> its step
    no_course: s.NoCourse | None = None
    short_block: s.ShortBlock | None = None
    trial_margin: s.TrialMargin | None = None
    modifiers: tuple[CompiledModifier, ...] = ()
    short_course_max: int = 0  # courses whose base is this short (or shorter) are not moved


def compile_course_model(
    files: Sequence[tuple[str, s.KnowledgeFile, Any]],
    checker: Checker,
    cite: Callable[..., None],
    check_when: Callable[..., None],
    bands: Mapping[str, Located],
    goals: Mapping[str, Located],
) -> CourseModel:
    """Merge and check the dose model of every file's ``plan`` section."""
    scalars: dict[str, Located] = {}
    modifiers: list[Located] = []
    for name, model, data in files:
        plan = model.plan
        for key in ("severity", "no_course", "short_block", "trial_margin", "short_course_max"):
            if getattr(plan, key) is not None:
                scalars[key] = Located(getattr(plan, key), name, data, ("plan", key))
        modifiers.extend(Located(m, name, data, ("plan", "modifiers", i)) for i, m in enumerate(plan.modifiers))

    steps: dict[str, s.SeverityStep] | None = None
    severity = scalars.get("severity")
    if severity is not None:
        model_steps: s.SeveritySteps = severity.value
        cite(severity, "plan.severity", model_steps.sources)
        steps = {}
        for i, step in enumerate(model_steps.steps):
            if checker.ref(severity, "plan.severity", "severity band", step.band, bands, "steps", i, "band"):
                steps[step.band] = step
        _check_steps(severity, steps, bands, checker)
    for key in ("no_course", "short_block", "trial_margin"):
        item = scalars.get(key)
        if item is not None:
            cite(item, f"plan.{key}", item.value.sources)
    if "no_course" in scalars:
        item = scalars["no_course"]
        checker.ref(item, "plan.no_course", "severity band", item.value.band, bands, "band")
        for i, goal in enumerate(item.value.goals):
            checker.ref(item, "plan.no_course", "goal", goal, goals, "goals", i)
    if "short_block" in scalars:
        item = scalars["short_block"]
        for i, goal in enumerate(item.value.goals):
            checker.ref(item, "plan.short_block", "goal", goal, goals, "goals", i)

    compiled: list[CompiledModifier] = []
    seen: set[str] = set()
    for item in modifiers:
        modifier: s.PlanModifier = item.value
        if modifier.id in seen:
            checker.error(item.where(), f"plan modifier id '{modifier.id}' is already defined", modifier.id)
            continue
        seen.add(modifier.id)
        cite(item, modifier.id, modifier.sources)
        check_when(item, modifier.id, modifier.when, "when")
        rule = CompiledRule(
            id=modifier.id,
            text=modifier.text,
            sources=tuple(modifier.sources),
            origin=origin(item),
            kind="modifier",
            effect_label="score",
            label=modifier.id,
            **when_fields(modifier.when),
        )
        window = modifier.treated_regions
        regions = None
        if window is not None:
            regions = (window.min if window.min is not None else 0, window.max if window.max is not None else 10**9)
        compiled.append(CompiledModifier(modifier, rule, regions))
    short = scalars.get("short_course_max")
    return CourseModel(
        severity=severity.value if severity is not None else None,
        steps=steps,
        no_course=scalars["no_course"].value if "no_course" in scalars else None,
        short_block=scalars["short_block"].value if "short_block" in scalars else None,
        trial_margin=scalars["trial_margin"].value if "trial_margin" in scalars else None,
        modifiers=tuple(compiled),
        short_course_max=short.value if short is not None else 0,
    )


def _check_steps(
    item: Located, steps: Mapping[str, s.SeverityStep], bands: Mapping[str, Located], checker: Checker
) -> None:
    """Every band has a step, and from the lowest band to the highest neither end of the course moves down."""
    ordered = sorted(bands.values(), key=lambda band: band.value.min)
    missing = [band.value.id for band in ordered if band.value.id not in steps]
    if missing:
        checker.error(item.where(), f"plan.severity has no step for the band(s) {', '.join(missing)}", "plan.severity")
        return
    for lower, higher in itertools.pairwise(ordered):
        a, b = steps[lower.value.id], steps[higher.value.id]
        if b.add_min < a.add_min or b.add_max < a.add_max:
            checker.error(
                item.where(),
                f"the step for '{b.band}' moves the course below the step for '{a.band}': more pain must never "
                "mean fewer sessions",
                "plan.severity",
            )
