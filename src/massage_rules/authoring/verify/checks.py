"""The findings about rules as such, from every fired set the walk met: dead, contradicted, shadowed."""

from __future__ import annotations

from massage_rules.authoring.verify.report import Notebook
from massage_rules.authoring.verify.walk import Walk
from massage_rules.knowledge.load import CompiledRule
from massage_rules.rules.index import bits

__all__ = ["rule_findings"]


def rule_findings(walk: Walk) -> None:
    """Dead rules, contradictions and always-shadowed scores; safety rules a pack switched off.

    Two rules fire in the same profiles exactly when they are in the same walked
    fired sets, once the smaller goal sets the walk set aside have been asked
    for the rules that may tell them apart (``Walk.tell_apart``).
    """
    notes = walk.notes
    rules = walk.kb.rules
    column = [0] * len(rules)  # column[i]: which fired sets hold rule i
    ever = 0
    for k, mask in enumerate(walk.fired_sets):
        ever |= mask
        for i in bits(mask):
            column[i] |= 1 << k
    for i, rule in enumerate(rules):
        if not ever >> i & 1 and rule.age is None:  # the walk gives no age (rules on age: tests/knowledge)
            notes.note("dead_rule", rule.id, f"rule '{rule.id}' fires for no profile in the walk", (rule.id,))
    contradicted = _contradictions(walk, rules, column, ever)
    for (rule_id, tech), blocking in sorted(walk.scored_seen.items()):
        if (rule_id, tech) in walk.scored_offered or (rule_id, tech) in contradicted:
            continue
        by = ", ".join(f"'{b}'" for b, _ in blocking.most_common(3))
        notes.note(
            "shadowed",
            f"{rule_id}|{tech}",
            f"rule '{rule_id}' scores {tech}, but {tech} is never offered where the rule fires (ruled out by {by})",
            (rule_id,),
        )
    _switched_off(notes)


def _contradictions(walk: Walk, rules: tuple[CompiledRule, ...], column: list[int], ever: int) -> set[tuple[str, str]]:
    """A rule that favours a technique and one that forbids it (not only on a finding's areas), firing together."""
    contradicted: set[tuple[str, str]] = set()
    for i, favour in enumerate(rules):
        for tech, points in favour.score:
            if points <= 0 or not ever >> i & 1:
                continue
            for j, forbid in enumerate(rules):
                if forbid.forbid is None or forbid.forbid.where == "finding_areas":
                    continue
                if forbid.forbid_set is not None and tech not in forbid.forbid_set:
                    continue
                if column[i] != column[j]:
                    continue
                both = (1 << i) | (1 << j)
                if both & walk.goal_free != both and walk.tell_apart(1 << i, 1 << j):
                    continue
                contradicted.add((favour.id, tech))
                if i == j:
                    message = f"rule '{favour.id}' both favours and forbids {tech}; the favour never counts"
                else:
                    message = (
                        f"rule '{favour.id}' favours {tech} and rule '{forbid.id}' forbids it in exactly the "
                        "same profiles; the forbid always wins, so the favour never counts"
                    )
                walk.notes.note(
                    "contradiction",
                    f"{favour.id}|{forbid.id}|{tech}",
                    message,
                    (favour.id,) if i == j else (favour.id, forbid.id),
                )
    return contradicted


def _switched_off(notes: Notebook) -> None:
    for override in notes.kb.overrides:
        if override.safety:
            notes.add(
                "switched_off",
                override.rule,
                f"safety rule '{override.rule}' is switched off by pack '{override.pack}': {override.reason}",
                (override.rule,),
            )
