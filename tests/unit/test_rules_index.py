"""The rule index and firing on each kind of condition, and recommend_many's streaming contract."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

import massage_rules as mr
from massage_rules.engine.resolve import resolve_profile
from massage_rules.rules.firing import fire
from massage_rules.rules.index import bits

BACK = {"areas": ["lower_back"], "cause": "posture", "severity": 6, "phase": "chronic", "goals": ["pain_relief"]}


def test_wide_rules_fire(tmp_path: Path) -> None:
    """A rule listing every area, goal and cause fires for a profile holding any of each."""
    kb = mr.load_knowledge()
    areas = sorted(kb.areas)
    goals = sorted(kb.goals)
    causes = sorted(kb.causes)
    extra = tmp_path / "wide.yaml"
    extra.write_text(
        "format: 1\npack: {id: clinic, version: '1'}\nrules:\n  - id: wide_rule\n    text: Fires for nearly anyone.\n"
        f"    when: {{areas: [{', '.join(areas)}], goals: [{', '.join(goals)}], causes: [{', '.join(causes)}]}}\n"
        "    note: A wide rule.\n    sources: [werner]\n",
        encoding="utf-8",
    )
    wide = mr.load_knowledge([extra])
    fired = fire(resolve_profile(mr.ClientProfile(**BACK), wide), wide)
    assert "wide_rule" in {r.id for r in fired.rules}


def test_rule_on_a_finding_and_a_complaint_fires(tmp_path: Path) -> None:
    """A rule that needs both a health finding and a matched complaint fires when both hold."""
    extra = tmp_path / "both.yaml"
    extra.write_text(
        "format: 1\npack: {id: clinic, version: '1'}\n"
        "rules:\n  - id: both_rule\n    text: Needs a finding and a complaint.\n"
        "    when: {health_all: [anticoagulants], conditions: [chronic_low_back_pain]}\n"
        "    note: Both held.\n    sources: [werner]\n",
        encoding="utf-8",
    )
    kb = mr.load_knowledge([extra])
    with_finding = mr.recommend(mr.ClientProfile(**BACK, health=["anticoagulants"]), kb)
    without = mr.recommend(mr.ClientProfile(**BACK), kb)
    assert "both_rule" in {n.rule for n in with_finding.notes}
    assert "both_rule" not in {n.rule for n in without.notes}


@pytest.mark.parametrize("width", [1, 63, 64, 65, 200, 10_000])
def test_bits_lists_every_set_bit_in_order(width: int) -> None:
    """bits gives the set positions lowest first, for small masks and for masks past one machine word."""
    import random

    rnd = random.Random(width)
    for _ in range(50):
        positions = sorted(rnd.sample(range(width), rnd.randint(0, min(width, 40))))
        mask = sum(1 << p for p in positions)
        assert bits(mask) == positions


@given(
    st.sets(st.integers(0, 12_000), max_size=60)
    | st.sets(st.integers(2_000, 12_000), max_size=6)
    | st.sets(st.integers(0, 300), min_size=150)  # dense
)
def test_bits_is_exact_on_sparse_wide_and_dense_masks(positions: set[int]) -> None:
    """bits gives exactly the set positions, lowest first, however wide or dense the mask."""
    assert bits(sum(1 << p for p in positions)) == sorted(positions)


def test_day_and_area_count_windows_are_tested(tmp_path: Path) -> None:
    """Rules on days since onset and on the number of areas fire exactly inside their windows."""
    extra = tmp_path / "windows.yaml"
    extra.write_text(
        "format: 1\npack: {id: clinic, version: '1'}\nrules:\n"
        "  - id: early_days\n    text: First fortnight.\n"
        "    when: {days_since_onset: {min: 3, max: 14}}\n    note: Early.\n    sources: [werner]\n"
        "  - id: many_areas\n    text: Two areas or more.\n"
        "    when: {area_count: {min: 2}}\n    note: Many.\n    sources: [werner]\n",
        encoding="utf-8",
    )
    kb = mr.load_knowledge([extra])
    base = {k: v for k, v in BACK.items() if k != "phase"}
    for days in (1, 3, 14, 15, 400):
        profile = mr.ClientProfile(**{**base, "days_since_onset": days})
        fired = {rule.id for rule in fire(resolve_profile(profile, kb), kb).rules}
        assert ("early_days" in fired) == (3 <= days <= 14), days
    two_areas = mr.ClientProfile(**{**BACK, "areas": ["lower_back", "neck"]})
    one = {rule.id for rule in fire(resolve_profile(mr.ClientProfile(**BACK), kb), kb).rules}
    two = {rule.id for rule in fire(resolve_profile(two_areas, kb), kb).rules}
    assert "many_areas" not in one
    assert "many_areas" in two


def test_recommend_many_is_lazy(kb: mr.KnowledgeBase) -> None:
    """recommend_many reads its input only as answers are asked for."""
    taken: list[int] = []

    def endless() -> Iterator[mr.ClientProfile]:
        for i in itertools.count():
            taken.append(i)
            yield mr.ClientProfile(**BACK)

    answers = mr.recommend_many(endless(), kb)
    assert taken == []
    first = next(answers)
    assert first == mr.recommend(mr.ClientProfile(**BACK), kb)
    assert taken == [0]


def test_recommend_many_raises_at_the_bad_profile(kb: mr.KnowledgeBase) -> None:
    """A profile with an unknown value raises ProfileError when reached; earlier answers were yielded."""
    good = mr.ClientProfile(**BACK)
    bad = mr.ClientProfile(**{**BACK, "areas": ["lowerback"]})
    answers = mr.recommend_many([good, bad, good], kb)
    assert next(answers).outcome == "treat"
    with pytest.raises(mr.ProfileError, match=r"areas\[0\]: 'lowerback' is not a known body area"):
        next(answers)


def test_recommend_many_refuses_a_single_profile() -> None:
    """Passing one profile instead of an iterable of them is a ProfileError, not a stream of nonsense."""
    with pytest.raises(mr.ProfileError) as info:
        mr.recommend_many(mr.ClientProfile(**BACK))  # type: ignore[arg-type]
    assert str(info.value) == "profiles: must be an iterable of ClientProfile, not a single ClientProfile"


def test_recommend_many_refuses_a_mapping_in_the_stream(kb: mr.KnowledgeBase) -> None:
    """Each item must be a ClientProfile; a dict is refused with its type named."""
    with pytest.raises(mr.ProfileError) as info:
        list(mr.recommend_many([BACK], kb))  # type: ignore[list-item]
    assert str(info.value) == "profile: must be a ClientProfile, not dict"


def test_recommend_many_of_nothing_is_nothing(kb: mr.KnowledgeBase) -> None:
    """An empty batch gives no answers."""
    assert list(mr.recommend_many([], kb)) == []


def test_severity_ranges_are_indexed_exactly(tmp_path: Path) -> None:
    """A rule on a severity range fires for every score inside it and none outside; an off-scale range never."""
    extra = tmp_path / "severity.yaml"
    extra.write_text(
        "format: 1\npack: {id: clinic, version: '1'}\nrules:\n"
        "  - id: mid_pain\n    text: Moderate pain.\n"
        "    when: {areas: [lower_back], severity: {min: 4, max: 6}}\n    note: Mid.\n    sources: [werner]\n"
        "  - id: open_top\n    text: Pain of 9 or more.\n"
        "    when: {severity: {min: 9}}\n    note: High.\n    sources: [werner]\n"
        "  - id: off_scale\n    text: Never.\n"
        "    when: {severity: {min: 11}}\n    note: Never.\n    sources: [werner]\n",
        encoding="utf-8",
    )
    kb = mr.load_knowledge([extra])
    for severity in range(11):
        profile = mr.ClientProfile(**{**BACK, "severity": severity})
        fired = {rule.id for rule in fire(resolve_profile(profile, kb), kb).rules}
        assert ("mid_pain" in fired) == (4 <= severity <= 6), severity
        assert ("open_top" in fired) == (severity >= 9), severity
        assert "off_scale" not in fired


def test_every_rule_condition_is_known_to_the_index() -> None:
    """CompiledRule's conditions are the ones the index, unmet_conditions and the reference were written for."""
    import dataclasses

    from massage_rules.knowledge.load import CompiledRule

    conditions = {
        "areas",
        "causes",
        "phases",
        "goals",
        "conditions",
        "severity",
        "days",
        "area_count",
        "health_all",
        "health_any",
        "causes_not",
        "age",
        "diagnosis",
        "has_match",
    }
    others = {
        "id",
        "text",
        "sources",
        "origin",
        "kind",
        "effect_label",
        "label",
        "score",
        "forbid",
        "forbid_set",
        "forbid_reason",
        "cap",
        "allow_only",
        "refer",
        "no_massage",
        "note",
        "dose",
        "sessions",
        "ask",
        "confirm",
        "specificity",
        "reasons",
        "referral",
        "stop",
        "note_item",
    }
    fields = {f.name for f in dataclasses.fields(CompiledRule)}
    assert fields - others == conditions, "a new rule field: test it in rules/ and in tests/reference.py"
