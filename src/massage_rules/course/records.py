"""Session records: what a therapist notes after each session, validated with the field at fault named."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from massage_rules.errors import HistoryError, close_match
from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models.profile import _normalise_health

__all__ = ["SessionRecord", "check_findings", "session_record"]

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


def check_findings(records: Sequence[SessionRecord], knowledge: KnowledgeBase) -> None:
    """Every finding (and area) the records name is one the knowledge defines; else a located HistoryError."""
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
