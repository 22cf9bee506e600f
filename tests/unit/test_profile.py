"""ClientProfile: shape checks, normalisation, and errors that name the field."""

from __future__ import annotations

import pytest

import massage_rules as mr

BASE = {"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief"]}


def test_ids_are_normalised_and_sorted() -> None:
    """Case, spaces and order are folded away, so equal profiles compare equal."""
    profile = mr.ClientProfile(
        **{
            **BASE,
            "areas": ["Lower Back", "neck", "lower_back"],
            "health": ["Varicose Veins@Calf"],
            "conditions": ["m54.50"],
        }
    )
    assert profile.areas == ("lower_back", "neck")
    assert profile.health == ("varicose_veins@calf",)
    assert profile.conditions == ("M54.50",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"severity": 6.5}, "severity: must be a whole number from 0 to 10, not 6.5"),
        ({"severity": "six"}, "severity: must be a whole number from 0 to 10, not the text 'six'"),
        ({"severity": 11}, "severity: must be from 0 to 10, not 11"),
        ({"areas": []}, "areas: "),
        ({"phase": None}, "give phase or days_since_onset"),
        ({"sevrity": 3}, "sevrity: 'sevrity' is not a profile field; did you mean 'severity'?"),
    ],
)
def test_bad_shapes_raise_profile_error(change: dict[str, object], message: str) -> None:
    """A wrong type or range is a ProfileError that names the field."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.ClientProfile(**{**BASE, **change})
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("change", "field", "suggestion"),
    [
        ({"areas": ["lowerback"]}, "areas[0]", "lower_back"),
        ({"goals": ["pain_releif"]}, "goals[0]", "pain_relief"),
        ({"cause": "postur"}, "cause", "posture"),
        ({"phase": "chronik"}, "phase", "chronic"),
    ],
)
def test_unknown_values_name_field_and_close_match(
    change: dict[str, object], field: str, suggestion: str, kb: mr.KnowledgeBase
) -> None:
    """An unknown vocabulary value names the field, the value, a close match and the allowed values."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.recommend(mr.ClientProfile(**{**BASE, **change}), kb)
    error = caught.value
    assert error.field == field
    assert error.suggestion == suggestion
    assert suggestion in error.allowed
    assert f"did you mean '{suggestion}'?" in str(error)


def test_phase_and_days_must_agree(kb: mr.KnowledgeBase) -> None:
    """Giving both phase and days_since_onset is fine only when they agree."""
    ok = mr.recommend(mr.ClientProfile(**{**BASE, "phase": "acute", "days_since_onset": 2}), kb)
    assert ok.profile.phase == "acute"
    with pytest.raises(mr.ProfileError, match="disagrees with days_since_onset=2"):
        mr.recommend(mr.ClientProfile(**{**BASE, "phase": "chronic", "days_since_onset": 2}), kb)


def test_phase_is_derived_from_days(kb: mr.KnowledgeBase) -> None:
    """days_since_onset alone sets the phase from the thresholds in the knowledge."""
    result = mr.recommend(
        mr.ClientProfile(**{**{k: v for k, v in BASE.items() if k != "phase"}, "days_since_onset": 3}), kb
    )
    assert result.profile.phase == "acute"
