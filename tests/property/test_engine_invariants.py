"""Engine invariants over random profiles drawn from the bundled vocabulary."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

import massage_rules as mr
from massage_rules.engine.recommend import _Screen, _screen, fire, holds, resolve_profile
from massage_rules.rules.compiled import ThriftyMemo
from tests.strategies import profile_fields, profiles

KB = mr.load_knowledge()

# The same knowledge, with ranking tables that rest after any lookup that misses and wake three lookups later:
# answers must not depend on whether a table remembers, finds, or rests (see ThriftyMemo).
RESTLESS = mr.load_knowledge()
RESTLESS._tables.candidates = ThriftyMemo(window=1, floor=1, rest=3)
RESTLESS._tables.scored = ThriftyMemo(window=1, floor=1, rest=3)


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
def test_ranking_is_by_score_then_id(profile: mr.ClientProfile) -> None:
    """Ranks run 1..n, ordered by falling score with ties broken by id."""
    result = mr.recommend(profile, KB)
    keys = [(-t.score, t.id) for t in result.techniques]
    assert keys == sorted(keys)
    assert [t.rank for t in result.techniques] == list(range(1, len(result.techniques) + 1))


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
    """A plan's range is ordered, its check-in falls inside it, and its derivation ends at its numbers."""
    plan = mr.recommend(profile, KB).plan
    if plan is not None:
        assert 1 <= plan.sessions_min <= plan.sessions_max
        assert 1 <= plan.check_in_after_sessions <= plan.sessions_max
        last = plan.derivation[-1]
        assert (last.sessions_min, last.sessions_max) == (plan.sessions_min, plan.sessions_max)


@given(profiles(KB, max_health=6))
def test_avoided_list_is_what_the_fired_restrictions_rule_out(profile: mr.ClientProfile) -> None:
    """The avoided list holds each (technique, area, rule) the fired restrictions rule out once, in that order.

    The reference walks the fired restricting rules one by one, as a reader would
    (forbids, then "only these", then pressure caps; the first to rule an item out
    gives its kind); the engine builds the list from memoised parts, so this holds
    whether its memo tables hit or miss.
    """
    result = mr.recommend(profile, KB)
    r = resolve_profile(profile, KB)
    fired, _ = fire(r, KB)
    screen = _Screen([rule for rule in fired if rule.forbid or rule.cap or rule.allow_only is not None], r, KB)
    stopped = any(rule.stop is not None for rule in fired)
    if stopped or (result.referral is not None and not result.referral.massage_meanwhile):
        assert result.avoided == ()  # screening stopped care before anything was weighed
        return
    expected: dict[tuple[str, str, str], str] = {}
    everywhere: list[str | None] = [None]
    for _rule, scope, names in (*screen.forbids, *screen.caps):  # memo keys name the same areas, in order
        assert names == (tuple(sorted(scope)) if scope is not None else None)
    for rule, scope, _names in screen.forbids:
        for tech in rule.forbid_set if rule.forbid_set is not None else KB.techniques:
            for area in sorted(scope) if scope is not None else everywhere:
                expected.setdefault((tech, area or "", rule.id), "forbidden")
    for rule in screen.allow:
        assert rule.allow_only is not None
        for tech in KB.techniques:
            if tech not in rule.allow_only:
                expected.setdefault((tech, "", rule.id), "not_allowed")
    for rule, scope, _names in screen.caps:
        assert rule.cap is not None
        for tech, technique in KB.techniques.items():
            if (technique.pressure.min or 0) > rule.cap.max:
                for area in sorted(scope) if scope is not None else everywhere:
                    expected.setdefault((tech, area or "", rule.id), "pressure_cap")
    got = [(a.technique, a.area or "", a.rule, a.kind) for a in result.avoided]
    assert got == sorted((*key, kind) for key, kind in expected.items())


@given(profiles(KB, max_health=6))
def test_a_memoised_screen_is_the_screen_built_afresh(profile: mr.ClientProfile) -> None:
    """The screen ranking uses, memoised or not, says what one built for this profile alone says.

    A screen is memoised by the fired restrictions only when none of them
    applies where the profile says (its problem areas or its findings' areas), so
    any profile sharing those restrictions must get the same screen.
    """
    r = resolve_profile(profile, KB)
    index = KB._tables.index
    fired_mask, _ = index.fire(r)
    restricting = fired_mask & index.effects["restrict"]
    if not restricting:
        return
    used = _screen(restricting, r, KB)
    fresh = _Screen([rule for rule in fire(r, KB)[0] if rule.forbid or rule.cap or rule.allow_only is not None], r, KB)
    for part in ("warnings", "forbids", "caps", "allow", "forbid_sets", "cap_limits", "covering", "key"):
        assert getattr(used, part) == getattr(fresh, part), part
    for rule, scope, _names in used.forbids:  # the merged entry: everything the everywhere-forbids rule out
        if scope is None:
            assert used.forbid_sets[0][1] is None
            merged = used.forbid_sets[0][0]
            assert merged is None or (rule.forbid_set is not None and rule.forbid_set <= merged)


@given(profiles(KB))
def test_plan_advice_is_what_holds_for_the_profile_and_the_offered_techniques(profile: mr.ClientProfile) -> None:
    """Maintenance and after-care are the advice whose conditions hold, less any tied to techniques not offered."""
    result = mr.recommend(profile, KB)
    if result.plan is None:
        return
    r = resolve_profile(profile, KB)
    _fired, matched = fire(r, KB)
    offered = {technique.id for technique in result.techniques}
    expected = {
        advice.rule.id
        for advice in KB.plan_settings.advice
        if holds(advice.rule, r, matched) and (advice.techniques is None or not advice.techniques.isdisjoint(offered))
    }
    assert {item.rule for item in (*result.plan.maintenance, *result.plan.aftercare)} == expected


@given(profiles(KB))
def test_answers_do_not_depend_on_whether_ranking_tables_rest(profile: mr.ClientProfile) -> None:
    """A base whose ranking tables keep resting and waking answers exactly as the bundled one does."""
    expected = mr.recommend(profile, KB).model_dump_json()
    for _ in range(2):  # the second time, a table that is awake finds what it kept the first time
        assert mr.recommend(profile, RESTLESS).model_dump_json() == expected
