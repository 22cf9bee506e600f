"""The recommendation and its parts: ranked techniques with their reasons, what to avoid, the plan, the stamp."""

from __future__ import annotations

from typing import Literal

from massage_rules.models.base import Frozen as _Frozen
from massage_rules.models.profile import SCHEMA_VERSION, ClientProfile

__all__ = [
    "AfterCare",
    "Avoidance",
    "AvoidanceKind",
    "BillingUnits",
    "KnowledgeStamp",
    "MatchedCondition",
    "MeaningfulChange",
    "NoMassageNow",
    "Note",
    "Outcome",
    "OverrideStamp",
    "PackStamp",
    "Plan",
    "PlanAdvice",
    "PlanStep",
    "PressureLimit",
    "RankedTechnique",
    "Reason",
    "ReasonEffect",
    "Recommendation",
    "Referral",
    "SafetyEffect",
    "ScreeningQuestion",
    "SourceRef",
    "switched_off_warning",
]

AvoidanceKind = Literal["forbidden", "pressure_cap", "not_allowed"]
Outcome = Literal["treat", "refer", "refer_and_treat", "no_massage", "nothing_suitable"]
ReasonEffect = Literal["goal", "condition", "score"]


class Reason(_Frozen):
    """One rule that moved a technique's score, with the sources it rests on."""

    rule: str
    effect: ReasonEffect
    points: float
    label: str
    text: str
    sources: tuple[str, ...]


class RankedTechnique(_Frozen):
    """A technique offered to this client, where to apply it, and why it ranks where it does."""

    id: str
    name: str
    rank: int
    score: float
    areas: tuple[str, ...]
    skip_areas: tuple[str, ...] = ()
    pressure_min: int
    pressure_max: int
    cpt: str
    evidence: str
    reasons: tuple[Reason, ...]
    after_screening: tuple[str, ...] = ()  # screening questions (by rule id) it waits for
    tie_break: str | None = None  # why it stands where it does among techniques of the same score


class ScreeningQuestion(_Frozen):
    """A question to ask before treating, raised by the profile's own pattern, and what a "yes" means.

    ``findings`` are the health findings a "yes" stands for, or ``diagnosis`` the
    complaint it confirms: give them in the profile and ask again. Once asked and answered "no", list the rule id in the
    profile's ``cleared``. ``holds`` names the offered techniques that wait for
    the answer.
    """

    rule: str
    question: str
    why: str
    findings: tuple[str, ...]
    holds: tuple[str, ...]
    sources: tuple[str, ...]
    diagnosis: str | None = None  # a "yes" names this complaint: give it in the profile's conditions


class Avoidance(_Frozen):
    """A technique ruled out, everywhere (``area`` is None) or on one area, and by which rule."""

    technique: str
    area: str | None
    rule: str
    kind: AvoidanceKind
    reason: str
    sources: tuple[str, ...]


class PressureLimit(_Frozen):
    """A pressure cap on the 0-5 Walton scale, everywhere or on one area."""

    area: str | None
    max_pressure: int
    rule: str
    reason: str
    sources: tuple[str, ...]


class Referral(_Frozen):
    """The client must see a physician: how soon, why, and whether massage may go on meanwhile."""

    reason: str
    urgency: Literal["urgent", "routine"]
    rule: str
    massage_meanwhile: bool
    sources: tuple[str, ...]


class NoMassageNow(_Frozen):
    """No massage at all for now, and when to come back."""

    reason: str
    rule: str
    come_back: str
    sources: tuple[str, ...]


class Note(_Frozen):
    """Advice for the therapist that a rule attaches to the answer."""

    rule: str
    text: str
    sources: tuple[str, ...]


class MatchedCondition(_Frozen):
    """A complaint the profile matched: named as a diagnosis, or inferred from the profile."""

    id: str
    name: str
    icd10: tuple[str, ...]
    matched_by: Literal["diagnosis", "profile"]


class PlanStep(_Frozen):
    """One step of the session arithmetic: the base dose, or a modifier and its effect."""

    rule: str
    text: str
    add_min: int
    add_max: int
    sessions_min: int
    sessions_max: int
    sources: tuple[str, ...]
    evidence: Literal["tested", "expert_consensus"] | None = None  # a source tested this step, or consensus


class BillingUnits(_Frozen):
    """Billing units for a session's timed minutes under the knowledge's unit rule (the CMS 8-minute rule).

    ``cpt`` lists the timed codes among the offered techniques; the units are
    for the session's total timed minutes, shared among the codes performed.
    """

    session_minutes: int
    units: int
    unit_minutes: int
    min_minutes_for_unit: int
    cpt: tuple[str, ...]
    rule: str
    text: str
    sources: tuple[str, ...]


class PlanAdvice(_Frozen):
    """A piece of the plan that a rule adds: why check-ins fall where they do, or a booster course."""

    rule: str
    text: str
    sources: tuple[str, ...]


class AfterCare(_Frozen):
    """After-care written for the client: what to expect, self-care, or a warning sign to act on."""

    rule: str
    kind: Literal["expect", "self_care", "warning_sign"]
    text: str
    sources: tuple[str, ...]


class MeaningfulChange(_Frozen):
    """The smallest change that matters to a client, and by which session it should show.

    Pain improves meaningfully when it falls by ``pain_points`` or by ``pain_percent``
    of the starting score; function (0-10) when it rises by ``function_points``.
    """

    pain_points: int
    pain_percent: int
    function_points: float
    by_session: int
    text: str
    sources: tuple[str, ...]


class Plan(_Frozen):
    """A course of sessions as a range, how often, how long, and when to check progress.

    ``check_in_sessions`` lists the sessions after which to re-measure (the first is
    ``check_in_after_sessions``); ``meaningful_change`` says what progress to expect
    by when; ``maintenance`` suggests a booster where effects are known to fade;
    ``aftercare`` is written for the client.
    """

    sessions_min: int
    sessions_max: int
    sessions_per_week: float
    session_minutes: int
    check_in_after_sessions: int
    derivation: tuple[PlanStep, ...]
    billing: BillingUnits | None = None
    check_in_sessions: tuple[int, ...] = ()
    check_in_reason: PlanAdvice | None = None
    meaningful_change: MeaningfulChange | None = None
    maintenance: tuple[PlanAdvice, ...] = ()
    aftercare: tuple[AfterCare, ...] = ()
    basis: Literal["trial", "phase_default", "short_block", "no_course"] | None = None  # where the base came from
    severity_band: str | None = None  # the band of the client's pain that moved the course
    treated_regions: int | None = None  # body regions the offered techniques reach, as the plan counts them
    no_course_reason: PlanAdvice | None = None  # why no course is planned (sessions are then 0)


class SourceRef(_Frozen):
    """A published source cited somewhere in the answer."""

    id: str
    citation: str
    url: str | None
    evidence: str


class PackStamp(_Frozen):
    """One knowledge pack the answer came from."""

    id: str
    version: str


SafetyEffect = Literal["refer_urgent", "refer_routine", "no_massage", "forbid", "cap_pressure", "allow_only"]


class OverrideStamp(_Frozen):
    """A rule or plan setting that a pack changed, and why.

    ``action`` is ``disable`` (a rule switched off), ``reweight`` (a rule's points
    changed) or ``replace`` (a plan setting, ``rule`` ``plan.<key>``, replaced).
    ``safety`` marks a safety rule switched off, and ``effects`` says what that rule did.
    """

    rule: str
    action: Literal["disable", "reweight", "replace"]
    reason: str
    pack: str | None
    safety: bool = False
    effects: tuple[SafetyEffect, ...] = ()


def switched_off_warning(override: OverrideStamp) -> str:
    """The warning a result carries when a safety rule that ``override`` switched off would apply to its client.

    The same words in every output, next to :attr:`Recommendation.safety_overrides`.
    """
    return (
        f"safety rule '{override.rule}' would apply to this client, but pack '{override.pack}' "
        f"switched it off: {override.reason}"
    )


class KnowledgeStamp(_Frozen):
    """Which knowledge produced an answer: its packs, the overrides they made, and a hash of all its content."""

    version: str
    content_hash: str
    packs: tuple[PackStamp, ...]
    overrides: tuple[OverrideStamp, ...] = ()


class Recommendation(_Frozen):
    """The whole answer for one profile. Same profile and knowledge, same answer, byte for byte.

    ``outcome`` sums it up: ``treat`` (techniques offered), ``refer`` (see a
    physician first, no massage until cleared), ``refer_and_treat`` (a referral,
    with massage meanwhile within its restrictions), ``no_massage`` (not now), or
    ``nothing_suitable`` (no technique fits; a gap the knowledge should close).
    """

    schema_version: str = SCHEMA_VERSION
    outcome: Outcome
    profile: ClientProfile
    techniques: tuple[RankedTechnique, ...]
    avoided: tuple[Avoidance, ...]
    pressure_limits: tuple[PressureLimit, ...]
    referral: Referral | None
    referrals: tuple[Referral, ...]
    no_massage: NoMassageNow | None
    plan: Plan | None
    conditions: tuple[MatchedCondition, ...]
    notes: tuple[Note, ...]
    warnings: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    knowledge: KnowledgeStamp

    # The safety rules a pack switched off that would have applied to this client: every output shows these
    # first, since the answer lacks a restriction the core knowledge would have made.
    safety_overrides: tuple[OverrideStamp, ...] = ()
    screening_questions: tuple[ScreeningQuestion, ...] = ()  # ask these before treating
