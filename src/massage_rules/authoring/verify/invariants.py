"""The dose, ranking and screening invariants of issue 18, checked on each answer the engine gives.

The engine keeps them by construction; verify checks them again, from the
knowledge and the answer alone, as a guard for clinic packs and engine changes.
Each check is cheap and runs once per engine call (the course checks once per
plan verify asks for), never once per walked profile. Each returns findings as
(kind, key, message, rule ids); the kinds are in ``INVARIANT_KINDS``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from massage_rules.engine.plan import severity_band
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import Plan, RankedTechnique, Recommendation
from massage_rules.rules.facts import Facts
from massage_rules.rules.firing import Fired, holds

__all__ = ["INVARIANT_KINDS", "Breach", "course_breaches", "rank_breaches", "screening_breaches"]

Breach = tuple[str, str, str, tuple[str, ...]]  # kind, key (one example per key), message, rule ids

INVARIANT_KINDS = ("course_at_rest", "outside_trial_margin", "ranked_by_id", "question_not_asked")


def course_breaches(plan: Plan | None, facts: Facts, kb: KnowledgeBase) -> list[Breach]:
    """A course planned at rest with only the no-course goals; a trial's course moved past the trial margin."""
    if plan is None:
        return []
    model = kb.course_model
    out: list[Breach] = []
    rest = model.no_course
    at_rest = rest is not None and severity_band(facts.severity, kb) == rest.band and facts.goals <= set(rest.goals)
    if at_rest and plan.sessions_max > 0:
        message = (
            f"pain in band '{rest.band if rest else ''}' with only the goals {sorted(facts.goals)} plans "
            f"{plan.sessions_min}-{plan.sessions_max} sessions, not no course"
        )
        out.append(("course_at_rest", "plan.no_course", message, ("plan.no_course",)))
    margin = model.trial_margin
    if margin is not None and plan.basis == "trial" and plan.derivation:
        base = plan.derivation[0]
        floor, ceiling = max(1, base.sessions_min - margin.sessions), base.sessions_max + margin.sessions
        if not floor <= plan.sessions_min <= plan.sessions_max <= ceiling:
            message = (
                f"the course {plan.sessions_min}-{plan.sessions_max} is based on the trial dose of '{base.rule}' "
                f"({base.sessions_min}-{base.sessions_max}) but leaves its margin of {margin.sessions} sessions"
            )
            out.append(("outside_trial_margin", base.rule, message, (base.rule,)))
    return out


def _key(
    technique: RankedTechnique, lighter: CompiledRule | None, order: dict[str, int]
) -> tuple[float, float, int, tuple[int, int]]:
    """What should order techniques of equal score, best first: complaint preference, evidence, lighter first."""
    preference = round(math.fsum(r.points for r in technique.reasons if r.effect == "condition"), 6)
    pressure = (technique.pressure_max, technique.pressure_min) if lighter is not None else (0, 0)
    return (-technique.score, -preference, order.get(technique.evidence, 0), pressure)


def rank_breaches(result: Recommendation, facts: Facts, fired: Fired, kb: KnowledgeBase) -> list[Breach]:
    """Techniques of equal score ordered by their id alone, or equal on every clinical key yet not sharing a rank."""
    lighter = next((rule for rule in kb.ranking.lighter_first if holds(rule, facts, fired.complaints)), None)
    order = {level: i for i, level in enumerate(kb.ranking.evidence_order)}
    out: list[Breach] = []
    offered = result.techniques
    for above, below in itertools.pairwise(offered):
        if above.score != below.score:
            continue
        one, other = _key(above, lighter, order), _key(below, lighter, order)
        if above.rank == below.rank and one != other:
            what = "share a rank though the clinical key (complaint preference, evidence, lighter first) differs"
        elif above.rank != below.rank and not one < other:
            what = "are ranked apart though no clinical key puts the first above: the id alone decided"
        else:
            continue
        message = f"{above.id} and {below.id}, of equal score {above.score:g}, {what}"
        out.append(("ranked_by_id", f"{above.id}|{below.id}|{what}", message, ()))
    return out


def screening_breaches(result: Recommendation, facts: Facts, fired: Fired, kb: KnowledgeBase) -> list[Breach]:
    """A screening question whose rule fires left unasked while techniques are offered; a held technique not waiting.

    A question is not due when the profile answered it (its rule is ``cleared``,
    or it holds one of the findings a "yes" stands for); a complaint's confirming
    question is not due once a diagnosis is named. With nothing offered (a
    referral, no massage, or a gap) nothing waits, so nothing is asked.
    """
    if not result.techniques:
        return []
    cleared = set(facts.profile.cleared)
    confirming: Sequence[CompiledRule] = () if facts.diagnoses else fired.unconfirmed
    due = [
        rule
        for rule in (*fired.rules, *confirming)
        if rule.ask is not None and rule.id not in cleared and facts.health.isdisjoint(rule.ask.findings)
    ]
    asked = {question.rule: question for question in result.screening_questions}
    waiting = {technique.id: set(technique.after_screening) for technique in result.techniques}
    out: list[Breach] = []
    for rule in due:
        question = asked.get(rule.id)
        if question is None:
            message = f"rule '{rule.id}' fires and asks a question, but the answer does not ask it"
            out.append(("question_not_asked", rule.id, message, (rule.id,)))
            continue
        assert rule.ask is not None
        named = [t.id for t in result.techniques if rule.ask.hold == "all" or t.id in rule.ask.hold]
        should = named if rule.ask.where == "everywhere" else [t for t in named if t in question.holds]
        for technique in sorted(set(should) | set(question.holds)):
            if rule.id not in waiting.get(technique, set()):
                message = f"{technique} is held by the question of rule '{rule.id}' but does not wait for it"
                out.append(("question_not_asked", f"{rule.id}|{technique}", message, (rule.id,)))
    return out
