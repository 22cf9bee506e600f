"""`suggest --batch`: clinic exports in, one line per client out, with its id; bad rows reported and skipped."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import massage_rules as mr
from massage_rules.cli.suggest import main

CSV = (
    "areas,cause,severity,phase,goals,health\n"
    "lower_back,posture,6,chronic,pain_relief;mobility,\n"
    "neck,,moderate,acute,relaxation,\n"
    "calf,sport,3,subacute,pain_relief,varicose_veins@calf\n"
)
EXPORT = (
    "client_id,name,areas,severity,phase,goals,health,notes\n"
    "c-001,Ann,lower_back,6,chronic,pain_relief;mobility,,first visit\n"
    "c-002,Bob,calf,5,acute,pain_relief,suspected_dvt,\n"
    "c-003,Cem,elbw,3,chronic,pain_relief,,\n"
)
NECK = {"areas": ["neck"], "severity": 3, "phase": "acute", "goals": ["relaxation"]}


def _expected(fields: dict[str, object]) -> dict[str, Any]:
    from massage_rules.engine.profile_files import parse_profile

    kb = mr.load_knowledge()
    return json.loads(mr.recommend(parse_profile(fields, kb), kb).model_dump_json())  # type: ignore[no-any-return]


def rebuild(out: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The row lines of a JSON batch, each answer with its sources filled in from the last line; and that line."""
    *lines, last = [json.loads(line) for line in out.splitlines()]
    assert "row" not in last
    cited = {source["id"]: source for source in last["sources"]}
    rows = []
    for line in lines:
        if "error" not in line:
            line["sources"] = [cited[key] for key in line["sources"]]
        rows.append(line)
    return rows, last


def answer(line: dict[str, Any]) -> dict[str, Any]:
    """The Recommendation part of a rebuilt row line."""
    return {key: value for key, value in line.items() if key not in ("row", "id")}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_give_the_same_answers_as_recommend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each CSV row gives one JSON line equal to recommend() on that row once its cited sources are filled in."""
    assert main(["--batch", str(_write(tmp_path, "clients.csv", CSV))]) == 0
    captured = capsys.readouterr()
    rows, last = rebuild(captured.out)
    assert [(line["row"], line["id"]) for line in rows] == [(2, None), (3, None), (4, None)]
    assert [answer(line) for line in rows] == [
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
    assert last["batch"] == {"rows": 3, "answered": 3, "not_answered": 0, "ignored": []}
    assert [s["id"] for s in last["sources"]] == sorted({s["id"] for line in rows for s in line["sources"]})
    assert captured.err == ""  # no progress bar when stderr is not a terminal


def test_json_lines_cite_sources_by_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A row line holds source ids only; full citations appear once, in the last line."""
    path = _write(tmp_path, "clients.jsonl", (json.dumps(NECK) + "\n") * 3)
    assert main(["--batch", str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4
    assert all(isinstance(key, str) for line in lines[:3] for key in line["sources"])
    assert all(isinstance(source, dict) for source in lines[3]["sources"])
    assert len({source["id"] for source in lines[3]["sources"]}) == len(lines[3]["sources"])


def test_jsonl_rows_and_blank_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .jsonl file gives one answer per object, numbered by line; blank lines are skipped."""
    path = _write(tmp_path, "clients.jsonl", json.dumps(NECK) + "\n\n" + json.dumps(NECK) + "\n")
    assert main(["--batch", str(path)]) == 0
    rows, _ = rebuild(capsys.readouterr().out)
    assert [line["row"] for line in rows] == [1, 3]
    assert [answer(line) for line in rows] == [_expected(NECK), _expected(NECK)]


def test_a_clinic_export_with_ids_and_other_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """client_id is echoed on every line; other columns are ignored with one warning, never refused."""
    assert main(["--batch", str(_write(tmp_path, "export.csv", EXPORT))]) == 2
    captured = capsys.readouterr()
    rows, last = rebuild(captured.out)
    assert [(line["row"], line["id"]) for line in rows] == [(2, "c-001"), (3, "c-002"), (4, "c-003")]
    assert rows[0]["outcome"] == "treat"
    assert rows[1]["outcome"] == "refer"
    assert rows[2]["error"]["field"] == "areas[0]"
    assert rows[2]["error"]["suggestion"] == "elbow"
    assert last["batch"] == {"rows": 3, "answered": 2, "not_answered": 1, "ignored": ["name", "notes"]}
    assert captured.err.splitlines() == [
        "suggest: ignoring columns that are not profile fields: 'name', 'notes'",
        f"suggest: row 4 (id c-003): {rows[2]['error']['message']}",
        "suggest: 1 of 3 rows were not answered (each has an error line in the output)",
    ]


def test_id_column_by_name_and_header_spelling(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--id-column names the id column; header names match like ids do ('Patient No', 'Areas')."""
    path = _write(tmp_path, "x.csv", "Patient No,Areas,Severity,Phase,Goals\nP-7,neck,3,acute,relaxation\n")
    assert main(["--batch", str(path), "--id-column", "patient_no", "--format", "summary"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "P-7"
    assert main(["--batch", str(path), "--id-column", "chart"]) == 2
    assert capsys.readouterr().err == (
        f"suggest: file: '{path}', line 1: has no id column 'chart' (the columns are Patient No, Areas, "
        "Severity, Phase, Goals)\n"
    )
    assert main(["--batch", str(path), "--id-column", "areas"]) == 2
    assert capsys.readouterr().err == "suggest: id_column: 'areas' is a profile field, not an id\n"


def test_jsonl_ids_and_unknown_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON line's client_id or id is echoed (a number as text); other keys are ignored, each named once."""
    lines = [{**NECK, "id": 17, "name": "Ann"}, {**NECK, "client_id": "c-2", "id": 3, "helth": []}, {**NECK}]
    path = _write(tmp_path, "x.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    assert main(["--batch", str(path), "--format", "summary"]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["id"] for line in captured.out.splitlines()] == ["17", "c-2", None]
    assert captured.err.splitlines() == [
        "suggest: ignoring keys that are not profile fields: 'name'",
        "suggest: ignoring keys that are not profile fields: 'id', 'helth' (did you mean 'health'?)",
    ]


def test_summary_lines_are_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format summary gives one compact JSON line per client, well under 1 KB, with the answer's gist."""
    assert main(["--batch", str(_write(tmp_path, "export.csv", EXPORT)), "--format", "summary"]) == 2
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines()]
    assert all(len(line.encode()) < 600 for line in out.splitlines())
    full = _expected({"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief", "mobility"]})
    assert lines[0] == {
        "row": 2,
        "id": "c-001",
        "outcome": "treat",
        "techniques": [t["id"] for t in full["techniques"][:3]],
        "sessions_min": full["plan"]["sessions_min"],
        "sessions_max": full["plan"]["sessions_max"],
        "referral": None,
        "no_massage": None,
        "screening_questions": [q["rule"] for q in full["screening_questions"]],
    }
    assert lines[1]["outcome"] == "refer"
    assert set(lines[1]["referral"]) == {"urgency", "rule", "reason", "massage_meanwhile"}
    assert lines[2]["error"]["field"] == "areas[0]"


def test_csv_format_for_spreadsheets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format csv gives a header and one row per client; an id that a spreadsheet would run is made text."""
    export = EXPORT + "=HYPERLINK(1),Eve,neck,3,acute,relaxation,,\n"
    assert main(["--batch", str(_write(tmp_path, "export.csv", export)), "--format", "csv"]) == 2
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["id"] for row in rows] == ["c-001", "c-002", "c-003", "'=HYPERLINK(1)"]
    assert rows[0]["outcome"] == "treat"
    assert rows[0]["error"] == ""
    assert len(rows[0]["techniques"].split(";")) == 3
    assert rows[1]["referral"] in {"urgent", "routine"}
    assert rows[1]["massage_meanwhile"] == "false"
    assert rows[2]["outcome"] == ""
    assert rows[2]["error"].startswith("areas[0]: 'elbw' is not a known body area")


def test_bad_rows_are_reported_and_the_rest_answered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad row yields an error line naming its row and field, the batch goes on, and the exit code is 2."""
    path = _write(
        tmp_path,
        "clients.csv",
        "areas,severity,phase,goals,days_since_onset\n"
        "lower_back,6,chronic,pain_relief,\n"
        "elbw,3,chronic,pain_relief,\n"
        "neck,3,,relaxation,soon\n"
        "neck,3,acute,relaxation,\n",
    )
    assert main(["--batch", str(path)]) == 2
    captured = capsys.readouterr()
    rows, last = rebuild(captured.out)
    assert len(rows) == 4
    assert rows[0]["outcome"] == "treat"
    assert rows[1]["row"] == 3
    assert rows[1]["error"]["field"] == "areas[0]"
    assert rows[1]["error"]["message"].startswith("areas[0]: 'elbw' is not a known body area; did you mean 'elbow'?")
    assert rows[2] == {
        "row": 4,
        "id": None,
        "error": {
            "field": "days_since_onset",
            "message": "days_since_onset: must be a whole number from 0 to 36500, not the text 'soon'",
            "suggestion": None,
        },
    }
    assert rows[3]["outcome"] in {"treat", "refer_and_treat"}
    assert last["batch"]["not_answered"] == 2
    assert "suggest: row 3: areas[0]: 'elbw' is not a known body area" in captured.err
    assert captured.err.endswith("suggest: 2 of 4 rows were not answered (each has an error line in the output)\n")
    assert "Traceback" not in captured.err


def test_stderr_names_the_first_bad_rows_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """After 20 bad rows stderr says the rest are only in the output, which has every one."""
    path = _write(tmp_path, "bad.csv", "areas,severity,phase,goals\n" + "elbw,3,acute,relaxation\n" * 50)
    assert main(["--batch", str(path)]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 51
    assert len(captured.err.splitlines()) == 22
    assert "more than 20 bad rows; the rest are told only in the output" in captured.err


def test_jsonl_row_that_is_not_an_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON line that is a list, or not JSON at all, is a bad row with its line number."""
    assert main(["--batch", str(_write(tmp_path, "clients.jsonl", "[1, 2]\n{oops\n"))]) == 2
    rows, _ = rebuild(capsys.readouterr().out)
    assert rows[0] == {
        "row": 1,
        "id": None,
        "error": {
            "field": "profile",
            "message": "profile: must be a JSON object of profile fields, not list",
            "suggestion": None,
        },
    }
    assert rows[1]["row"] == 2
    assert rows[1]["error"]["message"].startswith("profile: is not valid JSON")


def test_header_without_profile_fields_stops_before_any_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A first line that names no profile field (data with no header) stops the batch with exit 2."""
    path = _write(tmp_path, "clients.csv", "neck,3,acute,relaxation\nneck,3,acute,relaxation\n")
    assert main(["--batch", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"suggest: file: '{path}', line 1: the header names no profile field (age, areas, cause, cleared, "
    )


def test_batch_file_kind_and_presence_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not .csv or .jsonl, or does not exist, is a usage error (exit 2)."""
    other = _write(tmp_path, "clients.txt", "x")
    assert main(["--batch", str(other)]) == 2
    assert capsys.readouterr().err == (
        f"suggest: file: '{other}' is not a batch file: give a .csv or .jsonl file (or - for JSON lines on stdin)\n"
    )
    missing = tmp_path / "missing.csv"
    assert main(["--batch", str(missing)]) == 2
    assert capsys.readouterr().err == f"suggest: file: '{missing}' cannot be read: No such file or directory\n"


def test_batch_flags_that_do_not_go_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--batch cannot be mixed with one profile's flags; summary, csv and --id-column need --batch."""
    path = _write(tmp_path, "clients.csv", CSV)
    assert main(["--batch", str(path), "--area", "neck"]) == 2
    assert "drop --profile and the profile flags" in capsys.readouterr().err
    assert main(["--batch", str(path), "--format", "markdown"]) == 2
    assert "--format markdown is for one profile" in capsys.readouterr().err
    assert main(["--batch", str(path), "--json", "--format", "csv"]) == 2
    assert "--json and --format csv disagree" in capsys.readouterr().err
    one = ["--area", "neck", "--severity", "3", "--phase", "acute", "--goal", "relaxation"]
    assert main([*one, "--format", "summary"]) == 2
    assert "--format summary is for --batch" in capsys.readouterr().err
    assert main([*one, "--id-column", "client_id"]) == 2
    assert "--id-column is for --batch" in capsys.readouterr().err


def test_batch_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--batch - reads JSON lines from stdin."""
    stdin = io.TextIOWrapper(io.BytesIO((json.dumps({**NECK, "client_id": "c-9"}) + "\n").encode()))
    monkeypatch.setattr("sys.stdin", stdin)
    assert main(["--batch", "-"]) == 0
    rows, _ = rebuild(capsys.readouterr().out)
    assert [line["id"] for line in rows] == ["c-9"]
    assert [answer(line) for line in rows] == [_expected(NECK)]


def test_progress_bar_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a terminal a long batch shows a progress line on stderr; stdout holds only JSON lines."""
    from massage_rules.cli import batch as _batch

    monkeypatch.setattr(_batch, "PROGRESS_AFTER_ROWS", 1)
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    path = _write(tmp_path, "clients.csv", "areas,severity,phase,goals\n" + "neck,3,acute,relaxation\n" * 300)
    assert main(["--batch", str(path)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 301
    assert captured.err.startswith("\r")
    assert captured.err.endswith("/s\n")
    assert "100.0% 300 profiles" in captured.err


def test_ignored_keys_are_named_up_to_a_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file with thousands of odd keys names the first 50, says there are more, and answers every row."""
    lines = [{**NECK, f"key_{i}": 1, "x" * 100: 1} for i in range(60)]
    path = _write(tmp_path, "odd.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    assert main(["--batch", str(path)]) == 0
    captured = capsys.readouterr()
    rows, last = rebuild(captured.out)
    assert len(rows) == 60
    assert len(last["batch"]["ignored"]) == 50
    err = captured.err.splitlines()
    assert err[0] == f"suggest: ignoring keys that are not profile fields: 'key_0', '{'x' * 57}...'"
    assert err[-1] == "suggest: more than 50 keys are ignored; the rest are not named"
    assert len(err) == 50
