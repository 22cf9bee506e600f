"""Fuzz batch files: any bytes as CSV or JSON lines end in rows of a profile or a ProfileError, or one file error.

Bounded by the active hypothesis profile; run long with
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz`` (see docs/errors.md).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import given, strategies as st

import massage_rules as mr
from massage_rules.cli.batch import run_batch

KB = mr.load_knowledge()
SCRATCH = Path(tempfile.mkdtemp(prefix="massage-rules-fuzz-batch-"))
TOKENS = [
    b"client_id,areas,severity,phase,goals,notes\n",
    b"areas,areas,severity\n",
    b'{"areas": ["neck"], "severity": 3, "phase": "acute", "goals": ["relaxation"]}\n',
    b'"areas"',
    b'"',
    b'""',
    b",",
    b";",
    b"\n",
    b"\r\n",
    b"\r",
    b"neck",
    b"3",
    b"acute",
    b"relaxation",
    b"c-1",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"\x00",
    b"9" * 5000,
    b"[" * 3000,
]
contents = st.lists(st.sampled_from(TOKENS) | st.binary(max_size=8), max_size=60).map(b"".join)


def _check(path: Path) -> None:
    try:
        rows = list(mr.read_profiles(path, KB))
    except mr.ProfileError as exc:
        field = exc.field
        rows = []
    else:
        field = "file"
    assert field == "file"
    numbers = [row.row for row in rows]
    assert numbers == sorted(set(numbers))
    for row in rows:
        assert (row.profile is None) != (row.error is None)
        assert row.error is None or isinstance(row.error, mr.ProfileError)
        assert row.id is None or (row.id.isprintable() and len(row.id) <= 200)


@given(contents, st.sampled_from([".csv", ".jsonl"]))
def test_any_bytes_end_in_rows_or_one_file_error(data: bytes, suffix: str) -> None:
    """read_profiles gives rows in order, each a profile or a ProfileError, or raises one ProfileError."""
    path = SCRATCH / f"batch{suffix}"
    path.write_bytes(data)
    _check(path)


@given(contents, st.sampled_from([".csv", ".jsonl"]), st.sampled_from(["json", "summary", "csv"]))
def test_suggest_batch_never_fails_inside(data: bytes, suffix: str, fmt: str) -> None:
    """suggest --batch on any bytes exits 0 or 2 and writes output it can encode."""
    path = SCRATCH / f"run{suffix}"
    path.write_bytes(data)
    out = io.StringIO()
    assert run_batch(str(path), KB, out, fmt=fmt) in {0, 2}
    out.getvalue().encode("utf-8")
