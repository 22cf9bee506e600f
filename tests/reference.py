"""An independent, obviously correct reference for which rules fire and what they rule out.

Written from the knowledge format's own words, with no code of the engine's:
a rule fires when its complaint was named as a diagnosis, or when every
condition of its ``when`` holds, a condition on complaints holding when one of
them is matched, and a complaint is matched when its rule fires. A plain loop
over every rule repeats until nothing new fires. The engine's :func:`fire`
(an index and a worklist) and its screen are held to this in the property tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import massage_rules as mr
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.load import CompiledRule


@dataclass(frozen=True)
class Facts:
    """A profile as the reference reads it, straight from the model: no engine code involved."""

    areas: frozenset[str]
    cause: str | None
    phase: str
    severity: int
    days: int | None
    goals: frozenset[str]
    health: frozenset[str]
    tied: dict[str, frozenset[str]]
    diagnoses: frozenset[str]
    age: int | None = None


def _pattern_holds(when: s.When, f: Facts) -> bool:
    """A finding's ``implied_by`` pattern, read straight from the schema model (profile values only)."""

    def within(value: int | None, rng: s.Range | None) -> bool:
        if rng is None:
            return True
        return value is not None and (rng.min is None or value >= rng.min) and (rng.max is None or value <= rng.max)

    return (
        (when.areas is None or bool(set(when.areas) & f.areas))
        and (when.causes is None or f.cause in when.causes)
        and (when.causes_not is None or f.cause not in when.causes_not)
        and (when.phases is None or f.phase in when.phases)
        and (when.goals is None or bool(set(when.goals) & f.goals))
        and within(f.severity, when.severity)
        and within(f.days, when.days_since_onset)
        and within(f.age, when.age)
    )


def facts_of(profile: mr.ClientProfile, kb: mr.KnowledgeBase) -> Facts:
    """The reference's reading of a valid profile (diagnoses given by id, phase from the days when given)."""
    phase = profile.phase
    if profile.days_since_onset is not None:
        phase = next(
            (p.id for p in kb.phases.values() if p.days_max is not None and profile.days_since_onset <= p.days_max),
            list(kb.phases)[-1],
        )
    tied: dict[str, set[str]] = {}
    for entry in profile.health:
        finding, _, area = entry.partition("@")
        tied.setdefault(finding, set())
        if area:
            tied[finding].add(area)
    assert phase is not None
    f = Facts(
        areas=frozenset(profile.areas),
        cause=profile.cause,
        phase=phase,
        severity=profile.severity,
        days=profile.days_since_onset,
        goals=frozenset(profile.goals),
        health=frozenset(tied),
        tied={finding: frozenset(areas) for finding, areas in tied.items()},
        diagnoses=frozenset(profile.conditions),
        age=profile.age,
    )
    # A finding the profile's own pattern implies is present on every problem area (unless given).
    implied = {
        ident: f.areas
        for ident, finding in kb.findings.items()
        if finding.implied_by is not None and ident not in f.health and _pattern_holds(finding.implied_by, f)
    }
    if implied:
        f = Facts(**{**f.__dict__, "health": f.health | implied.keys(), "tied": {**f.tied, **implied}})
    return f


def _within(value: int | None, window: tuple[int, int] | None) -> bool:
    return window is None or (value is not None and window[0] <= value <= window[1])


def conditions_hold(rule: CompiledRule, f: Facts, matched: frozenset[str]) -> bool:
    """Every condition of the rule's ``when`` holds (none at all: a complaint without ``match`` never does)."""
    if rule.diagnosis is not None and not rule.has_match:
        return False
    checks = [
        rule.areas is None or bool(rule.areas & f.areas),
        rule.causes is None or f.cause in rule.causes,
        rule.phases is None or f.phase in rule.phases,
        rule.goals is None or bool(rule.goals & f.goals),
        _within(f.severity, rule.severity),
        _within(f.days, rule.days),
        _within(len(f.areas), rule.area_count),
        rule.causes_not is None or f.cause not in rule.causes_not,
        _within(f.age, rule.age),
        rule.health_all is None or rule.health_all <= f.health,
        rule.health_any is None or bool(rule.health_any & f.health),
        rule.conditions is None or bool(rule.conditions & matched),
    ]
    if rule.confirm is not None and all(checks) and conditions_hold(rule.confirm, f, frozenset()):
        return False  # the complaint's defining feature is still to be confirmed: matched only once named
    return all(checks)


def reference_fire(profile: mr.ClientProfile, kb: mr.KnowledgeBase) -> tuple[list[str], frozenset[str]]:
    """The ids of the rules that fire (sorted) and the complaints matched, by a plain loop to a fixed point."""
    f = facts_of(profile, kb)
    fired: set[str] = set()
    while True:
        matched = frozenset(rule.id for rule in kb.rules if rule.id in fired and rule.kind == "condition")
        now = {
            rule.id
            for rule in kb.rules
            if (rule.diagnosis is not None and rule.diagnosis in f.diagnoses) or conditions_hold(rule, f, matched)
        }
        if now == fired:
            return sorted(fired), matched
        fired = now


def where_applies(
    rule: CompiledRule, on: str, distal: bool, f: Facts, kb: mr.KnowledgeBase, spread: str | None = None
) -> frozenset[str] | None:
    """The areas a forbid or cap applies to; None for everywhere. ``spread`` widens it to an area group kind."""
    if on == "everywhere":
        return None
    if on == "problem_areas":
        areas = set(f.areas)
    else:
        areas = set()
        named = (rule.health_all or frozenset()) | (rule.health_any or frozenset())
        for finding in named & f.health:
            areas |= f.tied[finding] or f.areas  # no area said: every problem area, to be safe
    if distal:
        for area in list(areas):
            areas |= kb.distal.get(area, frozenset())
    if spread is not None:  # every area that shares a group of this kind with one of them
        companions = kb.area_groups.get(spread, {})
        for area in list(areas):
            areas |= companions.get(area, frozenset())
    return frozenset(areas)


def unsafe_offers(profile: mr.ClientProfile, answer: mr.Recommendation, kb: mr.KnowledgeBase) -> list[str]:
    """Every way ``answer`` breaks a restriction of a rule the reference fires: empty for a safe answer."""
    fired_ids, _ = reference_fire(profile, kb)
    f = facts_of(profile, kb)
    whole_body_areas = set(kb.whole_body_areas)
    out: list[str] = []
    fired = [kb.rules_by_id[rule_id] for rule_id in fired_ids]
    if any(rule.no_massage is not None for rule in fired) and answer.techniques:
        out.append("techniques offered although a fired rule stops massage")
    if any(r.refer is not None and not r.refer.massage_meanwhile for r in fired) and answer.techniques:
        out.append("techniques offered although a fired referral allows no massage meanwhile")
    for offered in answer.techniques:
        areas = set(offered.areas)
        whole_body = bool(areas & whole_body_areas)
        lowest = kb.techniques[offered.id].pressure.min or 0
        for rule in fired:
            if rule.allow_only is not None and offered.id not in rule.allow_only:
                out.append(f"{offered.id}: outside the allow-list of {rule.id}")
            if rule.forbid is not None and (rule.forbid_set is None or offered.id in rule.forbid_set):
                scope = where_applies(rule, rule.forbid.where, rule.forbid.distal, f, kb, rule.forbid.spread)
                if scope is None or scope & areas or (whole_body and not scope <= set(offered.skip_areas)):
                    out.append(f"{offered.id}: on {sorted(areas)} where {rule.id} forbids it")
            if rule.cap is not None:
                scope = where_applies(rule, rule.cap.where, rule.cap.distal, f, kb, rule.cap.spread)
                # a whole-body session passes over every area but those it skips
                touches = scope is None or bool(scope & areas) or (whole_body and not scope <= set(offered.skip_areas))
                if touches and offered.pressure_max > rule.cap.max:
                    out.append(f"{offered.id}: pressure {offered.pressure_max} above the cap of {rule.id}")
                if rule.cap.max < lowest and (
                    scope is None or scope & areas or (whole_body and not scope <= set(offered.skip_areas))
                ):
                    out.append(f"{offered.id}: its lightest pressure is over the cap of {rule.id}")
    return out
