"""The dose model over random profiles: severity moves courses the right way, trials stay near their dose."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given

import massage_rules as mr
from tests.strategies import profile_fields

KB = mr.load_knowledge()
MODEL = KB.course_model
NO_COURSE = MODEL.no_course
assert NO_COURSE is not None
NONE_BAND = KB.severity_bands[NO_COURSE.band]
PAIN_BANDS = sorted((b for b in KB.severity_bands.values() if b.id != NO_COURSE.band), key=lambda b: b.min)


def _answer(fields: dict[str, Any], **change: Any) -> mr.Recommendation:
    return mr.recommend(mr.ClientProfile(**{**fields, **change}), KB)


@given(profile_fields(KB))
def test_no_course_for_pain_zero_with_only_pain_goals(fields: dict[str, Any]) -> None:
    """Pain in the "no course" band with only pain goals never plans a session, and the plan says why."""
    assert NO_COURSE is not None
    result = _answer(fields, severity=NONE_BAND.min, goals=list(NO_COURSE.goals))
    if result.plan is not None:
        assert (result.plan.sessions_min, result.plan.sessions_max) == (0, 0)
        assert result.plan.no_course_reason is not None
        assert result.plan.derivation[0].text == result.plan.no_course_reason.text


@given(profile_fields(KB))
def test_a_trial_course_stays_within_the_margin_of_its_dose(fields: dict[str, Any]) -> None:
    """Whatever moves it, a course based on a trial's dose ends within the trial margin of that dose."""
    plan = _answer(fields).plan
    if plan is None or plan.basis != "trial" or MODEL.trial_margin is None:
        return
    dose = KB.rules_by_id[plan.derivation[0].rule].dose
    assert dose is not None
    margin = MODEL.trial_margin.sessions
    assert max(1, dose.sessions_min - margin) <= plan.sessions_min <= plan.sessions_max <= dose.sessions_max + margin
    if dose.sessions_min < dose.sessions_max:
        assert plan.sessions_min < plan.sessions_max  # the source's range is never collapsed


@given(profile_fields(KB))
def test_courses_rise_strictly_from_band_to_band(fields: dict[str, Any]) -> None:
    """With everything else equal, each pain band's course has a higher midpoint than the band below it.

    Holds wherever the three plans share their base (severity does not change the
    matched complaint) and the base is longer than the short-course limit; only where
    the modifiers have already pushed a trial's course to the trial margin may two
    bands meet there.
    """
    plans = [_answer(fields, severity=band.nrs).plan for band in PAIN_BANDS]
    if any(plan is None for plan in plans):
        return
    bases = {(p.derivation[0].rule, p.derivation[0].sessions_max) for p in plans if p is not None}
    if len(bases) != 1 or next(iter(bases))[1] <= MODEL.short_course_max or plans[0].basis == "short_block":  # type: ignore[union-attr]
        return
    for lower, higher in itertools.pairwise(plans):
        assert lower is not None
        assert higher is not None
        clamped = higher.derivation[-1].rule == "plan.trial_margin"  # both at the trial margin's edge
        low_mid, high_mid = lower.sessions_min + lower.sessions_max, higher.sessions_min + higher.sessions_max
        assert low_mid < high_mid or (clamped and low_mid == high_mid), (lower.derivation, higher.derivation)


@given(profile_fields(KB))
def test_every_plan_step_says_how_it_is_backed(fields: dict[str, Any]) -> None:
    """Every step after the base is marked tested or expert consensus, and cites its sources."""
    plan = _answer(fields).plan
    if plan is None:
        return
    for step in plan.derivation:
        assert step.sources
        if step.rule != "plan.no_course":
            assert step.evidence in {"tested", "expert_consensus"}, step.rule
