"""massage-rules check, verify and explain: exit codes, output shape, no traceback."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from massage_rules.cli.admin import main
from massage_rules.knowledge.load import bundled_knowledge_paths

ROOT = Path(__file__).parents[1]
BASE = sorted((ROOT / "knowledge" / "base").glob("*.yaml"))
BAD = ROOT / "knowledge" / "bad"
BROKEN = ROOT / "unit" / "data" / "broken_kb.yaml"


def test_check_clean_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """Checking the base files alone finds no problem and exits 0."""
    assert main(["check", "--alone", *map(str, BASE)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "0 error(s), 0 warning(s) in 5 file(s)\n"


def test_check_errors_exit_1_worst_first(capsys: pytest.CaptureFixture[str]) -> None:
    """Broken files give exit 1 and one line per problem, errors before warnings."""
    files = [*map(str, BASE), str(BAD / "unknown_goal.yaml")]
    assert main(["check", "--alone", *files]) == 1
    out, _ = capsys.readouterr()
    assert out.splitlines() == [
        f"{BAD / 'unknown_goal.yaml'}:7:20: error: rule 'clinic_relax': goal 'relaxaton' is not defined; "
        "did you mean 'relaxation'?"
    ]


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the documented shape."""
    assert main(["check", "--json", "--alone", *map(str, BASE), str(BAD / "unknown_source.yaml")]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["schema_version"], data["ok"], data["errors"], data["warnings"]) == (1, False, 1, 0)
    problem = data["problems"][0]
    assert (problem["line"], problem["column"], problem["suggestion"]) == (9, 15, "werner")


def test_check_alone_needs_files(capsys: pytest.CaptureFixture[str]) -> None:
    """--alone without files is a usage error."""
    assert main(["check", "--alone"]) == 2
    assert "needs at least one FILE" in capsys.readouterr().err


def test_verify_broken_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """verify on a broken base lists its defects and exits 1; --json parses."""
    assert main(["verify", "--alone", "--knowledge", str(BROKEN)]) == 1
    out = capsys.readouterr().out
    assert "error: dead_rule: rule 'late_acute' fires for no profile in the walk" in out
    assert out.splitlines()[-1] == "FAILED: 8 error(s), 1 warning(s)"  # the chained forbid is applied now
    assert main(["verify", "--json", "--alone", "--knowledge", str(BROKEN)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert data["profiles_walked"] == sum(data["parts"].values())


def test_verify_shows_one_updating_progress_line_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal, stderr gets one line rewritten in place (part, share done, profiles), wiped at the end."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["verify", "--alone", "--knowledge", str(BROKEN)]) == 1
    out, err = capsys.readouterr()
    assert "\n" not in err
    shown = [piece.rstrip() for piece in err.split("\r") if piece.strip()]
    assert shown[0].startswith("verify: part 1/4 core, ")
    assert re.fullmatch(r"verify: part 4/4 rules, 100% \([\d,]+ profiles\)", shown[-1])
    assert all(re.fullmatch(r"verify: part [1-4]/4 \w+, \d+% \([\d,]+ profiles\)", line) for line in shown)
    assert err.endswith("\r" + " " * len(shown[-1]) + "\r")
    assert out.startswith("knowledge broken-1 ")


def test_verify_prints_no_progress_when_not_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped or redirected, verify writes its report only: nothing on stderr."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert main(["verify", "--alone", "--knowledge", str(BROKEN)]) == 1
    assert capsys.readouterr().err == ""


def test_explain_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """explain prints the summary first; --json gives the Explanation model."""
    args = ["explain", "--technique", "deep_tissue", "--area", "lower_back", "--severity", "6"]
    args += ["--phase", "chronic", "--goal", "mobility", "--health", "anticoagulants"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Deep tissue massage is not offered:")
    assert out.count("knowledge/conditions.yaml:") == 2  # the bundled file, not its installed path
    assert str(bundled_knowledge_paths()[0].parent) not in out
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["offered"] is False
    assert data["obstacles"][0]["kind"] == "forbidden"


def test_explain_bad_technique_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown technique is a usage error with a suggestion, not a traceback."""
    args = ["explain", "--technique", "swedsh", "--area", "neck", "--severity", "3", "--phase", "acute"]
    assert main([*args, "--goal", "relaxation"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'swedish'?" in err
    assert "Traceback" not in err


def test_check_lists_errors_before_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every problem is listed at once, errors first, even when the warning comes earlier in the file."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "format: 1\npack: {id: clinic, version: '1'}\n"
        "sources:\n  - {id: leaflet, citation: Our leaflet., evidence: expert_opinion}\n"
        "rules:\n  - {id: r1, text: x, when: {goals: [relax]}, score: {swedish: 1}, sources: [werner]}\n"
        "  - {id: r2, text: y, score: {swedsh: 1}, sources: [werner]}\n",
        encoding="utf-8",
    )
    from massage_rules import check_knowledge
    from massage_rules.authoring.check import format_problem

    lines = [format_problem(p) for p in check_knowledge([pack], base=BASE).problems]
    assert lines == [
        f"{pack}:6:38: error: rule 'r1': goal 'relax' is not defined; did you mean 'relaxation'?",
        f"{pack}:7:31: error: rule 'r2': technique 'swedsh' is not defined; did you mean 'swedish'?",
        f"{pack}:4:5: warning: rule 'leaflet': has no URL",
    ]
