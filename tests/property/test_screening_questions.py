"""Screening questions over random profiles: every question a fired rule puts is asked first, or already answered."""

from __future__ import annotations

import dataclasses

from hypothesis import given

import massage_rules as mr
from tests.reference import conditions_hold, facts_of, reference_fire
from tests.strategies import profiles

KB = mr.load_knowledge()


def _touches(scope: frozenset[str] | None, technique: mr.RankedTechnique) -> bool:
    if scope is None:
        return True
    if set(technique.areas) & KB.whole_body_areas:
        return not scope <= set(technique.skip_areas)
    return bool(scope & set(technique.areas))


@given(profiles(KB))
def test_every_fired_question_is_asked_first_or_already_answered(profile: mr.ClientProfile) -> None:
    """A fired rule's question is asked unless answered (cleared, or a finding given) or nothing is offered.

    Each technique the question holds (all, or the named ones, on its areas) waits for it,
    and no technique waits for a question that was not asked.
    """
    result = mr.recommend(profile, KB)
    f = facts_of(profile, KB)
    fired = [KB.rules_by_id[rule_id] for rule_id in reference_fire(profile, KB)[0]]
    asked = {q.rule: q for q in result.screening_questions}
    stopped = result.no_massage is not None or (result.referral is not None and not result.referral.massage_meanwhile)
    if stopped or not result.techniques:  # nothing to hold: care stops, or nothing is offered
        assert asked == {}
        return
    asking = [rule for rule in fired if rule.ask is not None]
    if not f.diagnoses:  # complaints the profile alone cannot confirm ask their question (a diagnosis wins)
        matched = reference_fire(profile, KB)[1]
        for rule in KB.rules:
            confirm = rule.confirm
            if confirm is None:
                continue
            without = dataclasses.replace(rule, confirm=None)
            if conditions_hold(without, f, matched) and conditions_hold(confirm, f, frozenset()):
                asking.append(confirm)
    expected = set()
    for rule in asking:
        assert rule.ask is not None
        if rule.id in profile.cleared or set(rule.ask.findings) & f.health:
            continue
        expected.add(rule.id)
        if rule.ask.where == "everywhere":
            scope = None
        elif rule.ask.where == "problem_areas":
            scope = f.areas
        else:
            named = ((rule.health_all or frozenset()) | (rule.health_any or frozenset())) & f.health
            scope = frozenset(area for finding in named for area in (f.tied[finding] or f.areas))
        for technique in result.techniques:
            named_here = rule.ask.hold == "all" or technique.id in rule.ask.hold
            assert (named_here and _touches(scope, technique)) == (rule.id in technique.after_screening), (
                rule.id,
                technique.id,
            )
    assert set(asked) == expected
    for technique in result.techniques:
        assert set(technique.after_screening) <= expected
