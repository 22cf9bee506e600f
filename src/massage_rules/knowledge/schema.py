"""Pydantic models of the knowledge files: their shape only, unknown keys refused.

Every knowledge file (the bundled ones and a clinic's) has the same shape; each
section is optional, and the loader merges the sections of all files before it
cross-checks references. Meaning (which ids exist, what refers to what) is
checked later, in ``_knowledge``.
"""

import math
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from massage_rules._codes import ICD10CM_PATTERN
from massage_rules.knowledge.frozen import freeze

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]*$", max_length=128)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Icd10 = Annotated[str, StringConstraints(pattern=ICD10CM_PATTERN)]
Cpt = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
Pressure = Annotated[int, Field(ge=0, le=5)]
Nrs = Annotated[int, Field(ge=0, le=10)]
Evidence = Literal["high", "moderate", "low", "very_low", "expert_opinion"]
CourseEvidence = Literal["tested", "expert_consensus"]  # a dose or modifier a source tested, or consensus
Scope = Literal["everywhere", "problem_areas", "finding_areas"]
PhaseFit = Literal["suited", "away_only", "unsuited"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    def model_post_init(self, context: Any, /) -> None:
        """Make list and dict fields read-only: a loaded knowledge base is shared and must not change."""
        for name, value in self.__dict__.items():
            if isinstance(value, list | dict):
                self.__dict__[name] = freeze(value)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class Source(_Strict):
    """A published source that rules cite."""

    id: Id
    citation: Text
    url: str | None = None
    evidence: Evidence
    year: int | None = Field(default=None, ge=1800, le=2100)
    takes: Text | None = None  # what the rule base takes from it, for the sources page


class Named(_Strict):
    """A vocabulary entry: an id and a display name."""

    id: Id
    name: Text
    description: Text | None = None


class Area(Named):
    """A body area; ``distal`` lists the areas further along the same limb."""

    distal: list[Id] = []
    whole_body: bool = False  # a whole-body session covers every other area


class Phase(Named):
    """A phase of healing; ``days_max`` bounds it when derived from days since onset."""

    days_max: int | None = Field(default=None, ge=0)


class SeverityBand(Named):
    """A word (mild, moderate, severe) for a stretch of the 0-10 pain scale."""

    min: Nrs
    max: Nrs
    nrs: Nrs  # the value the word stands for when a profile gives the word

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min <= self.nrs <= self.max:
            raise ValueError("needs min <= nrs <= max")
        return self


class AreaGroup(Named):
    """Areas that belong together for one purpose (``kind``): a body region, or a lymph quadrant."""

    kind: Id
    areas: list[Id] = Field(min_length=1)


class Vocabulary(_Strict):
    """The values a client profile may hold."""

    areas: list[Area] = []
    causes: list[Named] = []
    goals: list[Named] = []
    phases: list[Phase] = []
    severity_bands: list[SeverityBand] = []
    area_groups: list[AreaGroup] = []


class Range(_Strict):
    """An inclusive integer range; either end may be open."""

    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class When(_Strict):
    """Conditions over a profile. Every key given must hold; a list holds when any item does."""

    areas: list[Id] | None = None
    causes: list[Id] | None = None
    phases: list[Id] | None = None
    goals: list[Id] | None = None
    severity: Range | None = None
    days_since_onset: Range | None = None
    health_all: list[Id] | None = None
    health_any: list[Id] | None = None
    conditions: list[Id] | None = None
    area_count: Range | None = None  # how many problem areas the profile names
    causes_not: list[Id] | None = None  # the cause is none of these, or not given
    age: Range | None = None  # the client's age in years; a profile without an age never meets it


class Finding(Named):
    """A health screening finding; ``local`` ones are tied to a body area."""

    question: Text | None = None
    local: bool = False
    implied_by: When | None = None  # the profile's own pattern that implies it, on the problem areas


class Dose(_Strict):
    """A course of sessions, from a trial where one exists."""

    sessions_min: int = Field(ge=1, le=100)
    sessions_max: int = Field(ge=1, le=100)
    sessions_per_week: float = Field(gt=0, le=7)
    session_minutes: int = Field(ge=5, le=180)
    check_in_after_sessions: int = Field(ge=1, le=100)
    expect_change_by_session: int | None = Field(default=None, ge=1, le=100)
    text: Text | None = None
    evidence: CourseEvidence = "tested"  # a complaint's dose comes from a trial unless it says otherwise

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.sessions_min > self.sessions_max:
            raise ValueError("sessions_min is greater than sessions_max")
        return self


class Forbid(_Strict):
    """Rule a technique out: everywhere, on the problem areas, or on the findings' areas."""

    techniques: list[Id] | Literal["all"]
    where: Scope = "everywhere"
    distal: bool = False
    come_back: Text | None = None  # shown when this rules out every problem area
    spread: Id | None = None  # also every area sharing an area group of this kind (a lymph quadrant)


class PressureCap(_Strict):
    """Cap pressure on the 0-5 Walton scale."""

    max: Pressure
    where: Scope = "everywhere"
    distal: bool = False
    spread: Id | None = None  # also every area sharing an area group of this kind (a lymph quadrant)


class Refer(_Strict):
    """Send the client to a physician before (or alongside) massage."""

    urgency: Literal["urgent", "routine"]
    massage_meanwhile: bool = False


class NoMassage(_Strict):
    """No massage at all for now."""

    come_back: Text


class SessionsAdjust(_Strict):
    """Move the session estimate; both ends move, the minimum never past the maximum."""

    add_min: int = Field(ge=-20, le=20)
    add_max: int = Field(ge=-20, le=20)
    evidence: CourseEvidence | None = None  # did a source test this modifier, or is it consensus?


class Ask(_Strict):
    """A question to ask before treating, raised by the profile's own pattern.

    ``findings`` are what a "yes" means: given in the profile, they let the
    screening rules decide. ``hold`` names the techniques that wait for the
    answer (all of them unless it says otherwise), ``where`` the areas they
    wait on.
    """

    question: Text
    findings: list[Id] = []
    hold: list[Id] | Literal["all"] = "all"
    where: Scope = "everywhere"


class Rule(_Strict):
    """One declarative rule: conditions, effects, and the sources it rests on."""

    id: RuleId
    text: Text
    when: When = When.model_construct()
    score: dict[Id, float] | None = None
    forbid: Forbid | None = None
    cap_pressure: PressureCap | None = None
    allow_only: list[Id] | None = None
    refer: Refer | None = None
    no_massage: NoMassage | None = None
    note: Text | None = None
    dose: Dose | None = None
    sessions: SessionsAdjust | None = None
    sources: list[Id] = Field(min_length=1)
    ask: Ask | None = None  # a screening question the therapist asks before treating

    @field_validator("score")
    @classmethod
    def _finite_scores(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            for points in value.values():
                _finite(points)
                if points == 0:
                    raise ValueError("a score of 0 changes nothing; remove it")
        return value

    @model_validator(mode="after")
    def _has_effect(self) -> Self:
        effects = (
            self.score,
            self.forbid,
            self.cap_pressure,
            self.allow_only,
            self.refer,
            self.no_massage,
            self.note,
            self.dose,
            self.sessions,
            self.ask,
        )
        if all(e is None for e in effects):
            raise ValueError("a rule needs at least one effect")
        return self


class Technique(Named):
    """A massage technique: what it is, how hard, what for, when."""

    pressure: Range
    goals: dict[Id, float] = Field(min_length=1)
    phases: dict[Id, PhaseFit] = Field(min_length=1)
    areas: list[Id] | None = None  # where it can be applied; None means every area
    cpt: Cpt
    evidence: Evidence
    sources: list[Id] = Field(min_length=1)

    @field_validator("goals")
    @classmethod
    def _finite_goals(cls, value: dict[str, float]) -> dict[str, float]:
        for weight in value.values():
            _finite(weight)
        return value

    @field_validator("pressure")
    @classmethod
    def _walton(cls, value: Range) -> Range:
        if value.min is None or value.max is None:
            raise ValueError("needs both min and max")
        if not (0 <= value.min <= 5 and 0 <= value.max <= 5):
            raise ValueError("pressure is on the 0-5 Walton scale")
        return value


class Confirm(_Strict):
    """The profile cannot show this complaint's defining feature: ask, and match it only once it is named.

    While ``when`` holds (always, if left out) a profile match alone does not match
    the complaint; the answer asks ``question`` instead (``text`` says why), and
    ``hold`` names techniques that wait for the answer. A "yes" is given by naming
    the complaint in the profile's ``conditions``.
    """

    question: Text
    text: Text
    when: When | None = None
    hold: list[Id] | Literal["all"] = []


class Condition(Named):
    """A complaint or diagnosis: how it matches a profile, what it favours, its dose."""

    icd10: list[Icd10] = []
    match: When | None = None  # how it matches a profile that names no diagnosis
    favour: dict[Id, float] = {}
    forbid: list[Id] = []
    dose: Dose | None = None
    note: Text | None = None
    text: Text
    sources: list[Id] = Field(min_length=1)
    confirm: Confirm | None = None  # a defining feature the profile cannot show: ask before matching

    @field_validator("favour")
    @classmethod
    def _finite_favour(cls, value: dict[str, float]) -> dict[str, float]:
        for weight in value.values():
            _finite(weight)
        return value


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


class Billing(_Strict):
    """How timed CPT codes turn minutes into billing units, and the rule that says so."""

    text: Text  # the rule in words, cited in every result that reports units
    unit_minutes: int = Field(ge=1, le=60)
    min_minutes_for_unit: int = Field(ge=1, le=60)  # a unit (or the last one) needs at least this many minutes
    timed_cpt: list[Cpt] = Field(min_length=1)  # codes billed per unit of time
    sources: list[Id] = Field(min_length=1)

    @model_validator(mode="after")
    def _threshold_within_unit(self) -> Self:
        if self.min_minutes_for_unit > self.unit_minutes:
            raise ValueError("min_minutes_for_unit is greater than unit_minutes")
        return self


class Pack(_Strict):
    """Who wrote a knowledge file, and which version it is."""

    id: Id
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    title: Text | None = None


class Override(_Strict):
    """Change a rule defined in another file, by id: switch it off or re-weight its scores.

    Nothing is replaced silently: every override names its reason, and switching off a
    safety rule (one that forbids, caps, restricts, refers or stops massage) also needs
    ``disable_safety_rule: true``; every result then lists the override.
    """

    rule: RuleId
    reason: Text
    disable: bool = False
    disable_safety_rule: bool = False
    score: dict[Id, float] | None = None  # technique -> new points; 0 drops the technique

    @field_validator("score")
    @classmethod
    def _finite_scores(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for points in (value or {}).values():
            _finite(points)
        return value

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        if self.disable_safety_rule and not self.disable:
            raise ValueError("disable_safety_rule needs disable: true")
        if self.disable == (self.score is not None):
            raise ValueError("give exactly one of 'disable: true' or 'score'")
        return self


class LighterFirst(_Strict):
    """When the pain calls for the lighter of two equally scored techniques first, and why."""

    id: RuleId
    text: Text
    when: When
    sources: list[Id] = Field(min_length=1)


class Ranking(_Strict):
    """How techniques of equal score are ordered after the matched complaint's own preference.

    ``evidence_order`` lists the evidence levels best first; ``lighter_first`` names the
    profiles (severe or irritable pain) where the lighter technique comes first.
    """

    evidence_order: list[Evidence] = Field(min_length=1)
    lighter_first: list[LighterFirst] = []


class KnowledgeFile(_Strict):
    """One knowledge file; all sections optional, merged across files."""

    format: Literal[1] = 1
    pack: Pack | None = None
    sources: list[Source] = []
    vocabulary: Vocabulary = Vocabulary.model_construct()
    findings: list[Finding] = []
    techniques: list[Technique] = []
    conditions: list[Condition] = []
    rules: list[Rule] = []
    plan: PlanSettings = PlanSettings.model_construct()
    billing: Billing | None = None
    overrides: list[Override] = []
    ranking: Ranking | None = None
