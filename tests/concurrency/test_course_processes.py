"""Concurrent `course add` processes on one history: every session a process acknowledged (exit 0) is in the file.

Each process imports everything and loads the knowledge first, then waits for
a start signal, so that all of them reach the read-modify-write at once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from massage_rules.course.history import load_history

pytestmark = pytest.mark.slow

PROCESSES = 8
PROFILE = "areas: [lower_back]\nseverity: 7\nphase: chronic\ngoals: [pain_relief]\n"
# Ready, then wait for the go file, then run `massage-rules course add ...` as the console script would.
SCRIPT = """
import sys, time
from pathlib import Path
from massage_rules.cli.admin import main
from massage_rules.cli.suggest import guarded
from massage_rules.knowledge.load import default_knowledge
default_knowledge()
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.001)
sys.exit(guarded("massage-rules", main, sys.argv[3:]))
"""


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A course started on 2026-03-01, with no sessions yet."""
    (tmp_path / "p.yaml").write_text(PROFILE, encoding="utf-8")
    path = tmp_path / "h.yaml"
    start = ["course", "start", "--profile", str(tmp_path / "p.yaml"), "--out", str(path), "--date", "2026-03-01"]
    started = subprocess.run(
        [sys.executable, "-m", "massage_rules", *start],
        capture_output=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    return path


def _race(history: Path, dates: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Start one `course add` per date, let them all go at once, and return how each ended."""
    folder = history.parent
    go = folder / "go"
    procs = []
    for i, date in enumerate(dates):
        argv = ["course", "add", str(history), "--date", date, "--pain-before", "6", "--pain-after", str(i % 5)]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", SCRIPT, str(folder / f"ready{i}"), str(go), *argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 120
    while not all((folder / f"ready{i}").exists() for i in range(len(dates))):
        assert time.monotonic() < deadline, "the processes did not get ready"
        time.sleep(0.01)
    go.touch()
    done = []
    for proc, argv in zip(procs, dates, strict=True):
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(argv, proc.returncode, out, err))
    return done


def test_one_day_one_session_however_many_processes_race(history: Path) -> None:
    """Eight processes add a session on the same day: exactly one succeeds, the seven others are refused."""
    results = _race(history, ["2026-03-02"] * PROCESSES)
    codes = sorted(r.returncode for r in results)
    assert codes == [0] + [2] * (PROCESSES - 1), [r.stderr for r in results]
    for refused in (r for r in results if r.returncode == 2):
        assert "is not after the last session (2026-03-02)" in refused.stderr
    assert len(load_history(history).sessions) == 1


def test_every_acknowledged_session_is_in_the_file(history: Path) -> None:
    """Eight processes add sessions on eight days: each one that exited 0 is in the file, and no other is."""
    dates = [f"2026-03-{day:02d}" for day in range(2, 2 + PROCESSES)]
    results = _race(history, dates)
    acknowledged = sorted(r.args for r in results if r.returncode == 0)
    for refused in (r for r in results if r.returncode != 0):
        assert refused.returncode == 2
        assert "is not after the last session" in refused.stderr
    saved = [s.date.isoformat() for s in load_history(history).sessions]
    assert acknowledged
    assert saved == acknowledged
    assert sorted(p.name for p in history.parent.iterdir() if p.name.endswith(".tmp")) == []
