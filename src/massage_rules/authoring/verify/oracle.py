"""verify's own safety check of an answer, and what verify keeps of each answer the engine gives.

The check reads the restrictions straight from the rules that :func:`fire`
says fire for the profile, not from the engine's screen, so an engine that
drops, mis-scopes or ignores a restriction is caught even when its own last
check (:mod:`massage_rules.engine.guard`) is broken too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import Plan, RankedTechnique, Recommendation
from massage_rules.rules.facts import Facts
from massage_rules.rules.firing import fire

__all__ = ["Answer", "Unsafe", "blockers", "unsafe_items", "unsafe_offers"]


@dataclass(frozen=True, slots=True)
class Unsafe:
    """One way an answer breaks a fired rule: the rule, the technique offered against it, and what is wrong."""

    rule: str
    technique: str
    what: str


def unsafe_offers(result: Recommendation, facts: Facts, kb: KnowledgeBase) -> list[tuple[str, str]]:
    """Every way ``result`` breaks the rules that fire for ``facts``: (rule id, what was offered against it)."""
    return [(item.rule, item.what) for item in unsafe_items(result, facts, kb)]


def unsafe_items(
    result: Recommendation, facts: Facts, kb: KnowledgeBase, fired: tuple[CompiledRule, ...] | None = None
) -> list[Unsafe]:
    """Every way ``result`` breaks the rules that fire for ``facts`` (``fired``, when already known), each naming the
    technique at fault."""
    if fired is None:
        fired = fire(facts, kb).rules
    problems: list[Unsafe] = []
    offered = result.techniques
    if not offered:
        return problems
    for rule in fired:
        stops, refers = rule.no_massage is not None, rule.refer is not None and not rule.refer.massage_meanwhile
        if not (stops or refers):
            continue
        for tech in offered:
            if stops:
                problems.append(Unsafe(rule.id, tech.id, f"stops massage, yet {tech.id} is offered"))
            if refers:
                problems.append(Unsafe(rule.id, tech.id, f"refers with no massage meanwhile, yet {tech.id} is offered"))
    restricting = [r for r in fired if r.allow_only is not None or r.forbid is not None or r.cap is not None]
    every = frozenset(kb.areas)
    for tech in offered:
        technique = kb.techniques[tech.id]
        on = frozenset(tech.areas)
        # a whole-body session touches every area but those it says to skip
        treated = on | (every - frozenset(tech.skip_areas) if on & kb.whole_body_areas else frozenset())
        if technique.areas is not None and not on <= frozenset(technique.areas):
            outside = sorted(on - set(technique.areas))
            problems.append(Unsafe(tech.id, tech.id, f"{tech.id} is offered on {outside}, outside its areas"))
        for rule in restricting:
            if rule.allow_only is not None and tech.id not in rule.allow_only:
                what = f"allows only {sorted(rule.allow_only)}, yet {tech.id} is offered"
                problems.append(Unsafe(rule.id, tech.id, what))
            if rule.forbid is not None and (rule.forbid_set is None or tech.id in rule.forbid_set):
                scope = _scope(rule, rule.forbid.where, rule.forbid.distal, facts, kb, rule.forbid.spread)
                if scope is None or not scope.isdisjoint(treated):
                    where = "" if scope is None else f" on {sorted(scope & treated)}"
                    what = f"holds and forbids {tech.id}{where}, yet it is offered there"
                    problems.append(Unsafe(rule.id, tech.id, what))
            if rule.cap is not None:
                scope = _scope(rule, rule.cap.where, rule.cap.distal, facts, kb, rule.cap.spread)
                if (scope is None or not scope.isdisjoint(treated)) and tech.pressure_max > rule.cap.max:
                    what = f"caps pressure at {rule.cap.max}, yet {tech.id} is offered up to {tech.pressure_max}"
                    problems.append(Unsafe(rule.id, tech.id, what))
    return problems


def _scope(
    rule: CompiledRule, on: str, distal: bool, facts: Facts, kb: KnowledgeBase, spread: str | None
) -> frozenset[str] | None:
    """The areas a restriction covers (None: everywhere); a finding given without an area covers every problem area.

    ``spread`` widens it to every area sharing an area group of that kind with one of its areas.
    """
    if on == "everywhere":
        return None
    if on == "problem_areas":
        found = set(facts.areas)
    else:
        found = set()
        findings = (rule.health_all or frozenset()) | ((rule.health_any or frozenset()) & facts.health)
        for finding in findings:
            found |= facts.health_areas.get(finding) or facts.areas
    if distal:
        for area in list(found):
            found |= kb.distal.get(area, frozenset())
    if spread is not None:
        companions = kb.area_groups.get(spread, {})
        for area in list(found):
            found |= companions.get(area, frozenset())
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Answer:
    """What verify keeps of one engine answer: enough to judge it, and every profile it stands for.

    ``offered`` gives each offered technique's reasons as (rule bit, points), so
    that the offer of a profile whose fired rules are a subset differing only in
    rules that add points can be read from it (see ``walk``).
    """

    answered: bool  # a referral or "no massage now": never a gap
    offered: Mapping[str, tuple[tuple[int, float], ...]]
    sessions: tuple[int, int] | None
    steps: frozenset[str]
    unsafe: tuple[Unsafe, ...]
    refused: tuple[str, ...] = ()  # the rules the engine's own last check named when it refused its answer
    ranked: tuple[RankedTechnique, ...] = ()  # the offer itself: where each technique goes (the plan counts regions)
    plan: Plan | None = None  # the plan itself: its basis, band and steps (the course invariants read them)

    @classmethod
    def of(cls, result: Recommendation, unsafe: list[Unsafe], bit: Mapping[str, int]) -> Answer:
        """The summary of ``result``, with verify's own safety findings on it."""
        plan = result.plan
        return cls(
            answered=result.referral is not None or result.no_massage is not None,
            offered={t.id: tuple((bit.get(r.rule, 0), r.points) for r in t.reasons) for t in result.techniques},
            sessions=(plan.sessions_min, plan.sessions_max) if plan is not None else None,
            steps=frozenset(s.rule for s in plan.derivation) if plan is not None else frozenset(),
            unsafe=tuple(unsafe),
            ranked=result.techniques,
            plan=plan,
        )

    def offer_for(self, fired: int) -> frozenset[str]:
        """The techniques offered when only the rules in ``fired`` give points (a subset of this answer's)."""
        return frozenset(
            tech for tech, reasons in self.offered.items() if math.fsum(p for b, p in reasons if b & fired) > 0
        )


def blockers(result: Recommendation) -> Mapping[str, list[str]]:
    """For each technique the answer rules out, the rules that rule it out (every technique, when care stops)."""
    stop = result.no_massage.rule if result.no_massage else None
    if stop is None and result.referral is not None and not result.referral.massage_meanwhile:
        stop = result.referral.rule
    if stop is not None:
        return _Everything(stop)
    out: dict[str, list[str]] = {}
    for avoided in result.avoided:
        out.setdefault(avoided.technique, []).append(avoided.rule)
    return out


class _Everything(dict[str, list[str]]):
    """Every technique blocked by one answer-wide rule (a referral or 'no massage')."""

    def __init__(self, rule: str) -> None:
        super().__init__()
        self.rule = rule

    def get(self, key: str, default: object = None) -> list[str]:
        return [self.rule]
