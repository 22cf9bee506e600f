"""ICD-10-CM diagnoses in profiles, and billing units under the 8-minute rule."""

from __future__ import annotations

from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules._codes import billable_units, normalise_icd10, resolve_icd10
from massage_rules.knowledge.load import bundled_knowledge_paths

KB = mr.load_knowledge()
BASE = {"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief"]}


@pytest.mark.parametrize(
    ("given", "stored"),
    [("M54.50", "M54.50"), ("m54.50", "M54.50"), ("M5450", "M54.50"), (" s93401a ", "S93.401A"), ("M54", "M54")],
)
def test_well_formed_codes_are_normalised(given: str, stored: str) -> None:
    """Codes are upper-cased and given their dot, as claim forms write them without it."""
    assert mr.ClientProfile(**BASE, conditions=[given]).conditions == (stored,)


@pytest.mark.parametrize("given", ["M5", "M54.", "M54.50000", "M54.5.0", "M5.4", "X1.2.3"])
def test_malformed_codes_are_a_profile_error(given: str) -> None:
    """Anything written like a code but not shaped like one is refused with the expected shape."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.ClientProfile(**BASE, conditions=[given])
    assert str(caught.value) == (
        f"conditions[0]: '{given}' is not a well-formed ICD-10-CM code (a letter, a digit, a digit or letter, "
        "then optionally a dot and 1-4 letters or digits, e.g. M54.50)"
    )


def test_condition_ids_are_not_mistaken_for_codes() -> None:
    """A snake_case id is an id, even with digits in it."""
    assert mr.ClientProfile(**BASE, conditions=["chronic_low_back_pain"]).conditions == ("chronic_low_back_pain",)
    assert normalise_icd10("s16.1xxa") == "S16.1XXA"


def test_exact_code_matches_its_condition() -> None:
    """A code the knowledge lists names that complaint, with no warning."""
    result = mr.recommend(mr.ClientProfile(**BASE, conditions=["M54.50"]), KB)
    assert [(c.id, c.matched_by) for c in result.conditions] == [("chronic_low_back_pain", "diagnosis")]
    assert result.warnings == ()


def test_a_later_encounter_of_a_known_injury_matches_and_says_so() -> None:
    """S93.401D (subsequent visit) refines nothing new: it is read as S93.401A's complaint, with a warning."""
    result = mr.recommend(mr.ClientProfile(**{**BASE, "areas": ["ankle_foot"]}, conditions=["S93.401D"]), KB)
    assert "ankle_sprain" in [c.id for c in result.conditions]
    assert result.warnings[0] == (
        "ICD-10-CM code S93.401D was read as 'ankle_sprain' (code S93.401A), which it refines"
    )


@pytest.mark.parametrize("code", ["M54.5", "M54", "M54.59"])
def test_broader_or_sibling_codes_are_refused_with_the_known_codes(code: str) -> None:
    """A parent (M54.5) or sibling (M54.59) of a known code may be another problem: refused, naming the known ones."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.recommend(mr.ClientProfile(**BASE, conditions=[code]), KB)
    known = ", ".join(sorted(c for c in KB.icd10_index if c.startswith("M54")))
    assert str(caught.value).startswith(
        f"conditions[0]: ICD-10-CM code {code} is not in the knowledge base and refines none of its codes; "
        f"codes it knows in M54: {known} (allowed: "
    )
    assert caught.value.field == "conditions[0]"


def test_resolution_prefers_the_longest_known_ancestor() -> None:
    """With both a category and a subcode known, a deeper code goes to the closer one."""
    index = {"M54": "back", "M54.5": "low_back", "S16.1XXA": "neck_strain"}
    assert resolve_icd10("M54.59", index).condition == "low_back"
    assert resolve_icd10("M54.2", index).condition == "back"
    assert resolve_icd10("S16.1XXS", index).condition == "neck_strain"
    assert resolve_icd10("M62.830", index).condition is None


@pytest.mark.parametrize(
    ("minutes", "units"),
    [(0, 0), (7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4), (60, 4), (67, 4), (68, 5)],
)
def test_eight_minute_rule_table(minutes: int, units: int) -> None:
    """Units follow the CMS table: 8-22 minutes 1 unit, 23-37 2, 38-52 3, 53-67 4."""
    assert billable_units(minutes, 15, 8) == units
    billing = mr.billing_units(minutes, KB)
    assert billing is not None
    assert billing.units == units


def test_plan_reports_billing_units_with_the_rule_cited() -> None:
    """The plan carries units for its session length, the timed codes offered, and the rule's sources."""
    result = mr.recommend(mr.ClientProfile(**BASE), KB)
    assert result.plan is not None
    billing = result.plan.billing
    assert billing is not None
    assert (billing.session_minutes, billing.units) == (result.plan.session_minutes, 4)
    assert billing.cpt == tuple(sorted({t.cpt for t in result.techniques}))
    assert billing.text.startswith("CMS 8-minute rule:")
    assert set(billing.sources) <= {s.id for s in result.sources}


def test_billing_units_refuses_a_bad_length() -> None:
    """A negative or non-integer session length is a ValueError, not a silent zero."""
    with pytest.raises(ValueError, match="session_minutes must be a whole number of minutes, not -5"):
        mr.billing_units(-5, KB)


def test_a_second_billing_section_is_a_knowledge_error(tmp_path: Path) -> None:
    """Two files may not both define the billing rule; the error names the first."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "pack: {id: clinic, version: '1'}\n"
        "billing: {text: x, unit_minutes: 15, min_minutes_for_unit: 8, timed_cpt: ['97124'], sources: [walton]}\n"
    )
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([pack])
    assert str(caught.value).startswith(f"{pack}:2:1: a second billing section; the first is in ")
    assert str(caught.value).endswith("billing.yaml")


def test_billing_threshold_must_fit_in_a_unit(tmp_path: Path) -> None:
    """A threshold longer than the unit is refused by the file's schema."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "billing: {text: x, unit_minutes: 15, min_minutes_for_unit: 20, timed_cpt: ['97124'], sources: [walton]}\n"
    )
    with pytest.raises(mr.KnowledgeError, match="min_minutes_for_unit is greater than unit_minutes"):
        mr.load_knowledge([pack], bundled=False)


def test_without_a_billing_rule_plans_carry_no_units() -> None:
    """Knowledge with no billing section: plans report no billing units."""
    kb = mr.load_knowledge([p for p in bundled_knowledge_paths() if p.name != "billing.yaml"], bundled=False)
    profile = mr.ClientProfile(
        areas=["lower_back"], cause="posture", severity=5, phase="chronic", goals=["pain_relief"]
    )
    plan = mr.recommend(profile, kb).plan
    assert plan is not None
    assert plan.billing is None
