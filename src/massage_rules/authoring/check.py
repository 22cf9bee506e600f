"""``check``: validate knowledge files and report every problem at once, worst first.

The loader already collects every schema, reference and id problem with its place
and a did-you-mean; ``check`` adds the warnings a load keeps quiet about and a few
lints that only matter to authors, and never raises for broken knowledge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from massage_rules.errors import Problem
from massage_rules.knowledge.load import KnowledgeBase, bundled_knowledge_paths, check_paths

__all__ = ["CheckReport", "check_knowledge"]


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The outcome of checking knowledge files: every problem, worst first."""

    files: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        """How many problems are errors."""
        return sum(1 for p in self.problems if p.severity_rank == 0)

    @property
    def warnings(self) -> int:
        """How many problems are warnings."""
        return len(self.problems) - self.errors

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return self.errors == 0

    def to_json(self) -> dict[str, object]:
        """The documented ``--json`` shape (``schema_version`` 1)."""
        return {
            "schema_version": 1,
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "files": list(self.files),
            "problems": [
                {
                    "file": p.file,
                    "line": p.line,
                    "column": p.column,
                    "severity": p.severity,
                    "message": p.message,
                    "rule": p.rule,
                    "suggestion": p.suggestion,
                    "text": format_problem(p),
                }
                for p in self.problems
            ],
        }


def format_problem(problem: Problem) -> str:
    """``file:line:column: error: message``, the form editors and CI annotate from."""
    place = f"{problem.file}:{problem.line}:{problem.column}" if problem.line else problem.file
    owner = f"rule '{problem.rule}': " if problem.rule else ""
    hint = f"; did you mean '{problem.suggestion}'?" if problem.suggestion else ""
    return f"{place}: {problem.severity}: {owner}{problem.message}{hint}"


def check_knowledge(
    paths: Sequence[str | Path] = (), *, bundled: bool = True, base: Sequence[str | Path] | None = None
) -> CheckReport:
    """Check ``paths`` on top of a base and report every problem; never raises for broken knowledge.

    The base is the bundled knowledge, or the files in ``base``, or nothing when
    ``bundled`` is False (the files are then checked alone).
    """
    extra = [Path(p) for p in paths]
    under = [Path(p) for p in base] if base is not None else list(bundled_knowledge_paths() if bundled else ())
    files = [*under, *extra]
    if not files:
        return CheckReport((), (Problem(0, "<none>", 0, 0, "no knowledge files to check"),))
    loaded, problems = check_paths(files)
    found = list(problems)  # a pack without a header is a load error now (see knowledge.pack_files)
    if loaded is not None:
        found += _lints(loaded)
    return CheckReport(tuple(str(f) for f in files), tuple(sorted(set(found))))


def _lints(base: KnowledgeBase) -> list[Problem]:
    """Author-facing warnings about a base that loads."""
    found: list[Problem] = []
    for rule in base.rules:
        if rule.refer is not None and rule.refer.urgency == "urgent" and rule.refer.massage_meanwhile:
            file, _, line = rule.origin.rpartition(":")
            found.append(
                Problem(
                    1,
                    file,
                    int(line),
                    0,
                    "an urgent referral with massage meanwhile; urgent means see a physician before any massage",
                    rule.id,
                )
            )
    return found
