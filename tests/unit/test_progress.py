"""review_progress: one scenario per status, sessions left, checks, screening, and typed errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import massage_rules as mr

BACK = {"areas": ["lower_back"], "severity": 7, "phase": "chronic", "goals": ["pain_relief"]}


@pytest.fixture(scope="module")
def result() -> mr.Recommendation:
    """Chronic low back pain, 9-12 sessions, change expected by session 6, check-ins after 4, 8 and 12."""
    return mr.recommend(mr.ClientProfile(**BACK))


def _sessions(*pains: tuple[int, int], **last: Any) -> list[dict[str, Any]]:
    start = dt.date(2026, 3, 2)
    out: list[dict[str, Any]] = [
        {"date": start + dt.timedelta(weeks=i), "pain_before": b, "pain_after": a} for i, (b, a) in enumerate(pains)
    ]
    out[-1].update(last)
    return out


def test_on_track_early_in_the_course(result: mr.Recommendation) -> None:
    """Before change is due, a course with some relief continues, with sessions left and checks to make."""
    review = mr.review_progress(result, _sessions((7, 4), (6, 4), (4, 3)))
    assert (review.status, review.action, review.course_stops) == ("on_track", "continue", False)
    # 3 of 7 points relieved takes floor(3 * 3/7) = 1 session off the top of 9-12; 3 are done.
    assert review.sessions_left == 12 - 1 - 3
    assert review.next_check_in == 4
    assert [n.rule for n in review.check_before_next] == ["check_soreness", "check_new_findings"]
    assert review.reasons[0].rule == "progress.on_track"


def test_meaningful_change_is_two_points_or_thirty_percent(result: mr.Recommendation) -> None:
    """A fall of 2 points counts, and so does 30% of a low start."""
    assert mr.review_progress(result, _sessions((7, 5), (5, 4))).meaningful_change
    assert mr.review_progress(result, _sessions((3, 2), (2, 2))).meaningful_change
    assert not mr.review_progress(result, _sessions((7, 5), (6, 5))).meaningful_change


def test_ahead_when_pain_is_gone(result: mr.Recommendation) -> None:
    """Pain down to the recovered level discharges the client early, with no sessions left."""
    review = mr.review_progress(result, _sessions((7, 3), (4, 2), (0, 0)))
    assert (review.status, review.action, review.sessions_left) == ("ahead", "discharge", 0)
    assert review.check_before_next == ()
    assert {"kamper10", "cook15"} <= {s.id for s in review.sources}
    assert review.reasons[-1].rule == "booster_chronic"  # the plan's booster, offered on discharge


def test_not_responding_by_the_expected_session(result: mr.Recommendation) -> None:
    """No meaningful change by session 6 means change the approach or refer; the plan no longer applies."""
    review = mr.review_progress(result, _sessions(*[(7, 5)] * 5, (6, 5)))
    assert (review.status, review.action, review.sessions_left) == ("not_responding", "change_approach", None)
    assert any("expected by session 6" in n.text for n in review.reasons)


def test_function_gain_counts_as_response(result: mr.Recommendation) -> None:
    """A 2-point rise in function is a meaningful change even when pain barely moves."""
    sessions = _sessions(*[(7, 5)] * 6)
    sessions[0]["function"] = 3
    sessions[-1]["function"] = 5.5
    review = mr.review_progress(result, sessions)
    assert review.status == "on_track"
    assert review.function_change == 2.5


def test_worsening_when_a_session_raises_pain(result: mr.Recommendation) -> None:
    """Pain 2 points higher after a session than before it stops the course."""
    review = mr.review_progress(result, _sessions((7, 4), (6, 8)))
    assert (review.status, review.action, review.course_stops, review.sessions_left) == (
        "worsening",
        "stop_and_refer",
        True,
        None,
    )
    assert review.next_check_in is None


def test_worsening_when_pain_climbs_above_the_start(result: mr.Recommendation) -> None:
    """Pain 2 points above the first session's start stops the course."""
    assert mr.review_progress(result, _sessions((6, 5), (7, 6), (8, 7))).status == "worsening"


def test_red_flag_from_a_new_finding_stops_the_course(result: mr.Recommendation) -> None:
    """A new finding that the knowledge refers on stops the course, with the referral attached."""
    review = mr.review_progress(result, _sessions((7, 4), (5, 3), health=["suspected_dvt"]))
    assert (review.status, review.action, review.course_stops) == ("red_flag", "stop_and_refer", True)
    assert review.referral is not None
    assert (review.referral.rule, review.referral.urgency) == ("suspected_dvt_refer", "urgent")


def test_red_flag_from_a_no_massage_finding(result: mr.Recommendation) -> None:
    """A new finding that rules massage out for now also stops the course, saying when to come back."""
    review = mr.review_progress(result, _sessions((7, 4), health=["fever"]))
    assert review.status == "red_flag"
    assert review.no_massage is not None
    assert review.no_massage.rule == "fever_no_massage"


def test_red_flag_outranks_improvement(result: mr.Recommendation) -> None:
    """Even a client who is pain-free is stopped by a new red flag."""
    assert mr.review_progress(result, _sessions((7, 3), (0, 0), health=["suspected_dvt"])).status == "red_flag"


def test_plan_only_screening_is_cautious(result: mr.Recommendation) -> None:
    """With only a plan, a finding whose rule refers stops the course too."""
    assert result.plan is not None
    review = mr.review_progress(result.plan, _sessions((7, 4), health=["suspected_fracture@calf"]))
    assert review.status == "red_flag"
    assert review.referral is not None
    assert review.referral.rule == "suspected_fracture_refer"


def test_new_restriction_is_a_check_not_a_stop(result: mr.Recommendation) -> None:
    """A finding that only restricts care keeps the course going and lists what changed."""
    review = mr.review_progress(result, _sessions((7, 4), (6, 4), health=["anticoagulants"]))
    assert review.status == "on_track"
    rules = [n.rule for n in review.check_before_next]
    assert "check_findings_changed" in rules
    assert "anticoagulants_gentle" in rules


def test_adverse_reaction_and_check_in_are_flagged(result: mr.Recommendation) -> None:
    """A reaction last time and a check-in due both appear among the checks before the next session."""
    review = mr.review_progress(result, _sessions((7, 5), (6, 4), (6, 4), (5, 3), adverse_reaction="bruise"))
    rules = [n.rule for n in review.check_before_next]
    assert rules == ["check_soreness", "check_new_findings", "check_adverse", "check_measure"]
    assert review.check_before_next[2].text.endswith("Recorded: bruise")
    assert review.next_check_in == 8


def test_course_complete_discharges(result: mr.Recommendation) -> None:
    """After the last planned session, a responding course ends in discharge rather than more sessions."""
    review = mr.review_progress(result, _sessions(*[(7, 5)] * 5, *[(5, 4)] * 7))
    assert (review.status, review.sessions_left, review.action) == ("on_track", 0, "discharge")
    assert any(n.rule == "plan.sessions" for n in review.reasons)


def test_no_sessions_yet(result: mr.Recommendation) -> None:
    """An empty history is on track with the whole plan ahead."""
    review = mr.review_progress(result, [])
    assert (review.status, review.sessions_done, review.baseline_pain, review.sessions_left) == (
        "on_track",
        0,
        None,
        12,
    )


def test_order_of_entry_does_not_matter(result: mr.Recommendation) -> None:
    """Sessions are read by date, whatever order they come in."""
    sessions = _sessions((7, 4), (6, 4), (5, 3))
    assert mr.review_progress(result, sessions) == mr.review_progress(result, sessions[::-1])


@pytest.mark.parametrize(
    ("session", "message"),
    [
        ({"date": "2026-03-02", "pain_before": 11, "pain_after": 3}, "sessions[0].pain_before: Input should be less"),
        ({"date": "2026-03-02", "pain_before": True, "pain_after": 3}, "sessions[0].pain_before: must be a whole"),
        ({"date": "2026-03-02", "pain_before": "7", "pain_after": 3}, "sessions[0].pain_before: must be a whole"),
        ({"date": "2026-02-30", "pain_before": 7, "pain_after": 3}, "sessions[0].date: '2026-02-30' is not a date"),
        ({"date": dt.datetime(2026, 3, 2, 9), "pain_before": 7, "pain_after": 3}, "without a time"),
        ({"date": "2026-03-02", "pain_before": 7}, "sessions[0].pain_after: is required"),
        (
            {"date": "2026-03-02", "pain_before": 7, "pain_after": 3, "pain_afterwards": 1},
            "sessions[0]: 'pain_afterwards' is not a session field; did you mean 'pain_after'?",
        ),
        ({"date": "2026-03-02", "pain_before": 7, "pain_after": 3, "function": 12}, "sessions[0].function"),
        (
            {"date": "2026-03-02", "pain_before": 7, "pain_after": 3, "health": ["sspected_dvt"]},
            "sessions[0].health: 'sspected_dvt' is not a known health finding; did you mean 'suspected_dvt'?",
        ),
        (["2026-03-02", 7, 3], "sessions[0]: must be a mapping of session fields, not list"),
    ],
)
def test_bad_records_raise_history_error(result: mr.Recommendation, session: Any, message: str) -> None:
    """A bad session record raises HistoryError naming the field, never a raw validation error."""
    with pytest.raises(mr.HistoryError) as info:
        mr.review_progress(result, [session])
    assert str(info.value).startswith(message) or message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_two_sessions_on_one_day_are_refused(result: mr.Recommendation) -> None:
    """Two records with the same date are an error, since their order would be a guess."""
    sessions = _sessions((7, 4), (6, 4))
    sessions[1]["date"] = sessions[0]["date"]
    with pytest.raises(mr.HistoryError, match=r"^two sessions on 2026-03-02; record one session per day$"):
        mr.review_progress(result, sessions)


def test_a_referral_has_no_course_to_review() -> None:
    """Reviewing a recommendation without a plan is a HistoryError."""
    referral = mr.recommend(mr.ClientProfile(**{**BACK, "health": ["suspected_dvt"]}))
    with pytest.raises(mr.HistoryError, match=r"^no course to review: the recommendation is 'refer' with no plan$"):
        mr.review_progress(referral, [])


def test_wrong_argument_types(result: mr.Recommendation) -> None:
    """A non-plan or a non-list of sessions is a HistoryError."""
    with pytest.raises(mr.HistoryError, match="needs a Recommendation or a Plan, not dict"):
        mr.review_progress({}, [])  # type: ignore[arg-type]
    with pytest.raises(mr.HistoryError, match="sessions must be a list of session records"):
        mr.review_progress(result, {"date": "2026-03-02"})  # type: ignore[arg-type]


def test_knowledge_without_thresholds_is_a_knowledge_error(tmp_path: Path) -> None:
    """Progress cannot be read without the meaningful-change thresholds; the error says which section."""
    folder = Path(mr.__file__).resolve().parents[2] / "knowledge"
    files = [p for p in sorted(folder.glob("*.yaml")) if p.name != "plan.yaml"]
    plan_text = (folder / "plan.yaml").read_text(encoding="utf-8")
    head, _, _ = plan_text.partition("  # The minimal clinically important difference")
    _, _, tail = plan_text.partition("  maintenance:")
    (tmp_path / "plan.yaml").write_text(head + "  maintenance:" + tail, encoding="utf-8")
    kb = mr.load_knowledge(sorted([*files, tmp_path / "plan.yaml"], key=lambda p: p.name), bundled=False)
    plan = mr.recommend(mr.ClientProfile(**BACK), kb).plan
    assert plan is not None
    assert plan.meaningful_change is None
    with pytest.raises(mr.KnowledgeError, match=r"plan\.meaningful_change is not defined"):
        mr.review_progress(plan, [], kb)


def test_direct_construction_raises_history_error() -> None:
    """Building a SessionRecord by hand with a bad value raises HistoryError, not a raw validation error."""
    with pytest.raises(mr.HistoryError) as info:
        mr.SessionRecord(date=dt.date(2026, 3, 2), pain_before=7, pain_after=-1)
    assert str(info.value) == "session.pain_after: Input should be greater than or equal to 0"


def test_error_index_is_the_callers(result: mr.Recommendation) -> None:
    """An unknown finding in the second record given is reported as sessions[1], even if it sorts first."""
    sessions = _sessions((7, 4), (6, 4))
    sessions[0]["health"] = ["fevr"]
    with pytest.raises(mr.HistoryError, match=r"^sessions\[0\]\.health: 'fevr'"):
        mr.review_progress(result, sessions)
    with pytest.raises(mr.HistoryError, match=r"^sessions\[1\]\.health: 'fevr'"):
        mr.review_progress(result, sessions[::-1])
