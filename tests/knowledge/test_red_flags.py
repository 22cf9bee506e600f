"""Red flags the profile itself implies: a referral where the source says the pattern needs a physician,
otherwise screening questions that stand first and hold the techniques that depend on the answer."""

from __future__ import annotations

import json

import pytest

import massage_rules as mr
from massage_rules.output.handout import render_markdown
from massage_rules.output.interop import to_cds_hooks_cards, to_fhir_careplan
from massage_rules.output.text import render_text

KB = mr.load_knowledge()


def answer(**fields: object) -> mr.Recommendation:
    """Recommend for a profile with moderate pain and a pain goal unless the fields say otherwise."""
    return mr.recommend(mr.ClientProfile(**{"severity": 5, "goals": ["pain_relief"], **fields}), KB)  # type: ignore[arg-type]


def asked(result: mr.Recommendation) -> set[str]:
    return {q.rule for q in result.screening_questions}


# --- the DVT picture -----------------------------------------------------------------------


def test_new_leg_swelling_without_injury_asks_about_a_clot_before_anything() -> None:
    """An acute swollen calf with no injury asks the clot question first, and every technique waits for it."""
    result = answer(areas=["calf"], phase="acute", goals=["swelling_reduction"])
    assert "leg_swelling_clot_ask" in asked(result)
    question = next(q for q in result.screening_questions if q.rule == "leg_swelling_clot_ask")
    assert question.findings == ("suspected_dvt",)
    assert result.techniques
    assert all("leg_swelling_clot_ask" in t.after_screening for t in result.techniques)
    assert set(question.holds) == {t.id for t in result.techniques}


def test_a_yes_to_the_clot_question_is_an_urgent_referral() -> None:
    """Given the finding the question stands for, the answer is the urgent referral and the question is gone."""
    result = answer(areas=["calf"], phase="acute", goals=["swelling_reduction"], health=["suspected_dvt"])
    assert result.referral is not None
    assert result.referral.urgency == "urgent"
    assert result.techniques == ()
    assert result.screening_questions == ()


def test_a_no_to_the_clot_question_clears_it() -> None:
    """Once the question is answered no (listed in ``cleared``), it is not asked again and nothing waits on it."""
    result = answer(areas=["calf"], phase="acute", goals=["swelling_reduction"], cleared=["leg_swelling_clot_ask"])
    assert "leg_swelling_clot_ask" not in asked(result)
    assert all("leg_swelling_clot_ask" not in t.after_screening for t in result.techniques)


def test_swelling_after_an_ankle_sprain_is_not_the_clot_picture() -> None:
    """A sprain explains the swelling: the clot question is not asked."""
    assert "leg_swelling_clot_ask" not in asked(answer(areas=["ankle_foot"], cause="sport", days_since_onset=2,
                                                      goals=["swelling_reduction"]))  # fmt: skip


def test_an_unknown_cleared_question_is_refused() -> None:
    """``cleared`` must name a rule that asks a question."""
    with pytest.raises(mr.ProfileError, match="cleared"):
        answer(areas=["calf"], phase="acute", cleared=["no_such_question"])


# --- chest, abdomen, spine, head ------------------------------------------------------------


@pytest.mark.parametrize("area", ["chest", "abdomen"])
def test_severe_new_trunk_pain_of_unknown_cause_is_an_urgent_referral(area: str) -> None:
    """Acute chest or abdominal pain at 8/10 that no strain or injury explains goes to a physician, untreated."""
    for cause in (None, "unknown", "stress"):
        result = answer(areas=[area], cause=cause, phase="acute", severity=8)
        assert result.referral is not None, (area, cause)
        assert result.referral.urgency == "urgent", (area, cause)
        assert result.techniques == ()


def test_milder_new_abdominal_pain_asks_first() -> None:
    """Moderate new abdominal pain of unknown cause asks about cardiac signs and fever before treating."""
    result = answer(areas=["abdomen"], cause="unknown", phase="acute", severity=5)
    assert result.referral is None
    assert "acute_trunk_pain_unexplained_ask" in asked(result)


def test_chest_pain_from_a_gym_strain_is_treated() -> None:
    """A chest strain from training is explained by its cause: no trunk red flag."""
    result = answer(areas=["chest"], cause="gym", phase="acute", severity=6)
    assert result.referral is None
    assert "acute_trunk_pain_unexplained_ask" not in asked(result)


def test_osteoporosis_with_severe_new_spine_pain_and_no_trauma_is_referred() -> None:
    """Fragility fractures often follow no fall: severe acute spine pain with osteoporosis is referred first."""
    result = answer(areas=["upper_back"], cause="unknown", phase="acute", severity=8, health=["osteoporosis"])
    assert result.referral is not None
    assert not result.referral.massage_meanwhile
    assert result.techniques == ()


def test_osteoporosis_with_moderate_new_spine_pain_asks_about_a_fracture() -> None:
    """Moderate new spine pain with osteoporosis is treated only after the fracture question."""
    result = answer(areas=["lower_back"], phase="acute", severity=5, health=["osteoporosis"])
    assert "osteoporosis_new_spine_pain_ask" in asked(result)
    assert all("osteoporosis_new_spine_pain_ask" in t.after_screening for t in result.techniques)


def test_a_new_severe_headache_asks_the_secondary_headache_questions() -> None:
    """A severe headache of unknown cause two days old asks about sudden onset, fever and neurological signs."""
    result = answer(areas=["head"], cause="unknown", days_since_onset=2, severity=8)
    question = next(q for q in result.screening_questions if q.rule == "new_severe_headache_ask")
    assert "sudden_severe_headache" in question.findings
    assert all("new_severe_headache_ask" in t.after_screening for t in result.techniques)


def test_a_new_headache_at_fifty_five_is_referred() -> None:
    """A headache that is new at 55 goes to a physician before massage; the same at 35 does not."""
    older = answer(areas=["head"], cause="stress", days_since_onset=20, age=55)
    assert older.referral is not None
    assert older.techniques == ()
    assert answer(areas=["head"], cause="stress", days_since_onset=20, age=35).referral is None


@pytest.mark.parametrize("age", [17, 62])
def test_new_back_pain_outside_twenty_to_fifty_asks_the_ahcpr_companions(age: int) -> None:
    """New back pain under 20 or over 50 asks about cancer, weight loss, fever, infection risk and night pain."""
    result = answer(areas=["lower_back"], cause="lifting", days_since_onset=5, age=age)
    question = next(q for q in result.screening_questions if q.rule.startswith("back_pain_"))
    assert {"cancer_history", "unexplained_weight_loss", "fever", "night_pain"} <= set(question.findings)
    assert not asked(answer(areas=["lower_back"], cause="lifting", days_since_onset=5, age=35))


# --- surgery, swelling, lymph nodes ------------------------------------------------------------


def test_surgery_as_the_cause_is_a_recent_operation_on_the_problem_areas() -> None:
    """A knee ten days after surgery gets the recent-surgery rules without the finding being ticked."""
    result = answer(areas=["knee"], cause="surgery", days_since_onset=10, goals=["mobility"])
    offered = {t.id for t in result.techniques}
    assert not offered & {"pnf_stretching", "muscle_energy", "deep_tissue"}, offered
    fired = {a.rule for a in result.avoided}
    assert {"recent_surgery_area", "recent_surgery_clot_risk"} <= fired
    assert "recent_surgery_ask" in asked(result)
    assert any("recent_surgery" in w for w in result.warnings)


def test_swelling_asks_about_heart_kidney_and_liver_before_drainage() -> None:
    """A swelling goal holds drainage behind the organ-oedema question; a yes rules drainage out."""
    result = answer(areas=["knee"], phase="chronic", goals=["swelling_reduction"])
    assert "swelling_cause_ask" in asked(result)
    drainage = next(t for t in result.techniques if t.id == "lymphatic_drainage")
    assert "swelling_cause_ask" in drainage.after_screening
    for finding in ("heart_failure", "kidney_disease", "liver_disease"):
        with_disease = answer(areas=["knee"], phase="chronic", goals=["swelling_reduction"], health=[finding])
        assert "lymphatic_drainage" not in {t.id for t in with_disease.techniques}, finding
        assert "swelling_cause_ask" not in asked(with_disease)


def test_lymph_nodes_removed_protect_the_whole_quadrant() -> None:
    """Axillary nodes removed (given at the shoulder) cap the chest and upper back too, with no deep work there."""
    result = answer(areas=["chest", "upper_back"], phase="chronic", health=["lymph_nodes_removed@shoulder"])
    assert result.techniques
    assert all(t.pressure_max <= 2 for t in result.techniques)
    capped = {limit.area for limit in result.pressure_limits if limit.rule == "lymph_nodes_removed_limb"}
    assert {"shoulder", "upper_arm", "chest", "upper_back", "wrist_hand"} <= capped
    assert "lower_back" not in capped


# --- every output format puts the questions first ------------------------------------------------


def test_every_format_shows_the_questions_first() -> None:
    """Text, JSON, the handout, CDS Hooks and FHIR all carry the questions ahead of the techniques."""
    result = answer(areas=["calf"], phase="acute", goals=["swelling_reduction"])
    text = render_text(result)
    assert text.index("Ask first") < text.index("Techniques, best first")  # the therapist's view
    data = json.loads(result.model_dump_json())
    assert data["screening_questions"][0]["rule"] in asked(result)
    handout = render_markdown(result)
    assert handout.index("## Before we start") < handout.index("## What we will do")
    cards = to_cds_hooks_cards(result)
    question_card = next(i for i, c in enumerate(cards) if c["summary"].startswith("Ask "))
    plan_card = next(i for i, c in enumerate(cards) if c["summary"].startswith("Massage"))
    assert question_card < plan_card
    assert cards[question_card]["indicator"] == "warning"
    notes = to_fhir_careplan(result)["note"]
    assert notes[0]["text"].startswith("Ask before treating")
