"""explain says why a technique ranks where it does, or which rule (and where) kept it out."""

from __future__ import annotations

from pathlib import Path

import pytest

import massage_rules as mr

BASE = sorted((Path(__file__).parents[1] / "knowledge" / "base").glob("*.yaml"))


@pytest.fixture(scope="module")
def base() -> mr.KnowledgeBase:
    """The frozen copy of the core knowledge."""
    return mr.load_knowledge(BASE, bundled=False)


def _profile(**extra: object) -> mr.ClientProfile:
    fields: dict[str, object] = {"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["relaxation"]}
    fields.update(extra)
    return mr.ClientProfile(**fields)  # type: ignore[arg-type]


def test_offered_technique_has_rank_and_reasons(base: mr.KnowledgeBase) -> None:
    """An offered technique gets its rank, score and the same reasons as the recommendation."""
    answer = mr.explain(_profile(), "swedish", base)
    result = mr.recommend(_profile(), base)
    ranked = next(t for t in result.techniques if t.id == "swedish")
    assert (answer.offered, answer.rank, answer.score) == (True, ranked.rank, ranked.score)
    assert answer.reasons == ranked.reasons
    assert answer.summary == f"Swedish massage ranks {ranked.rank} of {len(result.techniques)} with 4 points"


def test_forbidden_technique_names_rule_and_place(base: mr.KnowledgeBase) -> None:
    """A forbidden technique names the forbidding rule with its file:line, and still shows its points."""
    answer = mr.explain(_profile(health=["anticoagulants"]), "deep_tissue", base)
    assert not answer.offered
    assert answer.score == 1  # the complaint's favour, which the forbid overrules
    forbids = [o for o in answer.obstacles if o.kind == "forbidden"]
    assert [(o.rule, o.origin, o.area) for o in forbids] == [("anticoagulants_gentle", f"{BASE[0]}:40", None)]
    assert answer.summary.startswith("Deep tissue massage is not offered: Anticoagulants make bruising easy")


def test_absent_technique_lists_the_unmet_goal_rules(base: mr.KnowledgeBase) -> None:
    """A technique nothing scored lists the rules that would have, and the goals the profile has instead."""
    answer = mr.explain(_profile(), "sports_massage", base)
    assert [o.kind for o in answer.obstacles] == ["no_points"]
    assert {u.rule: u.unmet for u in answer.unmet} == {
        "sports_massage.goal.function": ("needs one of the goals function; the profile's goals are relaxation",),
        "sports_massage.goal.recovery": ("needs one of the goals recovery; the profile's goals are relaxation",),
    }


def test_stopped_answer_explains_why(base: mr.KnowledgeBase) -> None:
    """With a fever, every technique is absent because of the no-massage rule."""
    answer = mr.explain(_profile(health=["fever"]), "comfort_touch", base)
    assert answer.obstacles[0].kind == "stopped"
    assert answer.obstacles[0].rule == "fever_no_massage"


def test_unmet_conditions_in_words(base: mr.KnowledgeBase) -> None:
    """Complaint rules say which of their conditions the profile missed."""
    answer = mr.explain(_profile(areas=["neck"]), "deep_tissue", base)
    unmet = {u.rule: u.unmet for u in answer.unmet}
    assert unmet["chronic_low_back_pain"] == ("needs one of the areas lower_back; the profile's areas are neck",)


def test_unknown_technique_is_a_profile_error(base: mr.KnowledgeBase) -> None:
    """An unknown technique id raises ProfileError with a suggestion."""
    with pytest.raises(mr.ProfileError) as caught:
        mr.explain(_profile(), "swedsh", base)
    assert caught.value.suggestion == "swedish"
    assert str(caught.value).startswith("technique: 'swedsh' is not a known technique; did you mean 'swedish'?")
