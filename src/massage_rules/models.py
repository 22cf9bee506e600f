"""Public, frozen models: the profile a caller gives and the recommendation it gets.

Every model is immutable and JSON-serialisable; ``model_dump_json()`` uses the
attribute names as keys. The profile checks its own shape on construction and
normalises ids (``"Lower Back"`` becomes ``"lower_back"``); whether a value is
known is checked against a knowledge base by :func:`massage_rules.recommend`.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ProfileError

__all__ = [
    "Avoidance",
    "ClientProfile",
    "Explanation",
    "KnowledgeStamp",
    "MatchedCondition",
    "NoMassageNow",
    "Note",
    "Obstacle",
    "OverrideStamp",
    "PackStamp",
    "Plan",
    "PlanStep",
    "PressureLimit",
    "RankedTechnique",
    "Reason",
    "Recommendation",
    "Referral",
    "SourceRef",
    "UnmetRule",
]

SCHEMA_VERSION = "1.0"
AvoidanceKind = Literal["forbidden", "pressure_cap", "not_allowed"]
Outcome = Literal["treat", "refer", "refer_and_treat", "no_massage", "nothing_suitable"]
ReasonEffect = Literal["goal", "condition", "score"]
_ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_id(value: str) -> str:
    """Fold case, trim, and turn spaces and hyphens into underscores: ``"Lower Back"`` -> ``"lower_back"``."""
    return _SEPARATORS.sub("_", value.strip()).strip("_").lower()


def _normalise_diagnosis(value: str) -> str:
    upper = value.strip().upper()
    return upper if _ICD10.match(upper) else normalise_id(value)


def _normalise_health(value: str) -> str:
    finding, at, area = value.partition("@")
    return f"{normalise_id(finding)}@{normalise_id(area)}" if at else normalise_id(finding)


def _as_list(value: Any, field: str) -> list[Any]:
    if isinstance(value, str):  # a lone string is one entry, not a list of letters
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    raise ValueError(f"{field} must be a list of strings")


def _clean_ids(values: list[Any], field: str, normalise: Any) -> tuple[str, ...]:
    cleaned = set()
    for index, item in enumerate(values):
        if not isinstance(item, str):
            raise ValueError(f"{field}[{index}] must be a string, not {type(item).__name__}")
        norm = normalise(item)
        if not norm:
            raise ValueError(f"{field}[{index}] is empty")
        cleaned.add(norm)
    return tuple(sorted(cleaned))


_FIELD_LIMIT = 200  # a real client has a handful; thousands is a mistake or an attack


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _profile_error(exc: ValidationError) -> ProfileError:
    error = exc.errors(include_url=False)[0]
    loc = error.get("loc", ())
    field = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))
    message = error.get("msg", "is not valid")
    message = message.removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        allowed = sorted(ClientProfile.model_fields)
        from .errors import close_match

        key = str(loc[-1]) if loc else ""
        return ProfileError(
            field or "profile",
            error.get("input"),
            f"'{key}' is not a profile field",
            allowed,
            close_match(key, allowed),
        )
    if error.get("type") == "missing":
        return ProfileError(field or "profile", None, "is required")
    return ProfileError(field or "profile", error.get("input"), message)


class ClientProfile(_Frozen):
    """What a therapist knows about the client: where it hurts, why, how much, since when, what for.

    Lists are de-duplicated and sorted, so their order never changes a result.
    ``health`` entries are finding ids, optionally tied to one area as ``id@area``
    (``"varicose_veins@calf"``). ``conditions`` holds known diagnoses, by id or
    ICD-10-CM code. Give ``phase``, ``days_since_onset``, or both if they agree.
    """

    areas: tuple[str, ...] = Field(min_length=1)
    cause: str | None = None
    severity: int = Field(ge=0, le=10, description="pain on the 0-10 numeric rating scale")
    phase: str | None = None
    days_since_onset: int | None = Field(default=None, ge=0, le=36_500)
    goals: tuple[str, ...] = Field(min_length=1)
    health: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _profile_error(exc) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> ClientProfile:
        """Build a profile from a mapping; raise :class:`ProfileError` on any bad value."""
        if not isinstance(obj, dict | ClientProfile):
            raise ProfileError("profile", obj, f"must be a mapping of fields, not {type(obj).__name__}")
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise _profile_error(exc) from None

    @field_validator("areas", "goals", mode="before")
    @classmethod
    def _ids(cls, value: Any, info: Any) -> tuple[str, ...]:
        items = _as_list(value, info.field_name)
        if len(items) > _FIELD_LIMIT:
            raise ValueError(f"has {len(items)} entries; at most {_FIELD_LIMIT}")
        return _clean_ids(items, info.field_name, normalise_id)

    @field_validator("health", mode="before")
    @classmethod
    def _health(cls, value: Any) -> tuple[str, ...]:
        items = _as_list(value, "health")
        if len(items) > _FIELD_LIMIT:
            raise ValueError(f"has {len(items)} entries; at most {_FIELD_LIMIT}")
        return _clean_ids(items, "health", _normalise_health)

    @field_validator("conditions", mode="before")
    @classmethod
    def _conditions(cls, value: Any) -> tuple[str, ...]:
        items = _as_list(value, "conditions")
        if len(items) > _FIELD_LIMIT:
            raise ValueError(f"has {len(items)} entries; at most {_FIELD_LIMIT}")
        return _clean_ids(items, "conditions", _normalise_diagnosis)

    @field_validator("cause", "phase", mode="before")
    @classmethod
    def _single_id(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {type(value).__name__}")
        return normalise_id(value) or None

    @field_validator("severity", "days_since_onset", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a whole number, not true or false")
        if isinstance(value, float):
            if not math.isfinite(value) or not value.is_integer():
                raise ValueError(f"must be a whole number, not {value!r}")
            return int(value)
        if isinstance(value, str):
            raise ValueError(f"must be a whole number, not the text {value!r}")
        return value

    @model_validator(mode="after")
    def _has_timing(self) -> ClientProfile:
        if self.phase is None and self.days_since_onset is None:
            raise ValueError("give phase or days_since_onset (or both)")
        return self


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


class Plan(_Frozen):
    """A course of sessions as a range, how often, how long, and when to check progress."""

    sessions_min: int
    sessions_max: int
    sessions_per_week: float
    session_minutes: int
    check_in_after_sessions: int
    derivation: tuple[PlanStep, ...]


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


class OverrideStamp(_Frozen):
    """A rule that a pack switched off or re-weighted, and why; ``safety`` marks a safety rule switched off."""

    rule: str
    action: Literal["disable", "reweight"]
    reason: str
    pack: str | None
    safety: bool = False


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


ObstacleKind = Literal["stopped", "referred", "forbidden", "not_allowed", "pressure_cap", "not_applicable", "no_points"]


class Obstacle(_Frozen):
    """One reason a technique is not offered, everywhere (``area`` is None) or on one area."""

    kind: ObstacleKind
    rule: str | None
    origin: str | None  # file:line of the rule
    area: str | None
    text: str
    sources: tuple[str, ...] = ()


class UnmetRule(_Frozen):
    """A rule that would have given the technique points, and which of its conditions this profile missed."""

    rule: str
    points: float
    origin: str
    unmet: tuple[str, ...]


class Explanation(_Frozen):
    """Why one technique ranks where it does for a profile, or why it is absent.

    ``reasons`` are the points it got (also when it is not offered), ``obstacles``
    what ruled it out or limited it, ``unmet`` the rules that would have scored it
    and the conditions they missed. ``summary`` says it in one sentence.
    """

    technique: str
    name: str
    offered: bool
    rank: int | None
    score: float
    out_of: int
    areas: tuple[str, ...]
    reasons: tuple[Reason, ...]
    obstacles: tuple[Obstacle, ...]
    unmet: tuple[UnmetRule, ...]
    summary: str
    knowledge: KnowledgeStamp
