"""CSV batch files: a header that says what each column is, then records that may span lines, each one row.

A quoted cell may span lines (a clinic's notes often do), but a quote left open
must not swallow the rows after it: a record is cut off when a line inside it looks
like a row of its own or it runs over ``MAX_RECORD_LINES`` lines, reported as one
bad row, and its lines after the first are read again as rows. Profile values and
ids never span lines. A column given twice is refused for a row that fills both.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from massage_rules.engine.batch_lines import (
    FIELDS,
    ID_COLUMNS,
    BadLineError,
    Lines,
    ProfileRow,
    bad_id,
    error_row,
    file_error,
    profile_row,
)
from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models.profile import normalise_id

__all__ = ["LIST_SEPARATOR", "MAX_RECORD_LINES", "CsvLayout", "csv_rows", "read_header"]

LIST_SEPARATOR = ";"  # inside one CSV cell: "neck;upper_back"
MAX_RECORD_LINES = 100  # a quoted CSV cell running over more lines has lost its closing quote
_LIST_FIELDS = frozenset({"areas", "goals", "health", "conditions", "cleared"})


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """What each column of a CSV header is: a profile field, the id, or ignored (None)."""

    columns: tuple[str | None, ...]
    names: tuple[str, ...]
    id_index: int | None
    ignored: tuple[str, ...]


def read_header(lines: Lines, name: str, id_column: str | None) -> CsvLayout:
    """The layout that the first non-blank line of a CSV file gives; raises ProfileError if it is no header."""
    while True:
        try:
            first = lines.next()
        except BadLineError as bad:
            raise file_error(name, bad.message, 0 if bad.utf16 else bad.number) from None
        if first is None:
            return CsvLayout((), (), None, ())  # an empty file: no rows
        if first[1].strip():
            break
    try:
        names = next(csv.reader([first[1]], strict=True))
    except csv.Error as exc:
        raise file_error(name, f"the header is not valid CSV: {_csv_message(exc)}", first[0]) from None
    return _csv_layout(name, first[0], names, id_column)


def _csv_layout(path: str, line: int, names: list[str], id_column: str | None) -> CsvLayout:
    keys = [normalise_id(name) for name in names]
    wanted = normalise_id(id_column) if id_column is not None else next((c for c in ID_COLUMNS if c in keys), None)
    if wanted is not None and wanted not in keys:
        shown = ", ".join(name.strip() for name in names)
        raise file_error(path, f"has no id column '{id_column}' (the columns are {shown})", line)
    if not FIELDS.intersection(keys):
        fields = ", ".join(sorted(FIELDS))
        raise file_error(path, f"the header names no profile field ({fields}); is this line a header?", line)
    columns = tuple(key if key in FIELDS or key == wanted else None for key in keys)
    ignored = tuple(name.strip() for name, key in zip(names, columns, strict=True) if key is None and name.strip())
    id_index = keys.index(wanted) if wanted is not None else None
    return CsvLayout(columns, tuple(name.strip() for name in names), id_index, ignored)


class _RunawayError(Exception):
    """A CSV record that runs over more lines than a row can: a quote left open."""


class _Source:
    """The lines csv.reader parses, with the lines of the record being read, and lines to read again."""

    def __init__(self, lines: Lines, width: int) -> None:
        self.lines = lines
        self.width = width
        self.again: deque[tuple[int, str | BadLineError]] = deque()
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.again:
            number, item = self.again.popleft()
            if isinstance(item, BadLineError):
                raise item
        else:
            got = self.lines.next()
            if got is None:
                raise StopIteration
            number, item = got
        if self.taken and (len(self.taken) >= MAX_RECORD_LINES or _looks_like_a_row(item, self.width)):
            self.again.appendleft((number, item))
            raise _RunawayError
        self.taken.append((number, item))
        return item

    def read_again(self, extra: tuple[tuple[int, str | BadLineError], ...] = ()) -> None:
        """Read the record's lines after its first again, as rows of their own: the record was not one row."""
        self.again.extendleft(reversed([*self.taken[1:], *extra]))


def _looks_like_a_row(line: str, width: int) -> bool:
    """A line inside a quoted cell that holds as many commas as a whole row: the cell's quote was never closed."""
    return width > 1 and line.count(",") >= width - 1


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if text.startswith("field larger than field limit"):
        return f"a cell is longer than {csv.field_size_limit()} characters"
    if text == "unexpected end of data":
        return "a quoted cell opens on this line and is never closed; is a closing quote missing?"
    if "expected after" in text:
        return 'a quoted cell has text after its closing quote; write a quote inside a cell as ""'
    return f"not valid CSV: {text.split(' - ')[0]}"


def csv_rows(lines: Lines, layout: CsvLayout, knowledge: KnowledgeBase | None) -> Iterator[ProfileRow]:
    """Each record after the header as a row, in file order."""
    source = _Source(lines, len(layout.columns))
    parser = csv.reader(source, strict=True)
    while True:
        source.taken.clear()
        try:
            cells = next(parser)
        except StopIteration:
            return
        except (BadLineError, _RunawayError, csv.Error) as exc:
            # The record is not a row. Its first line is reported; the lines after it are read again as rows.
            if isinstance(exc, BadLineError) and not source.taken:
                yield error_row(exc.number, None, exc.message)
            else:
                first, text = source.taken[0]
                yield error_row(first, _id_of(text, layout), _record_message(exc, first))
                source.read_again(((exc.number, exc),) if isinstance(exc, BadLineError) else ())
            parser = csv.reader(source, strict=True)  # a fresh parser: the old one stopped inside a record
            continue
        start = source.taken[0][0]
        broken = _broken_cell(cells, layout) if len(source.taken) > 1 else None
        if broken is not None:  # the quotes match, so the record is one row: a bad one
            end = source.taken[-1][0]
            message = f"the '{broken}' cell runs over lines {start} to {end}; values fit on one line"
            yield error_row(start, _id_of(source.taken[0][1], layout), message)
        elif any(cell.strip() for cell in cells):
            yield _csv_row(start, cells, layout, knowledge)


def _record_message(exc: Exception, first: int) -> str:
    if isinstance(exc, BadLineError):
        return f"a quoted cell opens on line {first} and is still open at line {exc.number}, which {exc.message}"
    if isinstance(exc, _RunawayError):
        return "a quoted cell opens on this line and runs on over the rows below; is a closing quote missing?"
    return _csv_message(exc) if isinstance(exc, csv.Error) else str(exc)


def _id_of(line: str, layout: CsvLayout) -> str | None:
    """The id on a line that is not a row, read loosely, so that its error can still name the client."""
    if layout.id_index is None:
        return None
    try:
        cells = next(csv.reader([line.rstrip("\r\n")]))
    except (csv.Error, StopIteration):
        return None
    client = cells[layout.id_index].strip() if layout.id_index < len(cells) else ""
    return client if client and bad_id(client) is None else None


def _broken_cell(cells: list[str], layout: CsvLayout) -> str | None:
    """The first profile or id column whose cell holds a line break: notes may span lines, values never do."""
    for index, cell in enumerate(cells):
        if "\n" in cell or "\r" in cell:
            column = layout.names[index] if index < len(layout.names) else f"column {index + 1}"
            if index >= len(layout.columns) or layout.columns[index] is not None:
                return column
    return None


def _csv_row(row: int, cells: list[str], layout: CsvLayout, knowledge: KnowledgeBase | None) -> ProfileRow:
    client: str | None = None
    if layout.id_index is not None and layout.id_index < len(cells):
        client = cells[layout.id_index].strip() or None
    if len(cells) > len(layout.columns):
        return error_row(
            row, client, f"has {len(cells)} cells but the header has {len(layout.columns)}", layout.ignored
        )
    fields: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for index, (key, cell) in enumerate(zip(layout.columns, cells, strict=False)):
        value = cell.strip()
        if key is None or not value:
            continue
        if key in seen:
            message = f"is filled in two columns ({seen[key] + 1} and {index + 1}); fill one"
            return error_row(row, client, message, layout.ignored, field=key)
        seen[key] = index
        if key in _LIST_FIELDS:
            fields[key] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        elif key in FIELDS:
            fields[key] = value
    return profile_row(row, client, fields, knowledge, layout.ignored)
