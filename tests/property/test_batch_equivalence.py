"""recommend_many gives exactly what recommend gives, and the compiled index misses no rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import massage_rules as mr
from tests.strategies import profiles

KB = mr.load_knowledge()


@given(st.lists(profiles(KB), max_size=8))
def test_recommend_many_equals_recommend_one_by_one(batch: list[mr.ClientProfile]) -> None:
    """A batch gives the same answers as one call per profile, equal and byte-identical as JSON."""
    many = list(mr.recommend_many(batch, KB))
    one_by_one = [mr.recommend(p, KB) for p in batch]
    assert many == one_by_one
    assert [r.model_dump_json() for r in many] == [r.model_dump_json() for r in one_by_one]


@given(profiles(KB))
def test_answer_equals_its_validated_copy(profile: mr.ClientProfile) -> None:
    """An answer assembled from trusted parts equals the same answer validated by pydantic, byte for byte."""
    result = mr.recommend(profile, KB)
    text = result.model_dump_json()
    validated = mr.Recommendation.model_validate_json(text)
    assert validated == result
    assert validated.model_dump_json() == text
    assert mr.Recommendation(**dict(result)).model_dump_json() == text
