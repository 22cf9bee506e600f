"""The plan: arithmetic with every modifier shown, check-ins, expected change, boosters, after-care."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import massage_rules as mr
from massage_rules.engine.plan import check_in_sessions, move_course

BACK = {"areas": ["lower_back"], "severity": 5, "phase": "chronic", "goals": ["pain_relief"]}


def _plan(kb: mr.KnowledgeBase, **change: Any) -> mr.Plan:
    result = mr.recommend(mr.ClientProfile(**{**BACK, **change}), kb)
    assert result.plan is not None
    return result.plan


def test_base_dose_and_the_severity_step_for_moderate_pain(kb: mr.KnowledgeBase) -> None:
    """A moderate, single-area chronic back pain gets the trial dose, and the moderate band leaves it as it is."""
    plan = _plan(kb)
    assert [step.rule for step in plan.derivation] == ["chronic_low_back_pain", "plan.severity.moderate"]
    assert (plan.sessions_min, plan.sessions_max) == (8, 10)
    assert plan.basis == "trial"
    assert plan.severity_band == "moderate"
    assert [step.evidence for step in plan.derivation] == ["tested", "expert_consensus"]


def test_every_modifier_is_a_step_with_its_arithmetic(kb: mr.KnowledgeBase) -> None:
    """Severity, the treated regions and symptom duration each add a step that shows its effect and sources."""
    plan = _plan(kb, severity=8, phase=None, days_since_onset=400, areas=["lower_back", "neck"])
    base, *moves = plan.derivation
    assert base.rule in kb.conditions  # a matched complaint's trial dose sets the base
    rules = [step.rule for step in moves]
    assert rules[:3] == ["plan.severity.severe", "several_regions_longer_course", "long_standing_symptoms"]
    assert plan.treated_regions == 2
    low, high = base.sessions_min, base.sessions_max
    for step in moves:
        if step.rule != "plan.trial_margin":
            low, high = move_course(low, high, step.add_min, step.add_max, spanned=True)
        else:
            low, high = low + step.add_min, high + step.add_max
        assert (step.sessions_min, step.sessions_max) == (low, high)
    assert (plan.sessions_min, plan.sessions_max) == (low, high)
    assert plan.sessions_min < plan.sessions_max  # a range the trial gave is never collapsed
    assert all(step.sources for step in plan.derivation)
    assert all(step.evidence in {"tested", "expert_consensus"} for step in plan.derivation)


def test_a_trial_course_stays_within_two_sessions_of_the_trial(kb: mr.KnowledgeBase) -> None:
    """Severe pain, three regions and years of symptoms still leave tension headache within two of its twelve."""
    plan = _plan(kb, areas=["head", "lower_back", "calf"], cause="stress", severity=9, phase=None,
                 days_since_onset=800, conditions=["tension_type_headache"])  # fmt: skip
    assert plan.derivation[0].rule == "tension_type_headache"
    assert 10 <= plan.sessions_min <= plan.sessions_max <= 14
    assert plan.derivation[-1].rule == "plan.trial_margin"


def test_the_acute_default_moves_with_severity(kb: mr.KnowledgeBase) -> None:
    """The acute default course is shorter for mild pain and longer for severe pain."""
    courses = [_plan(kb, areas=["neck"], phase="acute", severity=pain) for pain in (2, 5, 8)]
    assert [(p.sessions_min, p.sessions_max) for p in courses] == [(1, 2), (2, 4), (3, 6)]
    assert [p.derivation[0].rule for p in courses] == ["plan.default.acute"] * 3


def test_move_course_keeps_a_range_and_at_least_one_session() -> None:
    """A move never goes below one session, never puts the minimum past the maximum, never collapses a range."""
    assert move_course(8, 10, 1, 0, spanned=True) == (9, 10)
    assert move_course(9, 10, 1, 0, spanned=True) == (9, 10)  # already at the top
    assert move_course(12, 12, 1, 0, spanned=False) == (12, 12)
    assert move_course(2, 4, -2, -2, spanned=True) == (1, 2)
    assert move_course(12, 12, 1, 2, spanned=False) == (13, 14)


def test_check_ins_start_at_the_first_then_follow_every_n() -> None:
    """Check-ins fall at the first check-in and every N sessions after it, within the course."""
    assert check_in_sessions(4, 4, 12) == (4, 8, 12)
    assert check_in_sessions(3, 4, 8) == (3, 7)
    assert check_in_sessions(6, 4, 3) == (3,)


def test_plan_lists_check_ins_and_meaningful_change(kb: mr.KnowledgeBase) -> None:
    """The plan says when to re-measure and what change to expect by which session, from the knowledge."""
    plan = _plan(kb)
    assert plan.check_in_sessions == (4, 8)
    assert plan.check_in_reason is not None
    assert plan.meaningful_change is not None
    assert (plan.meaningful_change.pain_points, plan.meaningful_change.pain_percent) == (2, 30)
    assert plan.meaningful_change.by_session == 6
    assert "farrar01" in plan.meaningful_change.sources


def test_expected_change_never_after_the_last_session(kb: mr.KnowledgeBase) -> None:
    """A short course expects change by its last session at the latest."""
    plan = _plan(kb, areas=["neck"], phase="acute")
    assert plan.meaningful_change is not None
    assert plan.meaningful_change.by_session <= plan.sessions_max


def test_booster_only_where_effects_fade(kb: mr.KnowledgeBase) -> None:
    """A chronic course suggests a booster; an acute one does not."""
    assert [a.rule for a in _plan(kb).maintenance] == ["booster_chronic"]
    assert _plan(kb, areas=["neck"], phase="acute").maintenance == ()


def test_aftercare_by_phase_and_technique(kb: mr.KnowledgeBase) -> None:
    """After-care follows the phase and the offered techniques, in the order expect, self-care, warning signs."""
    acute = _plan(kb, areas=["ankle_foot"], cause="sport", phase="acute", goals=["swelling_reduction"])
    rules = [a.rule for a in acute.aftercare]
    assert "aftercare_expect_acute" in rules
    assert "aftercare_self_care_chronic" not in rules
    assert "aftercare_self_care_drainage" in rules  # drainage is offered for a fresh sprain
    kinds = [a.kind for a in acute.aftercare]
    assert kinds == sorted(kinds, key=["expect", "self_care", "warning_sign"].index)
    assert any(a.kind == "warning_sign" for a in acute.aftercare)
    chronic_result = mr.recommend(mr.ClientProfile(**{**BACK, "goals": ["relaxation"]}), kb)
    assert chronic_result.plan is not None
    chronic = [a.rule for a in chronic_result.plan.aftercare]
    assert "aftercare_self_care_chronic" in chronic
    drainage_offered = "lymphatic_drainage" in [t.id for t in chronic_result.techniques]
    assert ("aftercare_self_care_drainage" in chronic) == drainage_offered


def test_plan_sources_are_cited_in_the_answer(kb: mr.KnowledgeBase) -> None:
    """Sources of check-ins, meaningful change, boosters and after-care appear in the answer's sources."""
    result = mr.recommend(mr.ClientProfile(**BACK), kb)
    cited = {s.id for s in result.sources}
    assert {"farrar01", "cook15", "sherman14"} <= cited


def _write(tmp_path: Path, text: str) -> Path:
    """A clinic pack: its header, then ``text`` (so line numbers in messages are those of ``text``, plus one)."""
    path = tmp_path / "clinic.yaml"
    path.write_text("pack: {id: clinic, version: '1'}\n" + text, encoding="utf-8")
    return path


def test_loader_refuses_a_severity_rule_that_breaks_monotonicity(tmp_path: Path) -> None:
    """A sessions rule that adds sessions only for milder pain is a knowledge error, with file and line."""
    path = _write(
        tmp_path,
        "rules:\n"
        "  - id: mild_more\n"
        "    text: Mild pain gets more sessions.\n"
        "    when: {severity: {max: 3}}\n"
        "    sessions: {add_min: 1, add_max: 1}\n"
        "    sources: [sherman14]\n",
    )
    with pytest.raises(mr.KnowledgeError) as info:
        mr.load_knowledge([path])
    assert str(info.value) == (
        f"{path}:3:5: rule 'mild_more': a sessions rule keyed on severity must add sessions only from a minimum "
        "pain upward (or remove them only from a maximum downward), so more pain never means fewer sessions"
    )


def test_loader_checks_plan_advice_references(tmp_path: Path) -> None:
    """After-care naming an unknown technique or source is a knowledge error with a suggestion."""
    path = _write(
        tmp_path,
        "plan:\n"
        "  aftercare:\n"
        "    - id: clinic_ice\n"
        "      kind: self_care\n"
        "      techniques: [swedsh]\n"
        "      text: Ice the area.\n"
        "      sources: [werner]\n",
    )
    with pytest.raises(mr.KnowledgeError) as info:
        mr.load_knowledge([path])
    assert str(info.value) == (
        f"{path}:6:20: rule 'clinic_ice': technique 'swedsh' is not defined; did you mean 'swedish'?"
    )


def test_clinic_file_can_replace_thresholds(tmp_path: Path) -> None:
    """A later file's meaningful_change replaces the bundled one when an override says so, and is recorded."""
    path = _write(
        tmp_path,
        "overrides:\n"
        "  - {plan: meaningful_change, reason: Our outcome audit uses a three-point fall as important.}\n"
        "plan:\n"
        "  meaningful_change: {pain_points: 3, pain_percent: 40, function_points: 2.5, worsening_points: 2,\n"
        "                      recovered_pain_max: 1, text: Clinic thresholds., sources: [farrar01]}\n",
    )
    kb = mr.load_knowledge([path])
    plan = _plan(kb)
    assert plan.meaningful_change is not None
    assert (plan.meaningful_change.pain_points, plan.meaningful_change.pain_percent) == (3, 40)
    assert [(o.rule, o.action, o.pack) for o in kb.overrides] == [("plan.meaningful_change", "replace", "clinic")]


def test_duplicate_plan_advice_ids_are_refused(tmp_path: Path) -> None:
    """Two plan advice entries with one id is an error naming the first."""
    path = _write(
        tmp_path,
        "plan:\n  warning_signs:\n    - {id: booster_chronic, text: Call a doctor., sources: [werner]}\n",
    )
    with pytest.raises(mr.KnowledgeError, match="plan advice id 'booster_chronic' is already defined at"):
        mr.load_knowledge([path])
