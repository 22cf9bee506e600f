"""The parts of the knowledge that read the profile's own pattern: area groups, implied findings, questions.

Area groups gather areas that belong together for one purpose (``kind``): the
body regions a session plan counts, or the lymph quadrant that drains to one
set of nodes. A finding's ``implied_by`` says which profiles carry it without
it being ticked (surgery in the first weeks is a recent operation on the
problem areas). A rule's ``ask`` is a question to put before treating.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from massage_rules.knowledge import schema as s
from massage_rules.knowledge.checker import Checker, Located, each, origin
from massage_rules.knowledge.rule import CompiledRule, when_fields

__all__ = ["check_asks", "check_spreads", "compile_area_groups", "compile_implications"]

AreaGroups = Mapping[str, Mapping[str, frozenset[str]]]  # kind -> area -> the areas sharing a group with it


def compile_area_groups(
    files: Sequence[tuple[str, s.KnowledgeFile, Any]], checker: Checker, areas: Mapping[str, Located]
) -> AreaGroups:
    """For each kind of group, each area's companions (itself included) across every group of that kind."""
    found: dict[str, dict[str, set[str]]] = {}
    seen: dict[str, Located] = {}
    for item in each(files, "vocabulary.area_groups"):
        group: s.AreaGroup = item.value
        if group.id in seen:
            checker.error(item.where(), f"area group id '{group.id}' is already defined", group.id)
            continue
        seen[group.id] = item
        for i, area in enumerate(group.areas):
            checker.ref(item, group.id, "area", area, areas, "areas", i)
        members = set(group.areas)
        companions = found.setdefault(group.kind, {})
        for area in members:
            companions.setdefault(area, {area}).update(members)
    return MappingProxyType(
        {
            kind: MappingProxyType({area: frozenset(others) for area, others in sorted(table.items())})
            for kind, table in sorted(found.items())
        }
    )


def check_spreads(rules: Mapping[str, Located], groups: AreaGroups, checker: Checker) -> None:
    """Every ``spread`` names a kind of area group the vocabulary defines."""
    for ident, item in rules.items():
        rule: s.Rule = item.value
        for scoped in (rule.forbid, rule.cap_pressure):
            if scoped is not None and scoped.spread is not None and scoped.spread not in groups:
                kinds = ", ".join(sorted(groups)) or "none"
                checker.error(
                    item.where(), f"spread '{scoped.spread}' names no kind of area group (defined: {kinds})", ident
                )


def compile_implications(
    findings: Mapping[str, Located], checker: Checker, check_when: Callable[..., None]
) -> tuple[tuple[str, CompiledRule], ...]:
    """Each finding a profile pattern implies, with that pattern as a rule; the pattern may not test findings."""
    out: list[tuple[str, CompiledRule]] = []
    for ident, item in findings.items():
        finding: s.Finding = item.value
        when = finding.implied_by
        if when is None:
            continue
        check_when(item, ident, when, "implied_by")
        if when.health_all or when.health_any or when.conditions:
            checker.error(
                item.where(), "'implied_by' may test only the profile (no findings or complaints): it runs first", ident
            )
            continue
        rule = CompiledRule(
            id=f"{ident}.implied",
            text=f"{finding.name}, implied by the profile",
            sources=(),
            origin=origin(item),
            kind="implication",
            effect_label="score",
            label=ident,
            **when_fields(when),
        )
        out.append((ident, rule))
    return tuple(out)


def check_asks(
    rules: Mapping[str, Located],
    checker: Checker,
    findings: Mapping[str, Located],
    techniques: Mapping[str, Located],
) -> None:
    """A question's findings and held techniques exist; holding on finding areas needs a finding to place them."""
    for ident, item in rules.items():
        rule: s.Rule = item.value
        ask = rule.ask
        if ask is None:
            continue
        for i, finding in enumerate(ask.findings):
            checker.ref(item, ident, "finding", finding, findings, "ask", "findings", i)
        if ask.hold != "all":
            for i, tech in enumerate(ask.hold):
                checker.ref(item, ident, "technique", tech, techniques, "ask", "hold", i)
        if ask.where == "finding_areas" and not (rule.when.health_all or rule.when.health_any):
            checker.error(item.where(), "'ask.where: finding_areas' needs a health condition in 'when'", ident)
