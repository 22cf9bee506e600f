"""``suggest --batch FILE``: many profiles from CSV or JSON lines in, one JSON line per profile out.

The file is read as a stream, row by row, so its size does not matter. A bad
row does not stop the batch: its line on stdout is ``{"row": N, "error": ...}``
(so output line i still answers input row i), the same message goes to stderr,
and the exit code is 2 once the batch is done. A header that names an unknown
field, or an unreadable file, stops before any row (exit 2).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from massage_rules.engine.profile_files import parse_profile
from massage_rules.engine.recommend import recommend
from massage_rules.errors import ProfileError
from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models import ClientProfile

__all__ = ["LIST_SEPARATOR", "read_rows", "run_batch"]

LIST_SEPARATOR = ";"  # inside one CSV cell: "neck;upper_back"
_LIST_FIELDS = frozenset({"areas", "goals", "health", "conditions", "cleared"})
_FIELDS = frozenset(ClientProfile.model_fields)
PROGRESS_AFTER_ROWS = 2_000  # a short batch finishes before a bar would help


class BatchInputError(Exception):
    """The batch file as a whole cannot be read: no row is processed."""


class _Counted:
    """Lines of a binary file as text, counting the bytes read so far for the progress bar."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.bytes_read = 0

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self.stream, start=1):
            self.bytes_read += len(raw)
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise BatchInputError(f"line {number}: is not UTF-8 text") from None


def _csv_rows(lines: _Counted) -> Iterator[tuple[int, dict[str, Any] | ProfileError]]:
    reader = csv.reader(iter(lines))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    unknown = [name for name in header if name not in _FIELDS]
    if unknown:
        allowed = ", ".join(sorted(_FIELDS))
        raise BatchInputError(f"line 1: unknown column '{unknown[0]}'; the columns are {allowed}")
    for cells in reader:
        row = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield row, ProfileError("profile", None, f"has {len(cells)} cells but the header has {len(header)}")
            continue
        fields: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=False):
            value = cell.strip()
            if not value:
                continue
            if name in _LIST_FIELDS:
                fields[name] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
            elif name == "days_since_onset":
                if not value.isdigit():
                    yield row, ProfileError(name, value, f"'{value}' is not a whole number of days")
                    break
                fields[name] = int(value)
            else:
                fields[name] = value
        else:
            yield row, fields


def _jsonl_rows(lines: _Counted) -> Iterator[tuple[int, dict[str, Any] | ProfileError]]:
    for row, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield row, ProfileError("profile", None, f"is not valid JSON: {exc.msg}")
            continue
        if not isinstance(data, dict):
            yield (
                row,
                ProfileError("profile", None, f"must be a JSON object of profile fields, not {type(data).__name__}"),
            )
            continue
        yield row, data


def read_rows(path: str) -> tuple[Iterator[tuple[int, dict[str, Any] | ProfileError]], _Counted, int | None]:
    """Rows of a CSV or JSON-lines file (``-``: JSON lines on stdin), lazily, with their line numbers."""
    if path == "-":
        lines = _Counted(sys.stdin.buffer)
        return _jsonl_rows(lines), lines, None
    suffix = Path(path).suffix.lower()
    if suffix not in {".csv", ".jsonl", ".ndjson"}:
        raise BatchInputError(f"{path}: give a .csv or .jsonl file (or - for JSON lines on stdin)")
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the caller once the rows are read
    except IsADirectoryError:
        raise BatchInputError(f"{path}: is a directory, not a batch file") from None
    except OSError as exc:
        raise BatchInputError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    size = Path(path).stat().st_size
    lines = _Counted(stream)
    return (_csv_rows(lines) if suffix == ".csv" else _jsonl_rows(lines)), lines, size


class _Progress:
    """A one-line progress report on stderr, only when stderr is a terminal and the batch is long."""

    def __init__(self, total_bytes: int | None) -> None:
        self.enabled = sys.stderr.isatty()
        self.total = total_bytes
        self.start = time.monotonic()
        self.shown = False
        self.last = 0.0

    def update(self, rows: int, bytes_read: int, final: bool = False) -> None:
        if not self.enabled or (rows < PROGRESS_AFTER_ROWS and not self.shown):
            return
        now = time.monotonic()
        if not final and now - self.last < 0.2:
            return
        self.last = now
        rate = rows / max(now - self.start, 1e-9)
        share = f"{100 * bytes_read / self.total:5.1f}% " if self.total else ""
        sys.stderr.write(f"\r{share}{rows:,} profiles, {rate:,.0f}/s")
        if final:
            sys.stderr.write("\n")
        sys.stderr.flush()
        self.shown = True


def run_batch(path: str, knowledge: KnowledgeBase, out: IO[str]) -> int:
    """Answer every row of ``path`` as a JSON line on ``out``; return the exit code (0, or 2 if a row was bad)."""
    try:
        rows, lines, size = read_rows(path)
    except BatchInputError as exc:
        print(f"suggest: {exc}", file=sys.stderr)
        return 2
    progress = _Progress(size)
    done = bad = 0
    write = out.write
    try:
        for row, fields in rows:
            try:
                if isinstance(fields, ProfileError):
                    raise fields
                text = recommend(parse_profile(fields, knowledge), knowledge).model_dump_json()
            except ProfileError as exc:
                bad += 1
                print(f"suggest: row {row}: {exc}", file=sys.stderr)
                text = json.dumps(
                    {"row": row, "error": {"field": exc.field, "message": str(exc)}}, separators=(",", ":")
                )
            write(text + "\n")
            done += 1
            if done % 256 == 0:
                progress.update(done, lines.bytes_read)
    except BatchInputError as exc:
        print(f"suggest: {path}: {exc}", file=sys.stderr)
        return 2
    finally:
        if path != "-":
            lines.stream.close()
    progress.update(done, lines.bytes_read, final=True)
    if bad:
        print(f"suggest: {bad} of {done} rows were not answered (see above)", file=sys.stderr)
        return 2
    return 0
