"""What the walk learns as it goes: the rules that fire for each walked profile, and the engine's answers.

Each walked profile is resolved and fired exactly as the engine does it
(:func:`resolve_profile`, and :func:`fire_bits`, the firing loop :func:`fire`
spells out): verify has no firing logic of its own.
The engine runs through the public :func:`recommend`; its own last check
raising :class:`UnsafeAnswerError` is an unsafe finding, and verify checks each
answer once more against the fired rules (``oracle``).
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from massage_rules.authoring.verify.invariants import Breach, course_breaches, rank_breaches, screening_breaches
from massage_rules.authoring.verify.oracle import Answer, blockers, unsafe_items
from massage_rules.authoring.verify.report import Notebook
from massage_rules.engine.plan import build_plan, severity_band
from massage_rules.engine.recommend import recommend
from massage_rules.engine.resolve import resolve_profile
from massage_rules.errors import UnsafeAnswerError
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import ClientProfile
from massage_rules.rules.facts import Facts
from massage_rules.rules.firing import fire, fire_bits, holds

__all__ = ["Deferred", "PlanReading", "Point", "Progress", "Walk", "gating", "plan_only", "structural"]

# What a plan reads of a profile beyond the fired rules: the severity band, whether every goal is one
# that no course and a short block need, and which plan modifiers hold.
PlanReading = tuple[str | None, tuple[bool, ...], tuple[bool, ...]]


class Progress(NamedTuple):
    """Where verify is: part ``part`` of ``parts`` (named), the share of it done, and profiles walked so far."""

    part: int
    parts: int
    name: str
    done: float
    profiles: int


def structural(rule: CompiledRule) -> bool:
    """True when the rule does more than add points: restricts, refers, stops, doses, or takes points away."""
    return (
        rule.is_safety
        or rule.dose is not None
        or rule.sessions is not None
        or any(points <= 0 for _, points in rule.score)
    )


def plan_only(rule: CompiledRule) -> bool:
    """True when the rule only sets or moves the number of sessions: no points, no restriction."""
    return not rule.is_safety and not rule.score and (rule.dose is not None or rule.sessions is not None)


def gating(rules: Sequence[CompiledRule]) -> frozenset[str]:
    """The structural rules, and every complaint whose match decides whether one of them fires."""
    found = {rule.id for rule in rules if structural(rule)}
    by_id = {rule.id: rule for rule in rules}
    todo = list(found)
    while todo:
        for complaint in by_id[todo.pop()].conditions or ():
            if complaint in by_id and complaint not in found:
                found.add(complaint)
                todo.append(complaint)
    return frozenset(found)


def _goal_bound(rules: Sequence[CompiledRule], fixed: frozenset[str]) -> frozenset[str]:
    """Rules outside ``fixed`` whose firing may depend on the goals: they test goals, or a complaint that does."""
    found = {rule.id for rule in rules if rule.id not in fixed and rule.goals is not None}
    grown = True
    while grown:
        grown = False
        for rule in rules:
            if rule.id not in fixed and rule.id not in found and not found.isdisjoint(rule.conditions or ()):
                found.add(rule.id)
                grown = True
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Point:
    """One walked profile, as the few values that make it up."""

    areas: frozenset[str]
    cause: str | None
    phase: str
    days: int | None
    severity: int
    goals: frozenset[str]
    health: tuple[str, ...] = ()
    diagnoses: frozenset[str] = frozenset()

    def with_goals(self, goals: frozenset[str]) -> Point:
        """The same profile with other goals."""
        return self.at(self.severity, goals)

    def at(self, severity: int, goals: frozenset[str]) -> Point:
        """The same profile at another severity, with other goals (built directly: once per walked profile)."""
        return Point(self.areas, self.cause, self.phase, self.days, severity, goals, self.health, self.diagnoses)

    def fields(self) -> dict[str, Any]:
        """The profile as the fields a user would write."""
        out: dict[str, Any] = {"areas": sorted(self.areas), "severity": self.severity, "phase": self.phase}
        if self.cause is not None:
            out["cause"] = self.cause
        if self.days is not None:
            out["days_since_onset"] = self.days
        out["goals"] = sorted(self.goals)
        if self.health:
            out["health"] = list(self.health)
        if self.diagnoses:
            out["conditions"] = sorted(self.diagnoses)
        return out

    def profile(self) -> ClientProfile:
        """The profile itself; its values come from the knowledge, so validation is skipped."""
        return ClientProfile.model_construct(
            areas=tuple(sorted(self.areas)),
            cause=self.cause,
            severity=self.severity,
            phase=self.phase,
            days_since_onset=self.days,
            goals=tuple(sorted(self.goals)),
            health=tuple(sorted(self.health)),
            conditions=tuple(sorted(self.diagnoses)),
        )


@dataclass(slots=True)
class Deferred:
    """A cell walked at its largest goal set only; its smaller goal sets, walked if a check needs them."""

    point: Point
    fired: int
    smaller: tuple[frozenset[str], ...]
    walked: tuple[int, ...] | None = None  # the rules fired for each smaller set, once walked


class Walk:
    """Everything verify learns while walking: fired sets, engine answers, scores seen offered or not."""

    def __init__(
        self, kb: KnowledgeBase, notes: Notebook, progress: Callable[[Progress], None] | None, parts: int
    ) -> None:
        self.kb = kb
        self.notes = notes
        self.report_progress = progress
        self.parts = parts
        self.bit = {rule.id: 1 << i for i, rule in enumerate(kb.rules)}
        fixed = gating(kb.rules)
        self.gating = fixed
        self.structural = self.mask(rule.id for rule in kb.rules if structural(rule))
        self.plan_only = self.mask(rule.id for rule in kb.rules if plan_only(rule))
        self.goal_free = ~self.mask(_goal_bound(kb.rules, fixed))  # rules that fire alike for every goal of a class
        self.scoped = self.mask(  # rules whose restriction reaches the findings' own areas
            rule.id
            for rule in kb.rules
            if (rule.forbid is not None and rule.forbid.where == "finding_areas")
            or (rule.cap is not None and rule.cap.where == "finding_areas")
        )
        model = kb.course_model
        self._goals_within = [  # the goals no course and a short block need every goal to be among
            frozenset(kind.goals) if kind is not None else None for kind in (model.no_course, model.short_block)
        ]
        self.fired_sets: set[int] = set()
        self.deferred: list[Deferred] = []
        self.scored_seen: dict[tuple[str, str], Counter[str]] = {}
        self.scored_offered: set[tuple[str, str]] = set()
        self.engine_calls = 0
        self.walked = 0
        self.represented = 0
        self.situations = 0
        self._shown = 0.0

    def mask(self, ids: Any) -> int:
        """The bits of the rules named in ``ids``."""
        out = 0
        for ident in ids:
            out |= self.bit[ident]
        return out

    def progress(self, part: int, name: str, done: float) -> None:
        """Tell the caller how far the walk is, at most ten times a second."""
        now = time.monotonic()
        if self.report_progress is not None and (now - self._shown >= 0.1 or done >= 1.0):
            self._shown = now
            self.report_progress(Progress(part, self.parts, name, min(done, 1.0), self.walked))

    def fired(self, point: Point) -> int:
        """The rules that fire for ``point`` (bit i: rule i of the knowledge); counted as walked."""
        return self.fire(point)[0]

    def fire(self, point: Point) -> tuple[int, PlanReading]:
        """The rules that fire for ``point``, and what its plan reads beyond them; counted as walked."""
        facts = resolve_profile(point.profile(), self.kb)
        firing = fire_bits(facts, self.kb)  # bit i: rule i of the knowledge, as ``self.bit`` numbers them
        self.fired_sets.add(firing.mask)
        self.walked += 1
        return firing.mask, self._plan_reading(facts, firing.complaints)

    def _plan_reading(self, facts: Facts, complaints: frozenset[str]) -> PlanReading:
        model = self.kb.course_model
        subsets = tuple(goals is not None and facts.goals <= goals for goals in self._goals_within)
        held = tuple(holds(modifier.rule, facts, complaints) for modifier in model.modifiers)
        return severity_band(facts.severity, self.kb), subsets, held

    def run(self, point: Point) -> Answer:
        """The engine's answer for ``point``, checked by verify's own oracle; a refusal is kept as such."""
        profile = point.profile()
        self.engine_calls += 1
        try:
            result = recommend(profile, self.kb)
        except UnsafeAnswerError as exc:
            return Answer(False, {}, None, frozenset(), (), refused=exc.rules or ("?",))
        facts = resolve_profile(profile, self.kb)
        firing = fire(facts, self.kb)
        fired = firing.rules
        answer = Answer.of(result, unsafe_items(result, facts, self.kb, fired), self.bit)
        self._note(
            point,
            [
                *course_breaches(result.plan, facts, self.kb),
                *rank_breaches(result, facts, firing, self.kb),
                *screening_breaches(result, facts, firing, self.kb),
            ],
        )
        self._see_scores(fired, answer, blockers(result))
        return answer

    def _see_scores(self, fired: tuple[CompiledRule, ...], answer: Answer, blocked: Mapping[str, list[str]]) -> None:
        """Note, for each score a fired rule gives, whether the answer offers its technique, and if not what blocks it.

        What blocks a score is read only for scores never offered (``checks``), so
        once a score is seen offered it is no longer counted.
        """
        offered, seen = self.scored_offered, self.scored_seen
        for rule in fired:
            for tech, points in rule.score:
                if points <= 0:
                    continue
                score = (rule.id, tech)
                if tech in answer.offered:
                    offered.add(score)
                elif score not in offered:
                    blocking = seen.get(score)
                    if blocking is None:
                        blocking = seen[score] = Counter()
                    blocking.update(blocked.get(tech, ["?"]))

    def replan(self, point: Point, answer: Answer, offer: frozenset[str] | None = None) -> Answer:
        """``answer`` with the plan that ``point`` gets for ``offer`` (by default ``answer``'s whole offer).

        For a profile that fires the same rules and is read alike but for what only
        the plan reads (the severity band, the goals, the regions, the plan
        modifiers): the offer is the same, the plan is the engine's own for it.
        """
        kept = [technique for technique in answer.ranked if offer is None or technique.id in offer]
        if answer.sessions is None or not kept:
            return answer
        facts = resolve_profile(point.profile(), self.kb)
        plan = build_plan(fire(facts, self.kb), facts, self.kb, kept)
        self._note(point, course_breaches(plan, facts, self.kb))
        steps = frozenset(step.rule for step in plan.derivation)
        return dataclasses.replace(answer, sessions=(plan.sessions_min, plan.sessions_max), steps=steps, plan=plan)

    def _note(self, point: Point, breaches: list[Breach]) -> None:
        """Note each broken invariant of an answer (``invariants``), with ``point`` as its example."""
        for kind, key, message, rules in breaches:
            self.notes.note(kind, key, message, rules, profile=point.fields())

    def tell_apart(self, one: int, other: int) -> bool:
        """Walk deferred smaller goal sets until a profile fires exactly one of rules ``one`` and ``other``.

        Used before calling two rules' firing the same: a rule bound to goals may
        stop firing for a smaller goal set, which the largest sets cannot show.
        """
        both = one | other
        for cell in self.deferred:
            if cell.fired & both != both:
                continue
            if cell.walked is None:
                cell.walked = tuple(self.fired(cell.point.with_goals(goals)) for goals in cell.smaller)
            if any(fired & both not in (0, both) for fired in cell.walked):
                return True
        return False
