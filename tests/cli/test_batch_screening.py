"""`suggest --batch` with the `age` and `cleared` fields: in CSV columns and JSON lines, checked per row."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import massage_rules as mr
from massage_rules.cli.suggest import main

OVER_FIFTY = "back_pain_over_fifty_ask"
CLOT = "leg_swelling_clot_ask"
BACK = {"areas": ["lower_back"], "cause": "posture", "severity": 5, "phase": "subacute", "goals": ["pain_relief"]}
CSV = (
    "client_id,areas,cause,severity,phase,goals,age,cleared\n"
    "c-1,lower_back,posture,5,subacute,pain_relief,58,\n"
    f"c-2,lower_back,posture,5,subacute,pain_relief,58,{OVER_FIFTY}\n"
    f"c-3,lower_back,posture,5,subacute,pain_relief,58, {CLOT} ; {OVER_FIFTY} \n"
    "c-4,lower_back,posture,5,subacute,pain_relief,,\n"
)


def _lines(out: str) -> list[dict[str, Any]]:
    """The row lines of a JSON batch (the last line, the sources and the count, left off)."""
    return [json.loads(line) for line in out.splitlines()][:-1]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _questions(line: dict[str, Any]) -> list[str]:
    return [q["rule"] for q in line["screening_questions"]]


def test_csv_age_and_cleared_columns(tmp_path: Path, kb: mr.KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    """CSV columns age and cleared reach each profile; cleared is a ;-list like the other list columns."""
    assert main(["--batch", str(_write(tmp_path, "clients.csv", CSV))]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # neither column is ignored
    lines = _lines(captured.out)
    profiles = [(line["profile"].get("age"), line["profile"]["cleared"]) for line in lines]
    assert profiles == [(58, []), (58, [OVER_FIFTY]), (58, [OVER_FIFTY, CLOT]), (None, [])]
    assert [OVER_FIFTY in _questions(line) for line in lines] == [True, False, False, False]
    expected = mr.recommend(mr.ClientProfile(**BACK, age=58, cleared=[CLOT, OVER_FIFTY]), kb)
    assert lines[2]["screening_questions"] == [q.model_dump(mode="json") for q in expected.screening_questions]
    assert [t["id"] for t in lines[2]["techniques"]] == [t.id for t in expected.techniques]


def test_json_lines_age_and_cleared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON line gives age as a number and cleared as a list (or one string), as a profile file does."""
    rows = [
        {**BACK, "id": "a", "age": 58},
        {**BACK, "id": "b", "age": 58, "cleared": [OVER_FIFTY, CLOT]},
        {**BACK, "id": "c", "age": "58", "cleared": OVER_FIFTY},
    ]
    path = _write(tmp_path, "clients.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
    assert main(["--batch", str(path)]) == 0
    lines = _lines(capsys.readouterr().out)
    assert [line["profile"]["cleared"] for line in lines] == [[], [OVER_FIFTY, CLOT], [OVER_FIFTY]]
    assert [line["profile"]["age"] for line in lines] == [58, 58, 58]
    assert [OVER_FIFTY in _questions(line) for line in lines] == [True, False, False]


def test_a_bad_age_or_cleared_is_a_row_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An age out of range or an unknown cleared id stops only its row, naming the field and a close match."""
    text = (
        "client_id,areas,severity,phase,goals,age,cleared\n"
        "c-1,lower_back,5,subacute,pain_relief,140,\n"
        "c-2,lower_back,5,subacute,pain_relief,58,back_pain_over_fity_ask\n"
        f"c-3,lower_back,5,subacute,pain_relief,58,{OVER_FIFTY}\n"
    )
    assert main(["--batch", str(_write(tmp_path, "clients.csv", text))]) == 2
    captured = capsys.readouterr()
    lines = _lines(captured.out)
    assert lines[0]["error"] == {"field": "age", "message": "age: must be from 0 to 130, not 140", "suggestion": None}
    assert lines[1]["error"]["field"] == "cleared[0]"
    assert lines[1]["error"]["suggestion"] == OVER_FIFTY
    assert lines[2]["outcome"] == "treat"
    assert "suggest: row 3 (id c-2): cleared[0]: 'back_pain_over_fity_ask' is not a known screening" in captured.err
    assert "Traceback" not in captured.err


def test_summary_and_csv_name_the_open_questions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary and the CSV output name each row's open questions by rule id: what to put in cleared."""
    path = str(_write(tmp_path, "clients.csv", CSV))
    assert main(["--batch", path, "--format", "summary"]) == 0
    summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [OVER_FIFTY in line["screening_questions"] for line in summary] == [True, False, False, False]
    assert main(["--batch", path, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [OVER_FIFTY in row["screening_questions"].split(";") for row in rows] == [True, False, False, False]
