"""Profiles from a batch file: :func:`read_profiles` turns CSV or JSON lines into one profile or error per row.

One bad row never ends a batch: each row becomes a :class:`ProfileRow` that holds
its profile or the :class:`~massage_rules.ProfileError` that stopped it, with its
line number and the client's id. Lines and cells are bounded, so no file can
exhaust memory; pipes and devices are refused, so nothing blocks; a key or column
given twice is refused per row, as in profile files. Columns and keys that are not
profile fields (a clinic export's name, phone or notes) are ignored, and each row
says which.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from massage_rules.engine.batch_lines import (
    FIELDS,
    ID_COLUMNS,
    BadLineError,
    Lines,
    ProfileRow,
    error_row,
    file_error,
    profile_row,
)
from massage_rules.engine.csv_rows import CsvLayout, csv_rows, read_header
from massage_rules.engine.profile_files import _JsonError, _parse_json
from massage_rules.errors import ProfileError
from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models.profile import normalise_id

__all__ = ["SUFFIXES", "ProfileReader", "ProfileRow", "read_profiles"]

SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_profiles(
    path: str | os.PathLike[str], knowledge: KnowledgeBase | None = None, *, id_column: str | None = None
) -> Iterator[ProfileRow]:
    """Each row of a ``.csv``, ``.jsonl`` or ``.ndjson`` file (``"-"``: JSON lines on stdin) as a :class:`ProfileRow`.

    Lazy: a file of any size is read row by row. ``knowledge`` reads severity words
    (the bundled base when None). ``id_column`` names the column or key that holds
    the client's id; by default ``client_id``, else ``id``. A file that cannot be
    read as a whole (missing, a pipe or device, not UTF-8 in the header, a header
    with no profile field) raises :class:`~massage_rules.ProfileError` at once.
    """
    return ProfileReader(path, knowledge, id_column=id_column).rows()


def _open(path: str) -> tuple[IO[bytes], int]:
    """Open a regular file without ever blocking (a FIFO opens at once, then is refused), and its size."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise file_error(path, f"cannot be read: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise file_error(path, "is a directory, not a batch file")
        raise file_error(path, "is not a regular file (a pipe or a device); save the batch to a file, or use -")
    return os.fdopen(fd, "rb"), info.st_size


class ProfileReader:
    """An open batch file: its rows, and how much of it has been read (for a progress report)."""

    def __init__(
        self, path: str | os.PathLike[str], knowledge: KnowledgeBase | None = None, *, id_column: str | None = None
    ) -> None:
        name = os.fspath(path)
        if id_column is not None and not normalise_id(id_column):
            raise ProfileError("id_column", id_column, "is empty; name the column that holds the client's id")
        if id_column is not None and normalise_id(id_column) in FIELDS:
            raise ProfileError("id_column", id_column, f"'{id_column}' is a profile field, not an id")
        self.knowledge = knowledge
        self.id_column = id_column
        self.size: int | None = None
        self.stream: IO[bytes]
        if name == "-":
            if sys.stdin is None:
                raise file_error("-", "names standard input, which is closed")
            self.name, self.kind, self.stream, self.owned = "<stdin>", "jsonl", sys.stdin.buffer, False
        else:
            kind = SUFFIXES.get(Path(name).suffix.lower())
            if kind is None:
                raise file_error(name, "is not a batch file: give a .csv or .jsonl file (or - for JSON lines on stdin)")
            self.name, self.kind, self.owned = name, kind, True
            self.stream, self.size = _open(name)
        self.lines = Lines(self.stream)
        self._csv: CsvLayout | None = None
        if self.kind == "csv":
            try:
                self._csv = read_header(self.lines, self.name, id_column)
            except BaseException:
                self.close()
                raise

    @property
    def bytes_read(self) -> int:
        """Bytes of the file read so far."""
        return self.lines.bytes_read

    def close(self) -> None:
        """Close the file (never stdin)."""
        if self.owned:
            self.stream.close()

    def rows(self) -> Iterator[ProfileRow]:
        """Every row, in file order; the file is closed once they are read."""
        try:
            if self._csv is not None:
                yield from csv_rows(self.lines, self._csv, self.knowledge)
            else:
                yield from _jsonl_rows(self)
        except OSError as exc:
            raise file_error(self.name, f"cannot be read: {exc.strerror or exc}") from None
        finally:
            self.close()


def _jsonl_rows(reader: ProfileReader) -> Iterator[ProfileRow]:
    while True:
        try:
            got = reader.lines.next()
        except BadLineError as bad:
            if bad.utf16:
                raise file_error(reader.name, bad.message) from None
            yield error_row(bad.number, None, bad.message)
            continue
        if got is None:
            return
        number, line = got
        if line.strip():
            yield _jsonl_row(number, line, reader.id_column, reader.knowledge)


def _jsonl_row(row: int, line: str, id_column: str | None, knowledge: KnowledgeBase | None) -> ProfileRow:
    try:
        data = _parse_json(line)
    except json.JSONDecodeError as exc:
        return error_row(row, None, f"is not valid JSON: {exc.msg} (column {exc.colno})")
    except _JsonError as exc:  # a duplicate key, deep nesting, an enormous integer
        text = str(exc)
        return error_row(row, None, "is " + text if text.startswith("not valid JSON") else text)
    if not isinstance(data, dict):
        return error_row(row, None, f"must be a JSON object of profile fields, not {type(data).__name__}")
    key = id_column if id_column is not None else next((c for c in ID_COLUMNS if c in data), None)
    fields = {name: value for name, value in data.items() if name in FIELDS}
    ignored = tuple(name for name in data if name not in FIELDS and name != key)
    raw_id = data.get(key) if key is not None else None
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | None):
        return error_row(row, None, f"must be text or a whole number, not {type(raw_id).__name__}", ignored, field="id")
    client = None if raw_id is None else str(raw_id).strip() or None
    return profile_row(row, client, fields, knowledge, ignored)
