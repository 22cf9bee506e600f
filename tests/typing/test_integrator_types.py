"""Realistic integrator code: it runs under pytest, and `mypy --strict` must accept it (see pyproject's mypy files).

`assert_type` pins the public types, so a change that loosens them (to Any, say)
fails mypy; a `type: ignore` on a misuse fails mypy (unused ignore) if the misuse
stops being an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Literal, assert_type

import pytest
from pydantic import ValidationError

import massage_rules as mr


def score_batch(
    rows: Iterable[dict[str, Any]], knowledge: mr.KnowledgeBase
) -> Iterator[mr.Recommendation | mr.ProfileError]:
    """Score many profiles, yielding each result or the error for its row."""
    for row in rows:
        try:
            yield mr.recommend(mr.ClientProfile.model_validate(row), knowledge)
        except mr.ProfileError as exc:
            yield exc


def headline(result: mr.Recommendation) -> str:
    """One line for a dashboard."""
    outcome: Literal["treat", "refer", "refer_and_treat", "no_massage", "nothing_suitable"] = result.outcome
    if result.referral is not None:
        urgency: Literal["urgent", "routine"] = result.referral.urgency
        return f"{outcome}: {urgency} referral ({result.referral.rule})"
    if not result.techniques:
        return outcome
    best = result.techniques[0]
    assert_type(best, mr.RankedTechnique)
    assert_type(best.score, float)
    assert_type(best.cpt, str)
    reasons: tuple[mr.Reason, ...] = best.reasons
    return f"{best.name} ({best.cpt}), {len(reasons)} reasons"


def billing_line(result: mr.Recommendation) -> str | None:
    """The billing units, when the plan has them."""
    plan = result.plan
    assert_type(plan, mr.Plan | None)
    if plan is None or plan.billing is None:
        return None
    billing = plan.billing
    assert_type(billing, mr.BillingUnits)
    units: int = billing.units
    return f"{units} x {', '.join(billing.cpt)}"


def ehr_payloads(result: mr.Recommendation) -> tuple[list[mr.CdsHooksCard], mr.FhirCarePlan]:
    """What an EHR integration sends: CDS Hooks cards and a FHIR CarePlan, read key by key."""
    cards = mr.to_cds_hooks_cards(result, subject="Patient/7")
    assert_type(cards, list[mr.CdsHooksCard])
    indicator: Literal["info", "warning", "critical"] = cards[0]["indicator"]
    assert indicator in ("info", "warning", "critical")
    for suggestion in cards[-1].get("suggestions", []):
        assert_type(suggestion["isRecommended"], bool)
        assert_type(suggestion["actions"][0]["resource"]["code"].get("text"), str | None)
    careplan = mr.to_fhir_careplan(result, subject="Patient/7")
    assert_type(careplan, mr.FhirCarePlan)
    assert_type(careplan["resourceType"], Literal["CarePlan"])
    for activity in careplan.get("activity", []):
        assert_type(activity["detail"]["description"], str)
    return cards, careplan


def profile_from_form(severity: int) -> mr.ClientProfile:
    """A profile built with keywords: each is typed, and a misspelt one is a type error."""
    profile = mr.ClientProfile(areas=["neck"], severity=severity, phase="chronic", goals={"relaxation"})
    assert_type(profile.areas, tuple[str, ...])
    with pytest.raises(mr.ProfileError, match="did you mean 'severity'"):
        mr.ClientProfile(sevrity=severity, areas="neck", phase="chronic", goals=["relaxation"])  # type: ignore[call-arg]
    return profile


def test_integrator_code_runs() -> None:
    """The integrator code above works end to end on the bundled knowledge."""
    knowledge = mr.load_knowledge()
    rows = [
        {"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief"]},
        {"areas": ["calf"], "severity": 5, "phase": "acute", "goals": ["pain_relief"], "health": ["suspected_dvt"]},
        {"areas": ["lowerback"], "severity": 6, "phase": "chronic", "goals": ["pain_relief"]},
    ]
    outputs = list(score_batch(rows, knowledge))
    results = [o for o in outputs if isinstance(o, mr.Recommendation)]
    errors = [o for o in outputs if isinstance(o, mr.ProfileError)]
    assert [headline(r).split(":")[0] for r in results][1] == "refer"
    assert errors[0].field == "areas[0]"
    assert billing_line(results[0]) is not None
    cards, careplan = ehr_payloads(results[0])
    assert json.loads(json.dumps({"cards": cards, "careplan": careplan}))["careplan"]["resourceType"] == "CarePlan"
    assert profile_from_form(4).severity == 4
    units = mr.billing_units(30, knowledge)
    assert units is not None
    assert units.units == 2


def test_results_are_read_only() -> None:
    """A result cannot be changed in place; mypy refuses the assignment too."""
    result = mr.recommend(mr.ClientProfile(areas=["neck"], severity=3, phase="chronic", goals=["relaxation"]))
    with pytest.raises(ValidationError, match="frozen"):
        result.outcome = "refer"  # type: ignore[misc]
