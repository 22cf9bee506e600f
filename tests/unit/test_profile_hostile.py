"""ClientProfile under hostile input: each value normalises to the obvious one or raises a precise ProfileError."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import massage_rules as mr
from massage_rules.engine import profile_files as _input

BASE: dict[str, Any] = {"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief"]}


def make(**change: Any) -> mr.ClientProfile:
    """A profile from BASE with some fields changed, through the mapping path callers use."""
    return mr.ClientProfile.model_validate({**BASE, **change})


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"areas": ["Lower Back"]}, "areas", ("lower_back",)),
        ({"areas": ["  lower-back  "]}, "areas", ("lower_back",)),
        ({"areas": ["LOWER_BACK", "lower back", "Lower-Back"]}, "areas", ("lower_back",)),
        ({"areas": ["ｌｏｗｅｒ\u3000Ｂａｃｋ"]}, "areas", ("lower_back",)),
        ({"areas": "neck"}, "areas", ("neck",)),
        ({"areas": ("neck", "calf", "neck")}, "areas", ("calf", "neck")),
        ({"goals": {"mobility", "pain_relief"}}, "goals", ("mobility", "pain_relief")),
        ({"health": ["Varicose Veins @ Calf "]}, "health", ("varicose_veins@calf",)),
        ({"conditions": [" m54.50 ", "Low Back Pain"]}, "conditions", ("M54.50", "low_back_pain")),
        ({"cause": "  Posture "}, "cause", "posture"),
        ({"cause": "   "}, "cause", None),
        ({"severity": "6"}, "severity", 6),
        ({"severity": " 7 "}, "severity", 7),
        ({"severity": "６"}, "severity", 6),
        ({"severity": 6.0}, "severity", 6),
        ({"severity": Decimal("4")}, "severity", 4),
        ({"severity": Fraction(10, 2)}, "severity", 5),
        ({"days_since_onset": 3.0}, "days_since_onset", 3),
    ],
)
def test_loose_values_normalise_to_the_obvious_value(change: dict[str, Any], field: str, expected: object) -> None:
    """Case, spaces, hyphens, full-width forms, duplicates, order and whole floats fold to one canonical value."""
    assert getattr(make(**change), field) == expected


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"severity": -1}, "severity", "severity: must be from 0 to 10, not -1"),
        ({"severity": 6.5}, "severity", "severity: must be a whole number from 0 to 10, not 6.5"),
        ({"severity": math.nan}, "severity", "severity: must be a whole number from 0 to 10, not nan"),
        ({"severity": math.inf}, "severity", "severity: must be a whole number from 0 to 10, not inf"),
        ({"severity": True}, "severity", "severity: must be a whole number from 0 to 10, not bool"),
        ({"severity": None}, "severity", "severity: must be a whole number from 0 to 10, not NoneType"),
        ({"severity": [6]}, "severity", "severity: must be a whole number from 0 to 10, not list"),
        ({"severity": "six"}, "severity", "severity: must be a whole number from 0 to 10, not the text 'six'"),
        ({"severity": "٦"}, "severity", "severity: must be a whole number from 0 to 10, not the text '٦'"),
        ({"severity": 10**5000}, "severity", "severity: must be from 0 to 10, not <a int too large to show>"),
        ({"severity": "9" * 5000}, "severity", "severity: must be from 0 to 10, not 999999999999... (5000 digits)"),
        ({"days_since_onset": -3}, "days_since_onset", "days_since_onset: must be from 0 to 36500, not -3"),
        ({"areas": None}, "areas", "areas: must be a list of strings, not NoneType"),
        ({"areas": {"lower_back": 1}}, "areas", "areas: must be a list of strings, not dict"),
        ({"areas": []}, "areas", "areas: needs at least one entry"),
        ({"goals": ()}, "goals", "goals: needs at least one entry"),
        ({"areas": ["neck"] * 201}, "areas", "areas: has 201 entries; at most 200"),
        ({"areas": ["x" * 201]}, "areas[0]", "areas[0]: is 201 characters long; at most 200"),
        ({"areas": ["neck", 3]}, "areas[1]", "areas[1]: must be a string, not int"),
        ({"areas": ["neck", " - "]}, "areas[1]", "areas[1]: is empty"),
        ({"goals": [None]}, "goals[0]", "goals[0]: must be a string, not NoneType"),
        ({"cause": 3}, "cause", "cause: must be a string, not int"),
        ({"phase": ["chronic"]}, "phase", "phase: must be a string, not list"),
        ({"phase": None}, "phase", "phase: give phase or days_since_onset (or both)"),
        ({"health": ["@calf"]}, "health[0]", "health[0]: '@calf' names no finding before '@'"),
        ({"health": ["a@b@c"]}, "health[0]", "health[0]: 'a@b@c' has more than one '@'; write finding@area"),
        (
            {"health": ["varicose_veins@"]},
            "health[0]",
            "health[0]: 'varicose_veins@' names no area after '@'; did you mean 'varicose_veins'?",
        ),
    ],
)
def test_bad_values_raise_profile_error_naming_the_field(change: dict[str, Any], field: str, message: str) -> None:
    """Wrong types, ranges, sizes and shapes raise ProfileError with the exact field and message."""
    with pytest.raises(mr.ProfileError) as caught:
        make(**change)
    assert caught.value.field == field
    assert str(caught.value) == message
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    ("value", "message", "suggestion"),
    [
        (
            "lоwer_back",  # Cyrillic o
            "areas[0]: 'lоwer_back' holds 'о' U+043E CYRILLIC SMALL LETTER O; "
            "ids are plain ASCII letters, digits and _; did you mean 'lower_back'?",
            "lower_back",
        ),
        (
            "n\u0435ck",  # Cyrillic e
            "areas[0]: 'nеck' holds 'е' U+0435 CYRILLIC SMALL LETTER IE; "
            "ids are plain ASCII letters, digits and _; did you mean 'neck'?",
            "neck",
        ),
        (
            "neck\u200b",
            "areas[0]: 'neck\\u200b' holds U+200B ZERO WIDTH SPACE; "
            "ids are plain ASCII letters, digits and _; did you mean 'neck'?",
            "neck",
        ),
        (
            "calf\u0301",
            "areas[0]: 'calf́' holds '\u0301' U+0301 COMBINING ACUTE ACCENT; "
            "ids are plain ASCII letters, digits and _; did you mean 'calf'?",
            "calf",
        ),
    ],
)
def test_look_alikes_are_refused_with_the_character_named(value: str, message: str, suggestion: str) -> None:
    """A non-ASCII character left after NFKC is refused, named by code point, with the ASCII id suggested."""
    with pytest.raises(mr.ProfileError) as caught:
        make(areas=[value])
    assert str(caught.value) == message
    assert caught.value.suggestion == suggestion


def test_unknown_key_names_allowed_fields_and_close_match() -> None:
    """An unknown key lists the profile's fields and suggests the nearest one."""
    with pytest.raises(mr.ProfileError) as caught:
        make(goal=["pain_relief"])
    assert caught.value.suggestion == "goals"
    assert caught.value.allowed == tuple(sorted(mr.ClientProfile.model_fields))


def test_non_string_key_is_a_profile_error() -> None:
    """A mapping with a non-string key (as YAML can give) is a ProfileError, not a TypeError."""
    with pytest.raises(mr.ProfileError, match="the key 1 is not a profile field"):
        mr.ClientProfile.model_validate({**BASE, 1: 2})


@pytest.mark.parametrize("field", ["areas", "severity", "goals"])
def test_missing_required_field(field: str) -> None:
    """A missing required field is named."""
    data = {k: v for k, v in BASE.items() if k != field}
    with pytest.raises(mr.ProfileError) as caught:
        mr.ClientProfile.model_validate(data)
    assert str(caught.value) == f"{field}: is required"


@pytest.mark.parametrize("obj", [None, [], "areas: [neck]", 3, (("areas", "neck"),)])
def test_non_mapping_is_a_profile_error(obj: object) -> None:
    """Anything but a mapping is refused as a whole."""
    with pytest.raises(mr.ProfileError, match=r"^profile: must be a mapping of fields, not "):
        mr.ClientProfile.model_validate(obj)


def test_unknown_area_after_at_names_field_allowed_and_close_match(kb: mr.KnowledgeBase) -> None:
    """An id@area with an unknown area names the health entry, the area, the allowed areas and a close match."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.recommend(make(health=["varicose_veins@calff"]), kb)
    error = caught.value
    assert error.field == "health[0]"
    assert error.value == "calff"
    assert error.suggestion == "calf"
    assert set(error.allowed) == set(kb.areas)


def test_severity_words_go_through_parse_profile(kb: mr.KnowledgeBase) -> None:
    """parse_profile reads severity words; an unknown word suggests the nearest band."""
    assert _input.parse_profile({**BASE, "severity": " Moderate "}, kb).severity == kb.severity_bands["moderate"].nrs
    with pytest.raises(mr.ProfileError) as caught:
        _input.parse_profile({**BASE, "severity": "moderat"}, kb)
    assert caught.value.suggestion == "moderate"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9" * 5000, "severity: must be from 0 to 10, not 999999999999... (5000 digits)"),
        (
            "٦",
            "severity: '٦' is neither a 0-10 pain score nor a severity word "
            "(allowed: 0-10, mild, moderate, none, severe)",
        ),
    ],
)
def test_severity_text_that_int_would_choke_on(text: str, message: str, kb: mr.KnowledgeBase) -> None:
    """Digit strings int() cannot read (too long, non-ASCII digits) are ProfileErrors, never a bare ValueError."""
    with pytest.raises(mr.ProfileError) as caught:
        _input.parse_profile({**BASE, "severity": text}, kb)
    assert str(caught.value) == message
