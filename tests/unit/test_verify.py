"""verify on a deliberately broken base finds each planted defect, and its safety oracle catches bad answers."""

from __future__ import annotations

from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.authoring.verify import unsafe_offers
from massage_rules.engine import recommend as recommend_module, screen as screen_module
from massage_rules.engine.resolve import resolve_profile
from massage_rules.engine.screen import Placement

BROKEN = Path(__file__).parent / "data" / "broken_kb.yaml"


@pytest.fixture(scope="module")
def broken() -> mr.KnowledgeBase:
    """The broken base, loaded alone."""
    return mr.load_knowledge([BROKEN], bundled=False)


@pytest.fixture(scope="module")
def report(broken: mr.KnowledgeBase) -> mr.VerifyReport:
    """verify's report on the broken base."""
    return mr.verify_knowledge(broken)


def _kinds(report: mr.VerifyReport) -> dict[str, list[mr.VerifyFinding]]:
    out: dict[str, list[mr.VerifyFinding]] = {}
    for finding in (*report.errors, *report.warnings):
        out.setdefault(finding.kind, []).append(finding)
    return out


def test_broken_base_fails(report: mr.VerifyReport) -> None:
    """A base with planted defects is not ok, and errors come worst first."""
    assert not report.ok
    kinds = [f.kind for f in report.errors]
    assert kinds == sorted(kinds, key=["unsafe", "gap", "non_monotone", "contradiction", "dead_rule"].index)


def test_finds_the_gap(report: mr.VerifyReport) -> None:
    """The neck in the acute phase with pain relief as the only goal gets no answer at all."""
    gaps = _kinds(report)["gap"]
    profiles = [g.profile for g in gaps]
    assert {"areas": ["neck"], "severity": 0, "phase": "acute", "goals": ["pain_relief"]} in profiles


def test_a_forbid_on_a_chained_complaint_is_applied_so_nothing_is_unsafe(report: mr.VerifyReport) -> None:
    """A forbid hung on a complaint matched through another complaint holds: verify finds no unsafe answer."""
    assert "unsafe" not in _kinds(report)


def test_finds_the_non_monotone_dose(report: mr.VerifyReport) -> None:
    """More severity giving fewer sessions is reported with both profiles."""
    (finding,) = _kinds(report)["non_monotone"]
    assert finding.rules == ("severe_shorter",)
    assert finding.profile is not None
    assert finding.other_profile is not None
    assert finding.other_profile["severity"] > finding.profile["severity"]


def test_finds_the_dead_rule(report: mr.VerifyReport) -> None:
    """A rule that needs the acute phase and day 30 fires for no profile."""
    assert [f.rules for f in _kinds(report)["dead_rule"]] == [("late_acute",)]


def test_finds_the_contradiction_and_the_shadowed_score(report: mr.VerifyReport) -> None:
    """Favour and forbid in the same profiles is an error; a score never usable is a warning."""
    assert [f.rules for f in _kinds(report)["contradiction"]] == [("sport_light", "sport_no_light")]
    assert [f.rules for f in report.warnings] == [("acute_back_deep",)]
    assert "ruled out by 'deep.phase.acute'" in report.warnings[0].message


def test_report_states_its_space(report: mr.VerifyReport) -> None:
    """The report gives the space walked, the classes used and the engine calls made."""
    assert report.profiles_walked == sum(report.parts.values())
    assert report.profiles_represented >= report.profiles_walked
    assert 0 < report.engine_calls <= report.situations <= report.profiles_walked
    assert report.classes["severity"] == ["0-5", "6-7", "8-10"]
    assert report.classes["causes"] == ["None", "sport"]
    assert report.classes["area sizes"] == ["1-3"]


def test_the_core_stands_for_every_area_set(report: mr.VerifyReport) -> None:
    """Part 1 stands for every non-empty set of the three areas, in every cause, timing, severity and goal set."""
    area_sets, causes, timings, severities, goal_sets = 2**3 - 1, 3, 2 + 36_501, 11, 2**2 - 1
    diagnoses = 3 * timings * severities * goal_sets * area_sets
    findings = 3 * (8 + 16) * causes * timings * severities * goal_sets  # per area: fever 4 ways, bruise 2 and 2
    core = area_sets * causes * timings * severities * goal_sets
    assert report.profiles_represented == core + findings + diagnoses


def test_oracle_catches_a_forbidden_offer(broken: mr.KnowledgeBase) -> None:
    """An answer offering what a fired rule forbids, or over a cap, is caught whatever the engine said."""
    profile = mr.ClientProfile(areas=["back"], cause="sport", severity=2, phase="chronic", goals=["relaxation"])
    result = mr.recommend(profile, broken)
    offered = result.techniques[0]
    light = offered.model_copy(update={"id": "light", "pressure_max": 1})
    bad = result.model_copy(update={"techniques": (*result.techniques, light)})
    facts = resolve_profile(profile, broken)
    assert unsafe_offers(bad, facts, broken) == [("sport_no_light", "holds and forbids light, yet it is offered there")]
    assert unsafe_offers(result, facts, broken) == []


def _ignore_restrictions(
    self: screen_module.Screen, technique: str, lowest: int, highest: int, areas: frozenset[str]
) -> Placement | None:
    return Placement(areas, frozenset(), highest) if areas else None


def test_a_sabotaged_engine_is_caught_by_its_own_last_check(
    broken: mr.KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine that places techniques ignoring every restriction refuses its answers, and verify says unsafe."""
    monkeypatch.setattr(screen_module.Screen, "place", _ignore_restrictions)
    unsafe = _kinds(mr.verify_knowledge(broken))["unsafe"]
    assert any("sport_no_light" in f.rules and "refused" in f.message for f in unsafe)


def test_a_sabotaged_engine_without_its_last_check_is_caught_by_verify(
    broken: mr.KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the engine's own check gone too, verify's oracle still names the forbid that the answer breaks."""
    monkeypatch.setattr(screen_module.Screen, "place", _ignore_restrictions)
    monkeypatch.setattr(recommend_module, "check_answer", lambda answer, restrictions: None)
    unsafe = _kinds(mr.verify_knowledge(broken))["unsafe"]
    messages = {f.message for f in unsafe if f.rules == ("sport_no_light",)}
    assert "rule 'sport_no_light' holds and forbids light, yet it is offered there" in messages


GOAL_BOUND = """\
format: 1
pack: {id: goal_bound, version: "1"}
sources:
  - {id: src, citation: A source, url: "https://example.org", evidence: low}
vocabulary:
  areas: [{id: back, name: Back}]
  causes: [{id: sport, name: Sport}]
  goals: [{id: relaxation, name: Relaxation}, {id: mobility, name: Mobility}, {id: function, name: Function}]
  phases: [{id: chronic, name: Chronic}]
techniques:
  - {id: swedish, name: Swedish, pressure: {min: 1, max: 3}, goals: {mobility: 1}, phases: {chronic: suited},
     cpt: "97124", evidence: low, sources: [src]}
  - {id: light, name: Light, pressure: {min: 0, max: 1}, goals: {mobility: 1}, phases: {chronic: suited},
     cpt: "97124", evidence: low, sources: [src]}
  - {id: deep, name: Deep, pressure: {min: 4, max: 5}, goals: {mobility: 1}, phases: {chronic: suited},
     cpt: "97140", evidence: low, sources: [src]}
rules:
  - {id: always_swedish, text: Swedish always fits., score: {swedish: 1}, sources: [src]}
  - {id: function_light, text: Light work helps function., when: {goals: [function]}, score: {light: 2},
     sources: [src]}
  - {id: never_light, text: Never light work., forbid: {techniques: [light]}, sources: [src]}
  - {id: relaxed_deep, text: Deep work relaxes., when: {goals: [relaxation]}, score: {deep: 2}, sources: [src]}
  - {id: relaxed_no_deep, text: No deep work when relaxing., when: {goals: [relaxation]},
     forbid: {techniques: [deep]}, sources: [src]}
plan:
  defaults:
    - {phase: chronic, sessions_min: 6, sessions_max: 10, sessions_per_week: 1, session_minutes: 60,
       check_in_after_sessions: 3, sources: [src]}
"""


def test_rules_bound_to_goals_are_told_apart_on_smaller_goal_sets(tmp_path: Path) -> None:
    """A favour needing a goal and a forbid needing none differ where that goal is missing: shadowed, not contradicted.

    The walk visits each cell at its largest goal set, where both fire; the
    smaller goal sets it set aside are walked to tell the two apart. A favour and
    a forbid needing the same goal fire together for every goal set: contradicted.
    """
    path = tmp_path / "goal_bound.yaml"
    path.write_text(GOAL_BOUND, encoding="utf-8")
    report = mr.verify_knowledge(mr.load_knowledge([path], bundled=False))
    kinds = _kinds(report)
    assert [f.rules for f in kinds["contradiction"]] == [("relaxed_deep", "relaxed_no_deep")]
    assert ("function_light",) in [f.rules for f in kinds["shadowed"]]
    assert report.parts["rules: smaller goal sets walked to tell two rules apart"] > 0


THREE_AREAS = """\
format: 1
pack: {id: three_areas, version: "1"}
sources:
  - {id: src, citation: A source, url: "https://example.org", evidence: low}
vocabulary:
  areas: [{id: back, name: Back}, {id: neck, name: Neck}, {id: calf, name: Calf}, {id: foot, name: Foot}]
  causes: [{id: sport, name: Sport}]
  goals: [{id: relaxation, name: Relaxation}]
  phases: [{id: chronic, name: Chronic}]
techniques:
  - {id: swedish, name: Swedish, pressure: {min: 1, max: 3}, goals: {relaxation: 1}, phases: {chronic: suited},
     cpt: "97124", evidence: low, sources: [src]}
  - {id: stretch, name: Stretch, pressure: {min: 1, max: 2}, areas: [calf, foot], goals: {relaxation: 1},
     phases: {chronic: suited}, cpt: "97140", evidence: low, sources: [src]}
rules:
  - {id: crowded, text: Three areas at once is too much Swedish., when: {area_count: {min: 3}},
     forbid: {techniques: [swedish]}, sources: [src]}
  - {id: back_no_stretch, text: No stretching with a back problem., when: {areas: [back]},
     forbid: {techniques: [stretch]}, sources: [src]}
plan:
  defaults:
    - {phase: chronic, sessions_min: 6, sessions_max: 10, sessions_per_week: 1, session_minutes: 60,
       check_in_after_sessions: 3, sources: [src]}
"""


def test_a_gap_only_three_areas_show_is_found(tmp_path: Path) -> None:
    """Three areas with the back among them leave nothing to offer; one or two areas never do."""
    path = tmp_path / "three_areas.yaml"
    path.write_text(THREE_AREAS, encoding="utf-8")
    report = mr.verify_knowledge(mr.load_knowledge([path], bundled=False))
    gaps = _kinds(report)["gap"]
    assert {len(f.profile["areas"]) for f in gaps if f.profile} == {3}
    assert all("back" in f.profile["areas"] for f in gaps if f.profile)
    assert report.classes["area sizes"] == ["1-2", "3-4"]
