"""``suggest --batch FILE``: a clinic export (CSV or JSON lines) in, one line per client out.

Rows are read by :func:`~massage_rules.engine.profile_rows.read_profiles`, as a
stream, so the file's size does not matter. A bad row does not stop the batch:
its output line is ``{"row": N, "id": ..., "error": ...}`` (so output line i still
answers input row i), the message goes to stderr too, and the exit code is 2 once
the batch is done. Only a file that cannot be read as a whole stops it before any
row (exit 2). Formats: ``json`` (the whole answer, sources cited by id, the source
list once in a last line), ``summary`` (one short JSON line per client) and ``csv``.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from json.encoder import encode_basestring_ascii
from typing import IO, Any, Protocol

from massage_rules.cli.streams import say
from massage_rules.engine.profile_rows import ProfileReader, ProfileRow
from massage_rules.engine.recommend import recommend
from massage_rules.errors import ProfileError, close_match
from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models import ClientProfile, Recommendation, SourceRef

__all__ = ["BATCH_FORMATS", "run_batch"]

BATCH_FORMATS = ("json", "summary", "csv")
PROGRESS_AFTER_ROWS = 2_000  # a short batch finishes before a bar would help
SHOWN_ERRORS = 20  # bad rows told on stderr; every one is in the output
TOP_TECHNIQUES = 3  # techniques named in a summary line or CSV row
NAMED_IGNORED = 50  # columns or keys left out that are named; a hostile file could have millions
_NOT_SOURCES = {"sources"}


class _Writer(Protocol):
    def answer(self, item: ProfileRow, result: Recommendation) -> None: ...
    def error(self, item: ProfileRow, exc: ProfileError) -> None: ...
    def finish(self, rows: int, bad: int, ignored: list[str]) -> None: ...


_string = encode_basestring_ascii  # one JSON string, in C


def _dumps(value: object) -> str:
    """Compact JSON, ASCII only, so any id or message survives any terminal or file encoding."""
    return json.dumps(value, separators=(",", ":"))


def _error(exc: ProfileError) -> dict[str, Any]:
    return {"field": exc.field, "message": str(exc), "suggestion": exc.suggestion}


class _JsonLines:
    """The whole answer per row, its sources cited by id; the cited sources once, in a last line."""

    def __init__(self, out: IO[str]) -> None:
        self.write = out.write
        self.sources: dict[str, SourceRef] = {}

    def answer(self, item: ProfileRow, result: Recommendation) -> None:
        body = result.model_dump_json(exclude=_NOT_SOURCES)
        cited = self.sources
        for source in result.sources:
            if source.id not in cited:
                cited[source.id] = source
        # Spliced by hand: json.dumps costs more than the rest of the line for these few short strings.
        ids = ",".join([_string(source.id) for source in result.sources])
        client = "null" if item.id is None else _string(item.id)
        self.write(f'{{"row":{item.row},"id":{client},{body[1:-1]},"sources":[{ids}]}}\n')

    def error(self, item: ProfileRow, exc: ProfileError) -> None:
        self.write(_dumps({"row": item.row, "id": item.id, "error": _error(exc)}) + "\n")

    def finish(self, rows: int, bad: int, ignored: list[str]) -> None:
        batch = {"rows": rows, "answered": rows - bad, "not_answered": bad, "ignored": ignored}
        cited = [self.sources[key].model_dump(mode="json") for key in sorted(self.sources)]
        self.write(_dumps({"batch": batch, "sources": cited}) + "\n")


def summary(result: Recommendation) -> dict[str, Any]:
    """The therapist's view of one answer: outcome, top techniques, sessions, referral; a few hundred bytes."""
    plan = result.plan
    referral = result.referral
    stop = result.no_massage
    line: dict[str, Any] = {
        "outcome": result.outcome,
        "techniques": [t.id for t in result.techniques[:TOP_TECHNIQUES]],
        "sessions_min": plan.sessions_min if plan else None,
        "sessions_max": plan.sessions_max if plan else None,
        "referral": None
        if referral is None
        else {
            "urgency": referral.urgency,
            "rule": referral.rule,
            "reason": referral.reason,
            "massage_meanwhile": referral.massage_meanwhile,
        },
        "no_massage": None if stop is None else {"rule": stop.rule, "come_back": stop.come_back},
        "screening_questions": [q.rule for q in result.screening_questions],
    }
    return line


class _Summary:
    """One short JSON line per client."""

    def __init__(self, out: IO[str]) -> None:
        self.write = out.write

    def answer(self, item: ProfileRow, result: Recommendation) -> None:
        self.write(_dumps({"row": item.row, "id": item.id, **summary(result)}) + "\n")

    def error(self, item: ProfileRow, exc: ProfileError) -> None:
        self.write(_dumps({"row": item.row, "id": item.id, "error": _error(exc)}) + "\n")

    def finish(self, rows: int, bad: int, ignored: list[str]) -> None:
        """Nothing to add: a summary cites no sources."""


def _cell(text: str | None) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ would run as a formula."""
    if not text:
        return ""
    return "'" + text if text[0] in "=+-@\t\r" else text


class _Csv:
    """A header, then the summary of each client as one row; lists joined with ';'."""

    def __init__(self, out: IO[str]) -> None:
        self.writer = csv.writer(out, lineterminator="\n")
        columns = ["row", "id", "outcome", "techniques", "sessions_min", "sessions_max", "referral"]
        columns += ["referral_rule", "massage_meanwhile", "no_massage_rule", "come_back"]
        self.writer.writerow([*columns, "screening_questions", "error"])

    def answer(self, item: ProfileRow, result: Recommendation) -> None:
        line = summary(result)
        referral, stop = line["referral"] or {}, line["no_massage"] or {}
        meanwhile = referral.get("massage_meanwhile")
        cells = [item.row, _cell(item.id), line["outcome"], ";".join(line["techniques"])]
        cells += [line["sessions_min"], line["sessions_max"], referral.get("urgency"), referral.get("rule")]
        cells += ["" if meanwhile is None else str(meanwhile).lower(), stop.get("rule"), stop.get("come_back")]
        cells.append(";".join(line["screening_questions"]))
        self.writer.writerow([*cells, ""])

    def error(self, item: ProfileRow, exc: ProfileError) -> None:
        blanks = [""] * 10
        self.writer.writerow([item.row, _cell(item.id), *blanks, _cell(str(exc))])

    def finish(self, rows: int, bad: int, ignored: list[str]) -> None:
        """Nothing to add: a spreadsheet has no room for a trailer."""


_WRITERS: dict[str, type[_JsonLines] | type[_Summary] | type[_Csv]] = {
    "json": _JsonLines,
    "summary": _Summary,
    "csv": _Csv,
}


class _Progress:
    """A one-line progress report on stderr, only when stderr is a terminal and the batch is long."""

    def __init__(self, total_bytes: int | None) -> None:
        self.enabled = sys.stderr is not None and sys.stderr.isatty()
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


class _Ignored:
    """The columns or keys left out so far: each named once on stderr, the first ``NAMED_IGNORED`` only."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.names: list[str] = []
        self.seen: set[str] = set()
        self.last: tuple[str, ...] = ()
        self.full = False

    def note(self, names: tuple[str, ...]) -> None:
        """Name on stderr those of ``names`` not named before."""
        if names is self.last or self.full:  # a CSV's rows share one tuple
            return
        self.last = names
        new = [name for name in dict.fromkeys(names) if name not in self.seen]
        if not new:
            return
        self.seen.update(new)
        room = NAMED_IGNORED - len(self.names)
        named, self.full = new[:room], len(new) > room
        self.names += named
        if named:
            say(f"suggest: ignoring {self.where} that are not profile fields: {', '.join(map(_near, named))}")
        if self.full:
            say(f"suggest: more than {NAMED_IGNORED} {self.where} are ignored; the rest are not named")


def _near(name: str) -> str:
    """A left-out name as shown, cut short, with a did-you-mean when it is a near miss of a field."""
    shown = name if len(name) <= 60 else name[:57] + "..."
    near = close_match(shown, ClientProfile.model_fields)
    return f"'{shown}' (did you mean '{near}'?)" if near else f"'{shown}'"


def run_batch(
    path: str, knowledge: KnowledgeBase, out: IO[str], *, fmt: str = "json", id_column: str | None = None
) -> int:
    """Answer every row of ``path`` on ``out`` in ``fmt``; return the exit code (0, or 2 if a row was bad)."""
    try:
        reader = ProfileReader(path, knowledge, id_column=id_column)
    except ProfileError as exc:
        say(f"suggest: {exc}")
        return 2
    writer: _Writer = _WRITERS[fmt](out)
    progress = _Progress(reader.size)
    done = bad = 0
    ignored = _Ignored("columns" if reader.kind == "csv" else "keys")
    try:
        for item in reader.rows():
            if item.ignored:
                ignored.note(item.ignored)
            error = item.error
            if item.profile is not None:
                try:
                    result = recommend(item.profile, knowledge)
                except ProfileError as exc:  # a value the knowledge does not define
                    error = exc
                else:
                    writer.answer(item, result)
            if error is not None:
                bad += 1
                _tell(item, error, bad)
                writer.error(item, error)
            done += 1
            if done % 256 == 0:
                progress.update(done, reader.bytes_read)
    except ProfileError as exc:  # the file failed as a whole, part-way (a read error; UTF-16 on stdin)
        say(f"suggest: {exc}")
        return 2
    finally:
        reader.close()
    writer.finish(done, bad, ignored.names)
    progress.update(done, reader.bytes_read, final=True)
    if bad:
        say(f"suggest: {bad} of {done} rows were not answered (each has an error line in the output)")
        return 2
    return 0


def _tell(item: ProfileRow, error: ProfileError, bad: int) -> None:
    """The first bad rows on stderr; after that, one line saying the rest are only in the output."""
    if bad <= SHOWN_ERRORS:
        who = f" (id {item.id})" if item.id is not None else ""
        say(f"suggest: row {item.row}{who}: {error}")
    elif bad == SHOWN_ERRORS + 1:
        say(f"suggest: more than {SHOWN_ERRORS} bad rows; the rest are told only in the output")
