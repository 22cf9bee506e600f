"""The compiled form: index keys, bounded memo tables, and recommend_many's streaming contract."""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

import massage_rules as mr
from massage_rules.engine.recommend import _score_entries, fire, resolve_profile, round6, score_reasons
from massage_rules.models import Reason
from massage_rules.rules.compiled import Memo, ThriftyMemo, bits, trusted

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
    fired, _ = fire(resolve_profile(mr.ClientProfile(**BACK), wide), wide)
    assert "wide_rule" in {r.id for r in fired}


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
        fired = {rule.id for rule in fire(resolve_profile(profile, kb), kb)[0]}
        assert ("early_days" in fired) == (3 <= days <= 14), days
    two_areas = mr.ClientProfile(**{**BACK, "areas": ["lower_back", "neck"]})
    one = {rule.id for rule in fire(resolve_profile(mr.ClientProfile(**BACK), kb), kb)[0]}
    two = {rule.id for rule in fire(resolve_profile(two_areas, kb), kb)[0]}
    assert "many_areas" not in one
    assert "many_areas" in two


def test_memo_is_emptied_when_full() -> None:
    """A memo table never holds more than its limit."""
    memo = Memo(limit=3)
    for i in range(10):
        assert memo.put(i, str(i)) == str(i)
        assert len(memo) <= 3
    assert memo[9] == "9"


def _ask(memo: ThriftyMemo, key: str) -> str | None:
    """Look ``key`` up as the engine does: on a miss, put the value computed for it. What was found, or None."""
    found: str | None = memo.find(key)
    if found is None:
        memo.put(key, key.upper())
    return found


def test_a_thrifty_memo_rests_while_it_rarely_hits_then_tries_again() -> None:
    """A window of lookups that mostly miss empties the table; while it rests it finds and keeps nothing."""
    memo = ThriftyMemo(window=4, floor=1 / 2, rest=3)
    assert [_ask(memo, key) for key in ("a", "a", "x", "y")] == [None, "A", None, None]  # 1 found in 4: under half
    assert memo.resting
    assert len(memo) == 0
    assert [_ask(memo, "a") for _ in range(3)] == [None, None, None]  # a resting table finds nothing
    assert len(memo) == 0  # and keeps nothing
    assert not memo.resting
    assert [_ask(memo, "a") for _ in range(2)] == [None, "A"]  # awake again: remembers and finds


def test_a_thrifty_memo_that_hits_enough_never_rests() -> None:
    """A table that finds at least the floor's share of each window keeps its entries."""
    memo = ThriftyMemo(window=4, floor=1 / 2, rest=3)
    _ask(memo, "a")
    for round_ in range(5):
        assert [_ask(memo, key) for key in ("a", "a", f"x{round_}")] == ["A", "A", None]  # 2 in 3, then 3 in 4
        assert not memo.resting
    assert len(memo) == 6


def test_a_thrifty_memo_is_still_bounded() -> None:
    """Resting aside, a thrifty table is a memo table: never more than its limit."""
    memo = ThriftyMemo(limit=3, floor=0)
    for i in range(10):
        memo.put(str(i), i)
        assert len(memo) <= 3


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
        fired = {rule.id for rule in fire(resolve_profile(profile, kb), kb)[0]}
        assert ("mid_pain" in fired) == (4 <= severity <= 6), severity
        assert ("open_top" in fired) == (severity >= 9), severity
        assert "off_scale" not in fired


def test_every_rule_condition_is_known_to_the_index() -> None:
    """CompiledRule's fields are the ones holds() and RuleIndex were written for; a new one must join both."""
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
        "cap",
        "allow_only",
        "refer",
        "no_massage",
        "note",
        "dose",
        "sessions",
        "specificity",
        "reasons",
        "referral",
        "stop",
        "note_item",
    }
    fields = {f.name for f in dataclasses.fields(CompiledRule)}
    assert fields - others == conditions, "a new rule field: test it in holds() and in _compiled.RuleIndex"


_POINTS = st.sampled_from([-2.0, -0.5, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 1 / 3, 2.0, 1e-7])


@given(st.lists(st.tuples(_POINTS, st.integers(0, 40)), max_size=12, unique_by=lambda x: x[1]))
def test_prepared_scoring_matches_score_reasons(raw: list[tuple[float, int]]) -> None:
    """Prepared entries and score_reasons (which explain uses) score, order and cite as the plain formula does."""
    reasons = [
        trusted(
            Reason,
            rule=f"rule_{rule:02d}",
            effect="goal",
            points=points,
            label="a label",
            text="a text",
            sources=(f"src_{rule % 3}", f"src_{rule % 5}"),
        )
        for points, rule in raw
    ]
    entries = [(-r.points, r.rule, r, frozenset(r.sources)) for r in reasons]
    score = math.fsum(r.points for r in reasons)
    ordered = tuple(sorted(reasons, key=lambda x: (-x.points, x.rule)))
    reference = (score, round(score, 6), ordered, frozenset(source for x in ordered for source in x.sources))
    assert _score_entries(entries) == reference
    assert score_reasons(list(reasons)) == reference


@given(
    st.one_of(
        st.floats(allow_nan=False),
        st.builds(lambda n, k: n / 2**k, st.integers(-(2**40), 2**40), st.integers(0, 12)),
    )
)
def test_round6_is_round_to_six_places(score: float) -> None:
    """The shortcut for multiples of 1/64 gives exactly what round(score, 6) gives, sign of zero included.

    Binary fractions n/2**k up to k=12 probe both sides of the shortcut: 1/64 ends within six decimals, 1/128 does not.
    """
    expected = round(score, 6)
    assert round6(score) == expected
    assert math.copysign(1.0, round6(score)) == math.copysign(1.0, expected)


def test_shared_fields_sets_are_never_written_through() -> None:
    """Trusted models of one class share one fields set; pydantic's copies change a copy of it, never it."""
    kb = mr.load_knowledge()
    neck = {**BACK, "areas": ["neck"], "goals": ["mobility"]}
    first, second = (mr.recommend(mr.ClientProfile(**fields), kb) for fields in (BACK, neck))
    assert first.techniques
    assert second.techniques
    ranked = first.techniques[0]
    assert ranked.model_fields_set is second.techniques[-1].model_fields_set  # shared, which is the point
    assert ranked.model_fields_set == set(mr.RankedTechnique.model_fields)
    given = set(first.model_fields_set)
    assert "schema_version" not in given  # left at its default, as pydantic would report it
    changed = first.model_copy(update={"schema_version": "9"})
    assert "schema_version" in changed.model_fields_set
    assert first.model_fields_set == given
    assert second.model_fields_set == given
    for copied in (copy.copy(ranked), copy.deepcopy(ranked), ranked.model_copy(update={"rank": 9})):
        assert copied.model_fields_set == ranked.model_fields_set
        assert copied.model_fields_set is not ranked.model_fields_set
    with pytest.raises(pydantic.ValidationError):
        ranked.rank = 2  # type: ignore[misc]  # frozen: the only path by which pydantic adds to a model's set
    assert ranked.model_fields_set == set(mr.RankedTechnique.model_fields)


def test_fields_sets_are_shared_only_by_frozen_models() -> None:
    """A model pydantic may assign to would add to its fields set, so it never gets a shared one."""

    class Open(pydantic.BaseModel):
        x: int

    with pytest.raises(TypeError, match="not frozen"):
        trusted(Open, x=1)
