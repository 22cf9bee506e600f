"""Fuzz history files: any bytes, and random edits of a valid file, load or raise HistoryError.

Bounded by the active hypothesis profile; run long with
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz`` (see docs/errors.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, strategies as st

import massage_rules as mr
from massage_rules.course.history import CourseHistory, add_session, dump_history, load_history

KB = mr.load_knowledge()
SCRATCH = Path(tempfile.mkdtemp(prefix="massage-rules-fuzz-"))
HISTORY = add_session(
    add_session(
        CourseHistory(
            started="2026-03-02",  # type: ignore[arg-type]
            profile=mr.ClientProfile(areas=["lower_back"], severity=7, phase="chronic", goals=["pain_relief"]),
        ),
        {"date": "2026-03-02", "pain_before": 6, "pain_after": 4},
    ),
    {"date": "2026-03-09", "pain_before": 5, "pain_after": 3, "function": 6.5, "health": ["anticoagulants"]},
)
TEXT = {suffix: dump_history(HISTORY, SCRATCH / f"course{suffix}") for suffix in (".yaml", ".json")}
NOISE = st.text(st.sampled_from(list("019 -:,[]{}&*!|>'\"#@.~\n\t\u0430\x00")), min_size=1, max_size=10)
TOKENS = st.sampled_from(
    ["-1", "11", "6.5", ".nan", "1e999", "2026-02-30", "2026-13-01", "[]", "{}", "~", '"x"', "9" * 5000]
)


def _load(path: Path) -> None:
    """Load a history file: a history, or a HistoryError naming the file."""
    try:
        load_history(path, KB)
    except mr.HistoryError as exc:
        _check(exc, path)


def _check(exc: mr.HistoryError, path: Path) -> None:
    """The error names the file and stays one short line."""
    assert str(exc).startswith(str(path))
    assert "\n" not in str(exc)
    assert len(str(exc)) < 2000


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    """A valid history file (YAML or JSON) with a few random edits."""
    suffix = draw(st.sampled_from(sorted(TEXT)))
    text = TEXT[suffix]
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["cut", "insert", "token"]))
        if kind == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        elif kind == "insert":
            text = text[:at] + draw(NOISE) + text[at:]
        else:
            end = at + draw(st.integers(0, 12))
            text = text[:at] + draw(TOKENS) + text[end:]
    return suffix, text


@given(edited())
def test_edited_history_files_load_or_raise_history_error(edit: tuple[str, str]) -> None:
    """A randomly edited history file loads, or raises a HistoryError naming the file."""
    suffix, text = edit
    path = SCRATCH / f"edited{suffix}"
    path.write_text(text, encoding="utf-8")
    _load(path)


@given(st.sampled_from([".yaml", ".json"]), st.binary(max_size=300))
def test_any_bytes_as_a_history_file_raise_history_error(suffix: str, data: bytes) -> None:
    """Arbitrary bytes as a history file raise a HistoryError naming the file (or, rarely, load)."""
    path = SCRATCH / f"random{suffix}"
    path.write_bytes(data)
    _load(path)
