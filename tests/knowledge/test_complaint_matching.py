"""Complaints match only on their defining features: where the profile cannot show one, it asks, and a named
diagnosis always wins. The complaints and their patterns are read from the knowledge, not named here."""

from __future__ import annotations

from typing import Any

import pytest

import massage_rules as mr

KB = mr.load_knowledge()
CONFIRMING = sorted(ident for ident, condition in KB.conditions.items() if condition.confirm is not None)


def _profile_for(condition: str) -> dict[str, Any]:
    """A profile built from the complaint's own match (and its confirm pattern, so that the question applies)."""
    match = KB.conditions[condition].match
    confirm = KB.conditions[condition].confirm
    assert match is not None
    assert confirm is not None
    when = confirm.when
    fields: dict[str, Any] = {
        "areas": [sorted(match.areas)[0]] if match.areas else ["neck"],
        "severity": 5,
        "goals": [sorted(match.goals)[0]] if match.goals else ["pain_relief"],
        "phase": sorted((when.phases if when and when.phases else None) or match.phases or ["chronic"])[0],
    }
    if match.causes:
        fields["cause"] = sorted(match.causes)[0]
    if match.health_any:
        fields["health"] = [f"{sorted(match.health_any)[0]}@{fields['areas'][0]}"]
    if when is not None and when.age is not None:
        fields["age"] = when.age.max if when.age.max is not None else when.age.min
    return fields


@pytest.mark.parametrize("condition", CONFIRMING)
def test_the_profile_alone_asks_instead_of_matching(condition: str) -> None:
    """A profile that fits the complaint's match, while its question applies, asks it and does not match it."""
    result = mr.recommend(mr.ClientProfile(**_profile_for(condition)), KB)
    assert condition not in {c.id for c in result.conditions}
    if result.techniques:
        question = next(q for q in result.screening_questions if q.rule == f"{condition}.confirm")
        assert question.diagnosis == condition


@pytest.mark.parametrize("condition", CONFIRMING)
def test_a_named_diagnosis_always_wins(condition: str) -> None:
    """Named in the profile's conditions, the complaint matches, and no confirming question is asked."""
    fields = _profile_for(condition)
    result = mr.recommend(mr.ClientProfile(**{**fields, "conditions": [condition]}), KB)
    assert condition in {c.id for c in result.conditions}
    assert not any(q.diagnosis for q in result.screening_questions)


def test_knee_osteoarthritis_is_asked_about_only_when_the_client_is_young() -> None:
    """A lasting knee ache matches osteoarthritis at 60 or with no age given, and asks first at 30."""
    base = {"areas": ["knee"], "cause": "unknown", "phase": "chronic", "severity": 5, "goals": ["pain_relief"]}
    for age in (None, 60):
        assert "knee_osteoarthritis" in {c.id for c in mr.recommend(mr.ClientProfile(**base, age=age), KB).conditions}
    young = mr.recommend(mr.ClientProfile(**base, age=30), KB)
    assert "knee_osteoarthritis" not in {c.id for c in young.conditions}
    assert "knee_osteoarthritis.confirm" in {q.rule for q in young.screening_questions}


def test_a_stressed_client_wanting_relaxation_gets_a_short_block() -> None:
    """Full body, stress, pain 0, relaxation only: not fibromyalgia, and one to three sessions, not a course."""
    result = mr.recommend(mr.ClientProfile(areas=["full_body"], cause="stress", severity=0, phase="chronic",
                                           goals=["relaxation"]), KB)  # fmt: skip
    assert "fibromyalgia" not in {c.id for c in result.conditions}
    assert result.plan is not None
    assert result.plan.basis == "short_block"
    assert result.plan.sessions_max <= 3
    assert result.techniques[0].id == "swedish"


def test_muscle_soreness_keeps_the_technique_with_meta_analytic_support() -> None:
    """A sore thigh after the gym, for recovery, is not ruled a strain: sports massage stays on offer, first."""
    result = mr.recommend(mr.ClientProfile(areas=["thigh"], cause="gym", days_since_onset=1, severity=5,
                                           goals=["recovery"]), KB)  # fmt: skip
    assert result.techniques[0].id == "sports_massage"
    assert not any(a.technique == "sports_massage" for a in result.avoided)
