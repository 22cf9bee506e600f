"""A client's course history in a plain YAML or JSON file, read with line numbers, written atomically.

The file holds the profile the course started from, a stamp of the knowledge
used, and one record per session in date order. Writes go to a temporary file in
the same folder, are flushed to disk, then replace the old file in one step, so
a crash leaves either the old file or the new one, never half of either; a
change (:func:`change_history`) holds the file's lock from read to write, so
concurrent changes take turns (see :mod:`massage_rules.course.files`).
"""

from __future__ import annotations

import datetime as dt
import json
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from massage_rules.course.files import HistoryWriteError, check_writable, history_lock, write_atomic
from massage_rules.course.records import SessionRecord, check_findings, session_record
from massage_rules.engine.profile_files import _JsonError, _parse_json
from massage_rules.errors import HistoryError, ProfileError, close_match
from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.knowledge.yaml_files import YamlLoadError, load_yaml_text, locate
from massage_rules.models import ClientProfile

__all__ = [
    "CourseHistory",
    "HistoryWriteError",
    "add_session",
    "change_history",
    "dump_history",
    "load_history",
    "save_history",
    "write_atomic",
]

MAX_HISTORY_BYTES = 5 * 1024 * 1024
KIND = "massage_rules.course"
_KEYS = ("format", "kind", "started", "knowledge", "profile", "sessions")


class CourseHistory(BaseModel):
    """One client's course: where it started, with which knowledge, and every session since."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1] = 1
    kind: Literal["massage_rules.course"] = "massage_rules.course"
    started: dt.date
    knowledge: dict[str, str] = {}
    profile: ClientProfile
    sessions: tuple[SessionRecord, ...] = ()


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _read(path: Path) -> Any:
    name = str(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise HistoryError("is a directory, not a history file", file=name)
        if not stat.S_ISREG(info.st_mode):  # a pipe or a device would block the read
            raise HistoryError("is not a regular file", file=name)
        with path.open("rb") as handle:
            raw = handle.read(MAX_HISTORY_BYTES + 1)
    except OSError as exc:
        raise HistoryError(f"cannot be read: {exc.strerror or exc}", file=name) from None
    if len(raw) > MAX_HISTORY_BYTES:
        raise HistoryError(f"is larger than {MAX_HISTORY_BYTES} bytes", file=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HistoryError("is not UTF-8 text", file=name, line=raw[: exc.start].count(b"\n") + 1) from None
    try:
        return _parse_json(text) if _is_json(path) else load_yaml_text(text)
    except json.JSONDecodeError as exc:
        raise HistoryError(f"not valid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    except _JsonError as exc:  # duplicate keys, too deep, a number too long to read
        raise HistoryError(str(exc), file=name) from None
    except YamlLoadError as exc:
        raise HistoryError(exc.message, file=name, line=exc.line) from None


def load_history(path: str | Path, knowledge: KnowledgeBase | None = None) -> CourseHistory:
    """Read and check a history file; raise :class:`HistoryError` with the file and line of the problem.

    With ``knowledge``, session findings are also checked against its vocabulary.
    """
    path = Path(path)
    name = str(path)
    data = _read(path)

    def fail(message: str, *loc: str | int, field: str | None = None) -> HistoryError:
        return HistoryError(message, file=name, line=locate(data, loc)[0], field=field)

    if not isinstance(data, Mapping):
        raise HistoryError("must hold a mapping with 'profile' and 'sessions'", file=name, line=1)
    for key in data:
        if key not in _KEYS:
            hint = close_match(str(key), _KEYS)
            tail = f"; did you mean '{hint}'?" if hint else ""
            raise fail(f"'{key}' is not a history field{tail}", str(key))
    if data.get("format", 1) != 1:
        raise fail(f"format {data.get('format')!r} is not supported; this version reads format 1", "format")
    if data.get("kind", KIND) != KIND:
        raise fail(f"kind must be '{KIND}'", "kind")
    for key in ("started", "profile"):
        if key not in data:
            raise HistoryError(f"'{key}' is required", file=name, line=1)
    started = data["started"]
    if isinstance(started, str):
        try:
            started = dt.date.fromisoformat(started.strip())
        except ValueError:
            raise fail(f"{started!r} is not a date; write it as YYYY-MM-DD", "started", field="started") from None
    if isinstance(started, dt.datetime) or not isinstance(started, dt.date):
        raise fail("must be a date written as YYYY-MM-DD", "started", field="started")
    stamp = data.get("knowledge", {})
    if not isinstance(stamp, Mapping) or not all(isinstance(v, str) for v in stamp.values()):
        raise fail("must map 'version' and 'content_hash' to text", "knowledge", field="knowledge")
    try:
        profile = ClientProfile.model_validate(dict(data["profile"]) if isinstance(data["profile"], Mapping) else None)
    except ProfileError as exc:
        raise fail(str(exc).removeprefix("profile: "), "profile", field="profile") from None
    raw_sessions = data.get("sessions") or []
    if not isinstance(raw_sessions, list):
        raise fail("must be a list of session records", "sessions", field="sessions")
    records: list[SessionRecord] = []
    for i, item in enumerate(raw_sessions):
        try:
            record = session_record(item, field=f"sessions[{i}]")
        except HistoryError as exc:
            key = (exc.field or "").removeprefix(f"sessions[{i}]").lstrip(".").split(".")[0].split("[")[0]
            raise fail(exc.reason, "sessions", i, *([key] if key else []), field=exc.field) from None
        if record.date < started:
            raise fail(
                f"{record.date.isoformat()} is before the course started ({started.isoformat()})",
                "sessions",
                i,
                "date",
                field=f"sessions[{i}].date",
            )
        if records and record.date <= records[-1].date:
            raise fail(
                f"{record.date.isoformat()} is not after the session above it ({records[-1].date.isoformat()}); "
                "sessions must be in date order, one a day",
                "sessions",
                i,
                "date",
                field=f"sessions[{i}].date",
            )
        records.append(record)
    if knowledge is not None:
        try:
            check_findings(records, knowledge)
        except HistoryError as exc:
            index = int((exc.field or "sessions[0]").split("[")[1].split("]")[0])
            raise fail(exc.reason, "sessions", index, "health", field=exc.field) from None
    return CourseHistory(started=started, knowledge=dict(stamp), profile=profile, sessions=tuple(records))


def add_session(
    history: CourseHistory, record: SessionRecord | Mapping[str, Any], *, today: dt.date | None = None
) -> CourseHistory:
    """Return ``history`` with one more session; it must come after every session already there, and not after today.

    A session is a record of what happened, so a date after ``today`` (default:
    the local date) is a typo, and one far ahead would block every later session.
    """
    record = session_record(record)
    today = today or dt.date.today()
    if record.date > today:
        raise HistoryError(
            f"{record.date.isoformat()} is after today ({today.isoformat()}); record a session once it has taken place",
            field="date",
        )
    if record.date < history.started:
        raise HistoryError(
            f"{record.date.isoformat()} is before the course started ({history.started.isoformat()})", field="date"
        )
    if history.sessions and record.date <= history.sessions[-1].date:
        last = history.sessions[-1].date
        hint = "; the last session is dated after today: correct its date in the file" if last > today else ""
        raise HistoryError(
            f"{record.date.isoformat()} is not after the last session ({last.isoformat()}); "
            f"add sessions in date order, one a day{hint}",
            field="date",
        )
    return history.model_copy(update={"sessions": (*history.sessions, record)})


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dump_history(history: CourseHistory, path: str | Path) -> str:
    """The text of ``history`` as YAML, or as JSON when ``path`` ends in ``.json``."""
    if _is_json(Path(path)):
        return json.dumps(history.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False) + "\n"
    data = _plain(history.model_dump(exclude_none=True))
    data["profile"] = _plain(history.profile.model_dump(exclude_defaults=True))
    head = "# A massage_rules course history: add sessions with `massage-rules course add`.\n"
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)


def save_history(history: CourseHistory, path: str | Path, *, exclusive: bool = False) -> None:
    """Write ``history`` atomically into the real file behind ``path`` (a symbolic link stays a link).

    With ``exclusive`` the file must not exist yet. Raises :class:`HistoryWriteError`
    (a :class:`HistoryError`) when the file cannot be written.
    """
    try:
        write_atomic(path, dump_history(history, path), exclusive=exclusive)
    except FileExistsError:
        raise HistoryError("already exists", file=str(path)) from None
    except OSError as exc:
        raise HistoryWriteError(f"cannot be written: {exc.strerror or exc}", file=str(path)) from None


def change_history(
    path: str | Path, change: Callable[[CourseHistory], CourseHistory], knowledge: KnowledgeBase | None = None
) -> CourseHistory:
    """Read the history at ``path``, apply ``change`` and save the result, holding its lock throughout.

    Concurrent changes take turns, so none is lost; a read-only file is refused
    rather than replaced. Returns the saved history.
    """
    with history_lock(path) as target:
        check_writable(path, target)
        updated = change(load_history(path, knowledge))
        save_history(updated, path)
    return updated
