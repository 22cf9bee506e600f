"""Which rules fire, and that no answer breaks a fired restriction: the engine against the plain-loop reference."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings, strategies as st

import massage_rules as mr
from massage_rules.engine.resolve import resolve_profile
from massage_rules.rules.firing import fire, holds
from tests.chains import chain_profiles, chained_packs, load_with
from tests.reference import reference_fire, unsafe_offers
from tests.strategies import profiles

KB = mr.load_knowledge()


def _engine_fire(profile: mr.ClientProfile, kb: mr.KnowledgeBase) -> tuple[list[str], frozenset[str]]:
    fired = fire(resolve_profile(profile, kb), kb)
    return [rule.id for rule in fired.rules], fired.complaints


@given(profiles(KB))
def test_fire_is_the_reference_fixed_point_on_the_bundled_base(profile: mr.ClientProfile) -> None:
    """On the bundled base, fire() gives exactly the rules and complaints of the plain loop."""
    assert _engine_fire(profile, KB) == reference_fire(profile, KB)


@given(profiles(KB))
def test_no_bundled_answer_breaks_a_restriction_the_reference_fires(profile: mr.ClientProfile) -> None:
    """Whatever the scores say, no offered technique is forbidden, outside an allow-list or above a cap."""
    assert unsafe_offers(profile, mr.recommend(profile, KB), KB) == []


@settings(max_examples=40, deadline=None)
@given(pack=chained_packs(), data=st.data())
def test_chained_complaints_fire_as_the_reference_says_and_answers_stay_safe(pack: str, data: st.DataObject) -> None:
    """Random packs with complaint chains of any depth: same rules fired, and no answer breaks a fired restriction."""
    with tempfile.TemporaryDirectory() as folder:
        kb = load_with(pack, Path(folder))
    for _ in range(15):
        profile = data.draw(chain_profiles())
        assert _engine_fire(profile, kb) == reference_fire(profile, kb)
        answer = mr.recommend(profile, kb)
        assert unsafe_offers(profile, answer, kb) == []
        assert {c.id for c in answer.conditions} == reference_fire(profile, kb)[1]


@given(profiles(KB))
def test_holds_agrees_with_fire_for_every_rule(profile: mr.ClientProfile) -> None:
    """holds() (used by explain and the switched-off warnings) says yes for exactly the rules fire() fires."""
    facts = resolve_profile(profile, KB)
    fired = fire(facts, KB)
    assert {rule.id for rule in KB.rules if holds(rule, facts, fired.complaints)} == {r.id for r in fired.rules}
