"""History files under hostile input: pipes, deep or duplicate JSON, enormous values give a short HistoryError."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.course.history import load_history

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
