"""Pydantic models of the knowledge files: their shape only, unknown keys refused.

Every knowledge file (the bundled ones and a clinic's) has the same shape; each
section is optional, and the loader merges the sections of all files before it
cross-checks references. Meaning (which ids exist, what refers to what) is
checked later, in ``_knowledge``.
"""

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from massage_rules.knowledge.schema_base import (
    Area as Area,
    AreaGroup as AreaGroup,
    CourseEvidence as CourseEvidence,
    Cpt as Cpt,
    Dose as Dose,
    Evidence as Evidence,
    Finding as Finding,
    Icd10 as Icd10,
    Id as Id,
    Label as Label,
    Named as Named,
    Nrs as Nrs,
    Phase as Phase,
    PhaseFit as PhaseFit,
    Pressure as Pressure,
    Range as Range,
    RuleId as RuleId,
    Scope as Scope,
    SessionsAdjust as SessionsAdjust,
    SeverityBand as SeverityBand,
    Source as Source,
    Term as Term,
    Text as Text,
    Vocabulary as Vocabulary,
    When as When,
    _finite,
    _Strict,
)
from massage_rules.knowledge.schema_plan import (
    Advice as Advice,
    AfterCareAdvice as AfterCareAdvice,
    Check as Check,
    MeaningfulChangeSettings as MeaningfulChangeSettings,
    NoCourse as NoCourse,
    PhaseDefault as PhaseDefault,
    PlanModifier as PlanModifier,
    PlanSettings as PlanSettings,
    Reassess as Reassess,
    SeverityStep as SeverityStep,
    SeveritySteps as SeveritySteps,
    ShortBlock as ShortBlock,
    StatusAdvice as StatusAdvice,
    StatusText as StatusText,
    TrialMargin as TrialMargin,
)


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
    label: Label | None = None  # a few words for a reason line; the id when left out
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
    forbid_reason: Text | None = None  # why its forbidden techniques are avoided (its text when not given)
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


_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class Pack(_Strict):
    """Who wrote a knowledge file, and which version it is. A clinic pack must have one (see ``packs``)."""

    id: Id
    version: str
    title: Text | None = None

    @field_validator("version")
    @classmethod
    def _plain_version(cls, value: str) -> str:
        """Versions are joined into the knowledge stamp (``core-0.2.0+clinic-1``): letters, digits, '.', '_', '-'."""
        if not _VERSION.fullmatch(value):
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise ValueError(
                f"{shown!r} is not a version: 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return value


PlanSetting = Literal[
    "reassess",
    "meaningful_change",
    "status_advice",
    "severity",
    "no_course",
    "short_block",
    "trial_margin",
    "short_course_max",
]


class Override(_Strict):
    """Change a rule defined in another file, by id (switch it off or re-weight it), or replace a plan setting.

    Nothing is replaced silently: every override names its reason, and switching off a
    safety rule (one that forbids, caps, restricts, refers or stops massage) also needs
    ``disable_safety_rule: true``; every result then lists the override. Some rules are
    locked and no override may touch them (see ``packs``). ``plan: <key>`` says that
    this file's ``plan.<key>`` replaces the one an earlier file gave.
    """

    rule: RuleId | None = None
    plan: PlanSetting | None = None
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
        if (self.rule is None) == (self.plan is None):
            raise ValueError("give exactly one of 'rule' (a rule id) or 'plan' (a plan setting)")
        if self.plan is not None:
            if self.disable or self.disable_safety_rule or self.score is not None:
                raise ValueError("a plan override takes only 'plan' and 'reason'; the new setting goes under 'plan:'")
            return self
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
