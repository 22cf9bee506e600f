"""The shapes of ``plan.yaml``: default doses, the dose model's steps, and the texts of plans and reviews."""

from typing import Literal

from pydantic import Field

from massage_rules.knowledge.schema_base import (
    CourseEvidence,
    Dose,
    Id,
    Range,
    RuleId,
    SessionsAdjust,
    Text,
    When,
    _Strict,
)


class PhaseDefault(Dose):
    """The dose used when no matched complaint sets one."""

    phase: Id
    sources: list[Id] = Field(min_length=1)
    evidence: CourseEvidence = "expert_consensus"


class SeverityStep(_Strict):
    """How one severity band moves the base course."""

    band: Id
    add_min: int = Field(ge=-20, le=20)
    add_max: int = Field(ge=-20, le=20)
    text: Text


class SeveritySteps(_Strict):
    """Each severity band's move of the base course; more pain never gives fewer sessions."""

    steps: list[SeverityStep] = Field(min_length=1)
    evidence: CourseEvidence
    sources: list[Id] = Field(min_length=1)


class NoCourse(_Strict):
    """When no treatment course is planned: pain in ``band`` and every goal one of ``goals``."""

    band: Id
    goals: list[Id] = Field(min_length=1)
    text: Text
    sources: list[Id] = Field(min_length=1)


class ShortBlock(Dose):
    """A short block instead of a course: every goal one of ``goals`` and no complaint sets a dose."""

    goals: list[Id] = Field(min_length=1)
    sources: list[Id] = Field(min_length=1)
    evidence: CourseEvidence = "expert_consensus"


class TrialMargin(_Strict):
    """How far the steps may move a trial's dose: at most ``sessions`` below its minimum or above its maximum."""

    sessions: int = Field(ge=0, le=20)
    text: Text
    sources: list[Id] = Field(min_length=1)


class PlanModifier(_Strict):
    """A step that moves the course when ``when`` holds and, if given, the treated body regions are in range."""

    id: RuleId
    text: Text
    when: When = When.model_construct()
    treated_regions: Range | None = None  # how many body regions (area groups of kind 'region') are treated
    sessions: SessionsAdjust
    evidence: CourseEvidence
    sources: list[Id] = Field(min_length=1)


class Reassess(_Strict):
    """How often to re-measure after the first check-in."""

    every_sessions: int = Field(ge=1, le=52)
    text: Text
    sources: list[Id] = Field(min_length=1)


class MeaningfulChangeSettings(_Strict):
    """Thresholds for reading progress: the minimal clinically important difference and its mirror."""

    pain_points: int = Field(ge=1, le=10)  # on the 0-10 numeric rating scale
    pain_percent: int = Field(ge=1, le=100)  # of the starting pain
    function_points: float = Field(gt=0, le=10)  # on the 0-10 Patient-Specific Functional Scale
    worsening_points: int = Field(ge=1, le=10)  # a rise this large stops the course
    recovered_pain_max: int = Field(ge=0, le=10)  # at or below this the goal is met
    text: Text
    sources: list[Id] = Field(min_length=1)


class Advice(_Strict):
    """Text for the plan, shown when ``when`` holds and (if given) one of ``techniques`` is offered."""

    id: RuleId
    text: Text
    when: When = When.model_construct()
    techniques: list[Id] | None = None
    sources: list[Id] = Field(min_length=1)


class AfterCareAdvice(Advice):
    """After-care for the client: what to expect, or what to do for themselves."""

    kind: Literal["expect", "self_care"]


class Check(_Strict):
    """Something to check before the next session, and on which occasion."""

    id: RuleId
    occasion: Literal["every_session", "adverse_reaction", "new_findings", "check_in"]
    text: Text
    sources: list[Id] = Field(min_length=1)


class StatusText(_Strict):
    """What a progress status means for the therapist, with its sources."""

    text: Text
    sources: list[Id] = Field(min_length=1)


class StatusAdvice(_Strict):
    """One text per progress status."""

    on_track: StatusText
    ahead: StatusText
    not_responding: StatusText
    worsening: StatusText
    red_flag: StatusText


class PlanSettings(_Strict):
    """Plan defaults and thresholds, and the texts of the plan and of progress reviews.

    Lists merge across files; a later file's ``reassess``, ``meaningful_change`` or
    ``status_advice`` replaces an earlier one's, so a clinic can tune them.
    """

    defaults: list[PhaseDefault] = []
    reassess: Reassess | None = None
    meaningful_change: MeaningfulChangeSettings | None = None
    maintenance: list[Advice] = []
    aftercare: list[AfterCareAdvice] = []
    warning_signs: list[Advice] = []
    checks: list[Check] = []
    status_advice: StatusAdvice | None = None
    severity: SeveritySteps | None = None
    no_course: NoCourse | None = None
    short_block: ShortBlock | None = None
    trial_margin: TrialMargin | None = None
    modifiers: list[PlanModifier] = []
    short_course_max: int | None = Field(default=None, ge=1, le=20)  # courses this short stay as they are
