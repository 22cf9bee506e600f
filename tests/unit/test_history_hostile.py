"""History files under hostile input: pipes, deep or duplicate JSON, enormous values give a short HistoryError."""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.course import files as _files
from massage_rules.course.files import HistoryWriteError, history_lock, output_problem
from massage_rules.course.history import CourseHistory, add_session, change_history, load_history, save_history

HEAD = '"started": "2026-03-02", "profile": {"areas": ["neck"], "severity": 5, "phase": "chronic", "goals": ["x"]}'


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("deep.json", b"[" * 100_000, ": the document is nested too deeply"),
        ("bigint.json", b'{"started": ' + b"9" * 5000 + b"}", ": not valid JSON: Exceeds the limit (4300 digits)"),
        ("dup.json", b'{"started": "2026-03-02", "started": "2026-03-03"}', ": duplicate key 'started'"),
        ("utf16.yaml", "started: 2026-03-02\n".encode("utf-16"), ":1: is not UTF-8 text"),
        ("deep.yaml", b"started: " + b"[" * 100 + b"]" * 100, ":1: the document is nested more than 64 levels deep"),
    ],
)
def test_hostile_history_files_are_history_errors(name: str, data: bytes, message: str, tmp_path: Path) -> None:
    """Deep, duplicate-key, over-long-number and wrongly encoded files raise HistoryError naming the file."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(mr.HistoryError) as caught:
        load_history(path)
    assert str(caught.value).startswith(f"{path}{message}"), str(caught.value)


def test_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    """A named pipe given as a history file is refused at once rather than read (which would block)."""
    fifo = tmp_path / "course.yaml"
    os.mkfifo(fifo)
    with pytest.raises(mr.HistoryError) as caught:
        load_history(fifo)
    assert str(caught.value) == f"{fifo}: is not a regular file"


def test_enormous_values_make_short_messages(tmp_path: Path) -> None:
    """A 5,000-character value is cut in the message, which says how long it was."""
    path = tmp_path / "course.json"
    path.write_text("{" + HEAD + ', "' + "x" * 5000 + '": 1}')
    with pytest.raises(mr.HistoryError) as caught:
        load_history(path)
    assert len(str(caught.value)) < 600
    assert str(caught.value).endswith(" chars)")


def test_profile_error_messages_are_bounded() -> None:
    """ProfileError cuts an enormous field name or message, so it stays one readable line."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.ClientProfile.model_validate({"x" * 5000: 1})
    assert len(str(caught.value)) < 800


PROFILE = mr.ClientProfile(areas=["lower_back"], severity=7, phase="chronic", goals=["pain_relief"])


def _saved(path: Path) -> Path:
    save_history(CourseHistory(started=dt.date(2026, 3, 2), profile=PROFILE), path)
    return path


def _adding(day: str) -> Callable[[CourseHistory], CourseHistory]:
    return lambda history: add_session(history, {"date": day, "pain_before": 6, "pain_after": 4})


def test_a_change_through_a_symlink_reaches_the_real_file(tmp_path: Path) -> None:
    """Adding a session through a symbolic link writes the real file; the link is not replaced by a fork."""
    real = _saved(tmp_path / "real.yaml")
    link = tmp_path / "link.yaml"
    link.symlink_to(real.name)
    change_history(link, _adding("2026-03-02"))
    assert link.is_symlink()
    assert [s.date.isoformat() for s in load_history(real).sessions] == ["2026-03-02"]


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555])
def test_a_read_only_history_is_refused_and_left_alone(tmp_path: Path, mode: int) -> None:
    """A history with no write permission bit is not replaced (not even by root, who could)."""
    path = _saved(tmp_path / "course.yaml")
    path.chmod(mode)
    before = path.read_bytes()
    with pytest.raises(mr.HistoryError) as info:
        change_history(path, _adding("2026-03-02"))
    assert not isinstance(info.value, HistoryWriteError)
    assert str(info.value) == (
        f"{path}: is read-only, so it is left as it is; make it writable (chmod u+w) to add sessions"
    )
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_threads_adding_sessions_lose_none(tmp_path: Path) -> None:
    """Sixteen threads each add a session on one day: exactly one is saved, every other is refused, none is lost."""
    path = _saved(tmp_path / "course.yaml")
    outcomes: list[str] = []
    start = threading.Barrier(16)

    def add() -> None:
        start.wait()
        try:
            change_history(path, _adding("2026-03-02"))
            outcomes.append("saved")
        except mr.HistoryError as exc:
            outcomes.append(exc.reason.split(";")[0])

    threads = [threading.Thread(target=add) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(outcomes)) == ["2026-03-02 is not after the last session (2026-03-02)", "saved"]
    assert outcomes.count("saved") == 1
    assert len(load_history(path).sessions) == 1


def test_a_lock_held_too_long_is_a_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When another process keeps the lock past the timeout, the change fails clearly and the file is unchanged."""
    path = _saved(tmp_path / "course.yaml")
    before = path.read_bytes()
    monkeypatch.setattr(_files, "LOCK_TIMEOUT", 0.2)
    done: list[BaseException] = []

    def other() -> None:
        try:
            change_history(path, _adding("2026-03-02"))
        except BaseException as exc:
            done.append(exc)

    with history_lock(path):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    (error,) = done
    assert isinstance(error, HistoryWriteError)
    assert str(error) == (
        f"{path}: another process is changing it: waited 0.2 s for its lock {tmp_path / '.course.yaml.lock'}; try again"
    )
    assert path.read_bytes() == before


def test_a_history_in_a_missing_folder_is_a_write_error(tmp_path: Path) -> None:
    """Locking a history whose folder does not exist fails (filelock would create the folder)."""
    with pytest.raises(HistoryWriteError, match="cannot be locked for writing: No such file or directory"):
        change_history(tmp_path / "nope" / "course.yaml", _adding("2026-03-02"))
    assert not (tmp_path / "nope").exists()


def test_output_files_that_must_not_be_written(tmp_path: Path) -> None:
    """An output is never the history or the profile, a folder, a device or a pipe; an existing file needs force."""
    history = _saved(tmp_path / "course.yaml")
    fifo = tmp_path / "fifo.svg"
    os.mkfifo(fifo)
    existing = tmp_path / "old.svg"
    existing.write_text("old\n", encoding="utf-8")
    dangling = tmp_path / "dangling.svg"
    dangling.symlink_to(tmp_path / "missing.svg")
    alias = tmp_path / "alias.yaml"
    alias.symlink_to(history)
    for force in (False, True):
        assert output_problem(history, force=force, protect=[history]) == (
            f"{history} is the file {history} itself; name another file"
        )
        assert output_problem(alias, force=force, protect=[history]) == (
            f"{alias} is the file {history} itself; name another file"
        )
        assert output_problem(tmp_path, force=force) == f"{tmp_path} is a directory; name a file"
        for odd in (fifo, Path("/dev/null")):
            assert output_problem(odd, force=force) == f"{odd} is not a regular file (a device or a pipe); name a file"
    assert output_problem(existing, force=False) == f"{existing} already exists; use --force to replace it"
    assert output_problem(dangling, force=False) == (
        f"{dangling} is a symbolic link to a missing file; use --force to write through it"
    )
    assert output_problem(existing, force=True) is None
    assert output_problem(dangling, force=True) is None
    assert output_problem(tmp_path / "new.svg", force=False) is None
