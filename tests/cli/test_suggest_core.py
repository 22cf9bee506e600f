"""The `suggest` command: answers, exit codes, JSON shape, and no traceback on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from massage_rules.cli.suggest import main

CHRONIC_BACK = [
    "--area",
    "lower_back",
    "--cause",
    "posture",
    "--severity",
    "6",
    "--phase",
    "chronic",
    "--goal",
    "pain_relief",
    "--goal",
    "mobility",
]


def test_text_answer_lists_techniques_and_plan(capsys: pytest.CaptureFixture[str]) -> None:
    """A plain profile prints ranked techniques with reasons and a plan, and exits 0."""
    assert main(CHRONIC_BACK) == 0
    out = capsys.readouterr().out
    assert "Techniques, best first (top 5 of 15; --all for every one)" in out
    assert "   1  Myofascial release " in out
    assert "      mobility (range of motion) +3, pain relief +2, Chronic low back pain +1\n" in out
    assert "Plan: 8-10 sessions, 1 a week, 60 min each; check in after sessions 4 and 8\n" in out


def test_json_answer_is_the_whole_result(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the result model's JSON, keyed by its attribute names."""
    assert main([*CHRONIC_BACK, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == "1.2"
    assert {"techniques", "avoided", "referral", "plan", "knowledge"} <= set(data)
    assert data["techniques"][0]["rank"] == 1


def test_severity_words_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    """--severity takes mild, moderate or severe, read from the knowledge's bands."""
    assert (
        main([*CHRONIC_BACK[:4], "--severity", "severe", "--phase", "chronic", "--goal", "pain_relief", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["profile"]["severity"] >= 7


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_profile_file(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--profile reads the same fields from a YAML or JSON file."""
    profile = {"areas": ["neck"], "severity": "moderate", "phase": "chronic", "goals": ["relaxation"]}
    path = tmp_path / f"client{suffix}"
    path.write_text(json.dumps(profile), encoding="utf-8")
    assert main(["--profile", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"]["areas"] == ["neck"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--area", "lowerback", "--severity", "6", "--phase", "chronic", "--goal", "pain_relief"],
            "did you mean 'lower_back'?",
        ),
        (
            ["--area", "neck", "--severity", "loud", "--phase", "chronic", "--goal", "pain_relief"],
            "'loud' is neither a 0-10 pain score nor a severity word",
        ),
        (["--area", "neck", "--severity", "6", "--goal", "pain_relief"], "give phase or days_since_onset"),
        ([], "no profile given"),
    ],
)
def test_bad_profile_exits_2_with_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad profile is one clean line on stderr and exit code 2."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_broken_knowledge_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken clinic knowledge file exits 1 and names the file."""
    bad = tmp_path / "clinic.yaml"
    bad.write_text("format: 1\nrules: [{id: x}]\n", encoding="utf-8")
    assert main([*CHRONIC_BACK, "--knowledge", str(bad)]) == 1
    assert str(bad) in capsys.readouterr().err


def test_bad_usage_exits_2_without_traceback() -> None:
    """An unknown option is a usage error: exit 2, a message, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "massage_rules.cli.suggest", "--bogus"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "unrecognized arguments: --bogus" in proc.stderr


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """--help shows examples and the exit codes."""
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "exit codes:" in out


def test_referral_is_an_answer(capsys: pytest.CaptureFixture[str]) -> None:
    """A red flag prints the referral first and still exits 0."""
    assert main([*CHRONIC_BACK, "--health", "suspected_dvt"]) == 0
    out = capsys.readouterr().out
    assert "URGENT REFERRAL" in out
    assert "Techniques" not in out


def test_secondary_referral_does_not_promise_care_meanwhile(capsys: pytest.CaptureFixture[str]) -> None:
    """When one referral blocks all massage, a second one that would allow care meanwhile does not say so."""
    assert main([*CHRONIC_BACK, "--health", "cancer_history", "--health", "night_pain"]) == 0
    out = capsys.readouterr().out
    assert "no massage until a physician has cleared the client" in out
    assert "massage may go on meanwhile" not in out


def test_one_avoid_line_per_rule_and_place(capsys: pytest.CaptureFixture[str]) -> None:
    """A rule that both forbids and caps pressure is one entry, headed by the finding, with its limit."""
    assert main([*CHRONIC_BACK, "--health", "anticoagulants", "--full"]) == 0
    lines = capsys.readouterr().out.split("Avoid\n", 1)[1].split("\n\n", 1)[0]
    assert lines.count("[anticoagulants_gentle]") == 1
    assert lines.startswith("  Takes anticoagulants: no Active release technique, ")
    assert lines.count("pressure at most 2/5 anywhere") == 1
