"""Profiles from loose input: mappings, YAML or JSON files, severity words.

:class:`~massage_rules.ClientProfile` takes exact values; files and command
lines bring words (``severity: moderate``) and strings. This module turns them
into a profile, with the words read from the knowledge's severity bands.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._knowledge import KnowledgeBase, default_knowledge
from ._yaml import YamlLoadError, load_yaml_text
from .errors import ProfileError, close_match
from .models import ClientProfile, normalise_id

__all__ = ["load_profile", "parse_profile", "severity_from_text"]

MAX_PROFILE_BYTES = 1024 * 1024


def severity_from_text(value: str, knowledge: KnowledgeBase) -> int:
    """Read ``"6"`` or a band word such as ``"moderate"`` as a 0-10 pain score."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    word = normalise_id(text)
    band = knowledge.severity_bands.get(word)
    if band is None:
        allowed = [*knowledge.severity_bands, "0-10"]
        raise ProfileError(
            "severity",
            value,
            f"'{value}' is neither a 0-10 pain score nor a severity word",
            allowed,
            close_match(word, knowledge.severity_bands),
        )
    return band.nrs


def parse_profile(data: Mapping[str, Any], knowledge: KnowledgeBase | None = None) -> ClientProfile:
    """Build a profile from a mapping, accepting severity words (``mild``, ``moderate``, ``severe``)."""
    if not isinstance(data, Mapping):
        raise ProfileError("profile", data, f"must be a mapping of fields, not {type(data).__name__}")
    fields = dict(data)
    severity = fields.get("severity")
    if isinstance(severity, str):
        fields["severity"] = severity_from_text(severity, knowledge or default_knowledge())
    return ClientProfile.model_validate(fields)


def load_profile(path: str | Path, knowledge: KnowledgeBase | None = None) -> ClientProfile:
    """Read a profile from a YAML or JSON file; any problem is a :class:`ProfileError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ProfileError("profile", str(path), "is a directory, not a profile file") from None
    except OSError as exc:
        raise ProfileError("profile", str(path), f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileError("profile", str(path), f"is larger than {MAX_PROFILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProfileError("profile", str(path), "is not UTF-8 text") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else load_yaml_text(text)
    except json.JSONDecodeError as exc:
        raise ProfileError("profile", str(path), f"line {exc.lineno}: not valid JSON: {exc.msg}") from None
    except YamlLoadError as exc:
        raise ProfileError("profile", str(path), f"line {exc.line}: {exc.message}") from None
    if not isinstance(data, Mapping):
        raise ProfileError("profile", str(path), "must hold a mapping of profile fields")
    return parse_profile(data, knowledge)
