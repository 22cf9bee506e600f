"""Complaints matched through complaints: honoured by recommend, explain, check and the CLI, to any depth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.cli.admin import main as admin_main
from massage_rules.cli.suggest import main as suggest_main

CHAINS = Path(__file__).parent / "chains"
CHRONIC_BACK = {
    "areas": ["lower_back"],
    "cause": "posture",
    "severity": 6,
    "phase": "chronic",
    "goals": ["pain_relief"],
}
CHRONIC_BACK_ARGS = ["--area", "lower_back", "--cause", "posture", "--severity", "6", "--phase", "chronic"]


def test_a_forbid_keyed_on_a_complaint_matched_through_another_is_applied() -> None:
    """The issue's pack: swedish is forbidden once the second complaint matches, and listed as avoided."""
    kb = mr.load_knowledge([CHAINS / "second_complaint.yaml"])
    answer = mr.recommend(mr.ClientProfile(**CHRONIC_BACK), knowledge=kb)
    assert "zz_second_complaint" in {c.id for c in answer.conditions}
    assert "swedish" not in {t.id for t in answer.techniques}
    assert any(a.technique == "swedish" and a.rule == "zz_forbid_swedish_on_second" for a in answer.avoided)


def test_the_cli_and_explain_agree_with_recommend_on_the_issue_pack(capsys: pytest.CaptureFixture[str]) -> None:
    """suggest does not offer swedish, and explain names the forbid that keeps it out."""
    pack = str(CHAINS / "second_complaint.yaml")
    assert suggest_main([*CHRONIC_BACK_ARGS, "--goal", "pain_relief", "--knowledge", pack, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "swedish" not in [t["id"] for t in answer["techniques"]]
    explanation = mr.explain(mr.ClientProfile(**CHRONIC_BACK), "swedish", mr.load_knowledge([pack]))
    assert not explanation.offered
    assert [o.rule for o in explanation.obstacles] == ["zz_forbid_swedish_on_second"]


def test_a_chain_three_deep_applies_forbid_cap_and_allow_list_of_its_last_link() -> None:
    """Three links deep, the last link's forbid, pressure cap and allow-list all hold, whatever the scores."""
    kb = mr.load_knowledge([CHAINS / "deep_chain.yaml"])
    answer = mr.recommend(mr.ClientProfile(**CHRONIC_BACK), knowledge=kb)
    assert {"zz_link_a", "zz_link_b", "zz_link_c"} <= {c.id for c in answer.conditions}
    offered = {t.id: t for t in answer.techniques}
    assert "swedish" not in offered
    assert set(offered) <= {"myofascial_release", "comfort_touch", "deep_tissue"}
    assert all(t.pressure_max <= 2 for t in answer.techniques)
    assert {"zz_forbid_on_c", "zz_cap_on_c", "zz_allow_on_c"} <= {a.rule for a in answer.avoided}
    assert [limit.max_pressure for limit in answer.pressure_limits if limit.rule == "zz_cap_on_c"] == [2]


def test_check_reports_a_cycle_of_complaints_with_its_file_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Two complaints that match each other are a knowledge error located at the first of them."""
    path = CHAINS / "cycle.yaml"
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([path])
    messages = [str(p) for p in caught.value.problems]
    assert any(f"{path}:8:" in m and "zz_ping -> zz_pong -> zz_ping" in m for m in messages), messages
    assert admin_main(["check", str(path)]) == 1
    assert "cycle" in capsys.readouterr().out


def test_check_is_clean_on_the_chain_packs(capsys: pytest.CaptureFixture[str]) -> None:
    """The two valid chain packs pass check with no error."""
    for name in ("second_complaint.yaml", "deep_chain.yaml"):
        assert admin_main(["check", str(CHAINS / name)]) == 0, capsys.readouterr()
