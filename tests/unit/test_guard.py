"""The last line of defence: an answer that breaks a fired restriction is never returned."""

from __future__ import annotations

import pytest

import massage_rules as mr
from massage_rules.cli.suggest import guarded, main
from massage_rules.engine import screen as screen_module
from massage_rules.engine.guard import check_answer
from massage_rules.engine.resolve import resolve_profile
from massage_rules.engine.screen import Placement, screen
from massage_rules.rules.firing import fire

ON_ANTICOAGULANTS = {
    "areas": ["lower_back"],
    "cause": "posture",
    "severity": 5,
    "phase": "chronic",
    "goals": ["pain_relief"],
    "health": ["anticoagulants"],
}


def _ignore_restrictions(
    self: screen_module.Screen, technique: str, lowest: int, highest: int, areas: frozenset[str]
) -> Placement | None:
    return Placement(areas, frozenset(), highest) if areas else None


def test_a_safe_answer_passes(kb: mr.KnowledgeBase) -> None:
    """The engine's own answer passes the check it is built to pass."""
    profile = mr.ClientProfile(**ON_ANTICOAGULANTS)
    facts = resolve_profile(profile, kb)
    check_answer(mr.recommend(profile, kb), screen(fire(facts, kb).rules, facts, kb))


def test_an_answer_offering_a_forbidden_technique_is_refused(
    kb: mr.KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If ranking ever let a forbidden technique or a pressure over a cap through, recommend raises, naming rules."""
    monkeypatch.setattr(screen_module.Screen, "place", _ignore_restrictions)
    with pytest.raises(mr.UnsafeAnswerError) as caught:
        mr.recommend(mr.ClientProfile(**ON_ANTICOAGULANTS), kb)
    assert "anticoagulants_gentle" in caught.value.rules
    assert "anticoagulants_gentle" in str(caught.value)


def test_the_cli_reports_an_unsafe_answer_as_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """suggest exits 3 with the rule ids and prints no answer."""
    monkeypatch.setattr(screen_module.Screen, "place", _ignore_restrictions)
    args = ["--area", "lower_back", "--severity", "5", "--phase", "chronic", "--goal", "pain_relief"]
    assert guarded("suggest", main, [*args, "--health", "anticoagulants"]) == 3
    captured = capsys.readouterr()
    assert "anticoagulants_gentle" in captured.err
    assert "internal error" in captured.err
    assert captured.out == ""
