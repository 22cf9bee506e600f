"""JSON Schemas: shipped files match the models, and real data validates against them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings

import massage_rules as mr
from massage_rules.knowledge.load import bundled_knowledge_paths
from massage_rules.knowledge.yaml_files import load_yaml_text
from massage_rules.output.json_schema import SCHEMA_FILES, json_schema, schema_text, shipped_schema_folder
from tests.strategies import profiles

KB = mr.load_knowledge()
ROOT = Path(__file__).resolve().parents[2]
MODELINE = "# yaml-language-server: $schema=../src/massage_rules/schemas/knowledge.schema.json"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json_schema(name)  # type: ignore[arg-type]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("name", list(SCHEMA_FILES))
def test_shipped_schema_equals_generated(name: str) -> None:
    """Each shipped schema file is byte-for-byte what the models generate, so it cannot drift."""
    shipped = (shipped_schema_folder() / SCHEMA_FILES[name]).read_text(encoding="utf-8")  # type: ignore[index]
    assert shipped == schema_text(name), (  # type: ignore[arg-type]
        f"{SCHEMA_FILES[name]} is stale; run `python -m massage_rules.output.json_schema` and commit the result"  # type: ignore[index]
    )


@pytest.mark.parametrize("name", list(SCHEMA_FILES))
def test_shipped_schema_means_what_the_models_generate(name: str) -> None:
    """Each shipped schema parses to what the models generate, numbers compared by value (7 == 7.0)."""
    shipped = json.loads((shipped_schema_folder() / SCHEMA_FILES[name]).read_text(encoding="utf-8"))  # type: ignore[index]
    assert shipped == json_schema(name)  # type: ignore[arg-type]


def test_result_schema_is_versioned() -> None:
    """The result and profile schemas carry the result's schema_version; the knowledge one its format."""
    assert json_schema("result")["x-schema-version"] == mr.Recommendation.model_fields["schema_version"].default
    assert json_schema("result")["$id"] == "urn:massage-rules:schema:result:1.2"
    assert json_schema("profile")["x-schema-version"] == "1.2"
    assert json_schema("knowledge")["properties"]["format"]["const"] == 1


# The result's shape (the schema without its prose) for each released schema_version. A
# change to the shape needs a new SCHEMA_VERSION in models.py and a new line here:
# a minor bump when fields are only added (readers ignore unknown fields), a major one
# when a field is removed, renamed or changes type.
RESULT_SHAPES = {
    "1.0": "a03ada06fd4dc76b582f3a5f3b3ca32799966fdec975649896689a60234927cb",
    # 1.1: OverrideStamp.effects and the "replace" action (plan settings); safety_overrides (computed, top level)
    "1.1": "874bf377791399b0f8f1c54e43fc6977f5f44e08b9b4a9d6b2134f32af11148b",
    # 1.2 adds: the profile's age and cleared questions, screening_questions, each
    # technique's after_screening and tie_break, the plan's basis, severity_band,
    # treated_regions and no_course_reason, each plan step's evidence, and the
    # diagnosis a screening question confirms.
    "1.2": "68536a775bc7c51b25121dcf6ac0bec0df5e4220446d89f0358e0f5574b53c7e",
}


def _shape(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items() if k not in ("description", "title")}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


def test_result_shape_changes_bump_the_schema_version() -> None:
    """The result's shape is pinned per schema_version, so it cannot change without a version bump."""
    version = mr.Recommendation.model_fields["schema_version"].default
    text = json.dumps(_shape(json_schema("result")), sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert version in RESULT_SHAPES, f"record the shape of schema_version {version}: {digest}"
    assert RESULT_SHAPES[version] == digest, (
        f"the result's shape changed but schema_version is still {version}; bump SCHEMA_VERSION in "
        f"models.py and add it to RESULT_SHAPES with {digest}"
    )


@pytest.mark.parametrize("path", bundled_knowledge_paths(), ids=lambda p: p.name)
def test_bundled_knowledge_validates_and_points_editors_at_the_schema(path: Path) -> None:
    """Every bundled YAML file validates against the knowledge schema and names it on its first line."""
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE
    target = (path.parent / MODELINE.split("$schema=")[1]).resolve()
    if path.parent == ROOT / "knowledge":  # from a wheel the modeline is only a hint for authors
        assert target == (shipped_schema_folder() / "knowledge.schema.json").resolve()
    errors = [e.message for e in _validator("knowledge").iter_errors(load_yaml_text(text))]
    assert errors == []


def test_knowledge_schema_flags_a_typo() -> None:
    """An unknown key and an id-keyed map with a bad key are errors, as the loader says."""
    bad = {"techniques": [{"id": "x", "name": "X", "cpt": "97124", "evidnce": "high"}], "rules": []}
    messages = sorted(e.message for e in _validator("knowledge").iter_errors(bad))
    assert "Additional properties are not allowed ('evidnce' was unexpected)" in messages


def test_profile_schema_accepts_a_profile_and_refuses_a_bad_one() -> None:
    """A dumped profile validates; an out-of-range severity and an unknown key do not."""
    profile = mr.ClientProfile(areas=["neck"], severity=4, phase="chronic", goals=["relaxation"])
    validator = _validator("profile")
    assert list(validator.iter_errors(json.loads(profile.model_dump_json()))) == []
    bad = {"areas": ["neck"], "severity": 11, "phase": "chronic", "goals": ["relaxation"], "sevrity": 1}
    assert len(list(validator.iter_errors(bad))) == 2


RESULT_VALIDATOR = _validator("result")


@settings(max_examples=60)
@given(profiles(KB))
def test_real_results_validate_against_the_result_schema(profile: mr.ClientProfile) -> None:
    """Results for random profiles (treat, refer, no massage...) all match the shipped result schema."""
    result = mr.recommend(profile, KB)
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in RESULT_VALIDATOR.iter_errors(json.loads(result.model_dump_json()))
    ]
    assert errors == []


def test_result_schema_refuses_a_missing_field() -> None:
    """The result schema requires every field, so a consumer can rely on them."""
    result = mr.recommend(mr.ClientProfile(areas=["neck"], severity=4, phase="chronic", goals=["relaxation"]), KB)
    data = json.loads(result.model_dump_json())
    del data["plan"]
    assert [e.message for e in RESULT_VALIDATOR.iter_errors(data)] == ["'plan' is a required property"]
