"""Standard output for the commands: failing to write it is its own outcome, never an internal error.

``guarded`` (in :mod:`massage_rules.cli.suggest`) runs each command with
``sys.stdout`` wrapped in :class:`CheckedStdout`, which turns a failed write or
flush into :class:`OutputError` (a full disk, a closed or failing stream: exit
``EXIT_OUTPUT``) or :class:`ReaderLeftError` (the reader of a pipe went away, as
``| head -1`` may: the command stops at once, with no message and exit 141, the
code a shell reports for ``cat``, ``grep`` or ``git`` in the same place; 128 + SIGPIPE).

Why 141 and not 0: the output was not all delivered, and a 0 would hide the
command's own verdict (``verify | head`` with errors, a batch with bad rows)
from a script that runs with ``set -o pipefail``, exactly where ``cat`` would not.
Output small enough to fit the pipe (one ``suggest`` answer) is written before
the reader leaves, so ``suggest ... | head -1`` still exits 0.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, TextIO

__all__ = [
    "CLOSED",
    "EXIT_OUTPUT",
    "EXIT_READER_LEFT",
    "CheckedStdout",
    "OutputError",
    "ReaderLeftError",
    "discard_stdout",
    "say",
]

EXIT_OUTPUT = 4
EXIT_READER_LEFT = 141  # 128 + SIGPIPE (13), as a shell reports for a writer whose reader left
CLOSED = "it is closed"


class OutputError(Exception):
    """Standard output cannot be written; ``reason`` says why (``No space left on device``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReaderLeftError(Exception):
    """The reader at the other end of a pipe has gone: nothing more can or need be written."""


class CheckedStdout:
    """A text stream that raises :class:`OutputError` or :class:`ReaderLeftError` when writing fails.

    Everything but ``write`` and ``flush`` goes to the wrapped stream unchanged.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        """Write ``text``; a failure is an :class:`OutputError` or :class:`ReaderLeftError`."""
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise ReaderLeftError from None
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from None
        except ValueError:  # "I/O operation on closed file"
            raise OutputError(CLOSED) from None

    def flush(self) -> None:
        """Flush the wrapped stream; a failure is an :class:`OutputError` or :class:`ReaderLeftError`."""
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise ReaderLeftError from None
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from None
        except ValueError:
            raise OutputError(CLOSED) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def discard_stdout(stream: TextIO | None = None) -> None:
    """Point the process's standard output at the null device, so that the output still buffered
    (which could not be written) cannot fail again when the interpreter flushes it at exit."""
    import os

    stream = stream if stream is not None else sys.stdout
    target = getattr(stream, "stream", stream)  # the real stream under a CheckedStdout
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, target.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's capture): nothing to protect
        pass


def say(line: str) -> None:
    """One diagnostic line on stderr; if stderr is closed too, nothing more can be said."""
    if sys.stderr is None:
        return
    # A value echoed in a message may hold a newline or a control character; keep it one line.
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr)
