"""Check a profile against a knowledge base's vocabulary, and give the facts its rules test."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from massage_rules._codes import is_icd10_code, resolve_icd10
from massage_rules.engine.screening import question_rules
from massage_rules.errors import ProfileError, close_matches
from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models import ClientProfile
from massage_rules.rules.facts import Facts, tie_findings
from massage_rules.rules.firing import holds

__all__ = ["phase_for_days", "resolve_profile"]


def resolve_profile(profile: ClientProfile, knowledge: KnowledgeBase) -> Facts:
    """Check every value of ``profile`` against the knowledge's vocabulary; raise :class:`ProfileError`."""
    areas, goals = frozenset(profile.areas), frozenset(profile.goals)
    if not areas <= knowledge.areas.keys():
        i, area = next((i, a) for i, a in enumerate(profile.areas) if a not in knowledge.areas)
        raise _unknown(f"areas[{i}]", area, "body area", knowledge.areas)
    if not goals <= knowledge.goals.keys():
        i, goal = next((i, g) for i, g in enumerate(profile.goals) if g not in knowledge.goals)
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
    health_areas: dict[str, frozenset[str]] = {}
    if profile.health:
        _check_health(profile.health, knowledge)
        health_areas = tie_findings(profile.health)
    diagnoses: frozenset[str] = frozenset()
    code_notes: tuple[str, ...] = ()
    if profile.conditions:
        diagnoses, code_notes = _resolve_diagnoses(profile.conditions, knowledge)
    if profile.cleared:
        _check_cleared(profile.cleared, knowledge)
    facts = Facts(
        profile=profile if profile.phase == phase else profile.model_copy(update={"phase": phase}),
        areas=areas,
        cause=profile.cause,
        phase=phase,
        severity=profile.severity,
        days=profile.days_since_onset,
        goals=goals,
        health=frozenset(health_areas),
        health_areas=health_areas,
        diagnoses=diagnoses,
        code_notes=code_notes,
        age=profile.age,
    )
    return _with_implied(facts, knowledge)


def _with_implied(facts: Facts, knowledge: KnowledgeBase) -> Facts:
    """``facts`` with the findings its own pattern implies, each tied to the problem areas and said in words."""
    added: dict[str, frozenset[str]] = {}
    said: list[str] = []
    for finding, rule in knowledge.implications:
        if finding in facts.health or not holds(rule, facts, frozenset()):
            continue
        added[finding] = facts.areas
        said.append(
            f"'{finding}' is taken as present on {', '.join(sorted(facts.areas))}: the profile's own pattern "
            f"implies it ({knowledge.findings[finding].name.lower()}), so its safety rules apply"
        )
    if not added:
        return facts
    return facts._replace(
        health=facts.health | added.keys(),
        health_areas={**facts.health_areas, **added},
        implied=tuple(said),
    )


def _check_cleared(cleared: Sequence[str], knowledge: KnowledgeBase) -> None:
    """Every cleared question names a rule that asks one."""
    asking = [rule.id for rule in question_rules(knowledge)]
    for i, rule_id in enumerate(cleared):
        if rule_id not in asking:
            raise _unknown(f"cleared[{i}]", rule_id, "screening question (a rule that asks)", asking)


def phase_for_days(days: int, knowledge: KnowledgeBase) -> str:
    """The healing phase that ``days`` since onset falls in, by the thresholds in the knowledge."""
    phases = list(knowledge.phases.values())
    for phase in phases:
        if phase.days_max is not None and days <= phase.days_max:
            return phase.id
    return phases[-1].id


def _unknown(field: str, value: str, kind: str, allowed: Iterable[str] | Mapping[str, object]) -> ProfileError:
    """An unknown id, with what it may have meant: by a synonym, a whole word of an id, or spelling.

    A synonym is only suggested, never accepted: the profile is a clinical record,
    and it keeps the id the knowledge defines, not a looser word for it.
    """
    synonyms = {k: getattr(v, "synonyms", ()) for k, v in allowed.items()} if isinstance(allowed, Mapping) else {}
    allowed = list(allowed)
    meant = close_matches(value, allowed, synonyms)
    return ProfileError(field, value, f"'{value}' is not a known {kind}", allowed, suggestions=meant)


def _check_health(entries: Sequence[str], knowledge: KnowledgeBase) -> None:
    """Every ``finding`` or ``finding@area`` names a known finding (and area)."""
    for i, entry in enumerate(entries):
        finding, _, area = entry.partition("@")
        if finding not in knowledge.findings:
            raise _unknown(f"health[{i}]", finding, "health finding", knowledge.findings)
        if area and area not in knowledge.areas:
            raise _unknown(f"health[{i}]", area, "body area", knowledge.areas)


def _resolve_diagnoses(given: Iterable[str], knowledge: KnowledgeBase) -> tuple[frozenset[str], tuple[str, ...]]:
    """The complaints named by id or ICD-10-CM code, and how any code was read through a broader one."""
    diagnoses: set[str] = set()
    code_notes: list[str] = []
    for i, diagnosis in enumerate(given):
        condition = diagnosis
        if is_icd10_code(diagnosis):
            found = resolve_icd10(diagnosis, knowledge.icd10_index)
            if found.condition is None:
                hint = f"; codes it knows in {diagnosis[:3]}: {', '.join(found.close)}" if found.close else ""
                raise ProfileError(
                    f"conditions[{i}]",
                    diagnosis,
                    f"ICD-10-CM code {diagnosis} is not in the knowledge base and refines none of its codes{hint}",
                    knowledge.icd10_index,
                )
            condition = found.condition
            if found.via != diagnosis:
                code_notes.append(
                    f"ICD-10-CM code {diagnosis} was read as '{condition}' (code {found.via}), which it refines"
                )
        if condition not in knowledge.conditions:
            allowed = [*knowledge.conditions, *knowledge.icd10_index]
            raise _unknown(f"conditions[{i}]", diagnosis, "condition id or ICD-10-CM code", allowed)
        diagnoses.add(condition)
    return frozenset(diagnoses), tuple(code_notes)
