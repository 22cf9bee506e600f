"""Read one knowledge file: its bytes within limits, its YAML, and its validated model, or located problems."""

from __future__ import annotations

import hashlib
import itertools
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from massage_rules.errors import close_match
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.cache import CacheStore
from massage_rules.knowledge.checker import Checker
from massage_rules.knowledge.plain_text import control_characters
from massage_rules.knowledge.yaml_files import YamlLoadError, load_yaml_text, locate

__all__ = ["MAX_FILE_BYTES", "bundled_knowledge_paths", "read_file"]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS_PER_FILE = 50


def bundled_knowledge_paths() -> tuple[Path, ...]:
    """The bundled knowledge files: inside the installed package, or at the source checkout's root.

    A plain path next to this module, as ``importlib.resources`` would give for a
    package on disk (the only kind that works here), without importing its readers.
    """
    here = Path(__file__).resolve().parent  # a wheel puts the files beside this module
    found = tuple(sorted(here.glob("*.yaml")))
    if not found:  # an editable install or a source checkout: the files stay at the repository root
        found = tuple(sorted((here.parents[2] / "knowledge").glob("*.yaml")))
    return found


def read_file(
    path: Path, checker: Checker, cache: CacheStore | None = None
) -> tuple[s.KnowledgeFile, Any, bytes] | None:
    """The file's validated model, its loaded data (or the cached positions) and its bytes; None after a problem."""
    name = str(path)
    raw = _read_bytes(path, checker)
    if raw is None:
        return None
    file_hash = ""
    if cache is not None:
        file_hash = hashlib.sha256(raw).hexdigest()
        hit = cache.get(file_hash, s.KnowledgeFile)
        if hit is not None:
            return hit[0], hit[1], raw
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        checker.error((name, 1, 1), "is UTF-16 text; save it as UTF-8")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        checker.error((name, line, column), f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})")
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = load_yaml_text(text)
    except YamlLoadError as exc:
        checker.error((name, exc.line, exc.column), exc.message)
        return None
    if data is None:
        checker.error((name, 1, 1), "is empty")
        return None
    if not isinstance(data, dict):
        kind = "list" if isinstance(data, list) else type(data).__name__
        checker.error((name, 1, 1), f"must be a mapping of sections, not a {kind}")
        return None
    hostile = list(itertools.islice(control_characters(data), MAX_PROBLEMS_PER_FILE))
    for line, column, message in hostile:  # refused before the shape is checked, so no message echoes one
        checker.error((name, line, column), message)
    if hostile:
        return None
    try:
        model = s.KnowledgeFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if len(errors) > MAX_PROBLEMS_PER_FILE:
            checker.error((name, 0, 0), f"has {len(errors)} problems; the first {MAX_PROBLEMS_PER_FILE} follow")
        for err in errors[:MAX_PROBLEMS_PER_FILE]:
            loc = tuple(err["loc"])
            rule = _owner_id(data, loc)
            message = _schema_message(err, loc)
            suggestion = None
            if err["type"] == "extra_forbidden":
                suggestion = _suggest_field(loc)
            checker.error((name, *locate(data, loc)), message, rule, suggestion)
        return None
    if cache is not None:
        cache.add(file_hash, model, data)
    return model, data, raw


def _read_bytes(path: Path, checker: Checker) -> bytes | None:
    """The file's bytes, or None after recording why not; never blocks on a pipe or reads past the limit."""
    name = str(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            checker.error((name, 0, 0), "is a directory, not a knowledge file")
            return None
        if not stat.S_ISREG(info.st_mode):
            checker.error((name, 0, 0), "is not a regular file")
            return None
        if info.st_size > MAX_FILE_BYTES:
            checker.error((name, 0, 0), f"is {info.st_size} bytes; knowledge files are limited to {MAX_FILE_BYTES}")
            return None
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        checker.error((name, 0, 0), f"cannot be read: {exc.strerror or exc}")
        return None
    if len(raw) > MAX_FILE_BYTES:  # it grew after the stat
        checker.error((name, 0, 0), f"is over {MAX_FILE_BYTES} bytes; knowledge files are limited to {MAX_FILE_BYTES}")
        return None
    return raw


def _owner_id(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and isinstance(loc[1], int):
        try:
            item = data[loc[0]][loc[1]]
        except (KeyError, IndexError, TypeError):
            return None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return str(item["id"])
    return None


def _schema_message(err: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    path = ".".join(str(p) for p in loc if not isinstance(p, int)) or "file"
    if err["type"] == "extra_forbidden":
        return f"'{loc[-1]}' is not a known key here"
    if err["type"] == "missing":
        return f"{path}: is required"
    if err["type"] == "string_pattern_mismatch" and isinstance(err.get("input"), str):
        rule_id = ":" in str((err.get("ctx") or {}).get("pattern", ""))
        return f"{path}: {_id_problem(err['input'], rule_id)}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{path}: {msg}"


def _id_problem(value: str, rule_id: bool = False) -> str:
    """Say why ``value`` is not an id; ids are lower-case ASCII, so case or look-alike twins cannot exist."""
    shown = value if len(value) <= 80 else value[:77] + "..."
    for char in value:
        if not char.isascii():
            code = f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"
            return f"'{shown}' holds the non-ASCII character '{char}' ({code}); ids use a-z, 0-9 and _ only"
    if value != value.lower():
        return f"'{shown}' has capitals; ids are lower case, so write '{'_'.join(value.lower().split())}'"
    rest = "a-z, 0-9, _, '.', ':' or '-'" if rule_id else "a-z, 0-9 or _"
    return f"'{shown}' is not an id: start with a-z, then {rest}"


def _model_for(loc: tuple[Any, ...]) -> type[Any] | None:
    """Walk the schema along a path to find the model whose field set applies at its end."""
    model: Any = s.KnowledgeFile
    for step in loc[:-1]:
        if isinstance(step, int) or model is None:
            continue
        info = getattr(model, "model_fields", {}).get(step)
        if info is None:
            return None
        model = _inner_model(info.annotation)
    return model if hasattr(model, "model_fields") else None


def _inner_model(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in args:
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _suggest_field(loc: tuple[Any, ...]) -> str | None:
    model = _model_for(loc)
    if model is None or not loc:
        return None
    return close_match(str(loc[-1]), model.model_fields)
