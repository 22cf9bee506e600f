"""Did-you-mean for the words people type: synonyms from the knowledge, whole words of ids, and near spellings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import massage_rules as mr
from massage_rules.errors import close_matches

BASE: dict[str, Any] = {"areas": ["neck"], "severity": 5, "phase": "chronic", "goals": ["pain_relief"]}
AREAS = ["ankle_foot", "calf", "lower_back", "neck", "upper_back"]
SYNONYMS = {"ankle_foot": ["foot", "feet"], "lower_back": ["lumbar"], "neck": ["cervical"]}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("feet", ("ankle_foot",)),  # a synonym: its entry, and only that
        ("back", ("lower_back", "upper_back")),  # a whole word of two ids: both, equally good, by id
        ("lower", ("lower_back",)),
        ("lowerback", ("lower_back",)),  # a near spelling of an id
        ("lumbr", ("lower_back",)),  # a near spelling of a synonym
        ("bak", ("lower_back", "upper_back")),  # a near spelling of a word of an id
        ("xyz", ()),
        ("", ()),
    ],
)
def test_close_matches_tries_synonyms_then_words_then_spelling(word: str, expected: tuple[str, ...]) -> None:
    """close_matches gives every id a word may stand for, best first, or nothing when none is close."""
    assert close_matches(word, AREAS, SYNONYMS) == expected


def test_close_matches_keeps_only_the_closest_spellings() -> None:
    """A near spelling does not drag in ids that are much further away."""
    assert close_matches("calff", ["calf", "half_calf_support", "neck"]) == ("calf",)
    assert close_matches("pain", [f"pain_{i}" for i in range(9)], limit=3) == ("pain_0", "pain_1", "pain_2")


def test_profile_error_names_every_suggestion_and_keeps_the_best_as_suggestion() -> None:
    """`suggestions` holds them all, best first; `suggestion` is the best; the message names them all."""
    error = mr.ProfileError(
        "areas[0]", "back", "'back' is not a known body area", suggestions=["lower_back", "upper_back"]
    )
    assert error.suggestion == "lower_back"
    assert error.suggestions == ("lower_back", "upper_back")
    assert str(error) == "areas[0]: 'back' is not a known body area; did you mean 'lower_back' or 'upper_back'?"
    three = mr.ProfileError("x", "y", "is odd", suggestion="a", suggestions=["b", "a", "c"])
    assert three.suggestions == ("a", "b", "c")
    assert str(three) == "x: is odd; did you mean 'a', 'b' or 'c'?"
    assert mr.ProfileError("x", "y", "is odd").suggestions == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"areas": ["back"]}, "areas[0]: 'back' is not a known body area; did you mean 'lower_back' or 'upper_back'?"),
        ({"areas": ["foot"]}, "areas[0]: 'foot' is not a known body area; did you mean 'ankle_foot'?"),
        ({"areas": ["lumbar"]}, "areas[0]: 'lumbar' is not a known body area; did you mean 'lower_back'?"),
        (
            {"health": ["diabetis"]},
            "health[0]: 'diabetis' is not a known health finding; did you mean 'diabetic_neuropathy'?",
        ),
        (
            {"health": ["warfarin"]},
            "health[0]: 'warfarin' is not a known health finding; did you mean 'anticoagulants'?",
        ),
        ({"health": ["blood_clot@foot"]}, "health[0]: 'blood_clot' is not a known health finding; did you mean"),
        ({"cause": "car_accident"}, "cause: 'car_accident' is not a known cause; did you mean 'motor_vehicle'?"),
        ({"goals": ["range_of_motion"]}, "goals[0]: 'range_of_motion' is not a known goal; did you mean 'mobility'?"),
    ],
)
def test_words_people_type_are_refused_with_the_id_suggested(
    change: dict[str, Any], message: str, kb: mr.KnowledgeBase
) -> None:
    """A synonym or a loose word is never read as an id: the profile is refused, naming the id(s) it may mean."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.recommend(mr.ClientProfile(**{**BASE, **change}), kb)
    assert str(caught.value).startswith(message)
    assert set(caught.value.suggestions) <= set(caught.value.allowed)


def test_every_bundled_synonym_leads_to_its_own_entry(kb: mr.KnowledgeBase) -> None:
    """Each synonym in the bundled knowledge suggests exactly the entry that lists it."""
    tables: dict[str, Any] = {"areas": kb.areas, "causes": kb.causes, "goals": kb.goals, "findings": kb.findings}
    count = 0
    for table in tables.values():
        synonyms = {ident: entry.synonyms for ident, entry in table.items()}
        for ident, words in synonyms.items():
            for word in words:
                assert close_matches(word, table, synonyms) == (ident,), word
                count += 1
    assert count > 50


def test_a_clinic_synonym_may_not_take_a_bundled_one(tmp_path: Path) -> None:
    """A clinic pack that gives an existing synonym to a new entry is refused, naming the entry that has it."""
    pack = tmp_path / "clinic.yaml"
    pack.write_text(
        'format: 1\npack: {id: clinic, version: "1"}\n'
        "vocabulary:\n  areas:\n    - {id: sole, name: Sole of the foot, synonyms: [foot]}\n",
        encoding="utf-8",
    )
    with pytest.raises(mr.KnowledgeError, match="synonym 'foot' is already a synonym of area 'ankle_foot'"):
        mr.load_knowledge([pack])
