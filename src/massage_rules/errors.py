"""Typed errors: one base class, one subclass per audience.

Knowledge authors get :class:`KnowledgeError` (file, line, rule, suggestion);
callers get :class:`ProfileError` (field, value, allowed values, suggestions).
Both subclass :class:`ValueError` so ``except ValueError`` keeps working.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "HistoryError",
    "KnowledgeError",
    "MassageRulesError",
    "Problem",
    "ProfileError",
    "close_match",
    "close_matches",
]


def close_match(value: str, allowed: Iterable[str]) -> str | None:
    """Return the allowed value closest to ``value``, or None when nothing is close."""
    import difflib  # only when there is a mistake to name: importing it costs every start-up

    candidates = sorted(set(allowed))
    lowered = {c.lower(): c for c in candidates}
    found = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def close_matches(
    value: str, allowed: Iterable[str], synonyms: Mapping[str, Iterable[str]] | None = None, *, limit: int = 3
) -> tuple[str, ...]:
    """The allowed ids ``value`` most likely stands for, best first, at most ``limit``; empty when none is close.

    Tried in order, the first that finds any wins: the id that lists ``value`` among
    its ``synonyms``; the ids with ``value`` as whole words of the id or of a synonym
    (``back`` -> ``lower_back``, ``upper_back``); the ids whose id, synonym or one word
    of them is spelled nearly like ``value`` (``diabetis`` -> the id with synonym
    ``diabetes``), keeping only those about as close as the closest, a whole id or
    synonym before one of its words.
    """
    import difflib  # only when there is a mistake to name: importing it costs every start-up

    key = value.lower()
    names: dict[str, list[str]] = {}  # a lower-cased id or synonym -> the ids it names
    for ident in sorted(set(allowed)):
        for name in dict.fromkeys([ident, *(synonyms or {}).get(ident, ())]):
            names.setdefault(name.lower(), []).append(ident)
    if key in names:
        return tuple(names[key][:limit])

    def ratio(a: str, b: str) -> float:
        return difflib.SequenceMatcher(None, a, b).ratio()

    best: dict[str, float] = {}
    for name, owners in names.items():
        if key and f"_{key}_" in f"_{name}_":
            for ident in owners:
                best[ident] = max(best.get(ident, 0.0), ratio(key, name))
    if best:
        return tuple(sorted(best, key=lambda i: (-best[i], i))[:limit])
    for name, owners in names.items():
        # A word of an id counts a little less than the whole id, so "calff" means calf, not calf_muscle_spasm.
        score = max(ratio(key, name), *(ratio(key, word) - 0.1 for word in name.split("_")))
        for ident in owners:
            best[ident] = max(best.get(ident, 0.0), score)
    top = max(best.values(), default=0.0)
    near = [i for i, score in best.items() if score >= max(0.6, top - 0.05)]
    return tuple(sorted(near, key=lambda i: (-best[i], i))[:limit])


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
    """A client profile holds a value the knowledge base does not allow.

    ``suggestions`` holds what the caller may have meant, best first (``back`` may mean
    ``lower_back`` or ``upper_back``); ``suggestion`` is the best of them, or None.
    """

    def __init__(
        self,
        field: str,
        value: object,
        message: str,
        allowed: Iterable[str] = (),
        suggestion: str | None = None,
        *,
        suggestions: Iterable[str] = (),
    ) -> None:
        self.field = field
        self.value = value
        self.allowed: tuple[str, ...] = tuple(sorted(set(allowed)))
        self.suggestions: tuple[str, ...] = tuple(dict.fromkeys([*([suggestion] if suggestion else []), *suggestions]))
        self.suggestion = self.suggestions[0] if self.suggestions else None
        text = f"{_clip(field, 120)}: {_clip(message, 400)}"
        if self.suggestions:
            quoted = [f"'{_clip(s, 80)}'" for s in self.suggestions]
            either = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
            text += f"; did you mean {either}?"
        if self.allowed:
            shown = ", ".join(self.allowed[:40])
            more = f", ... ({len(self.allowed)} in all)" if len(self.allowed) > 40 else ""
            text += f" (allowed: {shown}{more})"
        super().__init__(text)

    @property
    def loc(self) -> tuple[str | int, ...]:
        """``field`` as a pydantic error location: ``areas[0]`` is ``("areas", 0)``; the whole profile is ``()``.

        For a web API that reports a ProfileError the way it reports a ValidationError.
        """
        if self.field == "profile":
            return ()
        return tuple(int(index) if index else name for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", self.field))


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
