"""The lines of a batch file, and the row each becomes: the parts CSV and JSON lines share.

A line is read with a bound on its length, so no file can exhaust memory; a line
that is too long or not UTF-8 is one bad row, not the end of the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from massage_rules.engine.profile_files import parse_profile
from massage_rules.errors import ProfileError
from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models import ClientProfile

__all__ = [
    "FIELDS",
    "ID_COLUMNS",
    "MAX_ID_CHARS",
    "MAX_LINE_BYTES",
    "BadLineError",
    "Lines",
    "ProfileRow",
    "bad_id",
    "error_row",
    "file_error",
    "profile_row",
]

ID_COLUMNS = ("client_id", "id")  # the id column when none is named: the first of these present
MAX_LINE_BYTES = 1024 * 1024  # one line; a real row is well under a kilobyte (a profile file has the same limit)
MAX_ID_CHARS = 200
FIELDS = frozenset(ClientProfile.model_fields)


@dataclass(frozen=True, slots=True)
class ProfileRow:
    """One row of a batch file: where it is, whose it is, and its profile or the error that stopped it.

    ``row`` is the line the row starts on (a CSV header is line 1); ``id`` the
    client's id from the id column, or None; exactly one of ``profile`` and
    ``error`` is set. ``ignored`` names the row's columns or keys that are not
    profile fields. The profile's shape is checked here; its values against the
    vocabulary by :func:`~massage_rules.recommend`, which may still raise.
    """

    row: int
    id: str | None
    profile: ClientProfile | None
    error: ProfileError | None
    ignored: tuple[str, ...] = ()


def file_error(path: str, message: str, line: int = 0) -> ProfileError:
    """The error for a batch file as a whole (field ``file``), at a line when there is one."""
    return ProfileError("file", path, f"'{path}', line {line}: {message}" if line else f"'{path}' {message}")


class BadLineError(Exception):
    """One line that cannot be read as text: longer than the limit, or not UTF-8 (``utf16``: the whole file)."""

    def __init__(self, number: int, message: str, *, utf16: bool = False) -> None:
        super().__init__(message)
        self.number = number
        self.message = message
        self.utf16 = utf16


class Lines:
    """The lines of a byte stream as text, numbered from 1; a line over the limit is skipped, not kept."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.number = 0
        self.bytes_read = 0

    def next(self) -> tuple[int, str] | None:
        """The next line and its number; None at the end; raises :class:`BadLineError` for a line that is not text."""
        raw = self.stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return None
        self.number += 1
        self.bytes_read += len(raw)
        if self.number == 1 and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise BadLineError(1, "is UTF-16 text; save it as UTF-8", utf16=True)
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (chunk := self.stream.readline(1 << 16)) and not chunk.endswith(b"\n"):
                self.bytes_read += len(chunk)
            self.bytes_read += len(chunk)
            raise BadLineError(self.number, f"is longer than {MAX_LINE_BYTES} bytes")
        try:
            return self.number, raw.decode("utf-8-sig" if self.number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise BadLineError(self.number, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None


def profile_row(
    row: int, client: str | None, fields: dict[str, Any], knowledge: KnowledgeBase | None, ignored: tuple[str, ...]
) -> ProfileRow:
    """The row that a row's fields make: its profile, or the first thing wrong with it or with its id."""
    if client is not None and (problem := bad_id(client)):
        return error_row(row, None, problem, ignored, field="id")
    try:
        return ProfileRow(row, client, parse_profile(fields, knowledge), None, ignored)
    except ProfileError as exc:
        return ProfileRow(row, client, None, exc, ignored)


def bad_id(client: str) -> str | None:
    """Why an id cannot be echoed into JSON, CSV and a terminal as it is, or None."""
    if len(client) > MAX_ID_CHARS:
        return f"is {len(client)} characters long; at most {MAX_ID_CHARS}"
    if not client.isprintable():
        odd = next(c for c in client if not c.isprintable())
        return f"holds the unprintable character U+{ord(odd):04X}"
    return None


def error_row(
    row: int, client: str | None, message: str, ignored: tuple[str, ...] = (), *, field: str = "profile"
) -> ProfileRow:
    """A row that is not a profile: ``field`` is ``profile`` when the row as a whole is bad."""
    return ProfileRow(row, client, None, ProfileError(field, None, message), ignored)
