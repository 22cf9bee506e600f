"""Fuzz the YAML loader and knowledge loading: any input ends in data or a typed, located error.

Bounded by the active hypothesis profile; run long with
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz`` (see docs/errors.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

import massage_rules as mr
from massage_rules.knowledge.load import bundled_knowledge_paths
from massage_rules.knowledge.yaml_files import YamlLoadError, load_yaml_text

SCRATCH = Path(tempfile.mkdtemp(prefix="massage-rules-fuzz-"))
BUNDLED = {path.name: path.read_text(encoding="utf-8") for path in bundled_knowledge_paths()}
PROFILE = mr.ClientProfile(
    areas=["lower_back", "calf"], severity=6, phase="chronic", goals=["pain_relief"], health=["varicose_veins@calf"]
)
FEWER = settings(max_examples=max(10, settings.default.max_examples // 2), suppress_health_check=[HealthCheck.too_slow])

# Characters that steer the YAML scanner into its interesting states.
YAML_ALPHABET = st.sampled_from(list("abc019 _-:,[]{}&*!|>'\"#?%@`\t\n\r.~=<\\/\u00e9\u0430\ufeff\x00\x85"))
yaml_ish = st.text(YAML_ALPHABET, max_size=200)


def _check(text: str) -> Any:
    """Load ``text``: data, or a YamlLoadError with a sane position; nothing else may escape."""
    try:
        return load_yaml_text(text)
    except YamlLoadError as exc:
        _check_yaml_error(exc, text)
        return None


def _check_yaml_error(exc: YamlLoadError, text: str) -> None:
    """The error has a message and a position inside the text."""
    breaks = sum(text.count(c) for c in "\n\r\x85\u2028\u2029")  # YAML's line breaks
    assert exc.message
    assert 0 <= exc.line <= breaks + 2
    assert exc.column >= 0


def _check_knowledge_error(exc: mr.KnowledgeError, path: Path | None = None) -> None:
    """The error lists problems, each in a file; one in ``path`` when given."""
    assert exc.problems
    assert all(p.file for p in exc.problems)
    assert path is None or any(p.file == str(path) for p in exc.problems), str(exc)


@given(st.text(max_size=300))
def test_any_text_loads_or_raises_yaml_load_error(text: str) -> None:
    """Arbitrary Unicode text is data or a YamlLoadError."""
    _check(text)


@given(yaml_ish)
def test_yaml_shaped_text_loads_or_raises_yaml_load_error(text: str) -> None:
    """Text built from YAML's punctuation is data or a YamlLoadError."""
    _check(text)


@st.composite
def mutated_file(draw: st.DrawFn) -> tuple[str, str]:
    """A bundled knowledge file with a few random edits: cuts, insertions, duplicated or swapped lines."""
    name = draw(st.sampled_from(sorted(BUNDLED)))
    text = BUNDLED[name]
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["cut", "insert", "duplicate", "swap", "replace_token"]))
        if kind == "cut":
            start = draw(st.integers(0, len(text)))
            text = text[:start] + text[start + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(YAML_ALPHABET, min_size=1, max_size=12)) + text[at:]
        elif kind == "duplicate":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == "swap":
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:
            token = draw(st.sampled_from(["0", "-1", ".nan", ".inf", "1e3", "[]", "{}", "~", "true", "x", '""']))
            at = draw(st.integers(0, len(text)))
            end = text.find("\n", at)
            colon = text.rfind(": ", at, end if end != -1 else len(text))
            text = text[: colon + 2] + token + text[end if end != -1 else len(text) :] if colon != -1 else text
    return name, text


@FEWER
@given(mutated_file())
def test_mutated_knowledge_loads_or_raises_knowledge_error(edit: tuple[str, str]) -> None:
    """Randomly edited knowledge either loads and answers safely, or raises a located KnowledgeError."""
    name, text = edit
    path = SCRATCH / name
    path.write_text(text, encoding="utf-8")
    others = [p for p in bundled_knowledge_paths() if p.name != name]
    try:
        kb = mr.load_knowledge([*others, path], bundled=False)
    except mr.KnowledgeError as exc:
        _check_knowledge_error(exc)  # an edit may surface as a broken reference in another file
        return
    try:
        result = mr.recommend(PROFILE, kb)
    except mr.ProfileError:
        return  # the edit removed a value this profile uses
    forbidden = {(a.technique, a.area) for a in result.avoided if a.kind == "forbidden"}
    for technique in result.techniques:
        assert (technique.id, None) not in forbidden


@FEWER
@given(st.binary(max_size=400))
def test_any_bytes_as_a_knowledge_file_raise_knowledge_error_or_load(data: bytes) -> None:
    """Arbitrary bytes as the only knowledge file end in a KnowledgeError naming it."""
    path = SCRATCH / "clinic.yaml"
    path.write_bytes(data)
    try:
        mr.load_knowledge([path], bundled=False)
    except mr.KnowledgeError as exc:
        _check_knowledge_error(exc, path)
    else:
        raise AssertionError("a lone random file cannot define a whole knowledge base")
