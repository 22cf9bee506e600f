"""CDS Hooks cards and the FHIR CarePlan: valid by the specifications, deterministic, and faithful to the result."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest
from fhir.resources.R4B.careplan import CarePlan
from hypothesis import given, settings

import massage_rules as mr
from tests.strategies import profiles

KB = mr.load_knowledge()

# The CDS Hooks 2.0 Card, written from https://cds-hooks.hl7.org/2.0/#card-attributes:
# summary, indicator and source are required; source.label is required; a suggestion
# needs a label; an action needs a type and a description; a link needs label, url and
# type; override reasons are Codings that MUST carry a display; selectionBehavior is
# required when suggestions are present.
CODING = {
    "type": "object",
    "required": ["code", "system", "display"],
    "properties": {"code": {"type": "string"}, "system": {"type": "string"}, "display": {"type": "string"}},
}
CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "additionalProperties": False,
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "additionalProperties": False,
            "properties": {
                "label": {"type": "string", "minLength": 1},
                "url": {"type": "string", "format": "uri"},
                "icon": {"type": "string", "format": "uri"},
                "topic": CODING,
            },
        },
        "suggestions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label"],
                "additionalProperties": False,
                "properties": {
                    "label": {"type": "string", "minLength": 1},
                    "uuid": {"type": "string", "format": "uuid"},
                    "isRecommended": {"type": "boolean"},
                    "actions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["type", "description"],
                            "properties": {
                                "type": {"enum": ["create", "update", "delete"]},
                                "description": {"type": "string"},
                                "resource": {"type": "object", "required": ["resourceType"]},
                            },
                        },
                    },
                },
            },
        },
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "items": CODING},
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "url", "type"],
                "properties": {
                    "label": {"type": "string"},
                    "url": {"type": "string"},
                    "type": {"enum": ["absolute", "smart"]},
                },
            },
        },
    },
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
}
CARD_VALIDATOR = jsonschema.Draft202012Validator(CARD_SCHEMA, format_checker=jsonschema.FormatChecker())

TREAT = {"areas": ["lower_back"], "cause": "posture", "severity": 6, "phase": "chronic", "goals": ["pain_relief"]}
ADJUSTED = {**TREAT, "health": ["anticoagulants"]}
URGENT = {**TREAT, "areas": ["calf"], "health": ["suspected_dvt"]}
NO_MASSAGE = {**TREAT, "health": ["fever"]}


def _result(fields: dict[str, Any]) -> mr.Recommendation:
    return mr.recommend(mr.ClientProfile(**fields), KB)


def _check_cards(cards: list[dict[str, Any]]) -> None:
    for card in cards:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in CARD_VALIDATOR.iter_errors(card)]
        assert errors == [], card["summary"]
    json.dumps(cards)  # JSON-ready: no models, tuples or sets left inside


@settings(max_examples=40)
@given(profiles(KB))
def test_cards_meet_the_cds_hooks_card_spec(profile: mr.ClientProfile) -> None:
    """Every card for any profile has the fields CDS Hooks requires, in the shapes it allows."""
    _check_cards(mr.to_cds_hooks_cards(mr.recommend(profile, KB), subject="Patient/1"))


@pytest.mark.parametrize(
    ("fields", "indicators"),
    [
        (TREAT, ["info"]),
        (ADJUSTED, ["warning"]),
        (URGENT, ["critical"]),
        (NO_MASSAGE, ["warning"]),
    ],
    ids=["plain", "adjusted", "urgent", "no-massage"],
)
def test_indicator_follows_the_outcome(fields: dict[str, Any], indicators: list[str]) -> None:
    """critical for an urgent referral, warning for a stop or an adjusted plan, info for a plain plan."""
    cards = mr.to_cds_hooks_cards(_result(fields))
    assert [c["indicator"] for c in cards] == indicators


def test_plan_card_suggests_each_top_technique_with_its_cpt_code() -> None:
    """The plan card holds one suggestion per top technique (at most three), each ordering its CPT code."""
    result = _result(TREAT)
    (card,) = mr.to_cds_hooks_cards(result, subject="Patient/42")
    top = result.techniques[:3]
    assert [s["label"] for s in card["suggestions"]] == [
        f"{t.name} (CPT {t.cpt}), pressure {t.pressure_min}-{t.pressure_max}/5" for t in top
    ]
    assert [s["isRecommended"] for s in card["suggestions"]] == [True, False, False]
    order = card["suggestions"][0]["actions"][0]["resource"]
    assert order["code"]["coding"][0] == {
        "system": "http://www.ama-assn.org/go/cpt",
        "code": top[0].cpt,
        "display": top[0].name,
    }
    assert order["subject"] == {"reference": "Patient/42"}
    assert card["source"]["label"] == f"massage_rules (knowledge {result.knowledge.version})"
    assert card["source"]["url"].startswith("https://")
    assert all(r["display"] for r in card["overrideReasons"])
    assert "| Rank | Technique | CPT |" in card["detail"]
    assert "**Billing:** 4 unit(s) of 97124, 97140 per session (rule `billing.units`)." in card["detail"]


def test_urgent_referral_card_explains_itself() -> None:
    """The referral card's summary is short, and its Markdown detail names the rule and the reason."""
    result = _result(URGENT)
    (card,) = mr.to_cds_hooks_cards(result)
    referral = result.referrals[0]
    assert len(card["summary"]) < 140
    assert card["summary"].startswith("Urgent: refer to a physician:")
    assert f"rule `{referral.rule}`" in card["detail"]
    assert referral.reason in card["detail"]
    assert "suggestions" not in card


def test_long_summaries_are_cut_under_140_characters() -> None:
    """A reason longer than a card summary allows is cut at a word, with an ellipsis."""
    from massage_rules.output.interop import _summary

    text = "word " * 60
    cut = _summary(text)
    assert len(cut) < 140
    assert cut.endswith("word…")


def test_same_result_same_cards_and_uuids() -> None:
    """Cards and their uuids are derived from the content: equal results give equal cards."""
    first = mr.to_cds_hooks_cards(_result(ADJUSTED))
    second = mr.to_cds_hooks_cards(_result(ADJUSTED))
    assert first == second
    other = mr.to_cds_hooks_cards(_result(TREAT))
    assert {c["uuid"] for c in first}.isdisjoint(c["uuid"] for c in other)


@settings(max_examples=40)
@given(profiles(KB))
def test_careplan_validates_as_fhir(profile: mr.ClientProfile) -> None:
    """The CarePlan for any profile validates with the fhir.resources models and survives a JSON round trip."""
    plan = mr.to_fhir_careplan(mr.recommend(profile, KB), subject="Patient/1")
    parsed = CarePlan.model_validate(json.loads(json.dumps(plan)))
    ElementTree.fromstring(plan["text"]["div"])  # the narrative is well-formed XHTML
    assert parsed.status == "draft"
    assert parsed.intent == "proposal"


def test_careplan_activities_follow_the_result() -> None:
    """One coded activity per offered technique with the plan's schedule, and doNotPerform for ruled-out ones."""
    result = _result({**ADJUSTED, "conditions": ["M54.50"]})
    plan = mr.to_fhir_careplan(result)
    details = [a["detail"] for a in plan["activity"]]
    offered = [d for d in details if not d["doNotPerform"]]
    assert [d["code"]["coding"][0]["code"] for d in offered] == [t.cpt for t in result.techniques]
    assert offered[0]["reasonCode"][0]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "M54.50",
        "display": "Chronic low back pain",
    }
    assert result.plan is not None
    repeat = offered[0]["scheduledTiming"]["repeat"]
    assert (repeat["count"], repeat["countMax"]) == (result.plan.sessions_min, result.plan.sessions_max)
    assert repeat["frequency"] / repeat["period"] == result.plan.sessions_per_week
    refused = [d["code"]["text"] for d in details if d["doNotPerform"]]
    assert refused == sorted({a.technique for a in result.avoided if a.area is None})
    assert mr.to_fhir_careplan(result) == plan


def test_careplan_narrative_is_xhtml_that_lists_the_activities() -> None:
    """The CarePlan's narrative is well-formed XHTML with one list item per activity."""
    plan = mr.to_fhir_careplan(_result(ADJUSTED))
    assert plan["text"]["status"] == "generated"
    div = ElementTree.fromstring(plan["text"]["div"])
    assert div.tag == "{http://www.w3.org/1999/xhtml}div"
    items = div.findall("{http://www.w3.org/1999/xhtml}ul/{http://www.w3.org/1999/xhtml}li")
    assert [li.text for li in items] == [a["detail"]["description"] for a in plan["activity"]]


def test_careplan_for_a_referral_has_the_referral_activity() -> None:
    """An urgent referral becomes an activity of its own, and no technique is proposed."""
    plan = mr.to_fhir_careplan(_result(URGENT))
    (activity,) = plan["activity"]
    assert activity["detail"]["description"].startswith("Urgent referral to a physician:")
    CarePlan.model_validate(plan)
