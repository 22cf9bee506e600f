"""Typed errors: one base class, one subclass per audience.

Knowledge authors get :class:`KnowledgeError` (file, line, rule, suggestion);
callers get :class:`ProfileError` (field, value, allowed values, suggestion).
Both subclass :class:`ValueError` so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "HistoryError",
    "KnowledgeError",
    "MassageRulesError",
    "Problem",
    "ProfileError",
    "close_match",
]


def close_match(value: str, allowed: Iterable[str]) -> str | None:
    """Return the allowed value closest to ``value``, or None when nothing is close."""
    import difflib  # only when there is a mistake to name: importing it costs every start-up

    candidates = sorted(set(allowed))
    lowered = {c.lower(): c for c in candidates}
    found = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def _clip(text: str, limit: int) -> str:
    """Cut a message part that quotes an enormous value, so an error stays one readable line."""
    return text if len(text) <= limit else f"{text[: limit - 15]}... ({len(text)} chars)"


class MassageRulesError(Exception):
    """Base class of every error this library raises on purpose."""


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a knowledge file.

    Problems sort worst first (``severity_rank`` 0 is an error), then by place.
    """

    severity_rank: int
    file: str
    line: int
    column: int
    message: str
    rule: str | None = None
    suggestion: str | None = None

    @property
    def severity(self) -> str:
        """``"error"`` or ``"warning"``."""
        return "error" if self.severity_rank == 0 else "warning"

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        where = f" rule '{self.rule}':" if self.rule else ""
        hint = f"; did you mean '{self.suggestion}'?" if self.suggestion else ""
        return f"{place}:{where} {self.message}{hint}"


class KnowledgeError(MassageRulesError, ValueError):
    """A knowledge file is broken: unreadable, malformed, or inconsistent.

    ``problems`` holds every problem found, worst first; the message lists them all.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems))
        first = self.problems[0] if self.problems else None
        self.file = first.file if first else None
        self.line = first.line if first else None
        self.rule = first.rule if first else None
        self.suggestion = first.suggestion if first else None
        lines = [str(p) for p in self.problems]
        count = len(lines)
        head = lines[0] if count == 1 else f"{count} problems in the knowledge files:\n  " + "\n  ".join(lines)
        super().__init__(head)


class ProfileError(MassageRulesError, ValueError):
    """A client profile holds a value the knowledge base does not allow."""

    def __init__(
        self,
        field: str,
        value: object,
        message: str,
        allowed: Iterable[str] = (),
        suggestion: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.allowed: tuple[str, ...] = tuple(sorted(set(allowed)))
        self.suggestion = suggestion
        text = f"{_clip(field, 120)}: {_clip(message, 400)}"
        if suggestion:
            text += f"; did you mean '{suggestion}'?"
        if self.allowed:
            shown = ", ".join(self.allowed[:40])
            more = f", ... ({len(self.allowed)} in all)" if len(self.allowed) > 40 else ""
            text += f" (allowed: {shown}{more})"
        super().__init__(text)


class HistoryError(MassageRulesError, ValueError):
    """A course history or session record is bad: unreadable, malformed, or out of order.

    ``file`` and ``line`` say where, when the record came from a file; ``field``
    names the bad value (``sessions[2].pain_after``).
    """

    def __init__(self, message: str, *, file: str | None = None, line: int = 0, field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        place = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        where = f"{_clip(field, 120)}: " if field else ""
        super().__init__(f"{place}{where}{_clip(message, 400)}")


class UnsafeAnswerError(MassageRulesError, RuntimeError):
    """The engine built an answer that breaks a restriction of a rule that fired: a bug, never the caller's fault.

    Raised by the last check before an answer is returned, so that a forbidden
    technique or a pressure over a cap never reaches a caller. ``rules`` names the
    restrictions the answer broke. The command line reports it as an internal
    error (exit 3).
    """

    def __init__(self, problems: Sequence[str], rules: Sequence[str]) -> None:
        self.problems = tuple(problems)
        self.rules = tuple(sorted(set(rules)))
        super().__init__(f"unsafe answer withheld (rules {', '.join(self.rules)}): {'; '.join(self.problems)}")
