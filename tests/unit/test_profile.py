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
        ({"age": "fifty"}, "age: must be a whole number of years from 0 to 130, not the text 'fifty'"),
        ({"age": 131}, "age: must be from 0 to 130, not 131"),
        ({"age": [58]}, "age: must be a whole number of years from 0 to 130, not list"),
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


def test_a_misspelt_field_is_named_before_the_fields_it_leaves_missing() -> None:
    """`ClientProfile(sevrity=3)` names the misspelt key and the field it meant, not a missing field."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.ClientProfile(sevrity=3)  # type: ignore[call-arg]
    assert str(caught.value).startswith("sevrity: 'sevrity' is not a profile field; did you mean 'severity'?")


@pytest.mark.parametrize(
    ("change", "loc", "kind"),
    [
        ({"severity": 33}, ("severity",), "value_error"),
        ({"areas": ["neck", 3]}, ("areas",), "value_error"),
        ({"sevrity": 3}, ("sevrity",), "extra_forbidden"),
        ({"goals": None}, ("goals",), "value_error"),
    ],
)
def test_validation_outside_the_constructor_is_pydantic_s_and_locates_the_field(
    change: dict[str, object], loc: tuple[str, ...], kind: str
) -> None:
    """What FastAPI and TypeAdapter run raises a ValidationError at the field; the constructor a ProfileError."""
    from pydantic import TypeAdapter, ValidationError

    data = {**BASE, **change}
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(mr.ClientProfile).validate_python(data)
    (error,) = caught.value.errors()
    assert (error["loc"], error["type"]) == (loc, kind)
    if kind == "value_error":
        assert isinstance(error["ctx"]["error"], mr.ProfileError)
    with pytest.raises(mr.ProfileError):
        mr.ClientProfile(**data)
    with pytest.raises(mr.ProfileError):
        mr.ClientProfile.model_validate(data)


def test_a_profile_inside_a_result_is_located_inside_it(kb: mr.KnowledgeBase) -> None:
    """Reading a stored result back with a bad profile points at the profile's field."""
    from pydantic import ValidationError

    text = mr.recommend(mr.ClientProfile(**BASE), kb).model_dump_json().replace('"severity":6', '"severity":60')
    with pytest.raises(ValidationError) as caught:
        mr.Recommendation.model_validate_json(text)
    assert caught.value.errors()[0]["loc"] == ("profile", "severity")


@pytest.mark.parametrize(
    ("field", "loc"),
    [("areas[0]", ("areas", 0)), ("cause", ("cause",)), ("profile", ()), ("health[12]", ("health", 12))],
)
def test_profile_error_loc_is_the_field_as_a_pydantic_location(field: str, loc: tuple[str | int, ...]) -> None:
    """`loc` spells `field` the way pydantic locates an error, for a web API's 422."""
    assert mr.ProfileError(field, None, "is odd").loc == loc
