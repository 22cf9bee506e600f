"""Screening questions: what the therapist must ask before treating, raised by the profile's own pattern.

A fired rule with ``ask`` puts a question. It is left out when the client has
already answered it: "no" (the rule id is in the profile's ``cleared``) or
"yes" (one of the findings it stands for is in the profile, and the screening
rules decide). The offered techniques it holds wait for the answer: each names
the questions it waits for, and every output shows the questions first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import RankedTechnique, ScreeningQuestion
from massage_rules.rules.facts import Facts

__all__ = ["ask_first", "open_questions", "question_rules"]


def question_rules(knowledge: KnowledgeBase) -> list[CompiledRule]:
    """Every rule that asks a question, the complaints' confirming questions last: the ids ``cleared`` takes."""
    asking = [rule for rule in knowledge.rules if rule.ask is not None]
    return asking + [rule.confirm for rule in knowledge.rules if rule.confirm is not None]


def open_questions(fired: Iterable[CompiledRule], facts: Facts) -> list[CompiledRule]:
    """The fired rules that ask a question the profile has not answered yet, in rule-id order."""
    cleared = set(facts.profile.cleared)
    return [
        rule
        for rule in fired
        if rule.ask is not None and rule.id not in cleared and facts.health.isdisjoint(rule.ask.findings)
    ]


def ask_first(
    asking: Sequence[CompiledRule], facts: Facts, knowledge: KnowledgeBase, ranked: Sequence[RankedTechnique]
) -> tuple[tuple[ScreeningQuestion, ...], tuple[RankedTechnique, ...]]:
    """The questions, and the offered techniques with the questions each waits for."""
    waits: dict[str, list[str]] = {technique.id: [] for technique in ranked}
    questions: list[ScreeningQuestion] = []
    for rule in asking:
        ask = rule.ask
        assert ask is not None
        scope = _scope(rule, ask.where, facts)
        held: list[str] = []
        for technique in ranked:
            named = ask.hold == "all" or technique.id in ask.hold
            if named and _touches(scope, technique, knowledge):
                held.append(technique.id)
                waits[technique.id].append(rule.id)
        questions.append(
            ScreeningQuestion(
                rule=rule.id,
                question=ask.question,
                why=rule.text,
                findings=tuple(ask.findings),
                holds=tuple(held),
                sources=rule.sources,
                diagnosis=rule.id.removesuffix(".confirm") if rule.kind == "confirm" else None,
            )
        )
    offered = tuple(
        technique.model_copy(update={"after_screening": tuple(waits[technique.id])})
        if waits[technique.id]
        else technique
        for technique in ranked
    )
    return tuple(questions), offered


def _scope(rule: CompiledRule, where: str, facts: Facts) -> frozenset[str] | None:
    """The areas a question holds techniques on; None for everywhere."""
    if where == "everywhere":
        return None
    if where == "problem_areas":
        return facts.areas
    named = (rule.health_all or frozenset()) | ((rule.health_any or frozenset()) & facts.health)
    areas: set[str] = set()
    for finding in named:
        areas |= facts.health_areas.get(finding) or facts.areas
    return frozenset(areas)


def _touches(scope: frozenset[str] | None, technique: RankedTechnique, knowledge: KnowledgeBase) -> bool:
    if scope is None:
        return True
    areas = set(technique.areas)
    if not areas.isdisjoint(knowledge.whole_body_areas):  # a whole-body session passes over every area
        return not scope <= set(technique.skip_areas)
    return not scope.isdisjoint(areas)
