"""verify's cells hold: any profile fires and is answered like the profile verify walks for its cell.

Which rules fire is judged by the plain-loop reference (tests/reference.py), and
the answer by the engine; neither is verify's code.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st

import massage_rules as mr
from massage_rules.authoring.verify.findings import Findings, findings_rules
from massage_rules.authoring.verify.judge import Part
from massage_rules.authoring.verify.oracle import Answer
from massage_rules.authoring.verify.report import Notebook
from massage_rules.authoring.verify.space import Space
from massage_rules.authoring.verify.walk import Point, Walk, gating, plan_only
from tests.reference import reference_fire
from tests.strategies import health_entries

KB = mr.load_knowledge()
GATING = gating(KB.rules)
SPACE = Space(KB, KB.rules, GATING)
FINDINGS_SPACE = Space(KB, findings_rules(KB.rules), GATING)
FINDINGS = Findings(KB)
BIT = {rule.id: 1 << i for i, rule in enumerate(KB.rules)}


@st.composite
def points(draw: st.DrawFn, *, areas: int = len(KB.areas), health: int = 0, diagnosis: bool = False) -> Point:
    """A profile of any area set (up to ``areas`` areas), timing, severity and goals; findings or a diagnosis."""
    phase = draw(st.sampled_from(sorted(KB.phases)))
    days = draw(st.none() | st.integers(0, 36_500))
    if days is not None:
        limits = [p for p in KB.phases.values() if p.days_max is None or days <= p.days_max]
        phase = limits[0].id
    return Point(
        areas=frozenset(draw(st.lists(st.sampled_from(sorted(KB.areas)), min_size=1, max_size=areas, unique=True))),
        cause=None if diagnosis else draw(st.none() | st.sampled_from(sorted(KB.causes))),
        phase=phase,
        days=days,
        severity=draw(st.integers(0, 10)),
        goals=frozenset(draw(st.lists(st.sampled_from(sorted(KB.goals)), min_size=1, unique=True))),
        health=tuple(sorted(draw(st.lists(health_entries(KB), min_size=health, max_size=health, unique=True)))),
        diagnoses=frozenset([draw(st.sampled_from(sorted(KB.conditions)))]) if diagnosis else frozenset(),
    )


def _fired(point: Point, *, plan: bool = True) -> set[str]:
    fired, _ = reference_fire(point.profile(), KB)
    return {rule for rule in fired if plan or not plan_only(KB.rules_by_id[rule])}


def _judged(point: Point, *, plan: bool = True) -> tuple[Any, ...]:
    """What verify judges of an answer: outcome, what is offered at what top pressure, referral, stop, sessions."""
    answer = mr.recommend(point.profile(), KB)
    sessions = (answer.plan.sessions_min, answer.plan.sessions_max) if answer.plan is not None and plan else None
    return (
        answer.outcome,
        sorted((t.id, t.pressure_max) for t in answer.techniques),
        answer.referral.rule if answer.referral is not None else None,
        answer.no_massage.rule if answer.no_massage is not None else None,
        sessions,
    )


@given(points())
def test_a_profile_without_findings_is_its_cells_walked_profile(point: Point) -> None:
    """Any area set (three or more areas too), cause, timing and severity: the same rules fire, the same answer."""
    walked = SPACE.representative(point)
    assert _fired(walked) == _fired(point)
    assert _judged(walked) == _judged(point)


@given(points(diagnosis=True))
def test_a_profile_with_a_named_diagnosis_is_its_cells_walked_profile(point: Point) -> None:
    """A named diagnosis on any area set: the same rules fire, the same answer, as the walked profile."""
    walked = SPACE.representative(point)
    assert _fired(walked) == _fired(point)
    assert _judged(walked) == _judged(point)


@given(points(areas=1, health=1) | points(areas=1, health=2))
def test_a_one_area_profile_with_findings_is_its_cells_walked_profile(point: Point) -> None:
    """One or two findings, tied anywhere or not: the same rules (but those only dosing) and the same offer.

    With a finding that stops care alone, the walked profile stops care too.
    """
    walked = FINDINGS.representative(FINDINGS_SPACE, point)
    if not {e.partition("@")[0] for e in point.health}.isdisjoint(FINDINGS.stopping):
        assert _judged(walked)[0] in {"refer", "no_massage"}
        assert _judged(point)[0] in {"refer", "no_massage"}
        return
    assert _fired(walked, plan=False) == _fired(point, plan=False)
    assert _judged(walked, plan=False) == _judged(point, plan=False)


@given(points(health=1))
def test_a_smaller_goal_set_is_read_from_the_largest_of_its_class(point: Point) -> None:
    """Fewer goals in the same class: the same gating rules fire, and the offer is read from the larger answer."""
    largest = Point(point.areas, point.cause, point.phase, point.days, point.severity, _largest(point), point.health)
    small, large = _fired(point), _fired(largest)
    assert small <= large
    assert small & GATING == large & GATING
    answer = Answer.of(mr.recommend(largest.profile(), KB), [], BIT)
    offered = {t.id for t in mr.recommend(point.profile(), KB).techniques}
    assert answer.offer_for(sum(BIT[rule] for rule in small)) == offered


def _largest(point: Point) -> frozenset[str]:
    rules = SPACE.candidates(point.cause, point.phase, frozenset(e.partition("@")[0] for e in point.health))
    return next(g.largest for g in SPACE.goal_classes(rules) if g.holds(point.goals))


@settings(max_examples=40, deadline=None)
@given(st.lists(points(areas=6), min_size=2, max_size=25), st.sampled_from(sorted(KB.phases)))
def test_each_profile_of_a_situation_is_judged_as_the_engine_answers_it(ps: list[Point], phase: str) -> None:
    """Profiles grouped into situations, the engine run on the largest of each: each verdict is the engine's own."""
    walk = Walk(KB, Notebook(KB, 5), None, 1)
    part = Part(walk, 1, "test", SPACE.reading)
    same_phase = [Point(p.areas, p.cause, phase, None, p.severity, p.goals, p.health) for p in ps]
    situations = [part.add(p) for p in same_phase]
    part.judge(1.0)
    for p, k in zip(same_phase, situations, strict=True):
        answer, offer = part.verdicts[k]
        real = mr.recommend(p.profile(), KB)
        assert offer == {t.id for t in real.techniques}
        assert (not offer and not answer.answered) == (real.outcome == "nothing_suitable")
        sessions = (real.plan.sessions_min, real.plan.sessions_max) if real.plan is not None else None
        assert (answer.sessions if offer else None) == sessions
