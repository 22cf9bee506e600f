"""Progress invariants over random courses: stops, monotone estimates, determinism, order independence."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from hypothesis import given, settings, strategies as st

import massage_rules as mr
from tests.strategies import profiles

KB = mr.load_knowledge()
# Each example of the profile-driven tests runs the engine a few times; half the examples keep the suite quick.
HALF = settings(max_examples=max(20, settings.default.max_examples // 2))
START = dt.date(2026, 1, 5)
MCID = KB.plan_settings.meaningful_change
assert MCID is not None


def _treatable(profile: mr.ClientProfile) -> mr.Recommendation | None:
    result = mr.recommend(profile, KB)
    return result if result.plan is not None and result.plan.sessions_max > 0 else None  # a course to review


def _stopping_findings(result: mr.Recommendation) -> list[str]:
    """Findings (tied to the first area when local) that bring a new referral or a stop for this profile."""
    out = []
    for finding in sorted(KB.findings):
        entry = f"{finding}@{result.profile.areas[0]}" if KB.findings[finding].local else finding
        if entry in result.profile.health or finding in result.profile.health:
            continue
        again = mr.recommend(result.profile.model_copy(update={"health": (*result.profile.health, entry)}), KB)
        if {r.rule for r in again.referrals} - {r.rule for r in result.referrals} or (
            again.no_massage is not None and result.no_massage is None
        ):
            out.append(entry)
    return out


pains = st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10)), min_size=1, max_size=14)


def _records(pairs: list[tuple[int, int]], gaps: list[int] | None = None) -> list[dict[str, Any]]:
    day = START
    out = []
    for i, (before, after) in enumerate(pairs):
        out.append({"date": day, "pain_before": before, "pain_after": after})
        day += dt.timedelta(days=(gaps[i] if gaps else 7))
    return out


BACK = mr.recommend(mr.ClientProfile(areas=["lower_back"], severity=7, phase="chronic", goals=["pain_relief"]), KB)


@given(pains, st.integers(0, 10), st.data())
def test_a_flaring_session_always_stops_the_course(pairs: list[tuple[int, int]], before: int, data: Any) -> None:
    """A last session whose pain rose by the worsening threshold always stops the course."""
    rise = data.draw(st.integers(MCID.worsening_points, 10))
    if before + rise > 10:
        before = 10 - rise
    review = mr.review_progress(BACK, _records([*pairs, (before, before + rise)]), KB)
    assert review.course_stops
    assert review.status in ("worsening", "red_flag")
    assert review.sessions_left is None


@given(pains, st.integers(0, 10))
def test_pain_above_the_start_always_stops_the_course(pairs: list[tuple[int, int]], extra: int) -> None:
    """A session that starts the worsening threshold above the first session's pain always stops the course."""
    first = pairs[0][0]
    before = first + MCID.worsening_points
    if before > 10:
        return
    review = mr.review_progress(BACK, _records([*pairs, (before, min(10, before + extra % 3))]), KB)
    assert review.course_stops


@HALF
@given(profiles(KB, max_health=1), pains, st.data())
def test_a_new_red_flag_always_stops_the_course(profile: mr.ClientProfile, pairs: Any, data: Any) -> None:
    """A session that adds a finding the knowledge refers on, or rules massage out for, stops the course."""
    result = _treatable(profile)
    if result is None:
        return
    stopping = _stopping_findings(result)
    if not stopping:
        return
    records = _records(pairs)
    records[data.draw(st.integers(0, len(records) - 1))]["health"] = [data.draw(st.sampled_from(stopping))]
    review = mr.review_progress(result, records, KB)
    assert (review.status, review.course_stops) == ("red_flag", True)
    assert review.referral is not None or review.no_massage is not None


@HALF
@given(profiles(KB, max_health=1), pains, st.lists(st.integers(0, 4), min_size=14, max_size=14))
def test_more_improvement_never_adds_sessions(profile: mr.ClientProfile, pairs: Any, relief: list[int]) -> None:
    """Lowering pain in later sessions never raises the sessions left (while the plan still applies)."""
    result = _treatable(profile)
    if result is None:
        return
    better = [pairs[0]] + [
        (max(0, b - relief[i]), max(0, a - relief[i])) for i, (b, a) in enumerate(pairs[1:], start=1)
    ]
    worse_review = mr.review_progress(result, _records(pairs), KB)
    better_review = mr.review_progress(result, _records(better), KB)
    if worse_review.sessions_left is not None and better_review.sessions_left is not None:
        assert better_review.sessions_left <= worse_review.sessions_left


@HALF
@given(profiles(KB, max_health=1), pains)
def test_reviewing_twice_gives_the_same_answer(profile: mr.ClientProfile, pairs: Any) -> None:
    """The same history reviewed twice gives byte-identical reviews."""
    result = _treatable(profile)
    if result is None:
        return
    records = _records(pairs)
    first = mr.review_progress(result, records, KB).model_dump_json()
    assert mr.review_progress(result, records, KB).model_dump_json() == first


@HALF
@given(profiles(KB, max_health=1), pains, st.lists(st.integers(1, 20), min_size=14, max_size=14), st.randoms())
def test_entry_order_does_not_matter(
    profile: mr.ClientProfile, pairs: Any, gaps: list[int], rnd: random.Random
) -> None:
    """Sessions with the same dates, entered in any order, give the same review."""
    result = _treatable(profile)
    if result is None:
        return
    records = _records(pairs, gaps)
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert mr.review_progress(result, shuffled, KB) == mr.review_progress(result, records, KB)


@HALF
@given(profiles(KB, max_health=1), pains)
def test_sessions_left_stays_within_the_plan(profile: mr.ClientProfile, pairs: Any) -> None:
    """Sessions left never exceed what the plan's top leaves after the sessions done."""
    result = _treatable(profile)
    if result is None:
        return
    assert result.plan is not None
    review = mr.review_progress(result, _records(pairs), KB)
    if review.sessions_left is not None:
        assert 0 <= review.sessions_left <= max(0, result.plan.sessions_max - review.sessions_done)
    assert review.course_stops == (review.status in ("worsening", "red_flag"))


@HALF
@given(profiles(KB, max_health=1))
def test_check_ins_and_expected_change_fall_inside_the_course(profile: mr.ClientProfile) -> None:
    """Check-ins start at the first check-in, rise, and stay within the course; change is expected within it too."""
    result = _treatable(profile)
    if result is None:
        return
    plan = result.plan
    assert plan is not None
    assert plan.check_in_sessions[0] == plan.check_in_after_sessions
    assert list(plan.check_in_sessions) == sorted(set(plan.check_in_sessions))
    assert plan.check_in_sessions[-1] <= plan.sessions_max
    assert plan.meaningful_change is not None
    assert 1 <= plan.meaningful_change.by_session <= plan.sessions_max


@given(profiles(KB, max_health=4))
def test_screening_without_a_profile_covers_every_finding_rule_that_fires(profile: mr.ClientProfile) -> None:
    """Screening findings without a profile is cautious: it hits every safety rule on findings that fire() fires.

    (A complaint the client named fires whatever its ``match`` asks, so those are left out.)
    """
    from massage_rules.course.screening import health_condition_met
    from massage_rules.engine.resolve import resolve_profile
    from massage_rules.rules.firing import fire

    facts = resolve_profile(profile, KB)
    findings = set(facts.health)  # given, or implied by the profile's own pattern (implied_by)
    fired = fire(facts, KB).rules
    on_findings = [
        r for r in fired if r.is_safety and (r.health_all or r.health_any) and r.diagnosis not in profile.conditions
    ]
    assert all(health_condition_met(rule, findings) for rule in on_findings)
