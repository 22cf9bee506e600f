"""Standard output closed, full or abandoned, in real processes: exit 4 with one line, or 141 quietly, never exit 3.

Every command that prints is run three ways: with stdout closed (``>&-``), with
stdout on ``/dev/full``, and into a pipe whose reader has already gone (what
``| head -1`` leaves behind once it has its line).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from massage_rules.cli.streams import EXIT_OUTPUT, EXIT_READER_LEFT

pytestmark = pytest.mark.slow

SUGGEST = [sys.executable, "-c", "from massage_rules.cli.suggest import run; run()"]
ADMIN = [sys.executable, "-m", "massage_rules"]
GOOD = ["--area", "lower_back", "--severity", "6", "--phase", "chronic", "--goal", "pain_relief"]
PROFILE = "areas: [lower_back]\nseverity: 7\nphase: chronic\ngoals: [pain_relief]\n"
BROKEN_KB = Path(__file__).parents[1] / "unit" / "data" / "broken_kb.yaml"
ADD = ["course", "add", "h.yaml", "--date", "2026-03-03", "--pain-before", "6", "--pain-after", "4"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with a profile, a batch file and a course history started on 2026-03-02."""
    (tmp_path / "p.yaml").write_text(PROFILE, encoding="utf-8")
    (tmp_path / "b.csv").write_text("areas,severity,phase,goals\n" + "neck,5,chronic,pain_relief\n" * 50)
    started = subprocess.run(
        [*ADMIN, "course", "start", "--profile", "p.yaml", "--out", "h.yaml", "--date", "2026-03-02"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    return tmp_path


def _run(folder: Path, argv: list[str], how: str) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``folder`` with stdout closed, full, or a pipe nobody reads any more."""
    if how == "closed":
        return subprocess.run(
            ["bash", "-c", 'exec "$@" >&-', "-", *argv],
            cwd=folder,
            capture_output=False,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    if how == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run(argv, cwd=folder, stdout=full, stderr=subprocess.PIPE, text=True, check=False)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the command writes: every write breaks the pipe
    try:
        return subprocess.run(argv, cwd=folder, stdout=write_end, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)


COMMANDS = {
    "suggest": (SUGGEST + GOOD, "suggest"),
    "suggest --batch": ([*SUGGEST, "--batch", "b.csv"], "suggest"),
    "schema": ([*ADMIN, "schema", "knowledge"], "massage-rules"),
    "explain": ([*ADMIN, "explain", "--profile", "p.yaml", "--technique", "deep_tissue"], "massage-rules"),
    "verify": ([*ADMIN, "verify", "--alone", "--knowledge", str(BROKEN_KB)], "massage-rules"),
    "course review": ([*ADMIN, "course", "review", "h.yaml"], "massage-rules course"),
    "--help": ([*ADMIN, "--help"], "massage-rules"),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_closed_stdout_is_exit_4_before_anything_is_done(folder: Path, name: str) -> None:
    """With stdout closed, each command says so in one line and exits 4."""
    argv, _ = COMMANDS[name]
    prog = "suggest" if argv[:3] == SUGGEST else "massage-rules"
    done = _run(folder, argv, "closed")
    assert (done.returncode, done.stderr) == (EXIT_OUTPUT, f"{prog}: cannot write to standard output: it is closed\n")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_full_stdout_is_exit_4_with_the_reason(folder: Path, name: str) -> None:
    """With stdout on a full device, each command ends with one line naming the reason and exits 4."""
    argv, prog = COMMANDS[name]
    done = _run(folder, argv, "full")
    assert done.returncode == EXIT_OUTPUT, done.stderr
    assert done.stderr.endswith(f"{prog}: cannot write to standard output: No space left on device\n"), done.stderr
    assert "internal error" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_reader_that_left_ends_the_command_quietly_with_141(folder: Path, name: str) -> None:
    """When the reader of the pipe has gone, the command stops with no message and exit 141, as `cat` would."""
    argv, _ = COMMANDS[name]
    done = _run(folder, argv, "pipe")
    assert done.returncode == EXIT_READER_LEFT
    assert "cannot write" not in done.stderr
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr


def _sessions(folder: Path) -> int:
    return (folder / "h.yaml").read_text(encoding="utf-8").count("- date:")


def test_course_add_with_stdout_closed_saves_nothing(folder: Path) -> None:
    """`course add ... >&-` refuses before saving, so the same command can simply be run again."""
    done = _run(folder, [*ADMIN, *ADD], "closed")
    assert (done.returncode, done.stderr) == (
        EXIT_OUTPUT,
        "massage-rules: cannot write to standard output: it is closed\n",
    )
    assert _sessions(folder) == 0


def test_course_add_with_stdout_full_says_the_session_was_saved(folder: Path) -> None:
    """`course add ... >/dev/full` saves, then says so (not "internal error"); a retry is refused as a duplicate."""
    done = _run(folder, [*ADMIN, *ADD], "full")
    assert (done.returncode, done.stderr) == (
        EXIT_OUTPUT,
        "massage-rules course: the session was saved to h.yaml; the report could not be written: "
        "No space left on device\n",
    )
    assert _sessions(folder) == 1
    again = subprocess.run([*ADMIN, *ADD], cwd=folder, capture_output=True, text=True, check=False)
    assert again.returncode == 2
    assert "is not after the last session (2026-03-03)" in again.stderr


def test_course_add_into_an_abandoned_pipe_saves_and_exits_141(folder: Path) -> None:
    """`course add ... | head -0`: the session is saved; the lost report is the reader's choice, so no message."""
    done = _run(folder, [*ADMIN, *ADD], "pipe")
    assert (done.returncode, done.stderr) == (EXIT_READER_LEFT, "")
    assert _sessions(folder) == 1


def test_course_start_and_review_with_a_chart_say_what_was_written(folder: Path) -> None:
    """`course start` and `course review --svg` with stdout full name the file they did write."""
    start = _run(folder, [*ADMIN, "course", "start", "--profile", "p.yaml", "--out", "new.yaml"], "full")
    assert (start.returncode, start.stderr) == (
        EXIT_OUTPUT,
        "massage-rules course: the course was started in new.yaml; the report could not be written: "
        "No space left on device\n",
    )
    assert (folder / "new.yaml").exists()
    review = _run(folder, [*ADMIN, "course", "review", "h.yaml", "--svg", "c.svg"], "full")
    assert (review.returncode, review.stderr) == (
        EXIT_OUTPUT,
        "massage-rules course: the chart was written to c.svg; the report could not be written: "
        "No space left on device\n",
    )
    assert (folder / "c.svg").read_text(encoding="utf-8").startswith("<svg ")


def test_a_short_answer_into_head_still_exits_0(folder: Path) -> None:
    """`suggest ... | head -1`: one answer fits the pipe, so it is written before head leaves: exit 0, no message."""
    done = subprocess.run(
        f"{subprocess.list2cmdline(SUGGEST + GOOD)} | head -1 >/dev/null; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
