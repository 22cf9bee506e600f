"""Clinic rule packs: apply the ``overrides:`` of every file to the merged, compiled rules.

A pack adds techniques, complaints, findings and rules like any knowledge file
(a clash of ids is an error, see ``_knowledge``). To change a rule that another
file defines it must say so, by id, with a reason: switch it off or re-weight its
scores. Switching off a safety rule also needs ``disable_safety_rule: true``, and
every result then carries the override in its :class:`~massage_rules.KnowledgeStamp`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from massage_rules.errors import close_match
from massage_rules.knowledge import schema as s
from massage_rules.models import OverrideStamp

if TYPE_CHECKING:
    from massage_rules.knowledge.rule import CompiledRule

__all__ = ["apply_overrides"]


class _Item(Protocol):
    @property
    def value(self) -> Any: ...

    @property
    def file(self) -> str: ...

    def where(self) -> tuple[str, int, int]: ...


class _Reporter(Protocol):
    def error(
        self, where: tuple[str, int, int], message: str, rule: str | None = None, suggestion: str | None = None
    ) -> None: ...

    def warn(self, where: tuple[str, int, int], message: str, rule: str | None = None) -> None: ...


def apply_overrides(
    compiled: list[CompiledRule],
    items: Iterable[_Item],
    checker: _Reporter,
    techniques: Mapping[str, Any],
    pack_of: Mapping[str, str | None],
) -> tuple[list[CompiledRule], tuple[OverrideStamp, ...], tuple[CompiledRule, ...]]:
    """Return the rules with every override applied, a stamp per override, and the safety rules switched off.

    Problems (an unknown rule or technique, two overrides of one rule, a safety rule
    switched off without saying so) go to ``checker``; the rules are then unchanged.
    """
    by_id = {rule.id: rule for rule in compiled}
    seen: dict[str, _Item] = {}
    stamps: list[OverrideStamp] = []
    disabled: set[str] = set()
    changed: dict[str, CompiledRule] = {}
    for item in items:
        override: s.Override = item.value
        ident = override.rule
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
            disabled.add(ident)
            stamps.append(
                OverrideStamp(rule=ident, action="disable", reason=override.reason, pack=pack, safety=rule.is_safety)
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
        )
        if effect is not None
    ]
    return " and ".join(parts)
