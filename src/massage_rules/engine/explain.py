"""Why and why not: for one profile and one technique, the points it got and what kept it out.

The answer comes from the engine's own recommendation (rank, score, avoidances,
referral, "no massage"), and for what the recommendation does not hold (the
points a technique got although it was ruled out, and the rules that would have
scored it) from the rules themselves, each named with its file and line.
"""

from __future__ import annotations

from massage_rules.engine.rank import score_reasons
from massage_rules.engine.recommend import recommend
from massage_rules.engine.resolve import resolve_profile
from massage_rules.errors import ProfileError, close_match
from massage_rules.knowledge.load import KnowledgeBase, default_knowledge
from massage_rules.models import ClientProfile, Explanation, Obstacle, Recommendation, UnmetRule
from massage_rules.rules.firing import fire, unmet_conditions

__all__ = ["explain"]


def explain(profile: ClientProfile, technique_id: str, knowledge: KnowledgeBase | None = None) -> Explanation:
    """Why ``technique_id`` ranks where it does for ``profile``, or why it is absent.

    Raises :class:`~massage_rules.ProfileError` for a bad profile or an unknown technique.
    """
    kb = knowledge if knowledge is not None else default_knowledge()
    result = recommend(profile, kb)
    if technique_id not in kb.techniques:
        raise ProfileError(
            "technique",
            technique_id,
            f"'{technique_id}' is not a known technique",
            kb.techniques,
            close_match(technique_id, kb.techniques),
        )
    technique = kb.techniques[technique_id]
    r = resolve_profile(profile, kb)
    fired = fire(r, kb)
    matched = fired.complaints
    ranked = next((t for t in result.techniques if t.id == technique_id), None)
    if ranked is not None:
        reasons, score = ranked.reasons, ranked.score
    else:  # scored as the engine scores a technique, from the rules that fired here
        score, reasons = score_reasons(
            reason for rule in fired.rules for tech, reason in rule.reasons if tech == technique_id
        )
    origin = {rule.id: rule.origin for rule in kb.rules}
    obstacles: list[Obstacle] = []
    if result.no_massage is not None:
        nm = result.no_massage
        obstacles.append(
            Obstacle(
                kind="stopped",
                rule=nm.rule,
                origin=origin.get(nm.rule),
                area=None,
                text=f"no massage now: {nm.reason} Come back {nm.come_back}.",
                sources=nm.sources,
            )
        )
    elif result.referral is not None and not result.referral.massage_meanwhile:
        ref = result.referral
        obstacles.append(
            Obstacle(
                kind="referred",
                rule=ref.rule,
                origin=origin.get(ref.rule),
                area=None,
                text=f"{ref.urgency} referral first, no massage meanwhile: {ref.reason}",
                sources=ref.sources,
            )
        )
    for avoided in result.avoided:
        if avoided.technique == technique_id:
            obstacles.append(
                Obstacle(
                    kind=avoided.kind,
                    rule=avoided.rule,
                    origin=origin.get(avoided.rule),
                    area=avoided.area,
                    text=avoided.reason,
                    sources=avoided.sources,
                )
            )
    if technique.areas is not None:
        for area in sorted(r.areas - set(technique.areas)):
            obstacles.append(
                Obstacle(
                    kind="not_applicable",
                    rule=None,
                    origin=None,
                    area=area,
                    text=f"{technique.name} is not applied to {area} (it is for {', '.join(sorted(technique.areas))})",
                )
            )
    blocked = bool(obstacles) and ranked is None
    if ranked is None and not blocked and score <= 0:
        text = "no rule that fired gives it points" if not reasons else f"its points add up to {score:g}, not above 0"
        obstacles.append(Obstacle(kind="no_points", rule=None, origin=None, area=None, text=text))
    fired_ids = {rule.id for rule in fired.rules}
    unmet = tuple(
        UnmetRule(rule=rule.id, points=points, origin=rule.origin, unmet=tuple(unmet_conditions(rule, r, matched)))
        for rule in kb.rules
        if rule.id not in fired_ids
        for tech, points in rule.score
        if tech == technique_id and points > 0
    )
    summary = _summary(technique.name, ranked is not None, ranked.rank if ranked else None, score, result, obstacles)
    return Explanation(
        technique=technique_id,
        name=technique.name,
        offered=ranked is not None,
        rank=ranked.rank if ranked else None,
        score=score,
        out_of=len(result.techniques),
        areas=ranked.areas if ranked else (),
        reasons=reasons,
        obstacles=tuple(obstacles),
        unmet=unmet,
        summary=summary,
        knowledge=result.knowledge,
    )


def _summary(
    name: str, offered: bool, rank: int | None, score: float, result: Recommendation, obstacles: list[Obstacle]
) -> str:
    if offered:
        shared = sum(1 for t in result.techniques if t.rank == rank) > 1
        verb = "shares rank" if shared else "ranks"
        head = f"{name} {verb} {rank} of {len(result.techniques)} with {score:g} points"
        limits = [o for o in obstacles if o.area is not None]
        return head + (f"; not on {', '.join(sorted({o.area for o in limits if o.area}))}" if limits else "")
    first = obstacles[0] if obstacles else None
    if first is None:  # pragma: no cover - an absent technique always has an obstacle
        return f"{name} is not offered"
    by = f" (rule '{first.rule}', {first.origin})" if first.rule else ""
    return f"{name} is not offered: {first.text}{by}"
