"""The building blocks of the knowledge files' shapes: ids and texts, sources, the vocabulary, conditions, doses.

:mod:`massage_rules.knowledge.schema` builds the rules, techniques, complaints,
plan settings and whole files from these, and re-exports them.
"""

import math
import re
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from massage_rules._codes import ICD10CM_PATTERN
from massage_rules.knowledge.frozen import freeze

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:-]*$", max_length=128)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=80)]  # a few words, shown inline
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


_URL_UNSAFE = re.compile(r"[\s<>\"'`\\{}|^]")


class Source(_Strict):
    """A published source that rules cite."""

    id: Id
    citation: Text
    url: str | None = None
    evidence: Evidence
    year: int | None = Field(default=None, ge=1800, le=2100)
    takes: Text | None = None  # what the rule base takes from it, for the sources page

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        """Only a web address: outputs link to it (a CDS Hooks card, a handout), so no ``javascript:``."""
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise ValueError(f"must be an https: (or http:) web address, not {shown!r}")
        if len(value) > 2000 or _URL_UNSAFE.search(value):
            raise ValueError("holds a space, a quote or one of <>`\\{}|^; percent-encode it")
        return value


class Named(_Strict):
    """A vocabulary entry: an id and a display name."""

    id: Id
    name: Text
    description: Text | None = None


class Term(Named):
    """A vocabulary entry people type; ``synonyms`` are their other words for it, used only to suggest its id."""

    synonyms: list[Id] = []


class Area(Term):
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
    causes: list[Term] = []
    goals: list[Term] = []
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


class Finding(Term):
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


class SessionsAdjust(_Strict):
    """Move the session estimate; both ends move, the minimum never past the maximum."""

    add_min: int = Field(ge=-20, le=20)
    add_max: int = Field(ge=-20, le=20)
    evidence: CourseEvidence | None = None  # did a source test this modifier, or is it consensus?
