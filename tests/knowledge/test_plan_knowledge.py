"""The bundled plan knowledge: every phase gets full after-care, thresholds and status texts exist."""

from __future__ import annotations

import pytest

import massage_rules as mr


def test_thresholds_and_texts_are_defined(kb: mr.KnowledgeBase) -> None:
    """The bundled knowledge defines the meaningful change, the re-check interval, and a text per status."""
    settings = kb.plan_settings
    assert settings.meaningful_change is not None
    assert settings.reassess is not None
    assert settings.status_advice is not None
    occasions = {check.occasion for check in settings.checks}
    assert occasions == {"every_session", "adverse_reaction", "new_findings", "check_in"}


def test_every_phase_has_a_default_with_an_expected_change(kb: mr.KnowledgeBase) -> None:
    """Each phase's default course says by which session a meaningful change should show."""
    for phase, (default, _origin) in kb.plan_defaults.items():
        assert default.expect_change_by_session is not None, phase
        assert default.expect_change_by_session <= default.sessions_max, phase


@pytest.mark.parametrize("phase", ["acute", "subacute", "chronic"])
def test_every_plan_has_full_aftercare(kb: mr.KnowledgeBase, phase: str) -> None:
    """Any plan tells the client what to expect, what to do, and when to stop and call a doctor."""
    if phase not in kb.phases:
        pytest.skip(f"the knowledge has no phase {phase}")
    result = mr.recommend(mr.ClientProfile(areas=["neck"], severity=5, phase=phase, goals=["pain_relief"]), kb)
    assert result.plan is not None
    kinds = {a.kind for a in result.plan.aftercare}
    assert kinds == {"expect", "self_care", "warning_sign"}
