"""Public, frozen models: the profile a caller gives and the recommendation it gets.

Every model is immutable and JSON-serialisable; ``model_dump_json()`` uses the
attribute names as keys. The profile checks its own shape on construction and
normalises ids (``"Lower Back"`` becomes ``"lower_back"``); whether a value is
known is checked against a knowledge base by :func:`massage_rules.recommend`.
"""

import decimal
import math
import numbers
import re
import unicodedata
from collections.abc import Callable
from typing import Any, Literal, NoReturn, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from massage_rules._codes import looks_like_icd10, normalise_icd10
from massage_rules.errors import ProfileError, close_match

__all__ = [
    "AfterCare",
    "Avoidance",
    "BillingUnits",
    "ClientProfile",
    "Explanation",
    "KnowledgeStamp",
    "MatchedCondition",
    "MeaningfulChange",
    "NoMassageNow",
    "Note",
    "Obstacle",
    "OverrideStamp",
    "PackStamp",
    "Plan",
    "PlanAdvice",
    "PlanStep",
    "PressureLimit",
    "RankedTechnique",
    "Reason",
    "Recommendation",
    "Referral",
    "ScreeningQuestion",
    "SourceRef",
    "UnmetRule",
]

SCHEMA_VERSION = "1.1"
AvoidanceKind = Literal["forbidden", "pressure_cap", "not_allowed"]
Outcome = Literal["treat", "refer", "refer_and_treat", "no_massage", "nothing_suitable"]
ReasonEffect = Literal["goal", "condition", "score"]
_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_id(value: str) -> str:
    """Fold compatibility forms (NFKC), case and separators: ``"Lower Back"`` -> ``"lower_back"``."""
    return _SEPARATORS.sub("_", unicodedata.normalize("NFKC", value).strip()).strip("_").lower()


def _normalise_health(value: str) -> str:
    """``finding`` or ``finding@area``, each half normalised (session records use it too)."""
    finding, at, area = value.partition("@")
    return f"{normalise_id(finding)}@{normalise_id(area)}" if at else normalise_id(finding)


# Letters that NFKC keeps but that look like ASCII ones: a profile typed or pasted
# from another script. Used only to suggest the intended id, never to accept it.
_LOOK_ALIKES = str.maketrans(
    "аеорсухіјѕԁһӏкмтвнАЕОРСХІЈЅКМТВНοανρειкτυοΑΒΕΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlkmtbhaeopcxijskmtbhoavpeiktuoabehikmnoptyx",
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_MAX_TEXT = 200  # characters in one profile value; real ids are under 64


def _show(value: object) -> str:
    """A short repr for messages: an enormous value must not make an enormous error."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return f"<a {type(value).__name__} too large to show>"
    return text if len(text) <= 60 else text[:57] + "..."


def _ascii_id(raw: str, field: str, normalise: Callable[[str], str]) -> str:
    """Normalise one id; refuse what is still not ASCII after NFKC, naming the odd character."""
    if len(raw) > _MAX_TEXT:
        raise ProfileError(field, raw, f"is {len(raw)} characters long; at most {_MAX_TEXT}")
    norm = normalise(raw)
    if norm.isascii():
        return norm
    odd = next(c for c in norm if not c.isascii())
    name = unicodedata.name(odd, "(unnamed)")
    if 0xDC80 <= ord(odd) <= 0xDCFF:  # how Python carries a byte that was not valid UTF-8
        name = f"(the undecodable byte 0x{ord(odd) - 0xDC00:02X})"
    glyph = f"'{odd}' " if odd.isprintable() and not odd.isspace() else ""
    guess = normalise(raw.translate(_INVISIBLE).translate(_LOOK_ALIKES))
    if not guess.isascii():
        stripped = unicodedata.normalize("NFKD", guess)
        guess = "".join(c for c in stripped if not unicodedata.combining(c))
    return _refuse(
        field,
        raw,
        f"{_show(raw)} holds {glyph}U+{ord(odd):04X} {name}; ids are plain ASCII letters, digits and _",
        guess if guess.isascii() and guess else None,
    )


def _refuse(field: str, value: object, message: str, suggestion: str | None = None) -> NoReturn:
    raise ProfileError(field, value, message, suggestion=suggestion)


def _normalise_diagnosis(value: str) -> str:
    # Something written like a code (M54.50, m5450) must be a well-formed ICD-10-CM code.
    text = unicodedata.normalize("NFKC", value)
    return normalise_icd10(text) if looks_like_icd10(text) else normalise_id(text)


def _as_list(value: Any, field: str) -> list[Any]:
    if isinstance(value, str):  # a lone string is one entry, not a list of letters
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        if len(value) > _FIELD_LIMIT:
            _refuse(field, value, f"has {len(value)} entries; at most {_FIELD_LIMIT}")
        return list(value)
    return _refuse(field, value, f"must be a list of strings, not {type(value).__name__}")


def _clean_ids(values: list[Any], field: str, normalise: Callable[[str], str]) -> tuple[str, ...]:
    cleaned = set()
    for index, item in enumerate(values):
        where = f"{field}[{index}]"
        if not isinstance(item, str):
            _refuse(where, item, f"must be a string, not {type(item).__name__}")
        try:
            norm = _ascii_id(item, where, normalise)
        except ProfileError:
            raise
        except ValueError as exc:  # a malformed ICD-10-CM code
            _refuse(where, item, str(exc))
        if not norm:
            _refuse(where, item, "is empty")
        cleaned.add(norm)
    return tuple(sorted(cleaned))


def _clean_health(values: list[Any]) -> tuple[str, ...]:
    cleaned = set()
    for index, item in enumerate(values):
        where = f"health[{index}]"
        if not isinstance(item, str):
            _refuse(where, item, f"must be a string, not {type(item).__name__}")
        finding, at, area = item.partition("@")
        norm = _ascii_id(finding, where, normalise_id)
        if not norm:
            _refuse(where, item, f"{_show(item)} names no finding" + (" before '@'" if at else ""))
        if at:
            if "@" in area:
                _refuse(where, item, f"{_show(item)} has more than one '@'; write finding@area")
            place = _ascii_id(area, where, normalise_id)
            if not place:
                _refuse(where, item, f"{_show(item)} names no area after '@'", norm)
            norm = f"{norm}@{place}"
        cleaned.add(norm)
    return tuple(sorted(cleaned))


_FIELD_LIMIT = 200  # a real client has a handful; thousands is a mistake or an attack
_RANGES = {"severity": (0, 10), "days_since_onset": (0, 36_500), "age": (0, 130)}


def _whole_years(value: Any) -> int:
    """An age in whole years (0-130), read like the other whole-number fields."""
    if isinstance(value, str):
        digits = unicodedata.normalize("NFKC", value).strip()
        if digits.isascii() and digits.isdigit() and len(digits) <= 6:
            value = int(digits)
    if isinstance(value, bool) or not isinstance(value, numbers.Real | decimal.Decimal):
        _refuse("age", value, f"must be a whole number of years from 0 to 130, not {type(value).__name__}")
    number = float(value) if not isinstance(value, numbers.Integral) else value
    if isinstance(number, float) and (not math.isfinite(number) or not number.is_integer()):
        _refuse("age", value, f"must be a whole number of years from 0 to 130, not {_show(value)}")
    low, high = _RANGES["age"]
    if not low <= int(number) <= high:
        _refuse("age", value, f"must be from {low} to {high}, not {_show(int(number))}")
    return int(number)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def _profile_error(exc: ValidationError) -> ProfileError:
    error = exc.errors(include_url=False)[0]
    inner = (error.get("ctx") or {}).get("error")
    if isinstance(inner, ProfileError):  # raised by our own validators, already precise
        return inner
    loc = error.get("loc", ())
    field = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))
    message = error.get("msg", "is not valid")
    message = message.removeprefix("Value error, ")
    allowed = sorted(ClientProfile.model_fields)
    if error.get("type") == "extra_forbidden":
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

    Ids are normalised (NFKC, trimmed, lower case, spaces and hyphens to ``_``),
    and lists are de-duplicated and sorted, so neither spelling nor order
    changes a result. ``health`` entries are finding ids, optionally tied to one
    area as ``id@area`` (``"varicose_veins@calf"``). ``conditions`` holds known
    diagnoses, by id or ICD-10-CM code. Give ``phase``, ``days_since_onset``, or
    both if they agree. Any bad value raises :class:`ProfileError`.
    """

    areas: tuple[str, ...] = Field(min_length=1)
    cause: str | None = None
    severity: int = Field(ge=0, le=10, description="pain on the 0-10 numeric rating scale")
    phase: str | None = None
    days_since_onset: int | None = Field(default=None, ge=0, le=36_500)
    goals: tuple[str, ...] = Field(min_length=1)
    health: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    age: int | None = Field(
        default=None, ge=0, le=130, description="the client's age in years, for age-linked red flags"
    )
    cleared: tuple[str, ...] = ()  # screening questions already asked and answered "no", by rule id

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _profile_error(exc) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> "ClientProfile":
        """Build a profile from a mapping; raise :class:`ProfileError` on any bad value."""
        if isinstance(obj, ClientProfile):
            return obj
        if not isinstance(obj, dict):
            raise ProfileError("profile", obj, f"must be a mapping of fields, not {type(obj).__name__}")
        for key in obj:
            if not isinstance(key, str):
                allowed = sorted(cls.model_fields)
                raise ProfileError("profile", key, f"the key {_show(key)} is not a profile field", allowed)
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise _profile_error(exc) from None

    @field_validator("areas", "goals", mode="before")
    @classmethod
    def _ids(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        name = str(info.field_name)
        cleaned = _clean_ids(_as_list(value, name), name, normalise_id)
        if not cleaned:
            _refuse(name, value, "needs at least one entry")
        return cleaned

    @field_validator("health", mode="before")
    @classmethod
    def _health(cls, value: Any) -> tuple[str, ...]:
        return _clean_health(_as_list(value, "health"))

    @field_validator("conditions", mode="before")
    @classmethod
    def _conditions(cls, value: Any) -> tuple[str, ...]:
        return _clean_ids(_as_list(value, "conditions"), "conditions", _normalise_diagnosis)

    @field_validator("cause", "phase", mode="before")
    @classmethod
    def _single_id(cls, value: Any, info: ValidationInfo) -> str | None:
        name = str(info.field_name)
        if value is None:
            return None
        if not isinstance(value, str):
            _refuse(name, value, f"must be a string, not {type(value).__name__}")
        return _ascii_id(value, name, normalise_id) or None

    @field_validator("severity", "days_since_onset", mode="before")
    @classmethod
    def _whole_number(cls, value: Any, info: ValidationInfo) -> int | None:
        name = str(info.field_name)
        low, high = _RANGES[name]
        if value is None and name == "days_since_onset":
            return None
        if isinstance(value, str):
            digits = unicodedata.normalize("NFKC", value).strip()
            if digits.isascii() and digits.isdigit():  # "6" means 6; words are read by parse_profile
                if len(digits) > 6:
                    _refuse(name, value, f"must be from {low} to {high}, not {digits[:12]}... ({len(digits)} digits)")
                value = int(digits)
        if isinstance(value, bool) or not isinstance(value, numbers.Real | decimal.Decimal):
            kind = f"the text {_show(value)}" if isinstance(value, str) else type(value).__name__
            _refuse(name, value, f"must be a whole number from {low} to {high}, not {kind}")
        if not isinstance(value, numbers.Integral):
            number = float(value)
            if not math.isfinite(number) or not number.is_integer():
                _refuse(name, value, f"must be a whole number from {low} to {high}, not {_show(value)}")
            value = int(number)
        if not low <= value <= high:
            _refuse(name, value, f"must be from {low} to {high}, not {_show(int(value))}")
        return int(value)

    @field_validator("age", mode="before")
    @classmethod
    def _age_years(cls, value: Any) -> int | None:
        if value is None:
            return None
        return _whole_years(value)

    @field_validator("cleared", mode="before")
    @classmethod
    def _cleared(cls, value: Any) -> tuple[str, ...]:
        return _clean_ids(_as_list(value, "cleared"), "cleared", normalise_id)

    @model_validator(mode="after")
    def _has_timing(self) -> Self:
        if self.phase is None and self.days_since_onset is None:
            _refuse("phase", None, "give phase or days_since_onset (or both)")
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
    screening_questions: tuple[ScreeningQuestion, ...] = ()  # ask these before treating


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
