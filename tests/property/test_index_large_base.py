"""The bit-mask index stays exact on a large base, where masks span many machine words."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import massage_rules as mr
from massage_rules.engine.resolve import resolve_profile
from massage_rules.rules.firing import fire
from tests.reference import reference_fire
from tests.strategies import profiles

RULES = 2_600  # past the 2,048 bits where bits() switches to peeling 64-bit words


def _random_pack(kb: mr.KnowledgeBase, seed: int) -> str:
    """A seeded pack of note rules on every kind of condition, singly and combined, some on complaints."""
    rnd = random.Random(seed)
    areas, causes, phases = sorted(kb.areas), sorted(kb.causes), sorted(kb.phases)
    goals, findings, complaints = sorted(kb.goals), sorted(kb.findings), sorted(kb.conditions)

    def some(values: list[str], most: int) -> str:
        return "[" + ", ".join(rnd.sample(values, rnd.randint(1, most))) + "]"

    lines = ["format: 1", "pack: {id: random, version: '1'}", "rules:"]
    for i in range(RULES):
        when = []
        for key, values, most, chance in (
            ("areas", areas, 3, 0.5),
            ("causes", causes, 2, 0.3),
            ("phases", phases, 2, 0.3),
            ("goals", goals, 2, 0.3),
            ("health_all", findings, 2, 0.1),
            ("health_any", findings, 3, 0.1),
            ("conditions", complaints, 2, 0.05),
        ):
            if rnd.random() < chance:
                when.append(f"{key}: {some(values, most)}")
        if rnd.random() < 0.3:
            low = rnd.randint(0, 10)
            when.append(f"severity: {{min: {low}, max: {rnd.randint(low, 10)}}}")
        if rnd.random() < 0.1:
            first = rnd.randint(0, 400)
            when.append(f"days_since_onset: {{min: {first}, max: {first + rnd.randint(0, 200)}}}")
        if rnd.random() < 0.1:
            when.append(f"area_count: {{min: {rnd.randint(1, 3)}}}")
        lines += [
            f"  - id: random_rule_{i:05d}",
            "    text: A random rule.",
            "    when: {" + ", ".join(when) + "}",
            "    note: Fired.",
            "    sources: [werner]",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> mr.KnowledgeBase:
    base = mr.load_knowledge()
    pack: Path = tmp_path_factory.mktemp("big") / "random.yaml"
    pack.write_text(_random_pack(base, seed=2026), encoding="utf-8")
    kb = mr.load_knowledge([pack])
    assert len(kb.rules) > 2_048 + len(base.rules)
    return kb


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_large_index_fires_what_a_full_scan_fires(big: mr.KnowledgeBase, data: st.DataObject) -> None:
    """On a base of thousands of rules, fire() fires exactly the rules of the plain-loop reference."""
    profile = data.draw(profiles(big))
    fired = fire(resolve_profile(profile, big), big)
    assert ([rule.id for rule in fired.rules], fired.complaints) == reference_fire(profile, big)
