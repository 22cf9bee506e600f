"""Engine invariants over random profiles drawn from the bundled vocabulary."""

from __future__ import annotations

import math
import random

from hypothesis import given, strategies as st

import massage_rules as mr
from massage_rules.engine.resolve import resolve_profile
from massage_rules.rules.firing import fire, holds
from tests.reference import conditions_hold, facts_of, reference_fire, where_applies
from tests.strategies import profile_fields, profiles

KB = mr.load_knowledge()


def _forbidden_everywhere(result: mr.Recommendation) -> set[str]:
    return {a.technique for a in result.avoided if a.area is None}


@given(profiles(KB))
def test_forbidden_technique_never_offered(profile: mr.ClientProfile) -> None:
    """A technique ruled out everywhere, or on an area, is never offered there, whatever its score."""
    result = mr.recommend(profile, KB)
    everywhere = _forbidden_everywhere(result)
    for technique in result.techniques:
        assert technique.id not in everywhere
        for area in technique.areas:
            assert not any(a.technique == technique.id and a.area == area for a in result.avoided)


@given(profiles(KB))
def test_blocking_answers_have_no_techniques_and_no_plan(profile: mr.ClientProfile) -> None:
    """A referral without care meanwhile, or a "no massage now", gives no techniques and no plan."""
    result = mr.recommend(profile, KB)
    if result.no_massage is not None or (result.referral is not None and not result.referral.massage_meanwhile):
        assert result.techniques == ()
        assert result.plan is None
        assert result.outcome in {"refer", "no_massage"}


@given(profiles(KB))
def test_every_profile_gets_an_answer(profile: mr.ClientProfile) -> None:
    """Any profile the vocabulary allows gives techniques, a referral, or a "no massage" answer."""
    result = mr.recommend(profile, KB)
    assert result.techniques or result.referral is not None or result.no_massage is not None


@given(profiles(KB))
def test_score_is_the_sum_of_reasons(profile: mr.ClientProfile) -> None:
    """Every ranked technique has a reason, and its score is the sum of its reasons' points."""
    result = mr.recommend(profile, KB)
    for technique in result.techniques:
        assert technique.reasons
        assert math.isclose(technique.score, math.fsum(r.points for r in technique.reasons), abs_tol=1e-6)
        assert technique.score > 0


@given(profiles(KB))
def test_ranking_is_by_score_then_clinical_tie_breaks_never_the_alphabet(profile: mr.ClientProfile) -> None:
    """Scores fall; equal scores fall by complaint preference, evidence, then (severe or irritable pain) pressure.

    Techniques still equal share a rank (1, 2, 2, 4): no shared score is broken by the
    id alone. The reference decides on its own whether the lighter technique comes first.
    """
    result = mr.recommend(profile, KB)
    f = facts_of(profile, KB)
    matched = reference_fire(profile, KB)[1]
    lighter = any(conditions_hold(rule, f, matched) for rule in KB.ranking.lighter_first)
    order = list(KB.ranking.evidence_order)

    def key(t: mr.RankedTechnique) -> tuple[float, float, int, tuple[int, int]]:
        preference = round(math.fsum(r.points for r in t.reasons if r.effect == "condition"), 6)
        pressure = (t.pressure_max, t.pressure_min) if lighter else (0, 0)
        return (-t.score, -preference, order.index(t.evidence) if order else 0, pressure)

    keys = [(key(t), t.id) for t in result.techniques]
    assert keys == sorted(keys)
    for position, technique in enumerate(result.techniques):
        if position == 0:
            assert technique.rank == 1
            continue
        above = result.techniques[position - 1]
        if key(above) == key(technique):
            assert technique.rank == above.rank  # equal in every clinical respect: a shared rank
        else:
            assert technique.rank == position + 1
        if above.score == technique.score:
            assert technique.tie_break is not None


@given(profile_fields(KB), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(fields: dict[str, object], rnd: random.Random) -> None:
    """Shuffling areas, goals, health or conditions gives the same result, byte for byte."""
    shuffled = dict(fields)
    for key in ("areas", "goals", "health", "conditions"):
        items = list(fields[key])  # type: ignore[call-overload]
        rnd.shuffle(items)
        shuffled[key] = items
    first = mr.recommend(mr.ClientProfile(**fields), KB).model_dump_json()  # type: ignore[arg-type]
    again = mr.recommend(mr.ClientProfile(**fields), KB).model_dump_json()  # type: ignore[arg-type]
    other = mr.recommend(mr.ClientProfile(**shuffled), KB).model_dump_json()  # type: ignore[arg-type]
    assert first == again == other


@given(profile_fields(KB), st.integers(0, 10), st.integers(0, 10))
def test_more_severity_never_fewer_sessions(fields: dict[str, object], low: int, high: int) -> None:
    """With everything else equal, a higher pain score never gives fewer sessions."""
    low, high = sorted((low, high))
    milder = mr.recommend(mr.ClientProfile(**{**fields, "severity": low}), KB)  # type: ignore[arg-type]
    worse = mr.recommend(mr.ClientProfile(**{**fields, "severity": high}), KB)  # type: ignore[arg-type]
    if milder.plan is not None and worse.plan is not None:
        assert worse.plan.sessions_min >= milder.plan.sessions_min
        assert worse.plan.sessions_max >= milder.plan.sessions_max


@given(profiles(KB))
def test_offered_pressure_respects_every_cap(profile: mr.ClientProfile) -> None:
    """No offered technique's pressure range exceeds a cap that applies where it is used."""
    result = mr.recommend(profile, KB)
    whole_body = KB.whole_body_areas
    for technique in result.techniques:
        assert technique.pressure_min <= technique.pressure_max
        for limit in result.pressure_limits:
            applies = (
                limit.area is None
                or limit.area in technique.areas
                or (bool(whole_body & set(technique.areas)) and limit.area not in technique.skip_areas)
            )
            if applies:
                assert technique.pressure_max <= limit.max_pressure


@given(profiles(KB))
def test_plan_is_consistent(profile: mr.ClientProfile) -> None:
    """A plan's range is ordered, its check-in falls inside it, and its derivation ends at its numbers.

    The one exception is "no course" (zero sessions), which says why and schedules nothing.
    """
    plan = mr.recommend(profile, KB).plan
    if plan is not None and plan.no_course_reason is not None:
        assert (plan.sessions_min, plan.sessions_max, plan.check_in_sessions) == (0, 0, ())
        return
    if plan is not None:
        assert 1 <= plan.sessions_min <= plan.sessions_max
        assert 1 <= plan.check_in_after_sessions <= plan.sessions_max
        last = plan.derivation[-1]
        assert (last.sessions_min, last.sessions_max) == (plan.sessions_min, plan.sessions_max)


@given(profiles(KB, max_health=6))
def test_avoided_list_is_what_the_fired_restrictions_rule_out(profile: mr.ClientProfile) -> None:
    """The avoided list holds each (technique, area, rule) the fired restrictions rule out once, in that order.

    The reference walks the restricting rules the plain loop fires, one by one, as
    a reader would (forbids, then "only these", then pressure caps; the first to
    rule an item out gives its kind).
    """
    result = mr.recommend(profile, KB)
    fired = [KB.rules_by_id[rule_id] for rule_id in reference_fire(profile, KB)[0]]
    f = facts_of(profile, KB)
    stopped = any(rule.no_massage is not None for rule in fired)
    if stopped or (result.referral is not None and not result.referral.massage_meanwhile):
        assert result.avoided == ()  # screening stopped care before anything was weighed
        return
    expected: dict[tuple[str, str, str], str] = {}

    def areas(scope: frozenset[str] | None) -> list[str | None]:
        return [None] if scope is None else [*sorted(scope)]

    for rule in fired:
        if rule.forbid is not None:
            scope = where_applies(rule, rule.forbid.where, rule.forbid.distal, f, KB, rule.forbid.spread)
            for tech in rule.forbid_set if rule.forbid_set is not None else KB.techniques:
                for area in areas(scope):
                    expected.setdefault((tech, area or "", rule.id), "forbidden")
    for rule in fired:
        for tech in KB.techniques if rule.allow_only is not None else ():
            if tech not in rule.allow_only:
                expected.setdefault((tech, "", rule.id), "not_allowed")
    for rule in fired:
        if rule.cap is not None:
            scope = where_applies(rule, rule.cap.where, rule.cap.distal, f, KB, rule.cap.spread)
            for tech, technique in KB.techniques.items():
                if (technique.pressure.min or 0) > rule.cap.max:
                    for area in areas(scope):
                        expected.setdefault((tech, area or "", rule.id), "pressure_cap")
    got = [(a.technique, a.area or "", a.rule, a.kind) for a in result.avoided]
    assert got == sorted((*key, kind) for key, kind in expected.items())


@given(profiles(KB))
def test_plan_advice_is_what_holds_for_the_profile_and_the_offered_techniques(profile: mr.ClientProfile) -> None:
    """Maintenance and after-care are the advice whose conditions hold, less any tied to techniques not offered."""
    result = mr.recommend(profile, KB)
    if result.plan is None:
        return
    r = resolve_profile(profile, KB)
    matched = fire(r, KB).complaints
    offered = {technique.id for technique in result.techniques}
    expected = {
        advice.rule.id
        for advice in KB.plan_settings.advice
        if holds(advice.rule, r, matched) and (advice.techniques is None or not advice.techniques.isdisjoint(offered))
    }
    assert {item.rule for item in (*result.plan.maintenance, *result.plan.aftercare)} == expected
