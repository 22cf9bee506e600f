"""A rule ready to evaluate: its conditions as sets and ranges, its effects, and its answer parts."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from massage_rules.knowledge import schema as s
from massage_rules.models import NoMassageNow, Note, Reason, Referral
from massage_rules.models.result import ReasonEffect

__all__ = ["CONDITION_FIELDS", "CompiledRule", "when_fields", "with_answer_parts"]

# The fields of a CompiledRule that test the profile (a rule with none of them set holds for every profile).
CONDITION_FIELDS = (
    "areas",
    "causes",
    "phases",
    "goals",
    "conditions",
    "severity",
    "days",
    "area_count",
    "health_all",
    "health_any",
    "causes_not",
    "age",
)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to evaluate: its conditions as sets and ranges, its effects, its origin."""

    id: str
    text: str
    sources: tuple[str, ...]
    origin: str
    kind: str  # "rule", "condition", "technique"
    effect_label: ReasonEffect  # the Reason.effect its score reasons carry
    label: str  # a few words for a reason line: a goal's or a complaint's name, or the rule id
    areas: frozenset[str] | None = None
    causes: frozenset[str] | None = None
    phases: frozenset[str] | None = None
    goals: frozenset[str] | None = None
    conditions: frozenset[str] | None = None
    severity: tuple[int, int] | None = None
    days: tuple[int, int] | None = None
    area_count: tuple[int, int] | None = None
    health_all: frozenset[str] | None = None
    health_any: frozenset[str] | None = None
    causes_not: frozenset[str] | None = None
    age: tuple[int, int] | None = None
    diagnosis: str | None = None  # condition rules: a named diagnosis also fires them
    has_match: bool = True  # condition rules without a ``match`` fire only on diagnosis
    score: tuple[tuple[str, float], ...] = ()
    forbid: s.Forbid | None = None
    forbid_set: frozenset[str] | None = None  # None means every technique
    forbid_reason: str | None = None  # why its forbids are avoided, when not its text (a complaint's)
    cap: s.PressureCap | None = None
    allow_only: frozenset[str] | None = None
    refer: s.Refer | None = None
    no_massage: s.NoMassage | None = None
    note: str | None = None
    dose: s.Dose | None = None
    sessions: s.SessionsAdjust | None = None
    ask: s.Ask | None = None
    confirm: CompiledRule | None = None  # a complaint's confirming question, as a rule that asks
    specificity: int = 0
    # Answer parts built once at compile time (see _finish): immutable, shared by every answer.
    reasons: tuple[tuple[str, Reason], ...] = ()  # (technique, the reason this rule gives it)
    referral: Referral | None = None
    stop: NoMassageNow | None = None
    note_item: Note | None = None

    @property
    def is_safety(self) -> bool:
        """True when the rule restricts care: forbids, caps, restricts, refers, stops massage, or asks first."""
        effects = (self.forbid, self.cap, self.allow_only, self.refer, self.no_massage, self.ask)
        return any(e is not None for e in effects)


def with_answer_parts(rule: CompiledRule) -> CompiledRule:
    """``rule`` with its answer parts (reasons, referral, "no massage now", note) built once, for every answer."""
    reasons = tuple(
        (
            tech,
            Reason(
                rule=rule.id,
                effect=rule.effect_label,
                points=points,
                label=rule.label,
                text=rule.text,
                sources=rule.sources,
            ),
        )
        for tech, points in rule.score
    )
    referral = None
    if rule.refer is not None:
        referral = Referral(
            reason=rule.text,
            urgency=rule.refer.urgency,
            rule=rule.id,
            massage_meanwhile=rule.refer.massage_meanwhile,
            sources=rule.sources,
        )
    stop = None
    if rule.no_massage is not None:
        stop = NoMassageNow(reason=rule.text, rule=rule.id, come_back=rule.no_massage.come_back, sources=rule.sources)
    note_item = Note(rule=rule.id, text=rule.note, sources=rule.sources) if rule.note else None
    return dataclasses.replace(rule, reasons=reasons, referral=referral, stop=stop, note_item=note_item)


def when_fields(when: s.When | None) -> dict[str, Any]:
    """The conditions of a ``when`` (or a complaint's ``match``) as :class:`CompiledRule` fields."""
    if when is None:
        return {"has_match": False}
    fields: dict[str, Any] = {}
    for key in ("areas", "causes", "phases", "goals", "conditions", "health_all", "health_any", "causes_not"):
        value = getattr(when, key)
        if value is not None:
            fields[key] = frozenset(value)
    for key, name in (
        ("severity", "severity"),
        ("days_since_onset", "days"),
        ("area_count", "area_count"),
        ("age", "age"),
    ):
        rng: s.Range | None = getattr(when, key)
        if rng is not None:
            fields[name] = (rng.min if rng.min is not None else -(10**9), rng.max if rng.max is not None else 10**9)
    fields["specificity"] = sum(1 for key in s.When.model_fields if getattr(when, key) is not None)
    return fields
