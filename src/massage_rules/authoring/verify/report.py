"""The report verify gives: its findings, kept a few examples per kind, and the findings about rules as such."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict

from massage_rules.knowledge.load import KnowledgeBase

__all__ = ["WARNING_KINDS", "Notebook", "VerifyFinding", "VerifyReport"]

WARNING_KINDS = frozenset({"shadowed", "switched_off"})
_KIND_ORDER = {
    "unsafe": 0,
    "gap": 1,
    "non_monotone": 2,
    "course_at_rest": 3,
    "outside_trial_margin": 3,
    "ranked_by_id": 3,
    "question_not_asked": 3,
    "contradiction": 4,
    "dead_rule": 5,
    "switched_off": 6,
    "shadowed": 7,
}


class VerifyFinding(BaseModel):
    """One defect verify found: its kind, the rule(s) involved, what is wrong, and a profile that shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # errors: unsafe, gap, non_monotone, course_at_rest, outside_trial_margin, ranked_by_id,
    # question_not_asked, contradiction, dead_rule; warnings: switched_off, shadowed
    message: str
    rules: tuple[str, ...] = ()
    origin: str | None = None
    profile: dict[str, Any] | None = None
    other_profile: dict[str, Any] | None = None
    count: int = 1  # how many walked profiles show it


class VerifyReport(BaseModel):
    """What verify walked, how long it took, and every defect it found (errors fail, warnings do not)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    knowledge_version: str
    content_hash: str
    ok: bool
    errors: tuple[VerifyFinding, ...]
    warnings: tuple[VerifyFinding, ...]
    profiles_walked: int  # profiles whose fired rules verify computed (with fire())
    profiles_represented: int  # profiles of the whole space those stand for
    engine_calls: int
    pairs_settled: int  # finding pairs judged from their two singles, without walking them
    parts: dict[str, int]
    classes: dict[str, list[str]]
    seconds: float
    situations: int = 0  # distinct (fired rules, what the answer reads) among the walked profiles


class Notebook:
    """The findings so far: at most ``max_examples`` examples per kind, the rest counted with the first."""

    def __init__(self, kb: KnowledgeBase, max_examples: int) -> None:
        self.kb = kb
        self.max_examples = max_examples
        self.found: dict[tuple[str, str], VerifyFinding] = {}
        self.per_kind: Counter[str] = Counter()

    def note(
        self, kind: str, key: str, message: str, rules: tuple[str, ...] = (), count: int = 1, **extra: Any
    ) -> None:
        """Record one finding, or count it with an example already kept."""
        known = self.found.get((kind, key))
        if known is None and self.per_kind[kind] >= self.max_examples:
            key = next(k for k in self.found if k[0] == kind)[1]  # counted with the first example
            known = self.found[(kind, key)]
        if known is not None:
            self.found[(kind, key)] = known.model_copy(update={"count": known.count + count})
            return
        self.per_kind[kind] += 1
        by_id = self.kb.rules_by_id
        origin = by_id[rules[0]].origin if rules and rules[0] in by_id else None
        self.found[(kind, key)] = VerifyFinding(
            kind=kind, message=message, rules=rules, origin=origin, count=count, **extra
        )

    def add(self, kind: str, key: str, message: str, rules: tuple[str, ...]) -> None:
        """Record a finding whatever the number of examples already kept (one per rule, like a switched-off one)."""
        self.found[(kind, key)] = VerifyFinding(kind=kind, message=message, rules=rules)

    def split(self) -> tuple[tuple[VerifyFinding, ...], tuple[VerifyFinding, ...]]:
        """The errors and the warnings, each worst kind first."""
        ordered = sorted(self.found.values(), key=_order)
        return (
            tuple(f for f in ordered if f.kind not in WARNING_KINDS),
            tuple(f for f in ordered if f.kind in WARNING_KINDS),
        )


def _order(finding: VerifyFinding) -> tuple[int, tuple[str, ...], str]:
    return (_KIND_ORDER.get(finding.kind, 9), finding.rules, finding.message)
