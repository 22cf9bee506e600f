"""`suggest --format text|json|markdown`, with `--json` kept as an alias."""

from __future__ import annotations

import json
import re

import pytest

from massage_rules.cli.suggest import main

PROFILE = ["--area", "lower_back", "--severity", "6", "--phase", "chronic", "--goal", "pain_relief"]


def test_format_json_and_the_json_alias_print_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    """--format json and --json print the same, versioned JSON result."""
    assert main([*PROFILE, "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert main([*PROFILE, "--json"]) == 0
    assert capsys.readouterr().out == first
    assert json.loads(first)["schema_version"] == "1.2"


def test_format_markdown_prints_a_client_handout(capsys: pytest.CaptureFixture[str]) -> None:
    """--format markdown prints the handout: the date, how often; no scores, billing codes or references."""
    assert main([*PROFILE, "--format", "markdown", "--date", "2026-03-02"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Your massage plan\n\n**Date:** 2 March 2026\n\nWhat we are working on: your lower back.")
    assert "## How often\n\n- About 8 to 10 sessions, once a week, 60 minutes each.\n" in out
    assert re.search(r"\bscore:? [-+]?\d", out) is None
    assert re.search(r"\b97\d\d\d\b", out) is None  # no CPT code
    assert "Medicare" not in out
    assert "Sources" not in out


def test_format_text_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --format the therapist's text report is printed; its billing line is behind --full."""
    assert main(PROFILE) == 0
    out = capsys.readouterr().out
    assert out.startswith("Client: Lower back · ")
    assert "billing:" not in out
    assert main([*PROFILE, "--full"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "billing: 4 unit(s) of 97124, 97140 for 60 timed minutes (15-min units, 8-min threshold)" in out


def test_json_and_another_format_conflict(capsys: pytest.CaptureFixture[str]) -> None:
    """--json with --format markdown is a usage error (exit 2) on stderr."""
    with pytest.raises(SystemExit) as caught:
        main([*PROFILE, "--json", "--format", "markdown"])
    assert caught.value.code == 2
    assert capsys.readouterr().err == "suggest: --json and --format markdown disagree; give one\n"


@pytest.mark.parametrize(("fmt", "key", "value"), [("cds-hooks", "cards", None), ("fhir", "resourceType", "CarePlan")])
def test_interop_formats_print_json(fmt: str, key: str, value: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    """--format cds-hooks prints a CDS Hooks response; --format fhir prints a CarePlan."""
    assert main([*PROFILE, "--format", fmt]) == 0
    data = json.loads(capsys.readouterr().out)
    assert key in data
    if value is not None:
        assert data[key] == value


def test_malformed_icd10_code_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed ICD-10-CM code on the command line exits 2 with the field named, no traceback."""
    assert main([*PROFILE, "--condition", "M54."]) == 2
    err = capsys.readouterr().err
    assert err.startswith("suggest: bad profile: ")
    assert "conditions[0]: 'M54.' is not a well-formed ICD-10-CM code (a letter, a digit" in err
    assert "Traceback" not in err
