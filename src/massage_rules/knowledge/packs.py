"""Clinic rule packs: apply the ``overrides:`` of every file to the merged, compiled rules.

A pack adds techniques, complaints, findings and rules like any knowledge file
(a clash of ids is an error, see ``_knowledge``). To change a rule that another
file defines it must say so, by id, with a reason: switch it off or re-weight its
scores. Some rules are **locked** (:func:`locked_because`): no override may touch
them. Switching off any other safety rule needs ``disable_safety_rule: true`` and
a reason of real length (:func:`reason_problem`); every result for a client the
rule would have applied to then says so first, and every result carries the
override in its :class:`~massage_rules.KnowledgeStamp`. Plan settings a pack
replaces are overrides too (:mod:`massage_rules.knowledge.pack_files`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from massage_rules.errors import close_match
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.yaml_files import locate
from massage_rules.models import OverrideStamp
from massage_rules.models.result import SafetyEffect

if TYPE_CHECKING:
    from massage_rules.knowledge.rule import CompiledRule

__all__ = [
    "MIN_REASON_CHARACTERS",
    "MIN_REASON_WORDS",
    "apply_overrides",
    "locked_because",
    "reason_problem",
    "reason_where",
    "safety_effects",
]

MIN_REASON_CHARACTERS = 20
MIN_REASON_WORDS = 4
_WORD = re.compile(r"[^\W\d_]{2,}")  # a run of two or more letters, in any script


class _Item(Protocol):
    @property
    def value(self) -> Any: ...

    @property
    def file(self) -> str: ...

    @property
    def data(self) -> Any: ...

    @property
    def loc(self) -> tuple[str | int, ...]: ...

    def where(self) -> tuple[str, int, int]: ...


class _Reporter(Protocol):
    def error(
        self, where: tuple[str, int, int], message: str, rule: str | None = None, suggestion: str | None = None
    ) -> None: ...

    def warn(self, where: tuple[str, int, int], message: str, rule: str | None = None) -> None: ...


def locked_because(rule: CompiledRule) -> str | None:
    """Why no pack may switch off or change ``rule``, or None when it is not locked.

    Locked: every referral (red-flag screening, urgent or routine), every
    screening question asked before treating (red-flag screening too), every stop
    of massage, and every rule that rules out all techniques everywhere. These are
    the answers that keep a client away from the table; a clinic that disagrees
    changes the core knowledge, in review, not a pack.
    """
    if rule.refer is not None:
        return f"it refers to a physician ({rule.refer.urgency}): red-flag screening"
    if rule.ask is not None:
        return "it asks a screening question before treating: red-flag screening"
    if rule.no_massage is not None:
        return "it stops massage"
    if rule.forbid is not None and rule.forbid.techniques == "all" and rule.forbid.where == "everywhere":
        return "it rules out every technique everywhere"
    return None


def safety_effects(rule: CompiledRule) -> tuple[SafetyEffect, ...]:
    """What a safety rule does, as the words a stamp carries (empty for a rule that only scores or notes)."""
    found: list[SafetyEffect] = []
    if rule.refer is not None:
        found.append("refer_urgent" if rule.refer.urgency == "urgent" else "refer_routine")
    if rule.no_massage is not None:
        found.append("no_massage")
    if rule.forbid is not None:
        found.append("forbid")
    if rule.cap is not None:
        found.append("cap_pressure")
    if rule.allow_only is not None:
        found.append("allow_only")
    return tuple(found)


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` is too thin to switch off a safety rule or replace a plan setting, or None when it will do.

    At least :data:`MIN_REASON_CHARACTERS` characters and :data:`MIN_REASON_WORDS`
    words of two or more letters: enough to say what the clinic does instead.
    """
    text = " ".join(reason.split())
    words = len(_WORD.findall(text))
    if len(text) >= MIN_REASON_CHARACTERS and words >= MIN_REASON_WORDS:
        return None
    return (
        f"needs a reason of at least {MIN_REASON_CHARACTERS} characters and {MIN_REASON_WORDS} words that says "
        f"what the clinic does instead; '{text[:40]}' has {len(text)} characters and {words} word(s)"
    )


def reason_where(item: _Item) -> tuple[str, int, int]:
    """The place of an override's ``reason``."""
    return (item.file, *locate(item.data, (*item.loc, "reason")))


def apply_overrides(
    compiled: list[CompiledRule],
    items: Iterable[_Item],
    checker: _Reporter,
    techniques: Mapping[str, Any],
    pack_of: Mapping[str, str | None],
) -> tuple[list[CompiledRule], tuple[OverrideStamp, ...], tuple[CompiledRule, ...]]:
    """Return the rules with every rule override applied, a stamp per override, and the safety rules switched off.

    Problems (an unknown rule or technique, two overrides of one rule, a locked
    rule touched, a safety rule switched off without saying so or without a real
    reason) go to ``checker``; the rules are then unchanged. Each safety rule
    switched off is also a warning, so that ``check`` lists it. Plan overrides
    (``plan:`` instead of ``rule:``) are left to ``pack_files``.
    """
    by_id = {rule.id: rule for rule in compiled}
    seen: dict[str, _Item] = {}
    stamps: list[OverrideStamp] = []
    disabled: set[str] = set()
    changed: dict[str, CompiledRule] = {}
    for item in items:
        override: s.Override = item.value
        ident = override.rule
        if ident is None:
            continue
        rule = by_id.get(ident)
        if rule is None:
            checker.error(
                item.where(), f"overrides a rule '{ident}' that is not defined", ident, close_match(ident, by_id)
            )
            continue
        if ident in seen:
            first = seen[ident].where()
            checker.error(item.where(), f"a second override of rule '{ident}' (first at {first[0]}:{first[1]})", ident)
            continue
        seen[ident] = item
        locked = locked_because(rule)
        if locked is not None:
            action = "switch it off" if override.disable else "re-weight it"
            checker.error(
                item.where(),
                f"rule '{ident}' is locked ({locked}, defined at {rule.origin}); no pack may {action}",
                ident,
            )
            continue
        pack = pack_of.get(item.file)
        if override.disable:
            if rule.is_safety and not override.disable_safety_rule:
                checker.error(
                    item.where(),
                    f"rule '{ident}' is a safety rule (it {_restricts(rule)}); switching it off needs "
                    "'disable_safety_rule: true', and every result will show it",
                    ident,
                )
                continue
            if override.disable_safety_rule and not rule.is_safety:
                checker.warn(item.where(), f"rule '{ident}' is not a safety rule; drop 'disable_safety_rule'", ident)
            if rule.is_safety:
                thin = reason_problem(override.reason)
                if thin is not None:
                    checker.error(reason_where(item), f"switching off safety rule '{ident}' {thin}", ident)
                    continue
                checker.warn(
                    item.where(),
                    f"switches off safety rule '{ident}' (it {_restricts(rule)}); every answer for a client it "
                    "would apply to says so first",
                    ident,
                )
            disabled.add(ident)
            stamps.append(
                OverrideStamp(
                    rule=ident,
                    action="disable",
                    reason=override.reason,
                    pack=pack,
                    safety=rule.is_safety,
                    effects=safety_effects(rule),
                )
            )
            continue
        assert override.score is not None
        unknown = [tech for tech in override.score if tech not in techniques]
        for tech in unknown:
            checker.error(item.where(), f"technique '{tech}' is not defined", ident, close_match(tech, techniques))
        if unknown:
            continue
        points = dict(rule.score)
        for tech, new in override.score.items():
            if new == 0:
                points.pop(tech, None)
            else:
                points[tech] = new
        changed[ident] = dataclasses.replace(rule, score=tuple(sorted(points.items())))
        stamps.append(OverrideStamp(rule=ident, action="reweight", reason=override.reason, pack=pack))
    rules = [changed.get(rule.id, rule) for rule in compiled if rule.id not in disabled]
    off = tuple(rule for rule in compiled if rule.id in disabled and rule.is_safety)
    return rules, tuple(sorted(stamps, key=lambda x: x.rule)), off


def _restricts(rule: CompiledRule) -> str:
    parts = [
        word
        for word, effect in (
            ("forbids techniques", rule.forbid),
            ("caps pressure", rule.cap),
            ("allows only some techniques", rule.allow_only),
            ("refers to a physician", rule.refer),
            ("stops massage", rule.no_massage),
            ("asks a screening question first", rule.ask),
        )
        if effect is not None
    ]
    return " and ".join(parts)
