"""Ranking's prepared scoring entries give what the fired rules' reasons give, summed and sorted by hand."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import massage_rules as mr
from massage_rules.engine.recommend import _candidates, fire, resolve_profile
from massage_rules.knowledge.load import CompiledRule
from massage_rules.models import Reason
from massage_rules.rules.compiled import bits
from tests.strategies import profiles

KB = mr.load_knowledge()
RULES = 2_600  # past the 2,048 bits where bits() switches to peeling 64-bit words


def _scoring_pack(kb: mr.KnowledgeBase, seed: int) -> str:
    """Seeded rules scoring one to three techniques each, penalties and ties in points included."""
    rnd = random.Random(seed)
    areas, goals, techniques = sorted(kb.areas), sorted(kb.goals), sorted(kb.techniques)
    lines = ["format: 1", "pack: {id: random, version: '1'}", "rules:"]
    for i in range(RULES):
        scores = ", ".join(
            f"{tech}: {rnd.choice([-1.0, 0.5, 1.0, 1.5, 2.5, 0.3])}"
            for tech in rnd.sample(techniques, rnd.choice([1, 1, 2, 3]))
        )
        # Rule ids out of file order, so that ties in points are broken by id, not by position.
        lines += [
            f"  - id: scoring_rule_{(i * 7919) % RULES:05d}",
            "    text: A random scoring rule.",
            f"    when: {{areas: [{', '.join(rnd.sample(areas, 2))}], goals: [{rnd.choice(goals)}]}}",
            f"    score: {{{scores}}}",
            "    sources: [werner]" if rnd.random() < 0.5 else "    sources: [werner, cherkin11]",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def scored_base(tmp_path_factory: pytest.TempPathFactory) -> mr.KnowledgeBase:
    pack: Path = tmp_path_factory.mktemp("scoring") / "scoring.yaml"
    pack.write_text(_scoring_pack(KB, seed=7), encoding="utf-8")
    return mr.load_knowledge([pack])


def _by_hand(fired: list[CompiledRule]) -> list[tuple[float, str, tuple[Reason, ...], float, frozenset[str]]]:
    """Each technique with a positive sum of points: its reasons by points then rule id, best technique first."""
    reasons: dict[str, list[Reason]] = defaultdict(list)
    for rule in fired:
        for tech, why in rule.reasons:
            reasons[tech].append(why)
    found = []
    for tech, whys in reasons.items():
        whys.sort(key=lambda why: (-why.points, why.rule))
        score = math.fsum(why.points for why in whys)
        if score > 0:
            cited = frozenset(source for why in whys for source in why.sources)
            found.append((-round(score, 6), tech, tuple(whys), score, cited))
    return sorted(found, key=lambda x: (x[0], x[1]))


def _engine_candidates(profile: mr.ClientProfile, kb: mr.KnowledgeBase) -> tuple[list[CompiledRule], list[object]]:
    r = resolve_profile(profile, kb)
    fired, _ = fire(r, kb)
    index = kb._tables.index
    mask, _complaints = index.fire(r)
    tables = kb._tables

    def sources(mask: int) -> frozenset[str]:
        return frozenset(tables.refs_in_order[position].id for position in bits(mask))

    return fired, [
        (order, tech, tuple(tables.scoring.reasons[entry] for entry in entries), score, sources(cited))
        for order, tech, score, _shown, entries, cited in _candidates(mask & index.effects["score"], kb)
    ]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_candidates_on_a_large_base_are_the_fired_reasons_summed(
    scored_base: mr.KnowledgeBase, data: st.DataObject
) -> None:
    """Thousands of rules scoring several techniques each: same scores, reasons, order and sources as by hand."""
    fired, found = _engine_candidates(data.draw(profiles(scored_base)), scored_base)
    assert found == _by_hand(fired)


@given(profiles(KB))
def test_candidates_on_the_bundled_base_are_the_fired_reasons_summed(profile: mr.ClientProfile) -> None:
    """The same on the bundled knowledge, where some rules score several techniques and others penalise."""
    fired, found = _engine_candidates(profile, KB)
    assert found == _by_hand(fired)
