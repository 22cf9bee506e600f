"""Fuzz the profile parser: any mapping, value or file ends in a profile or a ProfileError.

Bounded by the active hypothesis profile; run long with
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz`` (see docs/errors.md).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

import massage_rules as mr
from massage_rules.engine import profile_files as _input

KB = mr.load_knowledge()
SCRATCH = Path(tempfile.mkdtemp(prefix="massage-rules-fuzz-"))
FIELDS = sorted(mr.ClientProfile.model_fields)
VOCABULARY = sorted({*KB.areas, *KB.goals, *KB.causes, *KB.phases, *KB.findings, *KB.conditions, *KB.severity_bands})

words = st.sampled_from(VOCABULARY) | st.text(max_size=20)
# Near-misses of real ids: case, spacing, look-alike and invisible characters.
spelled = st.builds(
    lambda word, case, pad, odd, at: pad + (word.upper() if case else word).replace("_", odd) + pad + at,
    st.sampled_from(VOCABULARY),
    st.booleans(),
    st.sampled_from(["", " ", "\t", "\u3000"]),
    st.sampled_from(["_", " ", "-", "", "\u200b", "\u2010", "__"]),
    st.sampled_from(["", "@calf", "@", "@@x", "@ Lower Back"]),
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | words
    | spelled
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(words, inner, max_size=3), max_leaves=12
)
keys = st.sampled_from(FIELDS) | st.text(max_size=12)


@st.composite
def near_profiles(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly valid profiles with some fields replaced by hostile values."""
    data: dict[str, Any] = {
        "areas": draw(st.lists(st.sampled_from(sorted(KB.areas)) | spelled, min_size=1, max_size=3)),
        "severity": draw(st.integers(0, 10)),
        "phase": draw(st.sampled_from(sorted(KB.phases))),
        "goals": draw(st.lists(st.sampled_from(sorted(KB.goals)), min_size=1, max_size=3)),
    }
    for key in draw(st.lists(keys, max_size=3)):
        data[key] = draw(values | st.lists(spelled, max_size=4))
    return data


def _check_profile_error(exc: mr.ProfileError) -> None:
    """The error names its field first and stays short, however large the bad value."""
    assert exc.field
    assert str(exc).startswith(f"{exc.field}: ")
    assert len(str(exc)) < 2000


def _answer(data: Any) -> None:
    """Parse and recommend: a Recommendation or a ProfileError, nothing else."""
    try:
        profile = _input.parse_profile(data, KB)
    except mr.ProfileError as exc:
        _check_profile_error(exc)
        return
    try:
        result = mr.recommend(profile, KB)
    except mr.ProfileError as exc:
        _check_profile_error(exc)
        return
    assert result.profile.areas


@given(st.dictionaries(keys, values, max_size=8))
def test_any_mapping_is_a_profile_or_a_profile_error(data: dict[str, Any]) -> None:
    """A mapping of arbitrary keys and values gives a profile or a ProfileError naming a field."""
    _answer(data)


@given(near_profiles())
def test_near_valid_profiles_are_a_recommendation_or_a_profile_error(data: dict[str, Any]) -> None:
    """Valid profiles with hostile fields mixed in are answered or refused with a ProfileError."""
    _answer(data)


@given(values)
def test_any_value_is_refused_as_a_whole_profile_unless_a_mapping(value: Any) -> None:
    """A non-mapping profile is a ProfileError about the whole profile."""
    _answer(value)


@settings(max_examples=max(10, settings.default.max_examples // 2), suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([".yaml", ".json"]), st.binary(max_size=300) | values.map(lambda v: json.dumps(v).encode()))
def test_any_profile_file_is_a_profile_or_a_profile_error(suffix: str, data: bytes) -> None:
    """Arbitrary bytes in a profile file give a profile or a ProfileError."""
    path = SCRATCH / f"profile{suffix}"
    path.write_bytes(data)
    try:
        _input.load_profile(path, KB)
    except mr.ProfileError as exc:
        _check_profile_error(exc)
