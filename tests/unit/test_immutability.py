"""A loaded knowledge base and every result are immutable all the way down."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import massage_rules as mr

PROFILE = mr.ClientProfile(
    areas=["lower_back", "calf"],
    cause="posture",
    severity=6,
    phase="chronic",
    goals=["pain_relief", "mobility"],
    health=["varicose_veins@calf"],
)


def _walk(value: Any, depth: int = 0) -> Iterator[Any]:
    """Every model, container and value reachable from ``value``."""
    yield value
    if depth > 12:
        return
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name), depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name), depth + 1)
    elif isinstance(value, dict | MappingProxyType):
        for item in value.values():
            yield from _walk(item, depth + 1)
    elif isinstance(value, list | tuple | frozenset):
        for item in value:
            yield from _walk(item, depth + 1)


def _mutations(value: Any) -> list[Callable[[], object]]:
    """Ways a caller might try to change ``value`` in place."""
    if isinstance(value, BaseModel):
        name = next(iter(type(value).model_fields))
        return [lambda: setattr(value, name, None), lambda: delattr(value, name)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [lambda: setattr(value, "id", "changed")]
    if isinstance(value, list):
        return [lambda: value.append(1), lambda: value.__setitem__(0, 1), lambda: value.clear()]
    if isinstance(value, dict | MappingProxyType):
        return [lambda: value.__setitem__("x", 1), lambda: value.pop(next(iter(value)), None)]
    return []


def _assert_deeply_immutable(root: Any) -> int:
    """Try every mutation on every reachable object; each must raise. Returns how many were tried."""
    tried = 0
    for value in _walk(root):
        for mutate in _mutations(value):
            before = copy.deepcopy(dict(value) if isinstance(value, MappingProxyType) else value)
            with pytest.raises((TypeError, AttributeError, ValidationError)):
                mutate()
            assert value == before
            tried += 1
    return tried


def test_knowledge_base_attributes_cannot_be_set_or_deleted(kb: mr.KnowledgeBase) -> None:
    """Setting or deleting any attribute of a KnowledgeBase raises AttributeError."""
    for name in ("techniques", "rules", "version", "new_attribute"):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(kb, name, None)
        with pytest.raises(AttributeError, match="immutable"):
            delattr(kb, name)


def test_knowledge_base_is_immutable_all_the_way_down(kb: mr.KnowledgeBase) -> None:
    """Every mapping, nested model, list and dict in a KnowledgeBase refuses changes."""
    tables = [getattr(kb, name) for name in ("areas", "causes", "goals", "phases", "severity_bands", "findings")]
    tables += [kb.techniques, kb.conditions, kb.sources, kb.rules_by_id, kb.plan_defaults, kb.icd10_index, kb.distal]
    tried = sum(_assert_deeply_immutable(table) for table in tables)
    assert tried > 300
    for rule in kb.rules:
        with pytest.raises(AttributeError):
            rule.text = "changed"  # type: ignore[misc]
        assert isinstance(rule.areas, frozenset | None)
    assert isinstance(kb.rules, tuple)


def test_technique_lists_and_dicts_refuse_change(kb: mr.KnowledgeBase) -> None:
    """A technique's goals dict and sources list cannot be edited in place; copies can."""
    technique = next(iter(kb.techniques.values()))
    with pytest.raises(TypeError, match="cannot be changed"):
        technique.goals["pain_relief"] = 99.0
    with pytest.raises(TypeError, match="cannot be changed"):
        technique.sources.append("made_up")
    with pytest.raises(ValidationError, match="Instance is frozen"):
        technique.name = "changed"  # type: ignore[misc]
    mutable = dict(technique.goals)
    mutable["pain_relief"] = 99.0
    assert technique.goals != mutable
    assert copy.deepcopy(technique) == technique
    assert pickle.loads(pickle.dumps(technique)) == technique


def test_recommendation_is_immutable_all_the_way_down(kb: mr.KnowledgeBase) -> None:
    """A Recommendation and everything in it refuse changes; model_copy gives a changed copy."""
    result = mr.recommend(PROFILE, kb)
    assert _assert_deeply_immutable(result) > 20
    with pytest.raises(ValidationError, match="Instance is frozen"):
        result.outcome = "refer"  # type: ignore[misc]
    assert result.model_copy(update={"warnings": ("x",)}).warnings == ("x",)
    assert mr.recommend(PROFILE, kb) == result


def test_profile_is_immutable() -> None:
    """A ClientProfile refuses attribute changes (pydantic's frozen error); its lists are tuples."""
    with pytest.raises(ValidationError, match="Instance is frozen"):
        PROFILE.severity = 2  # type: ignore[misc]
    assert isinstance(PROFILE.areas, tuple)


def test_two_answers_share_no_mutable_object(kb: mr.KnowledgeBase) -> None:
    """Answers for two profiles hold no list, dict or set in common: only frozen models, tuples and strings."""
    other = PROFILE.model_copy(update={"areas": ("lower_back",), "health": ("anticoagulants",)})
    first, second = mr.recommend(PROFILE, kb), mr.recommend(other, kb)
    mutable = (list, dict, set, bytearray)
    in_first = {id(v) for v in _walk(first) if isinstance(v, mutable)}
    assert not in_first & {id(v) for v in _walk(second) if isinstance(v, mutable)}
    assert not in_first  # fields are tuples and frozen models all the way down
