"""verify's own rule evaluation (one mask per dimension value) agrees with the engine on random profiles."""

from __future__ import annotations

from hypothesis import given

import massage_rules as mr
from massage_rules.authoring.verify import _Masks, _members
from massage_rules.engine.explain import _fired
from massage_rules.engine.recommend import Resolved, fire, resolve_profile
from tests.strategies import profiles

KB = mr.load_knowledge()
MASKS = _Masks.build(KB)


def _oracle(r: Resolved) -> set[str]:
    m = MASKS
    held = (
        m.areas(r.areas)
        & m.cause(r.cause)
        & m.phase(r.phase)
        & m.goals(r.goals)
        & m.severity(r.severity)
        & m.days(r.days)
        & m.health(r.health)
    )
    named = m.diagnoses(r.diagnoses)
    return {rule.id for rule in _members(m.fired(held, named), m.rules)}


@given(profiles(KB))
def test_masks_fire_what_the_engine_fires(profile: mr.ClientProfile) -> None:
    """The rules verify decides fire are exactly the engine's, and explain's, for any valid profile."""
    r = resolve_profile(profile, KB)
    engine = {rule.id for rule in fire(r, KB)[0]}
    assert _oracle(r) == engine
    assert {rule.id for rule in _fired(r, KB)[0]} == engine
