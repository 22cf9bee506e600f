"""`suggest --batch`: CSV or JSON lines in, one JSON line per row out, bad rows reported and skipped."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.cli.suggest import main

CSV = (
    "areas,cause,severity,phase,goals,health\n"
    "lower_back,posture,6,chronic,pain_relief;mobility,\n"
    "neck,,moderate,acute,relaxation,\n"
    "calf,sport,3,subacute,pain_relief,varicose_veins@calf\n"
)


def _expected(fields: dict[str, object]) -> dict[str, object]:
    from massage_rules.engine.profile_files import parse_profile

    kb = mr.load_knowledge()
    return json.loads(mr.recommend(parse_profile(fields, kb), kb).model_dump_json())  # type: ignore[no-any-return]


def test_csv_rows_give_the_same_answers_as_recommend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each CSV row gives one JSON line, equal to recommend() on that row; lists split on ';'."""
    path = tmp_path / "clients.csv"
    path.write_text(CSV, encoding="utf-8")
    assert main(["--batch", str(path)]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert lines == [
        _expected(
            {
                "areas": ["lower_back"],
                "cause": "posture",
                "severity": "6",
                "phase": "chronic",
                "goals": ["pain_relief", "mobility"],
            }
        ),
        _expected({"areas": ["neck"], "severity": "moderate", "phase": "acute", "goals": ["relaxation"]}),
        _expected(
            {
                "areas": ["calf"],
                "cause": "sport",
                "severity": "3",
                "phase": "subacute",
                "goals": ["pain_relief"],
                "health": ["varicose_veins@calf"],
            }
        ),
    ]
    assert captured.err == ""  # no progress bar when stderr is not a terminal


def test_jsonl_rows_and_blank_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .jsonl file gives one answer per object; blank lines are skipped."""
    row = {"areas": ["neck"], "severity": 3, "phase": "acute", "goals": ["relaxation"]}
    path = tmp_path / "clients.jsonl"
    path.write_text(json.dumps(row) + "\n\n" + json.dumps(row) + "\n", encoding="utf-8")
    assert main(["--batch", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x) for x in lines] == [_expected(row), _expected(row)]


def test_bad_rows_are_reported_and_the_rest_answered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad row yields an error line naming its row and field, the batch goes on, and the exit code is 2."""
    path = tmp_path / "clients.csv"
    path.write_text(
        "areas,severity,phase,goals,days_since_onset\n"
        "lower_back,6,chronic,pain_relief,\n"
        "elbw,3,chronic,pain_relief,\n"
        "neck,3,,relaxation,soon\n"
        "neck,3,acute,relaxation,\n",
        encoding="utf-8",
    )
    assert main(["--batch", str(path)]) == 2
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == 4
    assert lines[0]["outcome"] == "treat"
    assert lines[1]["row"] == 3
    assert lines[1]["error"]["field"] == "areas[0]"
    assert lines[1]["error"]["message"].startswith("areas[0]: 'elbw' is not a known body area; did you mean 'elbow'?")
    assert lines[2] == {
        "row": 4,
        "error": {"field": "days_since_onset", "message": "days_since_onset: 'soon' is not a whole number of days"},
    }
    assert lines[3]["outcome"] in {"treat", "refer_and_treat"}
    assert "suggest: row 3: areas[0]: 'elbw' is not a known body area" in captured.err
    assert captured.err.endswith("suggest: 2 of 4 rows were not answered (see above)\n")
    assert "Traceback" not in captured.err


def test_jsonl_row_that_is_not_an_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON line that is a list, or not JSON at all, is a bad row with its line number."""
    path = tmp_path / "clients.jsonl"
    path.write_text("[1, 2]\n{oops\n", encoding="utf-8")
    assert main(["--batch", str(path)]) == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == {
        "row": 1,
        "error": {"field": "profile", "message": "profile: must be a JSON object of profile fields, not list"},
    }
    assert lines[1]["row"] == 2
    assert lines[1]["error"]["message"].startswith("profile: is not valid JSON")


def test_unknown_csv_column_stops_before_any_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A header naming an unknown field stops the batch with exit 2 and the list of columns."""
    path = tmp_path / "clients.csv"
    path.write_text("areas,pain\nneck,3\n", encoding="utf-8")
    assert main(["--batch", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"suggest: {path}: line 1: unknown column 'pain'; the columns are age, areas, cause, cleared, conditions, "
        "days_since_onset, goals, health, phase, severity\n"
    )


def test_batch_file_kind_and_presence_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not .csv or .jsonl, or does not exist, is a usage error (exit 2)."""
    other = tmp_path / "clients.txt"
    other.write_text("x", encoding="utf-8")
    assert main(["--batch", str(other)]) == 2
    assert capsys.readouterr().err == f"suggest: {other}: give a .csv or .jsonl file (or - for JSON lines on stdin)\n"
    missing = tmp_path / "missing.csv"
    assert main(["--batch", str(missing)]) == 2
    assert capsys.readouterr().err == f"suggest: {missing}: cannot be read: No such file or directory\n"


def test_batch_with_profile_flags_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--batch cannot be mixed with one profile's flags."""
    path = tmp_path / "clients.csv"
    path.write_text(CSV, encoding="utf-8")
    assert main(["--batch", str(path), "--area", "neck"]) == 2
    assert "drop --profile and the profile flags" in capsys.readouterr().err


def test_batch_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--batch - reads JSON lines from stdin."""
    row = {"areas": ["neck"], "severity": 3, "phase": "acute", "goals": ["relaxation"]}
    stdin = io.TextIOWrapper(io.BytesIO((json.dumps(row) + "\n").encode()))
    monkeypatch.setattr("sys.stdin", stdin)
    assert main(["--batch", "-"]) == 0
    assert [json.loads(x) for x in capsys.readouterr().out.splitlines()] == [_expected(row)]


def test_progress_bar_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a terminal a long batch shows a progress line on stderr; stdout holds only JSON lines."""
    from massage_rules.cli import batch as _batch

    monkeypatch.setattr(_batch, "PROGRESS_AFTER_ROWS", 1)
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    path = tmp_path / "clients.csv"
    path.write_text("areas,severity,phase,goals\n" + "neck,3,acute,relaxation\n" * 300, encoding="utf-8")
    assert main(["--batch", str(path)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 300
    assert captured.err.startswith("\r")
    assert captured.err.endswith("/s\n")
    assert "100.0% 300 profiles" in captured.err
