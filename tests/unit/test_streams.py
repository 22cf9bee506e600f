"""`guarded` and standard output that fails: exit 4 with the reason, 141 for a reader that left, never exit 3."""

from __future__ import annotations

import errno
import io
import sys
from collections.abc import Sequence

import pytest

from massage_rules.cli import suggest as _cli
from massage_rules.cli.streams import EXIT_OUTPUT, EXIT_READER_LEFT, CheckedStdout, OutputError, ReaderLeftError


class FailingStdout(io.StringIO):
    """A stdout whose writes (or only its flush) fail with a given error."""

    def __init__(self, error: BaseException, on_flush_only: bool = False) -> None:
        super().__init__()
        self.error = error
        self.on_flush_only = on_flush_only

    def write(self, text: str) -> int:
        if not self.on_flush_only:
            raise self.error
        return super().write(text)

    def flush(self) -> None:
        raise self.error


def _printing(argv: Sequence[str] | None) -> int:
    print("an answer")
    return 0


@pytest.mark.parametrize("on_flush_only", [False, True])
@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), EXIT_OUTPUT, "No space left on device"),
        (OSError(errno.EIO, "Input/output error"), EXIT_OUTPUT, "Input/output error"),
        (ValueError("I/O operation on closed file."), EXIT_OUTPUT, "it is closed"),
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), EXIT_READER_LEFT, None),
    ],
)
def test_guarded_turns_output_failures_into_their_exit_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: BaseException,
    code: int,
    message: str | None,
    on_flush_only: bool,
) -> None:
    """A write or the final flush failing is exit 4 with one line, or 141 with none for a broken pipe."""
    stdout = FailingStdout(error, on_flush_only)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert _cli.guarded("suggest", _printing) == code
    assert sys.stdout is stdout  # put back as it was
    err = capsys.readouterr().err
    assert err == (f"suggest: cannot write to standard output: {message}\n" if message else "")


def test_guarded_refuses_to_start_with_stdout_closed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no stdout at all (`>&-`), nothing runs: one line and exit 4."""
    ran: list[bool] = []

    def entry(argv: Sequence[str] | None) -> int:
        ran.append(True)
        return 0

    monkeypatch.setattr(sys, "stdout", None)
    assert _cli.guarded("massage-rules", entry) == EXIT_OUTPUT
    assert ran == []
    assert capsys.readouterr().err == "massage-rules: cannot write to standard output: it is closed\n"


def test_usage_output_is_flushed_and_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """--help whose text cannot be written exits 4 rather than failing in the interpreter's final flush."""
    monkeypatch.setattr(sys, "stdout", FailingStdout(OSError(errno.ENOSPC, "No space left on device"), True))
    assert _cli.guarded("suggest", _cli.main, ["--help"]) == EXIT_OUTPUT


def test_an_oserror_elsewhere_is_still_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only stdout's failures are output errors: an OSError escaping from elsewhere stays an internal error (3)."""

    def entry(argv: Sequence[str] | None) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.delenv(_cli.DEBUG_ENV, raising=False)
    assert _cli.guarded("suggest", entry) == _cli.EXIT_INTERNAL
    assert "internal error: OSError" in capsys.readouterr().err


def test_checked_stdout_passes_everything_else_through() -> None:
    """The wrapper writes and flushes through, and hands other attributes to the real stream."""
    real = io.StringIO()
    checked = CheckedStdout(real)
    assert checked.write("x") == 1
    checked.flush()
    assert real.getvalue() == "x"
    assert checked.getvalue() == "x"
    with pytest.raises(OutputError):
        CheckedStdout(FailingStdout(OSError(errno.ENOSPC, "full"))).write("x")
    with pytest.raises(ReaderLeftError):
        CheckedStdout(FailingStdout(BrokenPipeError(errno.EPIPE, "Broken pipe"))).flush()
