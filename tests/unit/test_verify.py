"""verify on a deliberately broken base finds each planted defect, and its safety oracle catches bad answers."""

from __future__ import annotations

from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.authoring.verify import unsafe_offers

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
    assert 0 < report.engine_calls <= report.profiles_walked
    assert report.classes["severity"] == ["0-5", "6-7", "8-10"]
    assert report.classes["causes"] == ["None", "sport"]


def test_oracle_catches_a_forbidden_offer(broken: mr.KnowledgeBase) -> None:
    """An answer offering what a fired rule forbids, or over a cap, is caught whatever the engine said."""
    profile = mr.ClientProfile(areas=["back"], cause="sport", severity=2, phase="chronic", goals=["relaxation"])
    result = mr.recommend(profile, broken)
    offered = result.techniques[0]
    light = offered.model_copy(update={"id": "light", "pressure_max": 1})
    bad = result.model_copy(update={"techniques": (*result.techniques, light)})
    fired = [broken.rules_by_id["sport_no_light"]]
    assert unsafe_offers(bad, fired, frozenset(["back"]), {}, broken) == [
        ("sport_no_light", "holds and forbids light, yet it is offered there")
    ]
    assert unsafe_offers(result, fired, frozenset(["back"]), {}, broken) == []
