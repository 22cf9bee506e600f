"""Screening, matching and ranking: a resolved profile in, a :class:`Recommendation` out.

The order is fixed and safety comes first: referrals and "no massage now" are
decided before anything is ranked, and a technique that any fired rule forbids
(everywhere, on an area, or through a pressure cap) never reaches the ranking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ._knowledge import CompiledRule, KnowledgeBase, default_knowledge
from ._packs import switched_off_warnings
from ._plan import build_plan
from .errors import ProfileError, close_match
from .models import (
    Avoidance,
    AvoidanceKind,
    ClientProfile,
    KnowledgeStamp,
    MatchedCondition,
    NoMassageNow,
    Note,
    Outcome,
    PackStamp,
    PressureLimit,
    RankedTechnique,
    Reason,
    Recommendation,
    Referral,
    SourceRef,
)

__all__ = ["Resolved", "recommend", "resolve_profile"]


@dataclass(frozen=True, slots=True)
class Resolved:
    """A profile checked against a knowledge base, in the shape rules test."""

    profile: ClientProfile
    areas: frozenset[str]
    cause: str | None
    phase: str
    severity: int
    days: int | None
    goals: frozenset[str]
    health: frozenset[str]
    health_areas: dict[str, frozenset[str]]  # finding -> the areas it was tied to (empty: none said)
    diagnoses: frozenset[str]

    def index_keys(self) -> list[tuple[str, str]]:
        """The keys under which rules that may fire for this profile are indexed."""
        keys = [("areas", a) for a in self.areas]
        keys += [("goals", g) for g in self.goals]
        keys += [("health", h) for h in self.health]
        keys += [("diagnosis", d) for d in self.diagnoses]
        keys.append(("phases", self.phase))
        if self.cause is not None:
            keys.append(("causes", self.cause))
        return keys


def _unknown(field: str, value: str, kind: str, allowed: Iterable[str]) -> ProfileError:
    allowed = list(allowed)
    return ProfileError(field, value, f"'{value}' is not a known {kind}", allowed, close_match(value, allowed))


def phase_for_days(days: int, knowledge: KnowledgeBase) -> str:
    """The healing phase that ``days`` since onset falls in, by the thresholds in the knowledge."""
    phases = list(knowledge.phases.values())
    for phase in phases:
        if phase.days_max is not None and days <= phase.days_max:
            return phase.id
    return phases[-1].id


def resolve_profile(profile: ClientProfile, knowledge: KnowledgeBase) -> Resolved:
    """Check every value of ``profile`` against the knowledge's vocabulary; raise :class:`ProfileError`."""
    for i, area in enumerate(profile.areas):
        if area not in knowledge.areas:
            raise _unknown(f"areas[{i}]", area, "body area", knowledge.areas)
    for i, goal in enumerate(profile.goals):
        if goal not in knowledge.goals:
            raise _unknown(f"goals[{i}]", goal, "goal", knowledge.goals)
    if profile.cause is not None and profile.cause not in knowledge.causes:
        raise _unknown("cause", profile.cause, "cause", knowledge.causes)
    phase = profile.phase
    if phase is not None and phase not in knowledge.phases:
        raise _unknown("phase", phase, "phase", knowledge.phases)
    if profile.days_since_onset is not None:
        derived = phase_for_days(profile.days_since_onset, knowledge)
        if phase is not None and phase != derived:
            raise ProfileError(
                "phase",
                phase,
                f"'{phase}' disagrees with days_since_onset="
                f"{profile.days_since_onset}, which falls in the '{derived}' phase; give one or fix one",
                knowledge.phases,
                derived,
            )
        phase = derived
    assert phase is not None  # the profile model requires phase or days
    health_areas: dict[str, set[str]] = {}
    for i, entry in enumerate(profile.health):
        finding, _, area = entry.partition("@")
        if finding not in knowledge.findings:
            raise _unknown(f"health[{i}]", finding, "health finding", knowledge.findings)
        if area and area not in knowledge.areas:
            raise _unknown(f"health[{i}]", area, "body area", knowledge.areas)
        tied = health_areas.setdefault(finding, set())
        if area:
            tied.add(area)
    diagnoses: set[str] = set()
    for i, diagnosis in enumerate(profile.conditions):
        condition = knowledge.icd10_index.get(diagnosis, diagnosis)
        if condition not in knowledge.conditions:
            allowed = [*knowledge.conditions, *knowledge.icd10_index]
            raise _unknown(f"conditions[{i}]", diagnosis, "condition id or ICD-10-CM code", allowed)
        diagnoses.add(condition)
    resolved_profile = profile if profile.phase == phase else profile.model_copy(update={"phase": phase})
    return Resolved(
        profile=resolved_profile,
        areas=frozenset(profile.areas),
        cause=profile.cause,
        phase=phase,
        severity=profile.severity,
        days=profile.days_since_onset,
        goals=frozenset(profile.goals),
        health=frozenset(health_areas),
        health_areas={k: frozenset(v) for k, v in health_areas.items()},
        diagnoses=frozenset(diagnoses),
    )


def holds(rule: CompiledRule, r: Resolved, matched: frozenset[str]) -> bool:
    """True when every condition of ``rule`` holds for the resolved profile."""
    if rule.diagnosis is not None:
        if rule.diagnosis in r.diagnoses:
            return True
        if not rule.has_match:
            return False
    if rule.areas is not None and rule.areas.isdisjoint(r.areas):
        return False
    if rule.causes is not None and r.cause not in rule.causes:
        return False
    if rule.phases is not None and r.phase not in rule.phases:
        return False
    if rule.goals is not None and rule.goals.isdisjoint(r.goals):
        return False
    if rule.severity is not None and not rule.severity[0] <= r.severity <= rule.severity[1]:
        return False
    if rule.days is not None and (r.days is None or not rule.days[0] <= r.days <= rule.days[1]):
        return False
    if rule.health_all is not None and not rule.health_all <= r.health:
        return False
    if rule.health_any is not None and rule.health_any.isdisjoint(r.health):
        return False
    return rule.conditions is None or not rule.conditions.isdisjoint(matched)


def fire(r: Resolved, knowledge: KnowledgeBase) -> tuple[list[CompiledRule], frozenset[str]]:
    """Every rule that fires for ``r``, in id order, and the complaints it matched."""
    keys = r.index_keys()
    none: frozenset[str] = frozenset()
    first = [rule for rule in knowledge.candidate_rules(keys) if rule.conditions is None and holds(rule, r, none)]
    matched = frozenset(rule.id for rule in first if rule.kind == "condition")
    if not matched:
        return first, matched
    second = [
        rule
        for rule in knowledge.candidate_rules([("conditions", c) for c in matched])
        if rule.conditions is not None and holds(rule, r, matched)
    ]
    if not second:
        return first, matched
    return sorted({rule.id: rule for rule in (*first, *second)}.values(), key=lambda rule: rule.id), matched


class _Screen:
    """Where each fired restriction applies, resolved to areas once per profile."""

    def __init__(self, fired: list[CompiledRule], r: Resolved, knowledge: KnowledgeBase) -> None:
        self.warnings: list[str] = []
        self.forbids: list[tuple[CompiledRule, frozenset[str] | None]] = []
        self.caps: list[tuple[CompiledRule, frozenset[str] | None]] = []
        self.allow: list[CompiledRule] = []
        self._r = r
        self._knowledge = knowledge
        for rule in fired:
            if rule.forbid is not None:
                self.forbids.append((rule, self._scope(rule, rule.forbid.where, rule.forbid.distal)))
            if rule.cap is not None:
                self.caps.append((rule, self._scope(rule, rule.cap.where, rule.cap.distal)))
            if rule.allow_only is not None:
                self.allow.append(rule)

    def _scope(self, rule: CompiledRule, on: str, distal: bool) -> frozenset[str] | None:
        r = self._r
        if on == "everywhere":
            return None
        if on == "problem_areas":
            areas = set(r.areas)
        else:
            areas = set()
            findings = (rule.health_all or frozenset()) | ((rule.health_any or frozenset()) & r.health)
            for finding in sorted(findings):
                tied = r.health_areas.get(finding, frozenset())
                if tied:
                    areas |= tied
                else:  # cautious: a local finding with no area said may be anywhere we would work
                    areas |= r.areas
                    self.warnings.append(
                        f"'{finding}' was given without an area; rule '{rule.id}' applies it to "
                        f"every problem area. Give it as {finding}@area to be precise."
                    )
        if distal:
            for area in list(areas):
                areas |= self._knowledge.distal.get(area, frozenset())
        return frozenset(areas)


def _avoidances(screen: _Screen, knowledge: KnowledgeBase) -> list[Avoidance]:
    found: dict[tuple[str, str, str], Avoidance] = {}

    def add(tech: str, area: str | None, rule: CompiledRule, kind: AvoidanceKind) -> None:
        key = (tech, area or "", rule.id)
        if key not in found:
            found[key] = Avoidance(
                technique=tech, area=area, rule=rule.id, kind=kind, reason=rule.text, sources=rule.sources
            )

    for rule, scope in screen.forbids:
        for tech in sorted(rule.forbid_set if rule.forbid_set is not None else knowledge.techniques):
            for area in sorted(scope) if scope is not None else (None,):
                add(tech, area, rule, "forbidden")
    for rule in screen.allow:
        assert rule.allow_only is not None
        for tech in knowledge.techniques:
            if tech not in rule.allow_only:
                add(tech, None, rule, "not_allowed")
    for rule, scope in screen.caps:
        assert rule.cap is not None
        for tech_id, technique in knowledge.techniques.items():
            assert technique.pressure.min is not None
            if technique.pressure.min > rule.cap.max:
                for area in sorted(scope) if scope is not None else (None,):
                    add(tech_id, area, rule, "pressure_cap")
    return [found[k] for k in sorted(found)]


def _rank(fired: list[CompiledRule], screen: _Screen, r: Resolved, knowledge: KnowledgeBase) -> list[RankedTechnique]:
    reasons_for: dict[str, list[Reason]] = {}
    for rule in fired:
        for tech, points in rule.score:
            reasons_for.setdefault(tech, []).append(
                Reason(
                    rule=rule.id,
                    effect=rule.effect_label,
                    points=points,
                    label=rule.label,
                    text=rule.text,
                    sources=rule.sources,
                )
            )
    whole_body = knowledge.whole_body_areas & r.areas
    offered: list[RankedTechnique] = []
    for tech_id, reasons in reasons_for.items():
        technique = knowledge.techniques[tech_id]
        assert technique.pressure.min is not None
        assert technique.pressure.max is not None
        lowest, highest = technique.pressure.min, technique.pressure.max
        areas = set(r.areas if technique.areas is None else r.areas.intersection(technique.areas))
        if any(tech_id not in rule.allow_only for rule in screen.allow if rule.allow_only is not None):
            continue
        blocked: set[str] = set()
        everywhere = False
        for rule, scope in screen.forbids:
            if rule.forbid_set is None or tech_id in rule.forbid_set:
                if scope is None:
                    everywhere = True
                    break
                blocked |= scope
        if everywhere:
            continue
        for rule, scope in screen.caps:
            assert rule.cap is not None
            if rule.cap.max < lowest:
                if scope is None:
                    everywhere = True
                    break
                blocked |= scope
        if everywhere:
            continue
        areas -= blocked
        if not areas:
            continue
        covers_all = bool(areas & whole_body)
        for rule, scope in screen.caps:
            assert rule.cap is not None
            if rule.cap.max >= lowest and (scope is None or covers_all or not scope.isdisjoint(areas)):
                highest = min(highest, rule.cap.max)
        score = math.fsum(reason.points for reason in reasons)
        if score <= 0:
            continue
        skip = sorted(blocked) if covers_all else []
        offered.append(
            RankedTechnique(
                id=tech_id,
                name=technique.name,
                rank=0,
                score=round(score, 6),
                areas=tuple(sorted(areas)),
                skip_areas=tuple(skip),
                pressure_min=lowest,
                pressure_max=highest,
                cpt=technique.cpt,
                evidence=technique.evidence,
                reasons=tuple(sorted(reasons, key=lambda x: (-x.points, x.rule))),
            )
        )
    offered.sort(key=lambda t: (-t.score, t.id))
    return [t.model_copy(update={"rank": i}) for i, t in enumerate(offered, start=1)]


def _all_areas_ruled_out(screen: _Screen, r: Resolved) -> NoMassageNow | None:
    """When local rules forbid every technique on every problem area, say so as "no massage now"."""
    covering = [(rule, scope) for rule, scope in screen.forbids if rule.forbid_set is None]
    ruled_out: set[str] = set()
    for _rule, scope in covering:
        ruled_out |= r.areas if scope is None else scope
    if not covering or not r.areas <= ruled_out:
        return None
    rule = covering[0][0]
    assert rule.forbid is not None
    come_back = rule.forbid.come_back or "once the affected area has healed or been cleared; other areas may be treated"
    return NoMassageNow(reason=rule.text, rule=rule.id, come_back=come_back, sources=rule.sources)


def _referral(rule: CompiledRule) -> Referral:
    assert rule.refer is not None
    return Referral(
        reason=rule.text,
        urgency=rule.refer.urgency,
        rule=rule.id,
        massage_meanwhile=rule.refer.massage_meanwhile,
        sources=rule.sources,
    )


def _cited(*groups: Iterable[tuple[str, ...]]) -> set[str]:
    return {source for group in groups for sources in group for source in sources}


def recommend(profile: ClientProfile, knowledge: KnowledgeBase | None = None) -> Recommendation:
    """Screen, match, rank and plan for one client. Bundled knowledge unless ``knowledge`` is given.

    Raises :class:`~massage_rules.ProfileError` when the profile holds a value the
    knowledge does not know; never anything else for a valid profile.
    """
    if not isinstance(profile, ClientProfile):
        raise ProfileError("profile", profile, f"must be a ClientProfile, not {type(profile).__name__}")
    kb = knowledge if knowledge is not None else default_knowledge()
    r = resolve_profile(profile, kb)
    fired, matched = fire(r, kb)

    referrals = sorted(
        (_referral(rule) for rule in fired if rule.refer is not None),
        key=lambda x: (x.urgency != "urgent", x.massage_meanwhile, x.rule),
    )
    referral = None
    if referrals:
        meanwhile = all(x.massage_meanwhile for x in referrals)
        referral = referrals[0].model_copy(update={"massage_meanwhile": meanwhile})
    stops = [rule for rule in fired if rule.no_massage is not None]
    no_massage = None
    if stops:
        stop = stops[0]
        assert stop.no_massage is not None
        no_massage = NoMassageNow(
            reason=stop.text, rule=stop.id, come_back=stop.no_massage.come_back, sources=stop.sources
        )

    conditions = tuple(
        MatchedCondition(
            id=c,
            name=kb.conditions[c].name,
            icd10=tuple(kb.conditions[c].icd10),
            matched_by="diagnosis" if c in r.diagnoses else "profile",
        )
        for c in sorted(matched)
    )
    notes = tuple(Note(rule=rule.id, text=rule.note, sources=rule.sources) for rule in fired if rule.note)

    blocked = no_massage is not None or (referral is not None and not referral.massage_meanwhile)
    screen = _Screen(fired, r, kb)
    techniques: list[RankedTechnique] = []
    avoided: list[Avoidance] = []
    limits: list[PressureLimit] = []
    plan = None
    if not blocked:
        avoided = _avoidances(screen, kb)
        for rule, scope in screen.caps:
            assert rule.cap is not None
            for area in sorted(scope) if scope is not None else (None,):
                limits.append(
                    PressureLimit(
                        area=area, max_pressure=rule.cap.max, rule=rule.id, reason=rule.text, sources=rule.sources
                    )
                )
        techniques = _rank(fired, screen, r, kb)
        if techniques:
            plan = build_plan(fired, r, kb)
        elif referral is None:
            no_massage = _all_areas_ruled_out(screen, r)

    outcome: Outcome
    if no_massage is not None:
        outcome = "no_massage"
    elif referral is not None:
        outcome = "refer_and_treat" if techniques else "refer"
    else:
        outcome = "treat" if techniques else "nothing_suitable"

    cited = _cited(
        (reason.sources for t in techniques for reason in t.reasons),
        (a.sources for a in avoided),
        (x.sources for x in referrals),
        (n.sources for n in notes),
        (p.sources for p in limits),
        (step.sources for step in (plan.derivation if plan else ())),
        ([no_massage.sources] if no_massage else []),
    )
    return Recommendation(
        outcome=outcome,
        profile=r.profile,
        techniques=tuple(techniques),
        avoided=tuple(avoided),
        pressure_limits=tuple(limits),
        referral=referral,
        referrals=tuple(referrals),
        no_massage=no_massage,
        plan=plan,
        conditions=conditions,
        notes=notes,
        warnings=tuple(dict.fromkeys([*screen.warnings, *switched_off_warnings(kb, r, matched)])),
        sources=tuple(
            SourceRef(
                id=sid, citation=kb.sources[sid].citation, url=kb.sources[sid].url, evidence=kb.sources[sid].evidence
            )
            for sid in sorted(cited)
        ),
        knowledge=KnowledgeStamp(
            version=kb.version,
            content_hash=kb.content_hash,
            packs=tuple(PackStamp(id=p, version=v) for p, v in kb.packs),
            overrides=kb.overrides,
        ),
    )
