"""JSON Schemas for the knowledge files, the profile and the result, generated from the models.

The schemas ship in the package under ``massage_rules/schemas/`` so editors can
point at them (the bundled YAML files carry a ``yaml-language-server`` modeline)
and integrators can validate what they send and receive. A test keeps the
shipped files equal to freshly generated ones; after changing a model, run
``python -m massage_rules.output.json_schema`` to rewrite them. A change to the result's
shape also needs a new :data:`massage_rules.models.SCHEMA_VERSION` (minor when
fields are only added, major otherwise); ``tests/unit/test_schemas.py`` pins it.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel

from massage_rules.knowledge.schema import KnowledgeFile
from massage_rules.models import SCHEMA_VERSION, ClientProfile, Recommendation

__all__ = ["SCHEMA_FILES", "SchemaName", "json_schema", "schema_text", "shipped_schema_folder", "write_schema_files"]

SchemaName = Literal["knowledge", "profile", "result"]
SCHEMA_FILES: dict[SchemaName, str] = {
    "knowledge": "knowledge.schema.json",
    "profile": "profile.schema.json",
    "result": "recommendation.schema.json",
}
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
KNOWLEDGE_FORMAT = 1


def _close_maps(node: Any) -> None:
    """A mapping keyed by ids lists its key pattern; refuse other keys so editors flag typos."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_maps(value)
    elif isinstance(node, list):
        for value in node:
            _close_maps(value)


def _all_required_open(schema: dict[str, Any]) -> None:
    """A serialised result holds every field; later minor versions may add fields, which readers ignore."""
    for node in [schema, *schema.get("$defs", {}).values()]:
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node.pop("additionalProperties", None)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes an annotation names, however nested (``list[Rule] | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _build(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> None:
    """Build ``model`` and every model under it now, not on first use (the knowledge models defer it).

    A schema encodes each field's default through the default's own class; before pydantic 2.14 that
    fails on a class not yet built ("'MockValSer' object is not an instance of 'SchemaSerializer'").
    """
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    model.model_rebuild()
    for field in model.model_fields.values():
        for inner in _models_in(field.annotation):
            _build(inner, seen)


def json_schema(name: SchemaName) -> dict[str, Any]:
    """Generate the JSON Schema (draft 2020-12) for ``knowledge``, ``profile`` or ``result``."""
    if name == "knowledge":
        _build(KnowledgeFile)
        body = KnowledgeFile.model_json_schema()
        version = str(KNOWLEDGE_FORMAT)
        title = "massage_rules knowledge file"
    elif name == "profile":
        body = ClientProfile.model_json_schema()
        version = SCHEMA_VERSION
        title = "massage_rules client profile"
    elif name == "result":
        body = Recommendation.model_json_schema(mode="serialization")
        _all_required_open(body)
        version = SCHEMA_VERSION
        title = "massage_rules recommendation"
    else:
        raise ValueError(f"unknown schema {name!r}; choose one of {', '.join(SCHEMA_FILES)}")
    body = copy.deepcopy(body)
    _close_maps(body)
    body.pop("title", None)
    return {
        "$schema": _DRAFT,
        "$id": f"urn:massage-rules:schema:{name}:{version}",
        "title": title,
        "x-schema-version": version,
        **body,
    }


def schema_text(name: SchemaName) -> str:
    """The schema as the exact text of its shipped file."""
    return json.dumps(json_schema(name), indent=2, ensure_ascii=False) + "\n"


def shipped_schema_folder() -> Path:
    """The folder of the shipped schema files, inside the installed package."""
    return Path(str(resources.files("massage_rules") / "schemas"))


def write_schema_files(folder: Path | None = None) -> list[Path]:
    """Write every schema file (by default into the package); return the paths written."""
    target = folder or shipped_schema_folder()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, filename in SCHEMA_FILES.items():
        path = target / filename
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - the maintainer's regeneration step
    for path in write_schema_files():
        print(path)
