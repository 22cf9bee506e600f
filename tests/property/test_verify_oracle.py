"""verify's own rule evaluation (one mask per dimension value) agrees with the reference on random profiles."""

from __future__ import annotations

from hypothesis import given

import massage_rules as mr
from massage_rules.authoring.verify import _Masks, _members
from massage_rules.engine.resolve import resolve_profile
from massage_rules.rules.facts import Facts
from tests.reference import reference_fire
from tests.strategies import profiles

KB = mr.load_knowledge()
MASKS = _Masks.build(KB)


def _oracle(r: Facts) -> set[str]:
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
    """The rules verify decides fire are exactly the plain-loop reference's, for any profile verify walks.

    Verify's walk gives no age (rules on age are checked in the tests instead), so the
    profile's age is left out here.
    """
    profile = profile.model_copy(update={"age": None})
    r = resolve_profile(profile, KB)
    assert _oracle(r) == set(reference_fire(profile, KB)[0])
