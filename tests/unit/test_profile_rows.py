"""read_profiles: a batch file in, one ProfileRow per row out, each with its profile or its error."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import massage_rules as mr

EXPORT = (
    "client_id,name,areas,severity,phase,goals,conditions\n"
    "c-1,Ann,lower_back;neck,moderate,chronic,pain_relief,M54.50\n"
    "\n"
    "c-2,Bob,neck,3,,relaxation,\n"
    ",,,,,,\n"
    ",Cy,neck,3,acute,relaxation,\n"
)


def test_rows_hold_a_profile_or_an_error(tmp_path: Path) -> None:
    """Each row has its line number, id, and exactly one of profile and error; blank rows are skipped."""
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    rows = list(mr.read_profiles(path))
    assert [(row.row, row.id) for row in rows] == [(2, "c-1"), (4, "c-2"), (6, None)]
    first = rows[0].profile
    assert first == mr.ClientProfile(
        areas=["lower_back", "neck"], severity=5, phase="chronic", goals=["pain_relief"], conditions=["M54.50"]
    )
    assert rows[0].error is None
    assert rows[1].profile is None
    assert isinstance(rows[1].error, mr.ProfileError)
    assert str(rows[1].error) == "phase: give phase or days_since_onset (or both)"
    assert all(row.ignored == ("name",) for row in rows)


def test_a_row_is_frozen() -> None:
    """ProfileRow is an immutable value."""
    row = mr.ProfileRow(row=2, id="c-1", profile=None, error=mr.ProfileError("profile", None, "bad"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.row = 3  # type: ignore[misc]


def test_the_file_is_checked_at_the_call(tmp_path: Path) -> None:
    """A file that cannot be read as a whole raises ProfileError when read_profiles is called, not later."""
    with pytest.raises(mr.ProfileError, match="cannot be read: No such file or directory") as missing:
        mr.read_profiles(tmp_path / "missing.csv")
    assert missing.value.field == "file"
    with pytest.raises(mr.ProfileError, match=r"give a \.csv or \.jsonl file"):
        mr.read_profiles(tmp_path / "clients.xlsx")


def test_id_column_choice(tmp_path: Path) -> None:
    """client_id wins over id by default; id_column picks another; a JSON id may be a number."""
    path = tmp_path / "x.jsonl"
    fields = {"areas": ["neck"], "severity": 3, "phase": "acute", "goals": ["relaxation"]}
    lines = [{**fields, "id": 1, "client_id": "c-1"}, {**fields, "id": 2}, {**fields, "chart": "K9"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert [row.id for row in mr.read_profiles(path)] == ["c-1", "2", None]
    assert [row.ignored for row in mr.read_profiles(path)] == [("id",), (), ("chart",)]
    assert [row.id for row in mr.read_profiles(path, id_column="chart")] == [None, None, "K9"]


def test_ids_that_cannot_be_echoed_are_row_errors(tmp_path: Path) -> None:
    """An id over 200 characters, with a control character, or of another type, is an error for that row."""
    fields = {"areas": ["neck"], "severity": 3, "phase": "acute", "goals": ["relaxation"]}
    lines = [{**fields, "id": "x" * 201}, {**fields, "id": "a\nb"}, {**fields, "id": [1]}, {**fields, "id": True}]
    path = tmp_path / "x.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert [str(row.error) for row in mr.read_profiles(path)] == [
        "id: is 201 characters long; at most 200",
        "id: holds the unprintable character U+000A",
        "id: must be text or a whole number, not list",
        "id: must be text or a whole number, not bool",
    ]


def test_severity_words_come_from_the_knowledge(tmp_path: Path) -> None:
    """Severity words are read with the knowledge given (the bundled base by default)."""
    path = tmp_path / "x.csv"
    path.write_text("areas,severity,phase,goals\nneck,severe,acute,relaxation\nneck,sever,acute,relaxation\n")
    rows = list(mr.read_profiles(path, mr.load_knowledge()))
    assert rows[0].profile is not None
    assert rows[0].profile.severity >= 7
    assert rows[1].error is not None
    assert rows[1].error.suggestion == "severe"


def test_an_empty_file_has_no_rows(tmp_path: Path) -> None:
    """An empty CSV or JSON-lines file gives no rows and no error."""
    for name in ("empty.csv", "empty.jsonl"):
        (tmp_path / name).write_bytes(b"")
        assert list(mr.read_profiles(tmp_path / name)) == []


def test_windows_line_ends_and_notes_over_lines(tmp_path: Path) -> None:
    """A CRLF export whose notes cell spans lines gives one row per client, numbered by its first line."""
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"client_id,areas,severity,phase,goals,notes\r\n"
        b'c1,neck,3,acute,relaxation,"two\r\nlines"\r\n'
        b"c2,neck,3,acute,relaxation,\r\n"
    )
    rows = list(mr.read_profiles(path))
    assert [(row.row, row.id, row.error) for row in rows] == [(2, "c1", None), (4, "c2", None)]
