"""The ``ranking`` section: how equally scored techniques are ordered, merged and checked.

A later file's ``evidence_order`` replaces an earlier one's; ``lighter_first``
entries merge. Without any ``ranking`` section, equal scores share a rank once the
complaint's preference has been weighed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from massage_rules.knowledge import schema as s
from massage_rules.knowledge.checker import Checker, Located, origin
from massage_rules.knowledge.rule import CompiledRule, when_fields

__all__ = ["RankingModel", "compile_ranking"]


@dataclass(frozen=True, slots=True)
class RankingModel:
    """Evidence levels best first, and the conditions (as rules) under which the lighter technique comes first."""

    evidence_order: tuple[str, ...] = ()
    lighter_first: tuple[CompiledRule, ...] = ()


def compile_ranking(
    files: Sequence[tuple[str, s.KnowledgeFile, Any]],
    checker: Checker,
    cite: Callable[..., None],
    check_when: Callable[..., None],
) -> RankingModel:
    """Merge and check every file's ``ranking`` section."""
    order: tuple[str, ...] = ()
    lighter: list[CompiledRule] = []
    seen: set[str] = set()
    for name, model, data in files:
        ranking = model.ranking
        if ranking is None:
            continue
        item = Located(ranking, name, data, ("ranking",))
        levels = list(ranking.evidence_order)
        missing = [level for level in get_args(s.Evidence) if level not in levels]
        if missing or len(set(levels)) != len(levels):
            checker.error(
                item.where(),
                f"evidence_order must list every evidence level once; missing {', '.join(missing) or 'none'}",
            )
        order = tuple(levels)
        for i, entry in enumerate(ranking.lighter_first):
            at = Located(entry, name, data, ("ranking", "lighter_first", i))
            if entry.id in seen:
                checker.error(at.where(), f"lighter_first id '{entry.id}' is already defined", entry.id)
                continue
            seen.add(entry.id)
            cite(at, entry.id, entry.sources)
            check_when(at, entry.id, entry.when, "when")
            lighter.append(
                CompiledRule(
                    id=entry.id,
                    text=entry.text,
                    sources=tuple(entry.sources),
                    origin=origin(at),
                    kind="ranking",
                    effect_label="score",
                    label=entry.id,
                    **when_fields(entry.when),
                )
            )
    return RankingModel(order, tuple(lighter))
