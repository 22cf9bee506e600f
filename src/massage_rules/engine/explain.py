"""Why and why not: for one profile and one technique, the points it got and what kept it out.

The answer comes from the engine's own recommendation (rank, score, avoidances,
referral, "no massage"), and for what the recommendation does not hold (the
points a technique got although it was ruled out, and the rules that would have
scored it) from the rules themselves, each named with its file and line.
"""

from __future__ import annotations

from massage_rules.engine.recommend import Resolved, recommend, resolve_profile, score_reasons
from massage_rules.errors import ProfileError, close_match
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase, default_knowledge
from massage_rules.models import ClientProfile, Explanation, Obstacle, UnmetRule

__all__ = ["explain", "unmet_conditions"]


def _names(values: frozenset[str] | set[str] | tuple[str, ...]) -> str:
    return ", ".join(sorted(values)) or "none"


def unmet_conditions(rule: CompiledRule, r: Resolved, matched: frozenset[str]) -> list[str]:
    """Every condition of ``rule`` that the resolved profile does not meet, in words (empty: the rule fires)."""
    if rule.diagnosis is not None and rule.diagnosis in r.diagnoses:
        return []
    if rule.diagnosis is not None and not rule.has_match:
        return [f"it applies only when the diagnosis '{rule.diagnosis}' is named"]
    out: list[str] = []
    if rule.areas is not None and rule.areas.isdisjoint(r.areas):
        out.append(f"needs one of the areas {_names(rule.areas)}; the profile's areas are {_names(r.areas)}")
    if rule.area_count is not None and not rule.area_count[0] <= len(r.areas) <= rule.area_count[1]:
        out.append(f"needs {_span(rule.area_count)} problem areas; the profile names {len(r.areas)}")
    if rule.causes is not None and r.cause not in rule.causes:
        out.append(f"needs the cause {_names(rule.causes)}; the profile's cause is {r.cause or 'not given'}")
    if rule.phases is not None and r.phase not in rule.phases:
        out.append(f"needs the phase {_names(rule.phases)}; the profile is in the {r.phase} phase")
    if rule.goals is not None and rule.goals.isdisjoint(r.goals):
        out.append(f"needs one of the goals {_names(rule.goals)}; the profile's goals are {_names(r.goals)}")
    if rule.severity is not None and not rule.severity[0] <= r.severity <= rule.severity[1]:
        out.append(f"needs severity {_span(rule.severity)}; the profile's severity is {r.severity}")
    if rule.days is not None and (r.days is None or not rule.days[0] <= r.days <= rule.days[1]):
        given = "not given" if r.days is None else str(r.days)
        out.append(f"needs days since onset {_span(rule.days)}; the profile's is {given}")
    if rule.health_all is not None and not rule.health_all <= r.health:
        out.append(f"needs every finding of {_names(rule.health_all)}; missing {_names(rule.health_all - r.health)}")
    if rule.health_any is not None and rule.health_any.isdisjoint(r.health):
        out.append(f"needs one of the findings {_names(rule.health_any)}; the profile has none of them")
    if rule.conditions is not None and rule.conditions.isdisjoint(matched):
        out.append(f"needs the complaint {_names(rule.conditions)}; the profile matched {_names(matched)}")
    return out


def _span(bounds: tuple[int, int]) -> str:
    low, high = bounds
    if low <= -(10**8):
        return f"at most {high}"
    if high >= 10**8:
        return f"at least {low}"
    return f"{low}-{high}"


def _fired(r: Resolved, kb: KnowledgeBase) -> tuple[list[CompiledRule], frozenset[str]]:
    """The rules that fire, complaints first, then the rules that test complaints, until nothing changes."""
    plain = [rule for rule in kb.rules if rule.conditions is None or rule.diagnosis in r.diagnoses]
    fired = [rule for rule in plain if not unmet_conditions(rule, r, frozenset())]
    matched = frozenset(rule.id for rule in fired if rule.kind == "condition")
    waiting = [rule for rule in kb.rules if rule.conditions is not None and rule not in fired]
    while True:
        more = [rule for rule in waiting if not unmet_conditions(rule, r, matched)]
        if not more:
            return fired, matched
        fired += more
        waiting = [rule for rule in waiting if rule not in more]
        matched = frozenset(rule.id for rule in fired if rule.kind == "condition")


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
    fired, matched = _fired(r, kb)
    ranked = next((t for t in result.techniques if t.id == technique_id), None)
    if ranked is not None:
        reasons, score = ranked.reasons, ranked.score
    else:  # scored as the engine scores a technique, from the rules that fired here
        _exact, score, reasons, _sources = score_reasons(
            [reason for rule in fired for tech, reason in rule.reasons if tech == technique_id]
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
                    text=f"{technique.name} is not applied to {area} (it is for {_names(tuple(technique.areas))})",
                )
            )
    blocked = bool(obstacles) and ranked is None
    if ranked is None and not blocked and score <= 0:
        text = "no rule that fired gives it points" if not reasons else f"its points add up to {score:g}, not above 0"
        obstacles.append(Obstacle(kind="no_points", rule=None, origin=None, area=None, text=text))
    fired_ids = {rule.id for rule in fired}
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
    name: str, offered: bool, rank: int | None, score: float, result: object, obstacles: list[Obstacle]
) -> str:
    from massage_rules.models import Recommendation

    assert isinstance(result, Recommendation)
    if offered:
        head = f"{name} ranks {rank} of {len(result.techniques)} with {score:g} points"
        limits = [o for o in obstacles if o.area is not None]
        return head + (f"; not on {', '.join(sorted({o.area for o in limits if o.area}))}" if limits else "")
    first = obstacles[0] if obstacles else None
    if first is None:  # pragma: no cover - an absent technique always has an obstacle
        return f"{name} is not offered"
    by = f" (rule '{first.rule}', {first.origin})" if first.rule else ""
    return f"{name} is not offered: {first.text}{by}"
