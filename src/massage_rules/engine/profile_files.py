"""Profiles from loose input: mappings, YAML or JSON files, severity words.

:class:`~massage_rules.ClientProfile` takes exact values; files and command
lines bring words (``severity: moderate``) and strings. This module turns them
into a profile, with the words read from the knowledge's severity bands.
"""

from __future__ import annotations

import json
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from massage_rules.errors import ProfileError, close_match
from massage_rules.knowledge.load import KnowledgeBase, default_knowledge
from massage_rules.knowledge.yaml_files import YamlLoadError, load_yaml_text
from massage_rules.models import ClientProfile
from massage_rules.models.profile import normalise_id

__all__ = ["load_profile", "parse_profile", "severity_from_text"]

MAX_PROFILE_BYTES = 1024 * 1024


def severity_from_text(value: str, knowledge: KnowledgeBase) -> int:
    """Read ``"6"`` or a band word such as ``"moderate"`` as a 0-10 pain score."""
    text = unicodedata.normalize("NFKC", value).strip()
    if text.isascii() and text.isdigit():  # str.isdigit alone accepts '²', which int() refuses
        return _digits(text, "severity")
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


def _digits(text: str, field: str) -> int:
    if len(text) > 6:  # int() refuses thousands of digits, and no score needs more than two
        raise ProfileError(field, text, f"must be from 0 to 10, not {text[:12]}... ({len(text)} digits)")
    return int(text)


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
    raw = _read_bytes(path)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProfileError("profile", str(path), f"'{path}' is UTF-16 text; save it as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProfileError("profile", str(path), f"'{path}', line {line}: is not UTF-8 text") from None
    try:
        data = _parse_json(text) if path.suffix.lower() == ".json" else load_yaml_text(text)
    except json.JSONDecodeError as exc:
        raise ProfileError("profile", str(path), f"'{path}', line {exc.lineno}: not valid JSON: {exc.msg}") from None
    except _JsonError as exc:
        raise ProfileError("profile", str(path), f"'{path}': {exc}") from None
    except YamlLoadError as exc:
        raise ProfileError("profile", str(path), f"'{path}', line {exc.line}: {exc.message}") from None
    if data is None:
        raise ProfileError("profile", str(path), f"'{path}' is empty")
    if not isinstance(data, Mapping):
        raise ProfileError("profile", str(path), f"'{path}' must hold a mapping of profile fields")
    return parse_profile(data, knowledge)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; refuses directories, pipes and devices (which could block) and oversized files."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ProfileError("profile", str(path), f"'{path}' is a directory, not a profile file")
        if not stat.S_ISREG(info.st_mode):
            raise ProfileError("profile", str(path), f"'{path}' is not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ProfileError("profile", str(path), f"'{path}' cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileError("profile", str(path), f"'{path}' is larger than {MAX_PROFILE_BYTES} bytes")
    return raw


class _JsonError(ValueError):
    """A JSON profile that parses but cannot be accepted."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _JsonError(f"duplicate key '{key}'")
        result[key] = value
    return result


def _parse_json(text: str) -> Any:
    """Parse JSON, refusing duplicate keys and turning the stdlib's stray errors into one type."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except (json.JSONDecodeError, _JsonError):
        raise
    except RecursionError:
        raise _JsonError("the document is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python will convert
        raise _JsonError(f"not valid JSON: {str(exc).split(';')[0].split(':')[0]}") from None
