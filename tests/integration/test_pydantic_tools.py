"""The public models work with pydantic's own tools, on every pydantic version the project allows."""

from __future__ import annotations

import json
import warnings

import pydantic_core
from pydantic import TypeAdapter

from massage_rules import ClientProfile, Recommendation, recommend


def test_a_fresh_result_converts_with_to_jsonable_python() -> None:
    """`pydantic_core.to_jsonable_python` on a result gives what `model_dump(mode="json")` gives."""
    result = recommend(ClientProfile(areas=["neck"], severity=4, phase="chronic", goals=["relaxation"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = pydantic_core.to_jsonable_python(result)
    assert plain == result.model_dump(mode="json")
    assert json.loads(json.dumps(plain)) == plain


def test_type_adapters_of_the_public_models_validate_and_describe() -> None:
    """A `TypeAdapter` over a list of profiles validates JSON and builds a schema without warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adapter = TypeAdapter(list[ClientProfile])
        profiles = adapter.validate_json(
            '[{"areas": ["Lower Back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief"]}]'
        )
        schema = TypeAdapter(Recommendation).json_schema(mode="serialization")
    assert profiles == [ClientProfile(areas=["lower_back"], severity=6, phase="chronic", goals=["pain_relief"])]
    assert "techniques" in schema["properties"]
