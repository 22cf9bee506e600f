"""Progress over a course: session records in, where the course stands out.

A review reads pain at the start of each session against the first session's, so
it measures lasting change rather than the relief right after a massage. New
health findings are screened with the same knowledge rules as a first visit; a
finding that brings a referral or rules massage out stops the course.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from massage_rules.course.records import SessionRecord, check_findings, session_record
from massage_rules.course.screening import screen_findings_only, screen_with_profile
from massage_rules.errors import HistoryError, KnowledgeError, Problem
from massage_rules.knowledge.load import KnowledgeBase, default_knowledge
from massage_rules.models import (
    NoMassageNow,
    Note,
    OverrideStamp,
    Plan,
    Recommendation,
    Referral,
    SourceRef,
    switched_off_warning,
)

__all__ = ["ProgressReview", "SessionRecord", "Status", "review_progress", "session_record"]

Status = Literal["on_track", "ahead", "not_responding", "worsening", "red_flag"]
Action = Literal["continue", "discharge", "change_approach", "stop_and_refer"]
_ACTIONS: dict[str, Action] = {
    "on_track": "continue",
    "ahead": "discharge",
    "not_responding": "change_approach",
    "worsening": "stop_and_refer",
    "red_flag": "stop_and_refer",
}
_TEXT_LIMIT = 2000


class ProgressReview(BaseModel):
    """Where a course stands after the sessions so far, and what to do next.

    ``status`` is one of ``on_track`` (continue), ``ahead`` (the goal is met early:
    discharge or maintenance), ``not_responding`` (no meaningful change by the
    session it was expected: change the approach or refer), ``worsening`` (pain
    meaningfully worse: stop and refer) or ``red_flag`` (a new finding brings a
    referral or rules massage out: stop and refer). ``sessions_left`` is None
    when the planned course no longer applies. ``warnings`` come first and say what
    a pack changed that this review rests on: a safety rule switched off that
    applies to the client (or to a new finding), or the thresholds or advice of
    the review replaced.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    warnings: tuple[str, ...] = ()
    status: Status
    action: Action
    course_stops: bool
    sessions_done: int
    baseline_pain: int | None
    current_pain: int | None
    pain_change: int  # points better than at the start (negative: worse)
    pain_change_percent: float
    function_change: float | None
    meaningful_change: bool
    expect_change_by_session: int | None
    sessions_left: int | None
    next_check_in: int | None
    check_before_next: tuple[Note, ...]
    reasons: tuple[Note, ...]
    referral: Referral | None
    no_massage: NoMassageNow | None
    sources: tuple[SourceRef, ...]


def _ordered(records: Sequence[SessionRecord]) -> list[SessionRecord]:
    ordered = sorted(records, key=lambda r: r.date)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.date == later.date:
            raise HistoryError(f"two sessions on {later.date.isoformat()}; record one session per day")
    return ordered


_REVIEW_SETTINGS = {"plan.meaningful_change": "thresholds", "plan.status_advice": "advice"}


def _review_warnings(kb: KnowledgeBase, switched_off: Sequence[OverrideStamp]) -> tuple[str, ...]:
    """What a pack changed that this review rests on: safety rules switched off that apply, then plan settings."""
    said = [switched_off_warning(o) for o in switched_off]
    said += [
        f"this review's {_REVIEW_SETTINGS[o.rule]} ({o.rule}) come from pack '{o.pack}', not the core knowledge: "
        f"{o.reason}"
        for o in kb.overrides
        if o.action == "replace" and o.rule in _REVIEW_SETTINGS
    ]
    return tuple(dict.fromkeys(said))


def _knowledge_missing(what: str) -> KnowledgeError:
    return KnowledgeError([Problem(0, "<knowledge>", 0, 0, f"plan.{what} is not defined; progress cannot be reviewed")])


def review_progress(
    result_or_plan: Recommendation | Plan,
    sessions: Sequence[SessionRecord | Mapping[str, Any]],
    knowledge: KnowledgeBase | None = None,
) -> ProgressReview:
    """Review a course: status, sessions left, what to check before the next session, and why.

    ``result_or_plan`` is the recommendation the course started from (its profile
    lets new findings be screened fully) or just its plan (then any rule whose
    health condition a new finding meets counts, which errs on the side of
    stopping). ``sessions`` may come in any order; they are read by date. Raises
    :class:`~massage_rules.HistoryError` for a bad record or two sessions on one day.
    """
    kb = knowledge if knowledge is not None else default_knowledge()
    if isinstance(result_or_plan, Recommendation):
        if result_or_plan.plan is None:
            raise HistoryError(f"no course to review: the recommendation is '{result_or_plan.outcome}' with no plan")
        plan, profile = result_or_plan.plan, result_or_plan.profile
    elif isinstance(result_or_plan, Plan):
        plan, profile = result_or_plan, None
    else:
        raise HistoryError(f"needs a Recommendation or a Plan, not {type(result_or_plan).__name__}")
    if plan.sessions_max == 0:
        reason = plan.no_course_reason.text if plan.no_course_reason is not None else "the plan has no sessions"
        raise HistoryError(f"no course to review: no course of sessions was planned ({reason})")
    if isinstance(sessions, str | bytes | Mapping) or not isinstance(sessions, Sequence):
        raise HistoryError("sessions must be a list of session records")
    given = [session_record(s, field=f"sessions[{i}]") for i, s in enumerate(sessions)]
    check_findings(given, kb)  # before sorting, so the index in an error is the caller's
    records = _ordered(given)
    mcid = kb.plan_settings.meaningful_change
    if mcid is None:
        raise _knowledge_missing("meaningful_change")

    new_findings = sorted({f for r in records for f in r.health} - set(profile.health if profile else ()))
    screening = screen_with_profile(profile, new_findings, kb) if profile else screen_findings_only(new_findings, kb)
    mc_note = Note(rule="plan.meaningful_change", text=mcid.text, sources=tuple(mcid.sources))
    by = plan.meaningful_change.by_session if plan.meaningful_change else plan.check_in_after_sessions

    n = len(records)
    reasons: list[Note] = []
    baseline = records[0].pain_before if records else None
    current = records[-1].pain_before if records else None
    change, percent, function_change = 0, 0.0, None
    meaningful = False
    worse = False
    if records:
        assert baseline is not None
        assert current is not None
        latest = records[-1]
        change = baseline - current
        percent = round(100.0 * change / baseline, 1) if baseline else 0.0
        scores = [r.function for r in records if r.function is not None]
        if len(scores) >= 2:
            function_change = round(scores[-1] - scores[0], 2)
        at_goal = baseline <= mcid.recovered_pain_max
        meaningful = (
            at_goal
            or change >= mcid.pain_points
            or (change > 0 and percent >= mcid.pain_percent)
            or (function_change is not None and function_change >= mcid.function_points)
        )
        flare = latest.pain_after - latest.pain_before
        rise = max(latest.pain_before, latest.pain_after) - baseline
        worse = flare >= mcid.worsening_points or rise >= mcid.worsening_points
        text = (
            f"Pain at the start of session {n} was {current}/10 against {baseline}/10 at the first: "
            f"a change of {-change:+d} points ({-percent:+g}%)"
        )
        if n >= 2 or change:
            reasons.append(mc_note.model_copy(update={"text": f"{text}. {mcid.text}"}))
        else:
            reasons.append(mc_note.model_copy(update={"text": f"One session so far, at {baseline}/10. {mcid.text}"}))
        if function_change is not None:
            reasons.append(
                mc_note.model_copy(
                    update={"text": f"Function (0-10) changed by {function_change:+g} since it was first recorded."}
                )
            )
        if at_goal:
            reasons.append(
                mc_note.model_copy(
                    update={"text": "Pain was already at the goal when the course began; judge progress by function."}
                )
            )
        if flare >= mcid.worsening_points:
            reasons.append(
                mc_note.model_copy(
                    update={
                        "text": f"Session {n} raised pain from {latest.pain_before} to {latest.pain_after}/10, "
                        f"a rise of {mcid.worsening_points} or more."
                    }
                )
            )
        elif rise >= mcid.worsening_points:
            reasons.append(
                mc_note.model_copy(
                    update={"text": f"Pain is {rise} points above where the course began ({baseline}/10)."}
                )
            )
    recovered = baseline is not None and current is not None and baseline > mcid.recovered_pain_max >= current

    status: Status
    if screening.referral is not None or screening.no_massage is not None:
        status = "red_flag"
    elif worse:
        status = "worsening"
    elif recovered:
        status = "ahead"
    elif n >= by and not meaningful:
        status = "not_responding"
        reasons.append(mc_note.model_copy(update={"text": f"A meaningful change was expected by session {by}."}))
    else:
        status = "on_track"

    sessions_left: int | None = None
    if status == "ahead":
        sessions_left = 0
    elif status == "on_track":
        relieved = max(0.0, min(1.0, change / baseline)) if baseline else 0.0
        # More relief moves the estimate from the top of the range toward its bottom.
        total = plan.sessions_max - math.floor((plan.sessions_max - plan.sessions_min) * relieved + 1e-9)
        sessions_left = max(0, total - n)
    action: Action = _ACTIONS[status]
    if status == "on_track" and sessions_left == 0:
        action = "discharge"
        reasons.append(
            Note(
                rule="plan.sessions",
                text=f"The planned course of {plan.sessions_min}-{plan.sessions_max} sessions is complete; "
                "reassess: discharge to self-care, or a booster if gains fade.",
                sources=plan.derivation[0].sources if plan.derivation else (),
            )
        )
    if action == "discharge":  # where gains fade, the plan's booster is the way back in
        reasons.extend(Note(rule=m.rule, text=m.text, sources=m.sources) for m in plan.maintenance)
    advice = kb.plan_settings.status_advice
    if advice is not None:
        said = getattr(advice, status)
        reasons.insert(0, Note(rule=f"progress.{status}", text=said.text, sources=tuple(said.sources)))
    if screening.referral is not None:
        reasons.append(
            Note(rule=screening.referral.rule, text=screening.referral.reason, sources=screening.referral.sources)
        )
    if screening.no_massage is not None:
        nm = screening.no_massage
        reasons.append(Note(rule=nm.rule, text=f"{nm.reason} Come back {nm.come_back}.", sources=nm.sources))

    checks: list[Note] = []
    next_check_in = next((k for k in plan.check_in_sessions if k > n), None)
    if action == "continue":
        latest_adverse = records[-1].adverse_reaction if records else None
        for check in kb.plan_settings.checks:
            note = Note(rule=check.id, text=check.text, sources=tuple(check.sources))
            if check.occasion == "every_session":
                checks.append(note)
            elif check.occasion == "adverse_reaction" and latest_adverse:
                checks.append(note.model_copy(update={"text": f"{check.text} Recorded: {latest_adverse}"}))
            elif check.occasion == "new_findings" and screening.restrictions:
                checks.append(note)
                checks.extend(screening.restrictions)
            elif check.occasion == "check_in" and n in plan.check_in_sessions:
                checks.append(note)
    else:
        next_check_in = None

    cited = sorted({sid for note in (*reasons, *checks) for sid in note.sources if sid in kb.sources})
    started = result_or_plan.safety_overrides if isinstance(result_or_plan, Recommendation) else ()
    return ProgressReview(
        warnings=_review_warnings(kb, (*started, *screening.switched_off)),
        status=status,
        action=action,
        course_stops=action == "stop_and_refer",
        sessions_done=n,
        baseline_pain=baseline,
        current_pain=current,
        pain_change=change,
        pain_change_percent=percent,
        function_change=function_change,
        meaningful_change=meaningful,
        expect_change_by_session=by,
        sessions_left=sessions_left,
        next_check_in=next_check_in,
        check_before_next=tuple(dict.fromkeys(checks)),
        reasons=tuple(reasons),
        referral=screening.referral,
        no_massage=screening.no_massage,
        sources=tuple(
            SourceRef(
                id=sid, citation=kb.sources[sid].citation, url=kb.sources[sid].url, evidence=kb.sources[sid].evidence
            )
            for sid in cited
        ),
    )
