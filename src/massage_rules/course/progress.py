"""Progress over a course: session records in, where the course stands out.

A review reads pain at the start of each session against the first session's, so
it measures lasting change rather than the relief right after a massage. New
health findings are screened with the same knowledge rules as a first visit; a
finding that brings a referral or rules massage out stops the course.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from massage_rules.errors import HistoryError, KnowledgeError, Problem, close_match
from massage_rules.knowledge.load import KnowledgeBase, default_knowledge
from massage_rules.models import (
    ClientProfile,
    NoMassageNow,
    Note,
    Plan,
    Recommendation,
    Referral,
    SourceRef,
    _normalise_health,
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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _whole(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"must be a whole number, not {value!r}")
        return int(value)
    if isinstance(value, str):
        raise ValueError(f"must be a whole number, not the text {value!r}")
    return value


class SessionRecord(_Frozen):
    """One session as the therapist recorded it.

    ``pain_before`` and ``pain_after`` are on the 0-10 numeric rating scale, taken at
    the start and the end of the session. ``function`` is an optional 0-10 score
    where higher is better, such as the mean of the Patient-Specific Functional
    Scale. ``health`` lists findings new since the course began, written as in a
    profile (``"suspected_dvt"``, ``"varicose_veins@calf"``).
    """

    date: dt.date
    pain_before: int = Field(ge=0, le=10)
    pain_after: int = Field(ge=0, le=10)
    function: float | None = Field(default=None, ge=0, le=10)
    adverse_reaction: str | None = Field(default=None, max_length=_TEXT_LIMIT)
    health: tuple[str, ...] = ()
    notes: str | None = Field(default=None, max_length=_TEXT_LIMIT)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _record_error(exc, "session") from None

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            raise ValueError("must be a date without a time, such as 2026-03-14")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD") from None
        raise ValueError(f"must be a date written as YYYY-MM-DD, not {type(value).__name__}")

    @field_validator("pain_before", "pain_after", mode="before")
    @classmethod
    def _pain(cls, value: Any) -> Any:
        return _whole(value)

    @field_validator("function", mode="before")
    @classmethod
    def _function(cls, value: Any) -> Any:
        if isinstance(value, bool | str):
            raise ValueError("must be a number from 0 to 10")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("adverse_reaction", "notes", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"must be text, not {type(value).__name__}")
        return value.strip() or None

    @field_validator("health", mode="before")
    @classmethod
    def _health(cls, value: Any) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError("must be a list of finding ids")
        found: set[str] = set()
        for i, item in enumerate(items):
            if not isinstance(item, str) or not _normalise_health(item):
                raise ValueError(f"entry {i} must be a finding id")
            found.add(_normalise_health(item))
        return tuple(sorted(found))


def _field(loc: Sequence[Any], prefix: str) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def session_record(data: Any, *, field: str = "session") -> SessionRecord:
    """Build a :class:`SessionRecord` from a mapping; raise :class:`HistoryError` naming the bad field."""
    if isinstance(data, SessionRecord):
        return data
    if not isinstance(data, Mapping):
        raise HistoryError(f"must be a mapping of session fields, not {type(data).__name__}", field=field)
    try:
        return SessionRecord(**{str(k): v for k, v in data.items()})
    except HistoryError as exc:  # raised by __init__ under the generic name "session"
        raise HistoryError(exc.reason, field=field + (exc.field or "").removeprefix("session")) from None


def _record_error(exc: ValidationError, prefix: str) -> HistoryError:
    error = exc.errors(include_url=False)[0]
    loc = tuple(error.get("loc", ()))
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        hint = close_match(key, SessionRecord.model_fields)
        message = f"'{key}' is not a session field" + (f"; did you mean '{hint}'?" if hint else "")
        loc = loc[:-1]
    elif error.get("type") == "missing":
        message = "is required"
    return HistoryError(message, field=_field(loc, prefix))


class ProgressReview(_Frozen):
    """Where a course stands after the sessions so far, and what to do next.

    ``status`` is one of ``on_track`` (continue), ``ahead`` (the goal is met early:
    discharge or maintenance), ``not_responding`` (no meaningful change by the
    session it was expected: change the approach or refer), ``worsening`` (pain
    meaningfully worse: stop and refer) or ``red_flag`` (a new finding brings a
    referral or rules massage out: stop and refer). ``sessions_left`` is None
    when the planned course no longer applies.
    """

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


def _check_findings(records: Sequence[SessionRecord], knowledge: KnowledgeBase) -> None:
    for i, record in enumerate(records):
        for entry in record.health:
            finding, _, area = entry.partition("@")
            if finding not in knowledge.findings:
                hint = close_match(finding, knowledge.findings)
                tail = f"; did you mean '{hint}'?" if hint else ""
                raise HistoryError(f"'{finding}' is not a known health finding{tail}", field=f"sessions[{i}].health")
            if area and area not in knowledge.areas:
                hint = close_match(area, knowledge.areas)
                tail = f"; did you mean '{hint}'?" if hint else ""
                raise HistoryError(f"'{area}' is not a known body area{tail}", field=f"sessions[{i}].health")


class _Screening:
    """What new findings change: a referral or a stop, and any new restrictions."""

    def __init__(self) -> None:
        self.referral: Referral | None = None
        self.no_massage: NoMassageNow | None = None
        self.restrictions: list[Note] = []


def _screen_with_profile(profile: ClientProfile, new: Iterable[str], knowledge: KnowledgeBase) -> _Screening:
    from massage_rules.engine.recommend import recommend

    out = _Screening()
    health = sorted(set(profile.health) | set(new))
    if list(profile.health) == health:
        return out
    before = recommend(profile, knowledge)
    after = recommend(ClientProfile(**{**profile.model_dump(), "health": health}), knowledge)
    old_refs = {x.rule for x in before.referrals}
    fresh = [x for x in after.referrals if x.rule not in old_refs]
    if fresh:
        out.referral = fresh[0]
    if after.no_massage is not None and (before.no_massage is None or before.no_massage.rule != after.no_massage.rule):
        out.no_massage = after.no_massage
    if after.outcome == "nothing_suitable" and before.outcome != "nothing_suitable":
        out.restrictions.append(
            Note(rule="screening", text="With the new findings no technique in the knowledge fits.", sources=())
        )
    old = {(a.rule, a.reason, a.sources) for a in before.avoided} | {
        (p.rule, p.reason, p.sources) for p in before.pressure_limits
    }
    new_rules = {(a.rule, a.reason, a.sources) for a in after.avoided} | {
        (p.rule, p.reason, p.sources) for p in after.pressure_limits
    }
    for rule, reason, sources in sorted(new_rules - old):
        out.restrictions.append(Note(rule=rule, text=reason, sources=sources))
    return out


def _screen_findings_only(new: Iterable[str], knowledge: KnowledgeBase) -> _Screening:
    """Without a profile, treat a rule as firing when its health condition holds: cautious on purpose."""
    out = _Screening()
    findings = {entry.partition("@")[0] for entry in new}
    if not findings:
        return out
    for rule in knowledge.rules:
        hits = (rule.health_all is not None and rule.health_all <= findings) or (
            rule.health_any is not None and not rule.health_any.isdisjoint(findings)
        )
        if not hits:
            continue
        if rule.refer is not None and out.referral is None:
            out.referral = Referral(
                reason=rule.text,
                urgency=rule.refer.urgency,
                rule=rule.id,
                massage_meanwhile=rule.refer.massage_meanwhile,
                sources=rule.sources,
            )
        elif rule.no_massage is not None and out.no_massage is None:
            out.no_massage = NoMassageNow(
                reason=rule.text, rule=rule.id, come_back=rule.no_massage.come_back, sources=rule.sources
            )
        elif rule.is_safety:
            out.restrictions.append(Note(rule=rule.id, text=rule.text, sources=rule.sources))
    return out


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
    _check_findings(given, kb)  # before sorting, so the index in an error is the caller's
    records = _ordered(given)
    mcid = kb.plan_settings.meaningful_change
    if mcid is None:
        raise _knowledge_missing("meaningful_change")

    new_findings = sorted({f for r in records for f in r.health} - set(profile.health if profile else ()))
    screening = _screen_with_profile(profile, new_findings, kb) if profile else _screen_findings_only(new_findings, kb)
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
    return ProgressReview(
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
