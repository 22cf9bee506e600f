"""History files: round trips, located errors, date order, and atomic writes that survive a crash."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest

import massage_rules as mr
from massage_rules.course import files as _files
from massage_rules.course.history import CourseHistory, add_session, load_history, save_history, write_atomic

PROFILE = mr.ClientProfile(areas=["lower_back"], severity=7, phase="chronic", goals=["pain_relief"])


def _history_with(*dates: str) -> CourseHistory:
    history = CourseHistory(started=dt.date(2026, 3, 2), profile=PROFILE)
    for day in dates:
        history = add_session(history, {"date": day, "pain_before": 6, "pain_after": 4})
    return history


@pytest.mark.parametrize("name", ["course.yaml", "course.json"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    """A saved history loads back equal, in YAML and in JSON."""
    history = add_session(
        _history_with("2026-03-02"),
        {"date": "2026-03-09", "pain_before": 5, "pain_after": 3, "function": 6.5, "health": ["anticoagulants"]},
    )
    path = tmp_path / name
    save_history(history, path)
    assert load_history(path, mr.load_knowledge()) == history


def test_yaml_is_plain_and_readable(tmp_path: Path) -> None:
    """The YAML file holds plain dates and the profile as given, for a therapist to read."""
    path = tmp_path / "course.yaml"
    save_history(_history_with("2026-03-02"), path)
    text = path.read_text(encoding="utf-8")
    assert "started: 2026-03-02\n" in text
    assert "- date: 2026-03-02\n  pain_before: 6\n  pain_after: 4\n" in text


def test_sessions_must_be_added_in_date_order() -> None:
    """Adding a session dated on or before the last one is an error that names both dates."""
    history = _history_with("2026-03-09")
    with pytest.raises(mr.HistoryError) as info:
        add_session(history, {"date": "2026-03-09", "pain_before": 6, "pain_after": 4})
    assert str(info.value) == (
        "date: 2026-03-09 is not after the last session (2026-03-09); add sessions in date order, one a day"
    )
    with pytest.raises(mr.HistoryError, match="is before the course started"):
        add_session(history, {"date": "2026-03-01", "pain_before": 6, "pain_after": 4})


def _load_text(tmp_path: Path, text: str, name: str = "course.yaml") -> CourseHistory:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_history(path, mr.load_knowledge())


HEAD = "started: 2026-03-02\nprofile: {areas: [neck], severity: 5, phase: chronic, goals: [pain_relief]}\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "sessions:\n  - {date: 2026-03-09, pain_before: 6, pain_after: 4}\n"
            "  - {date: 2026-03-02, pain_before: 6, pain_after: 4}\n",
            ":5: sessions[1].date: 2026-03-02 is not after the session above it (2026-03-09); "
            "sessions must be in date order, one a day",
        ),
        (
            "sessions:\n  - {date: 2026-03-01, pain_before: 6, pain_after: 4}\n",
            ":4: sessions[0].date: 2026-03-01 is before the course started (2026-03-02)",
        ),
        (
            "sessions:\n  - date: 2026-03-09\n    pain_before: 6\n    pain_after: eleven\n",
            ":6: sessions[0].pain_after: must be a whole number, not the text 'eleven'",
        ),
        (
            "sessions:\n  - {date: 2026-03-09, pain_before: 6, pain_after: 4, health: [fevr]}\n",
            ":4: sessions[0].health: 'fevr' is not a known health finding; did you mean 'fever'?",
        ),
        ("session: []\n", ":3: 'session' is not a history field; did you mean 'sessions'?"),
        ("sessions: {date: 2026-03-09}\n", ":3: sessions: must be a list of session records"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    """A bad history file raises HistoryError with the file, the line and the field."""
    with pytest.raises(mr.HistoryError) as info:
        _load_text(tmp_path, HEAD + body)
    assert str(info.value) == f"{tmp_path / 'course.yaml'}{message}"
    assert info.value.file == str(tmp_path / "course.yaml")


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("started: [\n", "course.yaml", ":2: not valid YAML"),
        ('{"started": }', "course.json", ":1: not valid JSON: Expecting value"),
        ("- 1\n", "course.yaml", ":1: must hold a mapping with 'profile' and 'sessions'"),
        ("started: 2026-03-02\n", "course.yaml", ":1: 'profile' is required"),
        (
            "started: 2026-03-02\nprofile: {areas: [neck], severity: 12, phase: chronic, goals: [pain_relief]}\n",
            "course.yaml",
            ":2: profile: severity: must be from 0 to 10, not 12",
        ),
        (HEAD + "format: 2\n", "course.yaml", ":3: format 2 is not supported; this version reads format 1"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, name: str, message: str) -> None:
    """Broken YAML or JSON, a wrong shape or a bad profile are HistoryErrors with a line."""
    with pytest.raises(mr.HistoryError) as info:
        _load_text(tmp_path, text, name)
    assert str(info.value).startswith(f"{tmp_path / name}{message}")


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a HistoryError, not an OSError."""
    with pytest.raises(mr.HistoryError, match="cannot be read: No such file or directory"):
        load_history(tmp_path / "nope.yaml")


def test_crash_in_replace_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the process dies at the rename, the old file is untouched and no temp file is left behind."""
    path = tmp_path / "course.yaml"
    save_history(_history_with("2026-03-02"), path)
    before = path.read_bytes()

    def crash(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(_files.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        save_history(_history_with("2026-03-02", "2026-03-09"), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.yaml"]


def test_crash_mid_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails halfway (disk full) leaves the old file whole and reports a HistoryError."""
    path = tmp_path / "course.yaml"
    save_history(_history_with("2026-03-02"), path)
    before = path.read_bytes()
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, text: str) -> None:
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(_files.os, "fdopen", lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k)))
    with pytest.raises(mr.HistoryError, match="cannot be written: No space left on device"):
        save_history(_history_with("2026-03-02", "2026-03-09"), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.yaml"]


def test_write_keeps_permissions(tmp_path: Path) -> None:
    """Replacing a file keeps its permission bits."""
    path = tmp_path / "course.yaml"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o640)
    write_atomic(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_session_after_today_is_refused() -> None:
    """A session dated after today is a typo (9999-12-31 would block every later session): refused, naming today."""
    history = _history_with("2026-03-02")
    with pytest.raises(mr.HistoryError) as info:
        add_session(history, {"date": "9999-12-31", "pain_before": 6, "pain_after": 4}, today=dt.date(2026, 3, 9))
    assert str(info.value) == ("date: 9999-12-31 is after today (2026-03-09); record a session once it has taken place")
    assert add_session(history, {"date": "2026-03-09", "pain_before": 6, "pain_after": 4}, today=dt.date(2026, 3, 9))


def test_a_future_session_already_in_a_file_is_named_as_the_blocker() -> None:
    """When a hand-edited file already holds a session after today, refusing the next one says to fix that date."""
    history = _history_with("2026-03-02").model_copy(
        update={"sessions": (mr.SessionRecord(date=dt.date(9999, 12, 31), pain_before=6, pain_after=4),)}
    )
    with pytest.raises(mr.HistoryError, match="the last session is dated after today: correct its date in the file"):
        add_session(history, {"date": "2026-03-09", "pain_before": 6, "pain_after": 4}, today=dt.date(2026, 3, 9))


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    """A new history is created with the default mode, so the umask decides (not always 0600)."""
    old = os.umask(umask)
    try:
        save_history(_history_with("2026-03-02"), tmp_path / "course.yaml")
        write_atomic(tmp_path / "chart.svg", "<svg/>\n", exclusive=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "course.yaml").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "chart.svg").stat().st_mode) == mode


def test_a_write_through_a_symlink_changes_its_target(tmp_path: Path) -> None:
    """Saving to a symbolic link replaces the real file behind it; the link stays a link to it."""
    real = tmp_path / "records" / "anna.yaml"
    real.parent.mkdir()
    save_history(_history_with("2026-03-02"), real)
    link = tmp_path / "anna.yaml"
    link.symlink_to(real)
    save_history(_history_with("2026-03-02", "2026-03-09"), link)
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert len(load_history(real).sessions) == 2
    assert sorted(p.name for p in real.parent.iterdir()) == ["anna.yaml"]


def test_an_exclusive_write_never_replaces(tmp_path: Path) -> None:
    """``exclusive=True`` fails with FileExistsError when the file is there, and leaves it and no temp file."""
    path = tmp_path / "chart.svg"
    path.write_text("keep\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_atomic(path, "new\n", exclusive=True)
    assert path.read_text(encoding="utf-8") == "keep\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.svg"]
    with pytest.raises(mr.HistoryError, match="already exists"):
        save_history(_history_with("2026-03-02"), path, exclusive=True)
