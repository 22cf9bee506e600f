"""Evidence as the sources state it: no complaint text or weight claims more than its trial found."""

from __future__ import annotations

import pytest

import massage_rules as mr

KB = mr.load_knowledge()
FAVOURS = sorted(
    (ident, technique, points)
    for ident, condition in KB.conditions.items()
    for technique, points in condition.favour.items()
)


@pytest.mark.parametrize(("condition", "technique", "points"), FAVOURS)
def test_a_strong_preference_cites_the_techniques_own_evidence(condition: str, technique: str, points: float) -> None:
    """A complaint favours a technique by more than 2 points only when it cites one of that technique's sources."""
    if points > 2:
        shared = set(KB.conditions[condition].sources) & set(KB.techniques[technique].sources)
        assert shared, f"{condition} favours {technique} by {points} without citing its evidence"


def test_tension_headache_does_not_claim_what_the_placebo_trial_did_not_find() -> None:
    """Headache frequency fell with placebo too: the text says so, and trigger-point work leads only modestly."""
    headache = KB.conditions["tension_type_headache"]
    assert "placebo" in headache.text
    assert headache.favour["trigger_point"] <= 2
    assert headache.favour.get("neuromuscular", 0) <= headache.favour["myofascial_release"]


def test_firm_loading_waits_for_healed_tissue_as_deep_tissue_does() -> None:
    """Active release (firm tension on loaded tissue) is kept off healing tissue when subacute, like deep tissue."""
    assert KB.techniques["active_release"].phases["subacute"] == KB.techniques["deep_tissue"].phases["subacute"]
    result = mr.recommend(
        mr.ClientProfile(areas=["calf"], severity=4, days_since_onset=20, goals=["mobility", "function"]), KB
    )
    assert "active_release" not in {t.id for t in result.techniques}
