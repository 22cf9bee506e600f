"""The engine on hand-made knowledge: screening order, scopes, caps, ties and the plan arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

import massage_rules as mr
from tests.unit.test_knowledge_loading import MINIMAL

EXTRA = """\
  - id: firm
    name: Firm work
    pressure: {min: 3, max: 5}
    goals: {relaxation: 2}
    phases: {acute: away_only, chronic: suited}
    cpt: "97140"
    evidence: low
    sources: [src1]
findings:
  - {id: flu, name: Flu}
  - {id: bruise, name: Bruise, local: true}
  - {id: clot, name: Clot signs}
  - {id: thin_blood, name: Thin blood}
  - {id: scan_pending, name: Scan pending}
rules:
  - id: flu_stop
    text: Not with flu.
    when: {health_all: [flu]}
    no_massage: {come_back: "after the flu"}
    sources: [src1]
  - id: clot_refer
    text: Clot signs need a doctor now.
    when: {health_all: [clot]}
    refer: {urgency: urgent}
    sources: [src1]
  - id: scan_refer
    text: Wait for the scan, work elsewhere meanwhile.
    when: {health_all: [scan_pending]}
    refer: {urgency: routine, massage_meanwhile: true}
    sources: [src1]
  - id: bruise_local
    text: Not over a bruise.
    when: {health_all: [bruise]}
    forbid: {techniques: all, where: finding_areas}
    sources: [src1]
  - id: thin_blood_cap
    text: Light pressure only.
    when: {health_all: [thin_blood]}
    cap_pressure: {max: 2}
    sources: [src1]
  - id: severe_more
    text: Severe pain needs more sessions.
    when: {severity: {min: 7}}
    sessions: {add_min: 1, add_max: 3}
    sources: [src1]
"""


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory: pytest.TempPathFactory) -> mr.KnowledgeBase:
    """Two techniques, five findings, and one rule of each kind of effect."""
    text = MINIMAL.replace(
        "  areas: [{id: neck, name: Neck}]",
        "  areas: [{id: neck, name: Neck}, {id: back, name: Back}, {id: all, name: All, whole_body: true}]",
    )
    text = text.replace("plan:\n", EXTRA + "plan:\n", 1)
    path: Path = tmp_path_factory.mktemp("kb") / "kb.yaml"
    path.write_text(text, encoding="utf-8")
    return mr.load_knowledge([path], bundled=False)


def _run(kb: mr.KnowledgeBase, **change: object) -> mr.Recommendation:
    fields: dict[str, object] = {"areas": ["neck"], "severity": 3, "phase": "chronic", "goals": ["relaxation"]}
    fields.update(change)
    return mr.recommend(mr.ClientProfile(**fields), kb)  # type: ignore[arg-type]


def test_equal_techniques_share_a_rank(small_kb: mr.KnowledgeBase) -> None:
    """Equal on score, preference and evidence (no ranking section), two techniques share rank 1; id lists them."""
    result = _run(small_kb)
    assert [(t.id, t.score, t.rank) for t in result.techniques] == [("firm", 2.0, 1), ("holding", 2.0, 1)]
    assert result.techniques[0].tie_break is None
    assert result.techniques[1].tie_break is not None
    assert "shares rank 1" in result.techniques[1].tie_break


RANKING = """ranking:
  evidence_order: [high, moderate, low, very_low, expert_opinion]
  lighter_first:
    - {id: severe_lighter, text: "severe pain, lighter first", when: {severity: {min: 7}}, sources: [src1]}
"""


def _ranked_kb(tmp_path: Path, firm_evidence: str) -> mr.KnowledgeBase:
    text = MINIMAL.replace("plan:\n", EXTRA.replace("evidence: low", f"evidence: {firm_evidence}") + "plan:\n", 1)
    path = tmp_path / "kb.yaml"
    path.write_text(text + RANKING, encoding="utf-8")
    return mr.load_knowledge([path], bundled=False)


def test_ties_break_by_evidence_then_by_lighter_pressure_in_severe_pain(tmp_path: Path) -> None:
    """Better evidence ranks first; with equal evidence, severe pain puts the lighter technique first, saying why."""
    kb = _ranked_kb(tmp_path, "moderate")
    result = _run(kb)
    assert [(t.id, t.rank) for t in result.techniques] == [("firm", 1), ("holding", 2)]
    assert "evidence" in (result.techniques[1].tie_break or "")
    kb = _ranked_kb(tmp_path, "low")
    mild, severe = _run(kb), _run(kb, severity=8)
    assert [(t.id, t.rank) for t in mild.techniques] == [("firm", 1), ("holding", 1)]
    assert [(t.id, t.rank) for t in severe.techniques] == [("holding", 1), ("firm", 2)]
    assert "severe pain, lighter first" in (severe.techniques[1].tie_break or "")


def test_no_massage_blocks_everything(small_kb: mr.KnowledgeBase) -> None:
    """A 'no massage now' finding gives no techniques, no plan, and when to come back."""
    result = _run(small_kb, health=["flu"])
    assert result.outcome == "no_massage"
    assert result.techniques == ()
    assert result.plan is None
    assert result.no_massage is not None
    assert result.no_massage.come_back == "after the flu"


def test_urgent_referral_wins_over_meanwhile(small_kb: mr.KnowledgeBase) -> None:
    """Of two referrals the urgent one leads, and massage meanwhile holds only if both allow it."""
    result = _run(small_kb, health=["clot", "scan_pending"])
    assert result.outcome == "refer"
    assert result.referral is not None
    assert (result.referral.rule, result.referral.urgency, result.referral.massage_meanwhile) == (
        "clot_refer",
        "urgent",
        False,
    )
    assert [r.rule for r in result.referrals] == ["clot_refer", "scan_refer"]
    assert result.techniques == ()
    assert result.plan is None


def test_referral_with_care_meanwhile_keeps_techniques(small_kb: mr.KnowledgeBase) -> None:
    """A referral that allows massage meanwhile still ranks techniques and plans."""
    result = _run(small_kb, health=["scan_pending"])
    assert result.outcome == "refer_and_treat"
    assert result.techniques
    assert result.plan is not None


def test_local_finding_removes_only_its_area(small_kb: mr.KnowledgeBase) -> None:
    """A bruise on the neck rules the neck out but leaves the back."""
    result = _run(small_kb, areas=["neck", "back"], health=["bruise@neck"])
    assert all(t.areas == ("back",) for t in result.techniques)
    assert {(a.technique, a.area) for a in result.avoided} == {("firm", "neck"), ("holding", "neck")}


def test_local_finding_on_every_problem_area_means_no_massage(small_kb: mr.KnowledgeBase) -> None:
    """When local rules rule out every problem area, the answer says so instead of going silent."""
    result = _run(small_kb, health=["bruise@neck"])
    assert result.outcome == "no_massage"
    assert result.no_massage is not None
    assert result.no_massage.rule == "bruise_local"


def test_local_finding_without_area_is_applied_cautiously(small_kb: mr.KnowledgeBase) -> None:
    """A local finding given without an area covers every problem area, with a warning."""
    result = _run(small_kb, areas=["neck", "back"], health=["bruise"])
    assert result.techniques == ()
    assert result.warnings
    assert "bruise@area" in result.warnings[0]


def test_whole_body_session_skips_the_affected_area(small_kb: mr.KnowledgeBase) -> None:
    """A whole-body session goes on, skipping the area a local finding rules out."""
    result = _run(small_kb, areas=["all"], health=["bruise@neck"])
    assert result.techniques
    assert all(t.areas == ("all",) and t.skip_areas == ("neck",) for t in result.techniques)


def test_pressure_cap_removes_or_limits(small_kb: mr.KnowledgeBase) -> None:
    """A cap below a technique's lowest pressure removes it; above, it limits its top pressure."""
    result = _run(small_kb, health=["thin_blood"])
    assert [t.id for t in result.techniques] == ["holding"]
    assert result.techniques[0].pressure_max == 1
    assert ("firm", None, "pressure_cap") in {(a.technique, a.area, a.kind) for a in result.avoided}
    assert [(p.area, p.max_pressure) for p in result.pressure_limits] == [(None, 2)]


def test_acute_phase_keeps_technique_off_the_injured_area(small_kb: mr.KnowledgeBase) -> None:
    """A technique marked away_only in the acute phase is not offered on the problem area."""
    result = _run(small_kb, phase=None, days_since_onset=2)
    assert [t.id for t in result.techniques] == ["holding"]
    assert ("firm", "neck", "firm.phase.acute") in {(a.technique, a.area, a.rule) for a in result.avoided}


def test_plan_shows_its_arithmetic(small_kb: mr.KnowledgeBase) -> None:
    """The plan starts from the phase default and adds each modifier, step by step."""
    plan = _run(small_kb, severity=8).plan
    assert plan is not None
    assert [(s.rule, s.sessions_min, s.sessions_max) for s in plan.derivation] == [
        ("plan.default.chronic", 2, 4),
        ("severe_more", 3, 7),
    ]
    assert (plan.sessions_min, plan.sessions_max, plan.check_in_after_sessions) == (3, 7, 2)


def test_result_is_frozen_and_round_trips(small_kb: mr.KnowledgeBase) -> None:
    """A result cannot be changed, and its JSON reads back to an equal result."""
    result = _run(small_kb)
    with pytest.raises(Exception, match="frozen"):
        result.outcome = "refer"  # type: ignore[misc]
    assert mr.Recommendation.model_validate_json(result.model_dump_json()) == result


def test_non_profile_argument_is_a_profile_error(small_kb: mr.KnowledgeBase) -> None:
    """Passing a dict instead of a ClientProfile is a clear ProfileError."""
    with pytest.raises(mr.ProfileError, match="must be a ClientProfile"):
        mr.recommend({"areas": ["neck"]}, small_kb)  # type: ignore[arg-type]


@pytest.mark.parametrize("knowledge", ["x", {}, 3])
def test_wrong_knowledge_argument_is_a_clear_type_error(knowledge: object) -> None:
    """Passing something other than a KnowledgeBase says what was expected, not a raw AttributeError."""
    profile = mr.ClientProfile(areas=["neck"], severity=3, phase="chronic", goals=["relaxation"])
    with pytest.raises(TypeError, match="knowledge must be a KnowledgeBase from load_knowledge"):
        mr.recommend(profile, knowledge)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="knowledge must be a KnowledgeBase from load_knowledge"):
        list(mr.recommend_many([profile], knowledge))  # type: ignore[arg-type]
