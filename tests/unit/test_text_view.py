"""The therapist's text report: safety first, the top techniques with reasons in words, a short plan."""

from __future__ import annotations

import re

import pytest

import massage_rules as mr
from massage_rules.output.text import render_text, shared_ranks

KB = mr.load_knowledge()
LOW_BACK = {
    "areas": ["lower_back"],
    "cause": "posture",
    "severity": 6,
    "phase": "chronic",
    "goals": ["pain_relief", "mobility"],
}
ANKLE = {
    "areas": ["ankle_foot"],
    "cause": "sport",
    "days_since_onset": 3,
    "severity": 5,
    "goals": ["swelling_reduction"],
    "health": ["anticoagulants"],
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _text(profile: dict[str, object], **options: object) -> str:
    return render_text(mr.recommend(mr.ClientProfile(**profile), KB), knowledge=KB, **options)  # type: ignore[arg-type]


def test_a_typical_one_area_answer_fits_a_screen() -> None:
    """The README's example fits in about 25 lines: five techniques, the plan, its after-care, a source count."""
    text = _text(LOW_BACK)
    assert len(text.splitlines()) <= 30
    assert "Techniques, best first (top 5 of 15; --all for every one)" in text
    assert re.search(r"^38 sources · knowledge core-", text, re.MULTILINE)
    assert "Sources:" not in text
    assert "unit(s)" not in text  # billing is behind --full


def test_reasons_are_words_not_rule_ids() -> None:
    """No rule id appears in the short view: reasons are goal and complaint names, or the rule's own words."""
    result = mr.recommend(mr.ClientProfile(**LOW_BACK), KB)
    text = render_text(result, knowledge=KB, top=None)
    rules = {r.rule for t in result.techniques for r in t.reasons}
    assert [rule for rule in rules if rule in text] == []
    assert "a safe fallback for nearly everyone +0.5" in " ".join(text.split())  # the rule's label
    assert "[" not in text


def test_ties_share_a_rank() -> None:
    """Techniques the engine gives one rank show it shared (=4); an equal score broken on clinical grounds says why."""
    text = _text(LOW_BACK)
    ranks = re.findall(r"^ +(=?\d+)  [A-Z]", text, re.MULTILINE)
    assert ranks == ["1", "2", "3", "=4", "=4"]
    assert "order: same score as Swedish massage, which the matched complaint favours more" in " ".join(text.split())
    result = mr.recommend(mr.ClientProfile(**LOW_BACK), KB)
    first, second, third, fourth = result.techniques[:4]
    engine_ties = [
        first,
        second.model_copy(update={"rank": 2, "score": 9.0}),
        third.model_copy(update={"rank": 2, "score": 8.0}),
        fourth.model_copy(update={"rank": 4, "score": 1.0}),
    ]
    assert shared_ranks(engine_ties) == ["1", "=2", "=2", "4"]


def test_top_and_all_choose_how_many_techniques() -> None:
    """top=N shows N techniques and says how many more tie with the last; None shows them all."""
    text = _text(LOW_BACK, top=4)
    assert "(top 4 of 15, 1 more tied at =4; --all for every one)" in text
    assert len(re.findall(r"^ +=?\d+  [A-Z]", text, re.MULTILINE)) == 4
    everything = _text(LOW_BACK, top=None)
    assert len(re.findall(r"^ +=?\d+  [A-Z]", everything, re.MULTILINE)) == 15
    assert "top " not in everything


def test_after_care_only_for_the_techniques_shown() -> None:
    """Drainage after-care is left out while drainage is not shown, and appears once it is."""
    drainage = "After drainage, rest with the limb raised"
    assert drainage not in _text(LOW_BACK)
    assert drainage in " ".join(_text(LOW_BACK, top=None).split())
    assert "Deeper work can leave the area tender" in " ".join(_text(LOW_BACK).split())


def test_the_one_warning_that_matters_comes_first() -> None:
    """With anticoagulants, the finding's line opens Avoid, and the phase rules fold into one line."""
    text = _text(ANKLE)
    avoid = text.split("Avoid\n", 1)[1].split("\n\n", 1)[0]
    assert avoid.startswith("  Takes anticoagulants: no Active release technique, ")
    assert "pressure at most 2/5 anywhere" in avoid
    assert avoid.count("Not on the ankle and foot in the acute phase:") == 1
    assert "is not used on the injured area" not in avoid
    assert len(avoid.splitlines()) <= 10
    assert text.index("Avoid") < text.index("Techniques, best first")


def test_full_keeps_every_detail() -> None:
    """--full lists every avoidance with its rule, the plan's arithmetic, billing, sources and all after-care."""
    result = mr.recommend(mr.ClientProfile(**ANKLE), KB)
    text = " ".join(render_text(result, knowledge=KB, full=True, top=None).split())
    for avoid in result.avoided:
        assert avoid.rule in text
    assert "billing: 2 unit(s)" in text
    assert "base 2-4:" in text
    assert "Sources: abbott14," in text
    assert "Call emergency services for sudden breathlessness or chest pain. [warning_breathless]" in text


def test_no_massage_now_prints_no_session_advice() -> None:
    """'No massage now' leads, and a complaint's treatment notes (60-minute sessions) wait for --full."""
    profile = {"areas": ["neck"], "severity": 5, "phase": "chronic", "goals": ["pain_relief"], "health": ["fever"]}
    result = mr.recommend(mr.ClientProfile(**profile), KB)
    assert any("60-minute" in note.text for note in result.notes)
    text = render_text(result, knowledge=KB)
    assert text.split("\n\n")[1].startswith("NO MASSAGE NOW: Fever means")
    assert "60-minute" not in text
    assert "Plan:" not in text
    assert "60-minute" in render_text(result, knowledge=KB, full=True)


def test_screening_questions_come_right_after_a_referral() -> None:
    """A result that carries screening questions shows them under "Ask first", before what to avoid."""

    plain = mr.recommend(mr.ClientProfile(**ANKLE), KB)
    question = mr.ScreeningQuestion(
        rule="x_ask", question="Can you take four steps on it?", why="w", findings=(), holds=(), sources=()
    )
    result = plain.model_copy(update={"screening_questions": (question,)})
    text = render_text(result, knowledge=KB)
    assert "Ask first\n  ? Can you take four steps on it?\n" in text
    assert text.index("Ask first") < text.index("Avoid")


def test_a_technique_held_by_questions_says_which() -> None:
    """A technique a question holds says which questions above come first; --full gives the ids to record."""
    profile = {"areas": ["calf", "knee"], "cause": "unknown", "severity": 5, "phase": "acute",
               "goals": ["swelling_reduction"]}  # fmt: skip
    result = mr.recommend(mr.ClientProfile(**profile), KB)
    assert len(result.screening_questions) == 2
    text = " ".join(render_text(result, knowledge=KB).split())
    assert text.index("Ask first") < text.index("Techniques, best first")
    assert "only once the first and second questions above are answered no" in text
    first = result.screening_questions[0]
    full = " ".join(render_text(result, knowledge=KB, full=True).split())
    assert f"if no: add {first.rule} to its cleared" in full
    assert f"why: {' '.join(first.why.split())}" in full


OVER_FIFTY = {"areas": ["lower_back"], "cause": "posture", "severity": 5, "phase": "subacute",
              "goals": ["pain_relief"], "age": 58}  # fmt: skip
HEEL = {"areas": ["ankle_foot"], "cause": "unknown", "severity": 4, "phase": "chronic", "goals": ["pain_relief"]}


@pytest.mark.parametrize(
    ("profile", "full", "yes", "no"),
    [
        (OVER_FIFTY, False, "if yes: record history of cancer", "if no: mark the question cleared"),
        (OVER_FIFTY, True, "if yes: give cancer_history,", "if no: add back_pain_over_fifty_ask to its cleared"),
        (HEEL, True, "if yes: add plantar_fasciitis to its conditions", "if no: add plantar_fasciitis.confirm to its"),
    ],
)
def test_answers_are_in_profile_words_by_default(profile: dict[str, object], full: bool, yes: str, no: str) -> None:
    """Called from Python, the report says how to answer a question in the profile's own fields, no flags."""
    text = " ".join(_text(profile, full=full).split())
    assert yes in text
    assert no in text
    assert "--cleared" not in text


@pytest.mark.parametrize(
    ("profile", "full", "yes", "no"),
    [
        (OVER_FIFTY, False, "if yes: record history of cancer", "if no: add --cleared back_pain_over_fifty_ask"),
        (OVER_FIFTY, True, "if yes: add --health cancer_history,", "if no: add --cleared back_pain_over_fifty_ask"),
        (HEEL, True, "if yes: add --condition plantar_fasciitis", "if no: add --cleared plantar_fasciitis.confirm"),
    ],
)
def test_answers_as_flags_name_the_flag_to_re_run_with(
    profile: dict[str, object], full: bool, yes: str, no: str
) -> None:
    """With answers="flags" (the command line), "if no" names --cleared and the rule id, on a line of its own."""
    text = _text(profile, full=full, answers="flags")
    assert f"\n    {no}\n" in text
    assert yes in " ".join(text.split())


@pytest.mark.parametrize("width", [40, 60, 100])
def test_lines_fit_the_width(width: int) -> None:
    """Every line fits the width asked for, except a single word longer than it."""
    text = _text(ANKLE, width=width, full=True)
    too_long = [line for line in text.splitlines() if len(line) > width and " " in line.strip()]
    assert too_long == []


def test_colour_only_when_asked_and_only_where_it_matters() -> None:
    """color=True makes urgent referrals red and the top pick bold; without it there is no escape code."""
    referral = {**LOW_BACK, "areas": ["calf"], "health": ["suspected_dvt"]}
    red = _text(referral, color=True)
    assert red.count("\x1b[1;31mURGENT REFERRAL\x1b[0m") == 1
    bold = _text(LOW_BACK, color=True)
    assert "\x1b[1mMyofascial release\x1b[0m" in bold
    assert ANSI.sub("", bold) == _text(LOW_BACK)
    assert "\x1b" not in _text(referral)


def test_a_rule_that_leaves_nothing_on_an_area_says_no_massage_there() -> None:
    """Varicose veins on the calf rule out every technique there and below: one line, and each technique says where."""
    profile = {**LOW_BACK, "areas": ["full_body", "calf"], "health": ["varicose_veins@calf"], "goals": ["relaxation"]}
    text = " ".join(_text(profile, top=1).split())
    assert "Varicose veins (calf): no massage on the ankle and foot and the calf." not in text  # heading: the finding
    assert "Varicose veins: no massage on the ankle and foot and the calf." in text
    assert "On the full body, not on the ankle and foot or the calf" in text


def test_areas_with_the_same_restriction_share_a_line() -> None:
    """A rule that rules out the same techniques on two areas names both areas once."""
    profile = {**LOW_BACK, "areas": ["full_body", "calf"], "health": ["pregnancy"], "goals": ["relaxation"]}
    text = " ".join(_text(profile).split())
    assert "no Neuromuscular therapy, Trigger point therapy on the calf and the full body" in text
    assert "pressure at most 2/5 on the calf and the full body" in text
