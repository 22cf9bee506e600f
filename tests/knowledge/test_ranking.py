"""The ranking discriminates as a clinician would: severity moves the order with a visible reason, and ties
fall to the complaint's preference, then evidence, then lighter pressure in severe pain, never to the alphabet."""

from __future__ import annotations

import itertools

import massage_rules as mr
from massage_rules.output.text import render_text

KB = mr.load_knowledge()


def _answer(**fields: object) -> mr.Recommendation:
    return mr.recommend(mr.ClientProfile(**{"goals": ["pain_relief"], **fields}), KB)  # type: ignore[arg-type]


def _order(result: mr.Recommendation) -> list[str]:
    return [t.id for t in result.techniques]


def test_severe_pain_puts_gentle_work_ahead_of_stretching_with_a_reason() -> None:
    """Two weeks after a hamstring strain at 8/10, stretching is no longer first and the reason says why."""
    fields = {"areas": ["thigh"], "cause": "sport", "days_since_onset": 14, "goals": ["mobility"]}
    moderate, severe = _answer(severity=4, **fields), _answer(severity=8, **fields)
    assert "pnf_stretching" in _order(moderate)[:2]
    assert _order(moderate).index("pnf_stretching") < _order(moderate).index("swedish")
    assert _order(severe).index("swedish") < _order(severe).index("pnf_stretching")
    stretching = next(t for t in severe.techniques if t.id == "pnf_stretching")
    assert any(r.rule == "severe_pain_gentle_work_first" and r.points < 0 for r in stretching.reasons)


def test_chronic_low_back_pain_is_not_ordered_by_the_alphabet() -> None:
    """Swedish massage leads for chronic low back pain; neuromuscular therapy (very low evidence) follows the others."""
    order = _order(_answer(areas=["lower_back"], cause="posture", phase="chronic", severity=5))
    assert order[0] == "swedish"
    assert order.index("myofascial_release") < order.index("deep_tissue") < order.index("neuromuscular")


def test_a_relaxation_neck_client_gets_relaxation_work_first() -> None:
    """Swedish massage and comfort touch lead for a stressed neck wanting relaxation; drainage is not in the top 3."""
    order = _order(_answer(areas=["neck"], cause="stress", phase="chronic", severity=2, goals=["relaxation"]))
    assert order[:2] == ["swedish", "comfort_touch"]
    assert "lymphatic_drainage" not in order[:3]


def test_equal_techniques_share_a_rank_shown_with_an_equals_sign() -> None:
    """Techniques equal in every clinical respect share a rank, and the text shows it as "=n"."""
    result = _answer(areas=["lower_back"], cause="posture", phase="chronic", severity=5)
    shared = [t for t in result.techniques if sum(u.rank == t.rank for u in result.techniques) > 1]
    assert shared
    assert all(t.tie_break for t in shared[1:])
    assert f" ={shared[0].rank}  " in render_text(result, top=None)


def test_severe_pain_puts_the_lighter_of_two_equals_first() -> None:
    """In severe pain, of two techniques equal on score, preference and evidence, the lighter comes first."""
    decided = 0
    for profile in (
        {"areas": ["upper_back"], "phase": "chronic", "severity": 8},
        {"areas": ["calf"], "phase": "chronic", "severity": 9, "goals": ["mobility", "pain_relief"]},
    ):
        result = _answer(**profile)
        for above, below in itertools.pairwise(result.techniques):
            if below.tie_break is not None and "lighter technique comes first" in below.tie_break:
                decided += 1
                assert (above.score, above.evidence) == (below.score, below.evidence)
                assert (above.pressure_max, above.pressure_min) < (below.pressure_max, below.pressure_min)
    assert decided
