"""Lines for a terminal: text wrapped to a width, and colour only when asked for.

Knowledge text is made safe for a terminal (:func:`~massage_rules.output.markup.terminal`)
before any colour is added, so the only escape sequences in the output are the
ones added here, and only when ``color`` is true.
"""

from __future__ import annotations

import textwrap
from typing import Literal

from massage_rules.output.markup import terminal

__all__ = ["DEFAULT_WIDTH", "Lines", "Style"]

DEFAULT_WIDTH = 88
MIN_WIDTH = 40
Style = Literal["alarm", "strong"]
_CODES: dict[str, str] = {"alarm": "\x1b[1;31m", "strong": "\x1b[1m"}  # bold red; bold
_RESET = "\x1b[0m"


class Lines:
    """A report being written: each entry wrapped to ``width``, a part of its first line optionally styled."""

    def __init__(self, width: int = DEFAULT_WIDTH, *, color: bool = False) -> None:
        self.width = max(MIN_WIDTH, width)
        self.color = color
        self._lines: list[str] = []

    def add(
        self,
        text: str,
        indent: str = "",
        hang: str | None = None,
        *,
        style: Style | None = None,
        span: tuple[int, int] | None = None,
    ) -> None:
        """Add ``text`` wrapped after ``indent`` (later lines after ``hang``, default the same).

        ``style`` colours ``span`` (offsets in ``text``; all of it when None) on the first line.
        """
        wrapped = textwrap.wrap(
            terminal(text),
            self.width,
            initial_indent=indent,
            subsequent_indent=indent if hang is None else hang,
            break_on_hyphens=False,
        ) or [indent.rstrip()]
        if style is not None and self.color:
            start, end = span if span is not None else (0, len(text))
            first = wrapped[0]
            begin, stop = len(indent) + start, min(len(indent) + end, len(first))
            if begin < stop:
                wrapped[0] = first[:begin] + _CODES[style] + first[begin:stop] + _RESET + first[stop:]
        self._lines.extend(wrapped)

    def raw(self, line: str) -> None:
        """Add one line as it is (made safe for a terminal, never wrapped): a table row that must not break."""
        self._lines.append(terminal(line))

    def blank(self) -> None:
        """End a section: one empty line, never two, never at the top."""
        if self._lines and self._lines[-1] != "":
            self._lines.append("")

    def text(self) -> str:
        """The report: its lines, ending in exactly one line break."""
        return "\n".join(self._lines).rstrip() + "\n"


def wrap(text: str, indent: str, width: int = DEFAULT_WIDTH) -> str:
    """``text`` wrapped to ``width`` after ``indent``: for the course reports, which print plain lines."""
    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent)
