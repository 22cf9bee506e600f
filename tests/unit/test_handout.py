"""The Markdown client handout: plain words, referrals first, and any plan field rendered."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

import massage_rules as mr
from massage_rules.output.handout import render_markdown

KB = mr.load_knowledge()
BASE = {"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief"]}


class _Advice(BaseModel):
    """A stand-in for a plan item another module may add."""

    model_config = ConfigDict(frozen=True)

    text: str


class _PlanWithAfterCare(mr.Plan):
    """A plan with fields this renderer does not know by name."""

    after_care: tuple[_Advice, ...] = ()
    home_exercise: str = ""


def test_unknown_plan_fields_are_rendered_generically() -> None:
    """A plan field added later (after-care, say) shows as a heading with its items."""
    result = mr.recommend(mr.ClientProfile(**BASE), KB)
    assert result.plan is not None
    plan = _PlanWithAfterCare(
        **result.plan.model_dump(exclude={"derivation", "billing"}),
        derivation=result.plan.derivation,
        after_care=(_Advice(text="Drink water."), _Advice(text="Walk gently.")),
        home_exercise="Pelvic tilts, twice a day.",
    )
    text = render_markdown(result.model_copy(update={"plan": plan}))
    assert "## After care\n\n- Drink water.\n- Walk gently.\n" in text
    assert "## Home exercise\n\nPelvic tilts, twice a day.\n" in text


def test_referral_comes_first_in_plain_words() -> None:
    """An urgent referral opens the handout and tells the client not to book massage yet."""
    result = mr.recommend(mr.ClientProfile(**{**BASE, "areas": ["calf"], "health": ["suspected_dvt"]}), KB)
    text = render_markdown(result)
    first = text.split("\n\n")[2]
    assert first.startswith("> **Please see a doctor as soon as possible.**")
    assert first.endswith("Please do not book massage until a doctor has seen you.")
    assert "## What we will do" not in text
