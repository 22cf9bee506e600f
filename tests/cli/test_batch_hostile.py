"""Hostile batch files: every bad row is reported with its row number, the batch goes on, and nothing blocks."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from massage_rules.cli.suggest import main
from massage_rules.engine import batch_lines, csv_rows

HOSTILE = Path(__file__).parent / "hostile_batches"
HEAD = "areas,severity,phase,goals\n"
ROW = "neck,3,acute,relaxation\n"
RUNAWAY = "profile: a quoted cell opens on this line and runs on over the rows below; is a closing quote missing?"
NECK = '{"areas": ["neck"], "severity": 3, "phase": "acute", "goals": ["relaxation"]}'


def run(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]], str]:
    """Run a batch in summary format: its exit code, its output lines, its stderr."""
    code = main(["--batch", str(path), "--format", "summary"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "internal error" not in captured.err
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def errors(lines: list[dict[str, Any]]) -> dict[int, str]:
    return {line["row"]: line["error"]["message"] for line in lines if "error" in line}


def answered(lines: list[dict[str, Any]]) -> list[int]:
    return [line["row"] for line in lines if "outcome" in line]


@pytest.mark.parametrize(
    ("name", "bad", "good"),
    [
        (
            "unterminated_quote.csv",
            {3: RUNAWAY},
            [2, *range(4, 1004)],
        ),
        (
            "stray_quote_in_notes.csv",
            {3: RUNAWAY},
            [2, 4, 5],
        ),
        ("notes_over_lines.csv", {}, [2, 5]),
        ("value_over_lines.csv", {2: "profile: the 'areas' cell runs over lines 2 to 3; values fit on one line"}, [4]),
        (
            "text_after_quote.csv",
            {2: 'profile: a quoted cell has text after its closing quote; write a quote inside a cell as ""'},
            [3],
        ),
        (
            "duplicate_column.csv",
            {3: "areas: is filled in two columns (2 and 6); fill one"},
            [2, 4],
        ),
        ("duplicate_key.jsonl", {2: "profile: duplicate key 'areas'"}, [1, 3]),
        (
            "huge_integer.jsonl",
            {1: "profile: is not valid JSON: Exceeds the limit (4300 digits) for integer string conversion"},
            [2],
        ),
        ("not_utf8.jsonl", {2: "profile: is not UTF-8 text (byte 0xe9)"}, [1, 3]),
        ("too_many_cells.csv", {2: "profile: has 5 cells but the header has 4"}, [3]),
    ],
)
def test_each_bad_row_is_reported_and_the_rest_answered(
    name: str, bad: dict[int, str], good: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    """The bad rows of a hostile file are errors at their own row; every other row is answered."""
    code, lines, err = run(HOSTILE / name, capsys)
    assert errors(lines) == bad
    assert answered(lines) == good
    assert code == (2 if bad else 0)
    for row in bad:
        assert f"suggest: row {row}" in err


def test_duplicate_columns_name_the_client(capsys: pytest.CaptureFixture[str]) -> None:
    """A row that fills a duplicated column once is answered; the one that fills it twice keeps its id."""
    _, lines, _ = run(HOSTILE / "duplicate_column.csv", capsys)
    assert [line["id"] for line in lines] == ["c-1", "c-2", "c-3"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("utf16.csv", "is UTF-16 text; save it as UTF-8"),
        (
            "headerless.csv",
            ", line 1: the header names no profile field (age, areas, cause, cleared, conditions, days_since_onset,",
        ),
    ],
)
def test_files_that_are_not_batches_stop_before_any_row(
    name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that cannot be read as a whole stops with exit 2 and one line, before any output."""
    code, lines, err = run(HOSTILE / name, capsys)
    assert (code, lines) == (2, [])
    assert err.startswith(f"suggest: file: '{HOSTILE / name}'")
    assert message in err
    assert len(err.splitlines()) == 1


def test_a_cell_over_128_kib(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 140,000-character cell is one bad row (the limit is csv's own 131,072), not exit 3."""
    path = tmp_path / "long_cell.csv"
    path.write_text(HEAD + ROW + "neck,3,acute," + "x" * 140_000 + "\n" + ROW, encoding="utf-8")
    code, lines, _ = run(path, capsys)
    assert errors(lines) == {3: "profile: a cell is longer than 131072 characters"}
    assert (answered(lines), code) == ([2, 4], 2)


def test_a_json_line_nested_100000_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A line nested 100,000 deep is one bad row, found fast."""
    path = tmp_path / "deep.jsonl"
    path.write_text(NECK + "\n" + "[" * 100_000 + "]" * 100_000 + "\n" + NECK + "\n", encoding="utf-8")
    start = time.monotonic()
    code, lines, _ = run(path, capsys)
    assert time.monotonic() - start < 10
    assert errors(lines) == {2: "profile: the document is nested too deeply"}
    assert (answered(lines), code) == ([1, 3], 2)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_line_over_the_limit_is_skipped_not_kept(
    suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line longer than the limit is one bad row; the reader skips it in chunks and goes on."""
    monkeypatch.setattr(batch_lines, "MAX_LINE_BYTES", 1000)
    path = tmp_path / f"long_line{suffix}"
    head, row = (HEAD, ROW) if suffix == ".csv" else ("", NECK + "\n")
    path.write_text(head + row + "x" * 200_000 + "\n" + row, encoding="utf-8")
    code, lines, _ = run(path, capsys)
    first = 2 if suffix == ".csv" else 1
    assert errors(lines) == {first + 1: "profile: is longer than 1000 bytes"}
    assert (answered(lines), code) == ([first, first + 2], 2)


def test_a_quoted_cell_over_many_lines_is_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quoted notes cell that never closes is cut off after MAX_RECORD_LINES lines; the lines after are rows."""
    monkeypatch.setattr(csv_rows, "MAX_RECORD_LINES", 10)
    path = tmp_path / "open_notes.csv"
    path.write_text("notes," + HEAD + '"never closed,' + ROW + "more notes\n" * 20 + "," + ROW, encoding="utf-8")
    code, lines, _ = run(path, capsys)
    assert errors(lines)[2] == RUNAWAY
    assert list(errors(lines)) == list(range(2, 23))  # each note line read again as a row: no areas
    assert (answered(lines), code) == ([23], 2)


def test_the_last_line_has_an_open_quote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A quote opened on the last line and never closed is a bad row at that line."""
    path = tmp_path / "end.csv"
    path.write_text(HEAD + ROW + '"neck,3,acute,relaxation', encoding="utf-8")
    code, lines, _ = run(path, capsys)
    assert errors(lines) == {
        3: "profile: a quoted cell opens on this line and is never closed; is a closing quote missing?"
    }
    assert (answered(lines), code) == ([2], 2)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_symlink_to_dev_zero_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A batch file that is a symlink to /dev/zero is refused at once, not read until memory runs out."""
    link = tmp_path / "zero.jsonl"
    link.symlink_to("/dev/zero")
    code, lines, err = run(link, capsys)
    assert (code, lines) == (2, [])
    assert err == (
        f"suggest: file: '{link}' is not a regular file (a pipe or a device); save the batch to a file, or use -\n"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A FIFO as batch file is refused at once, even with no writer on the other end."""
    fifo = tmp_path / "clients.csv"
    os.mkfifo(fifo)
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(main(["--batch", str(fifo)])), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # release the blocked open before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("suggest --batch blocked on a FIFO")
    assert result == [2]
    assert "is not a regular file (a pipe or a device)" in capsys.readouterr().err


def test_a_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory named like a batch file is refused with one line."""
    folder = tmp_path / "clients.csv"
    folder.mkdir()
    code, lines, err = run(folder, capsys)
    assert (code, lines) == (2, [])
    assert err == f"suggest: file: '{folder}' is a directory, not a batch file\n"


def test_an_unreadable_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file without read permission is refused with one line."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "clients.csv"
    shutil.copy(HOSTILE / "duplicate_column.csv", path)
    path.chmod(0)
    code, _, err = run(path, capsys)
    assert code == 2
    assert err == f"suggest: file: '{path}' cannot be read: Permission denied\n"


def test_an_open_quote_that_runs_into_a_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An open quote that reaches a line that is not UTF-8 is one bad row; that line is reported on its own."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"notes," + HEAD.encode() + b'"open\n' + b"caf\xe9\n" + b"," + ROW.encode())
    code, lines, _ = run(path, capsys)
    assert errors(lines) == {
        2: "profile: a quoted cell opens on line 2 and is still open at line 3, which is not UTF-8 text (byte 0xe9)",
        3: "profile: is not UTF-8 text (byte 0xe9)",
    }
    assert (answered(lines), code) == ([4], 2)


def test_a_bare_carriage_return(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A carriage return inside an unquoted cell is a bad row, named by the CSV parser."""
    path = tmp_path / "cr.csv"
    path.write_bytes(HEAD.encode() + b"neck\r,3,acute,relaxation\n" + ROW.encode())
    code, lines, _ = run(path, capsys)
    assert errors(lines) == {2: "profile: not valid CSV: new-line character seen in unquoted field"}
    assert (answered(lines), code) == ([3], 2)
