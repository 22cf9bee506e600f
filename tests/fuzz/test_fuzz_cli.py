"""Fuzz suggest's arguments: any argv ends in exit 0, 1 or 2 with output, or one error line, never code 3.

Bounded by the active hypothesis profile; run long with
``HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz`` (see docs/errors.md).
"""

from __future__ import annotations

import contextlib
import io

from hypothesis import given, strategies as st

import massage_rules as mr
from massage_rules.cli import suggest as _cli

KB = mr.load_knowledge()
FLAGS = [
    "--profile",
    "--area",
    "--cause",
    "--severity",
    "--phase",
    "--days-since-onset",
    "--goal",
    "--health",
    "--condition",
    "--json",
    "--format",
    "--knowledge",
    "--",
    "-",
    "--area=",
    "--sev",
]
VALUES = sorted(
    {*KB.areas, *KB.goals, *KB.causes, *KB.phases, *KB.findings, *KB.severity_bands, *_cli.FORMATS, "3", "-1", "1e3"}
)
# Paths that exist but must be refused fast: a directory, a device, a missing file.
PATHS = [".", "/dev/null", "/dev/zero", "/nonexistent.yaml", ""]
token = st.sampled_from(FLAGS) | st.sampled_from(VALUES) | st.sampled_from(PATHS) | st.text(max_size=15)


@given(st.lists(token, max_size=12))
def test_any_argv_gives_a_documented_exit_code(argv: list[str]) -> None:
    """Every argv exits 0 with output, or 1/2 with exactly one line on stderr; no traceback, no code 3."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = _cli.guarded("suggest", _cli.main, argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    stderr = err.getvalue()
    assert "Traceback" not in stderr
    assert code in (0, 1, 2), stderr
    if code == 0:
        assert out.getvalue()
    else:
        assert stderr.count("\n") == 1, stderr
        assert stderr.startswith("suggest: "), stderr
