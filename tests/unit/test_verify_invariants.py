"""verify's checks of issue 18's invariants: each breaks on a small base or a sabotaged engine.

The bundled base keeps them all: tests/knowledge/test_verify_bundled.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import massage_rules as mr
from massage_rules.engine import plan as plan_module, rank as rank_module, recommend as recommend_module

BASE = """\
format: 1
pack: {id: invariants, version: "1"}
sources:
  - {id: src, citation: A source, url: "https://example.org", evidence: low}
vocabulary:
  areas: [{id: back, name: Back}]
  causes: [{id: sport, name: Sport}]
  goals: [{id: pain_relief, name: Pain relief}]
  phases: [{id: chronic, name: Chronic}]
  severity_bands:
    - {id: none, name: No pain, min: 0, max: 0, nrs: 0}
    - {id: mild, name: Mild, min: 1, max: 3, nrs: 3}
    - {id: moderate, name: Moderate, min: 4, max: 6, nrs: 5}
    - {id: severe, name: Severe, min: 7, max: 10, nrs: 8}
findings:
  - {id: numbness, name: Numbness, question: Any numbness?}
techniques:
  - {id: swedish, name: Swedish, pressure: {min: 1, max: 3}, goals: {pain_relief: 1}, phases: {chronic: suited},
     cpt: "97124", evidence: low, sources: [src]}
  - {id: stretch, name: Stretch, pressure: {min: 1, max: 2}, goals: {pain_relief: 1}, phases: {chronic: suited},
     cpt: "97140", evidence: moderate, sources: [src]}
conditions:
  - id: back_pain
    name: Back pain
    icd10: [M54.5]
    match: {areas: [back]}
    favour: {swedish: 1, stretch: 1}
    text: Back pain.
    dose: {sessions_min: 8, sessions_max: 10, sessions_per_week: 1, session_minutes: 60, check_in_after_sessions: 4}
    sources: [src]
rules:
  - id: back_ask
    text: Ask about the back first.
    when: {areas: [back], severity: {min: 7}}
    ask: {question: "Any numbness?", findings: [numbness]}
    sources: [src]
ranking:
  evidence_order: [high, moderate, low, very_low, expert_opinion]
plan:
  defaults:
    - {phase: chronic, sessions_min: 6, sessions_max: 10, sessions_per_week: 1, session_minutes: 60,
       check_in_after_sessions: 3, sources: [src]}
  severity:
    evidence: expert_consensus
    sources: [src]
    steps:
      - {band: none, add_min: -2, add_max: -2, text: "None"}
      - {band: mild, add_min: -2, add_max: -2, text: "Mild"}
      - {band: moderate, add_min: 0, add_max: 0, text: "Moderate"}
      - {band: severe, add_min: 1, add_max: 1, text: "Severe"}
  no_course: {band: none, goals: [pain_relief], text: "At rest: no course.", sources: [src]}
  trial_margin: {sessions: 2, text: "Near the trial.", sources: [src]}
"""


def _verify(tmp_path: Path, text: str = BASE) -> dict[str, list[mr.VerifyFinding]]:
    path = tmp_path / "invariants.yaml"
    path.write_text(text, encoding="utf-8")
    report = mr.verify_knowledge(mr.load_knowledge([path], bundled=False))
    out: dict[str, list[mr.VerifyFinding]] = {}
    for finding in (*report.errors, *report.warnings):
        out.setdefault(finding.kind, []).append(finding)
    return out


def test_the_small_base_keeps_every_invariant(tmp_path: Path) -> None:
    """The base the breaking tests start from verifies clean."""
    assert _verify(tmp_path) == {}


def test_a_course_that_does_not_rise_between_bands_is_non_monotone(tmp_path: Path) -> None:
    """A severe step that adds nothing leaves severe pain with the moderate course: non_monotone, not rising."""
    flat = BASE.replace("{band: severe, add_min: 1, add_max: 1", "{band: severe, add_min: 0, add_max: 0")
    found = _verify(tmp_path, flat)["non_monotone"]
    assert any("no longer than" in f.message and f.other_profile is not None for f in found)


def test_a_course_planned_at_rest_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine that plans a course at pain 0 with pain relief the only goal breaks the no-course rule."""
    monkeypatch.setattr(plan_module, "_no_course", lambda rule, band, facts: False)
    found = _verify(tmp_path)["course_at_rest"]
    assert found[0].rules == ("plan.no_course",)
    assert found[0].profile is not None
    assert found[0].profile["severity"] == 0


def test_a_trial_course_past_its_margin_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine that forgets the trial margin moves a trial's dose of 8-10 past 12 sessions at severe pain."""
    original: Callable[..., Any] = plan_module._moves
    monkeypatch.setattr(plan_module, "_moves", lambda *args, trial: original(*args, trial=False))
    steep = BASE.replace("{band: severe, add_min: 1, add_max: 1", "{band: severe, add_min: 5, add_max: 5")
    found = _verify(tmp_path, steep)["outside_trial_margin"]
    assert found[0].rules == ("back_pain",)


def test_techniques_ranked_by_id_alone_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine that weighs the score alone lets two techniques of unequal evidence share a rank."""
    monkeypatch.setattr(rank_module._Candidate, "key", lambda self: (-self.score,))
    found = _verify(tmp_path)["ranked_by_id"]
    assert "stretch and swedish" in found[0].message


def test_a_screening_question_left_unasked_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine that asks nothing leaves the back question of severe pain unasked while it offers techniques."""
    monkeypatch.setattr(recommend_module, "open_questions", lambda fired, facts: [])
    found = _verify(tmp_path)["question_not_asked"]
    assert found[0].rules == ("back_ask",)
