"""The client profile: what a caller gives, its shape checked and its ids normalised on construction."""

import decimal
import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Sequence, Set as AbstractSet
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeAlias

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from massage_rules._codes import looks_like_icd10, normalise_icd10
from massage_rules.errors import ProfileError, close_match
from massage_rules.models.base import Frozen as _Frozen

__all__ = ["SCHEMA_VERSION", "ClientProfile", "Ids", "normalise_id"]

SCHEMA_VERSION = "1.2"
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
        kind = f"the text {_show(value)}" if isinstance(value, str) else type(value).__name__
        _refuse("age", value, f"must be a whole number of years from 0 to 130, not {kind}")
    number = float(value) if not isinstance(value, numbers.Integral) else value
    if isinstance(number, float) and (not math.isfinite(number) or not number.is_integer()):
        _refuse("age", value, f"must be a whole number of years from 0 to 130, not {_show(value)}")
    low, high = _RANGES["age"]
    if not low <= int(number) <= high:
        _refuse("age", value, f"must be from {low} to {high}, not {_show(int(number))}")
    return int(number)


def _profile_error(exc: ValidationError) -> ProfileError:
    """The first problem as a ProfileError; an unknown key goes first, as it is usually a misspelt field."""
    errors = exc.errors(include_url=False)
    error = next((e for e in errors if e.get("type") == "extra_forbidden"), errors[0])
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


Ids: TypeAlias = str | Sequence[str] | AbstractSet[str]  # what a list field of a profile takes


class ClientProfile(_Frozen):
    """What a therapist knows about the client: where it hurts, why, how much, since when, what for.

    Ids are normalised (NFKC, trimmed, lower case, spaces and hyphens to ``_``),
    and lists are de-duplicated and sorted, so neither spelling nor order
    changes a result. ``health`` entries are finding ids, optionally tied to one
    area as ``id@area`` (``"varicose_veins@calf"``). ``conditions`` holds known
    diagnoses, by id or ICD-10-CM code. Give ``phase``, ``days_since_onset``, or
    both if they agree. ``age`` (years) is optional; ``cleared`` lists the
    screening questions already asked and answered "no", by rule id. Any bad value raises :class:`ProfileError` from the
    constructor and :meth:`model_validate`; validated from elsewhere (inside
    another model, a ``TypeAdapter``, a FastAPI body) it is pydantic's
    ``ValidationError``, located at the field, with the ProfileError in its context.
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

    if TYPE_CHECKING:  # what type checkers see: the fields as keywords, so a misspelt one is an error

        def __init__(
            self,
            *,
            areas: Ids,
            severity: int,
            goals: Ids,
            cause: str | None = None,
            phase: str | None = None,
            days_since_onset: int | None = None,
            health: Ids = (),
            conditions: Ids = (),
            age: int | None = None,
            cleared: Ids = (),
        ) -> None: ...

    else:

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as exc:
                raise _profile_error(exc) from None

        # Mark this __init__ as pydantic's own, so that validation which does not go through
        # it (FastAPI, TypeAdapter, a profile inside a result) is pydantic's: a ValidationError
        # that locates each problem at its field. Without the mark, pydantic would run it, and
        # the ProfileError it raises would become one error for the whole model.
        __init__.__pydantic_base_init__ = True

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
