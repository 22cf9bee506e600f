"""`massage-rules list KIND [WORD]`: the ids a profile may use, with names, synonyms and screening questions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import massage_rules as mr
from massage_rules.cli import suggest
from massage_rules.cli.admin import main
from massage_rules.cli.list import KINDS
from massage_rules.engine.screening import question_rules


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["list", *argv, "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_lists_every_id_in_the_knowledge_s_order(
    kind: str, kb: mr.KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON lists every id of the kind, in the order the knowledge gives them, each with its name."""
    data = _json(capsys, kind)
    assert data["kind"] == kind
    assert data["knowledge"] == kb.version
    ids = [rule.id for rule in question_rules(kb)] if kind == "questions" else list(getattr(kb, kind))
    assert [item["id"] for item in data["items"]] == ids
    assert all(item.get("name") or item.get("question") for item in data["items"])


def test_text_shows_names_synonyms_and_questions(capsys: pytest.CaptureFixture[str]) -> None:
    """The text list of findings shows each id with its name, the question to ask, and its synonyms."""
    assert main(["list", "findings"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Health findings in knowledge ")
    assert "  suspected_dvt " in out
    assert "ask: Is one calf or leg newly swollen, warm, red or painful?" in out
    assert "also: blood_thinners, warfarin" in out


def test_questions_list_every_id_that_cleared_takes(kb: mr.KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    """`list questions` gives each screening question's id, which a profile's cleared accepts, and what a yes is."""
    items = {item["id"]: item for item in _json(capsys, "questions")["items"]}
    assert items["back_pain_over_fifty_ask"]["diagnosis"] is None
    assert "night_pain" in items["back_pain_over_fifty_ask"]["findings"]
    assert items["plantar_fasciitis.confirm"]["diagnosis"] == "plantar_fasciitis"
    profile = mr.ClientProfile(areas=["neck"], severity=3, phase="acute", goals=["relaxation"], cleared=list(items))
    assert mr.recommend(profile, kb).profile.cleared == tuple(sorted(items))
    assert main(["list", "questions", "clot"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Screening questions in knowledge ")
    assert "(suggest --cleared ID)" in out
    assert "\n  leg_swelling_clot_ask\n      ask: Is the swelling on one side only" in out
    assert "\n      if yes: suspected_dvt in `health`\n" in out


def test_findings_carry_their_question_or_none(kb: mr.KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    """Every finding's JSON entry has its question (None when the knowledge gives none) and whether it is local."""
    items = {item["id"]: item for item in _json(capsys, "findings")["items"]}
    for ident, finding in kb.findings.items():
        assert (items[ident]["question"], items[ident]["local"]) == (finding.question, finding.local)


@pytest.mark.parametrize(
    ("kind", "word", "ids"),
    [
        ("areas", "back", ["lower_back", "upper_back"]),
        ("areas", "foot", ["ankle_foot"]),
        ("areas", "Lower Back", ["lower_back"]),
        ("findings", "diabetis", ["diabetic_neuropathy"]),
        ("goals", "range_of_motion", ["mobility"]),
        ("conditions", "m54.50", ["chronic_low_back_pain"]),
        ("techniques", "swedish", ["swedish"]),
    ],
)
def test_a_word_lists_what_it_may_stand_for(
    kind: str, word: str, ids: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """With a word, only the entries it may stand for are listed, best first."""
    assert [item["id"] for item in _json(capsys, kind, word)["items"]] == ids


def test_a_word_that_matches_nothing_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A word that stands for nothing is exit 2, with a pointer to the whole list."""
    assert main(["list", "goals", "xyzzy"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "massage-rules list: 'xyzzy' matches none of the goals; see massage-rules list goals\n"


def test_an_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown kind is exit 2 with the choices."""
    with pytest.raises(SystemExit) as caught:
        main(["list", "area"])
    assert caught.value.code == 2
    assert "invalid choice: 'area'" in capsys.readouterr().err


def test_a_clinic_pack_adds_its_ids_and_broken_knowledge_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--knowledge adds a pack's entries; a broken pack is exit 1 with the problem."""
    pack = tmp_path / "clinic.yaml"
    pack.write_text(
        'format: 1\npack: {id: clinic, version: "1"}\n'
        "findings:\n  - {id: sunburn, name: Sunburn, local: true, question: Sunburnt skin?}\n",
        encoding="utf-8",
    )
    items = _json(capsys, "findings", "sunburn", "--knowledge", str(pack))["items"]
    assert items == [{"id": "sunburn", "name": "Sunburn", "synonyms": [], "question": "Sunburnt skin?", "local": True}]
    pack.write_text("format: 1\nfindings: [{id: Bad}]\n", encoding="utf-8")
    assert main(["list", "findings", "--knowledge", str(pack)]) == 1
    assert "broken knowledge" in capsys.readouterr().err


def test_suggest_help_points_to_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    """`suggest --help` tells where to find the ids a profile may use."""
    with pytest.raises(SystemExit):
        suggest.main(["--help"])
    assert "massage-rules list areas|causes|goals|phases|findings|conditions|techniques" in capsys.readouterr().out
