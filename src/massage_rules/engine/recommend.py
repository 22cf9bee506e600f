"""Screening, matching and ranking: a resolved profile in, a :class:`Recommendation` out.

The order is fixed and safety comes first: referrals and "no massage now" are
decided before anything is ranked, and a technique that any fired rule forbids
(everywhere, on an area, or through a pressure cap) never reaches the ranking.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter, neg

from massage_rules._codes import is_icd10_code, resolve_icd10
from massage_rules.engine.plan import build_plan
from massage_rules.errors import ProfileError, close_match
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase, default_knowledge
from massage_rules.knowledge.packs import switched_off_warnings
from massage_rules.models import (
    SCHEMA_VERSION,
    Avoidance,
    AvoidanceKind,
    ClientProfile,
    MatchedCondition,
    NoMassageNow,
    Note,
    Outcome,
    PressureLimit,
    RankedTechnique,
    Reason,
    Recommendation,
    Referral,
    SourceRef,
)
from massage_rules.rules.compiled import Tables, bits, fields_set, trusted, trusted_dict

__all__ = ["Resolved", "recommend", "recommend_many", "resolve_profile", "round6", "score_reasons", "tie_findings"]

_DEFAULTS = {"schema_version": SCHEMA_VERSION}
_NOWHERE: frozenset[str] = frozenset()
_Scored = tuple[float, float, tuple[Reason, ...], frozenset[str]]  # score, as shown, reasons, their sources


@dataclass(slots=True)
class Resolved:
    """A profile checked against a knowledge base, in the shape rules test. Read-only by convention.

    (Not a frozen dataclass: that costs a ``object.__setattr__`` call per field on
    every profile, and nothing outside the engine builds one.)
    """

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
    code_notes: tuple[str, ...] = ()  # how a client's ICD-10-CM code was read through a broader one
    diagnosis_key: tuple[str, ...] = ()  # the diagnoses in order: how memo keys hold them (see _Scope)


def _unknown(field: str, value: str, kind: str, allowed: Iterable[str]) -> ProfileError:
    allowed = list(allowed)
    return ProfileError(field, value, f"'{value}' is not a known {kind}", allowed, close_match(value, allowed))


def _unknown_code(field: str, code: str, close: tuple[str, ...], knowledge: KnowledgeBase) -> ProfileError:
    hint = f"; codes it knows in {code[:3]}: {', '.join(close)}" if close else ""
    return ProfileError(
        field,
        code,
        f"ICD-10-CM code {code} is not in the knowledge base and refines none of its codes{hint}",
        knowledge.icd10_index,
    )


def phase_for_days(days: int, knowledge: KnowledgeBase) -> str:
    """The healing phase that ``days`` since onset falls in, by the thresholds in the knowledge."""
    phases = list(knowledge.phases.values())
    for phase in phases:
        if phase.days_max is not None and days <= phase.days_max:
            return phase.id
    return phases[-1].id


def resolve_profile(profile: ClientProfile, knowledge: KnowledgeBase) -> Resolved:
    """Check every value of ``profile`` against the knowledge's vocabulary; raise :class:`ProfileError`."""
    areas, goals = frozenset(profile.areas), frozenset(profile.goals)
    if not knowledge.areas.keys() >= areas:
        for i, area in enumerate(profile.areas):
            if area not in knowledge.areas:
                raise _unknown(f"areas[{i}]", area, "body area", knowledge.areas)
    if not knowledge.goals.keys() >= goals:
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
    health: frozenset[str] = _NOWHERE
    health_areas: dict[str, frozenset[str]] = _NO_AREAS
    if profile.health:
        health, health_areas = _resolve_health(profile.health, knowledge)
    diagnoses: frozenset[str] = _NOWHERE
    code_notes: tuple[str, ...] = ()
    diagnosis_key: tuple[str, ...] = ()
    if profile.conditions:
        diagnoses, code_notes = _resolve_diagnoses(profile.conditions, knowledge)
        diagnosis_key = tuple(sorted(diagnoses))
    return Resolved(
        profile if profile.phase == phase else _with_phase(profile, phase),
        areas,
        profile.cause,
        phase,
        profile.severity,
        profile.days_since_onset,
        goals,
        health,
        health_areas,
        diagnoses,
        code_notes,
        diagnosis_key,
    )


def _with_phase(profile: ClientProfile, phase: str) -> ClientProfile:
    """``profile`` with the phase its days fall in: ``model_copy(update=...)`` without its generic machinery."""
    given = profile.__pydantic_fields_set__ | {"phase"}  # its own set: a profile is not shared
    return trusted_dict(ClientProfile, {**profile.__dict__, "phase": phase}, given)


_NO_AREAS: dict[str, frozenset[str]] = {}  # shared by every profile without findings; never written to


def _resolve_health(
    entries: Sequence[str], knowledge: KnowledgeBase
) -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """The findings, and the areas each was tied to (``finding@area``; empty when none was said)."""
    for i, entry in enumerate(entries):
        finding, _, area = entry.partition("@")
        if finding not in knowledge.findings:
            raise _unknown(f"health[{i}]", finding, "health finding", knowledge.findings)
        if area and area not in knowledge.areas:
            raise _unknown(f"health[{i}]", area, "body area", knowledge.areas)
    health_areas = tie_findings(entries)
    return frozenset(health_areas), health_areas


def tie_findings(entries: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each finding of ``finding@area`` entries, with the areas it was tied to (empty when none was said)."""
    tied: dict[str, set[str]] = {}
    for entry in entries:
        finding, _, area = entry.partition("@")
        areas = tied.setdefault(finding, set())
        if area:
            areas.add(area)
    return {finding: frozenset(areas) for finding, areas in tied.items()}


def _resolve_diagnoses(given: Iterable[str], knowledge: KnowledgeBase) -> tuple[frozenset[str], tuple[str, ...]]:
    """The complaints named by id or ICD-10-CM code, and how any code was read through a broader one."""
    diagnoses: set[str] = set()
    code_notes: list[str] = []
    for i, diagnosis in enumerate(given):
        condition = diagnosis
        if is_icd10_code(diagnosis):
            found = resolve_icd10(diagnosis, knowledge.icd10_index)
            if found.condition is None:
                raise _unknown_code(f"conditions[{i}]", diagnosis, found.close, knowledge)
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
    if rule.area_count is not None and not rule.area_count[0] <= len(r.areas) <= rule.area_count[1]:
        return False
    if rule.health_all is not None and not rule.health_all <= r.health:
        return False
    if rule.health_any is not None and rule.health_any.isdisjoint(r.health):
        return False
    return rule.conditions is None or not rule.conditions.isdisjoint(matched)


def fire(r: Resolved, knowledge: KnowledgeBase) -> tuple[list[CompiledRule], frozenset[str]]:
    """Every rule that fires for ``r``, in id order, and the complaints it matched.

    The index finds them with a few mask operations, so the cost follows the
    rules that fire, not the size of the base.
    """
    rules = knowledge.rules
    tables = knowledge._tables
    fired, complaints = tables.index.fire(r)
    return [rules[i] for i in bits(fired & tables.rules_mask)], frozenset(rules[i].id for i in bits(complaints))


# Where a restriction applies: the set of areas, and the same areas in order (None, None: everywhere).
# Memo keys hold the ordered tuple: a tuple of strings is one the garbage collector stops tracking,
# while a tuple holding a frozenset is walked by every full collection for as long as the memo keeps it.
_Scope = tuple[frozenset[str] | None, tuple[str, ...] | None]
_EVERYWHERE: _Scope = (None, None)


class _Screen:
    """Where each fired restriction applies, resolved to areas once per profile.

    A screen whose restrictions all apply everywhere does not depend on the
    profile, and is memoised by the fired restrictions (see :func:`_screen`): it
    is never written to after it is built.
    """

    @classmethod
    def nothing(cls) -> _Screen:
        """The screen of a profile no fired rule restricts: shared, and never written to."""
        screen = cls.__new__(cls)
        screen.warnings, screen.forbids, screen.caps, screen.allow = [], [], [], []
        screen.forbid_sets, screen.cap_limits, screen.covering = [], [], []
        screen.key = ((), (), ())
        screen.ruled_out = None
        return screen

    def __init__(self, fired: Iterable[CompiledRule], r: Resolved, knowledge: KnowledgeBase) -> None:
        """``fired`` need hold only the fired rules that restrict care; others are ignored."""
        self.warnings: list[str] = []
        self.forbids: list[tuple[CompiledRule, frozenset[str] | None, tuple[str, ...] | None]] = []
        self.caps: list[tuple[CompiledRule, frozenset[str] | None, tuple[str, ...] | None]] = []
        self.allow: list[CompiledRule] = []
        # What the restrictions rule out and the pressure limits, with their sources: filled on first use.
        self.ruled_out: tuple[tuple[Avoidance, ...], tuple[PressureLimit, ...], int] | None = None
        for rule in fired:
            if rule.forbid is not None:
                self.forbids.append((rule, *self._scope(rule, rule.forbid.where, rule.forbid.distal, r, knowledge)))
            if rule.cap is not None:
                self.caps.append((rule, *self._scope(rule, rule.cap.where, rule.cap.distal, r, knowledge)))
            if rule.allow_only is not None:
                self.allow.append(rule)
        # The same restrictions as plain values, for the per-technique loop in ranking. The forbids that apply
        # everywhere are one entry, the union of what they rule out: a technique any of them names is out.
        everywhere: set[str] | None = set()
        scoped: list[tuple[frozenset[str] | None, frozenset[str] | None]] = []
        # The forbids of every technique, and where: when they cover every problem area, no massage now.
        self.covering: list[tuple[CompiledRule, frozenset[str] | None]] = []
        for rule, scope, _names in self.forbids:
            if rule.forbid_set is None:
                self.covering.append((rule, scope))
            if scope is not None:
                scoped.append((rule.forbid_set, scope))
            elif rule.forbid_set is None:
                everywhere = None
            elif everywhere is not None:
                everywhere |= rule.forbid_set
        if everywhere is None or everywhere:
            scoped.insert(0, (None if everywhere is None else frozenset(everywhere), None))
        self.forbid_sets = scoped
        self.cap_limits = [(rule.cap.max, scope) for rule, scope, _names in self.caps if rule.cap is not None]
        # What the restrictions are, as a key for the memo of avoided lists: strings only (see _Scope).
        self.key = (
            tuple((rule.id, names) for rule, _scope, names in self.forbids),
            tuple(rule.id for rule in self.allow),
            tuple((rule.id, names) for rule, _scope, names in self.caps),
        )

    def _scope(self, rule: CompiledRule, on: str, distal: bool, r: Resolved, knowledge: KnowledgeBase) -> _Scope:
        if on == "everywhere":
            return _EVERYWHERE
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
                areas |= knowledge.distal.get(area, frozenset())
        return knowledge._tables.scope(frozenset(areas))


_UNRESTRICTED = _Screen.nothing()


def _screen(restricting: int, r: Resolved, knowledge: KnowledgeBase) -> _Screen:
    """The screen of the fired restrictions ``restricting``; memoised when none applies to areas of the profile's."""
    tables = knowledge._tables
    local = restricting & tables.index.effects["local"]
    if not local:
        known: _Screen | None = tables.screens.get(restricting)
        if known is not None:
            return known
    rules = knowledge.rules
    screen = _Screen([rules[i] for i in bits(restricting)], r, knowledge)
    return screen if local else tables.screens.put(restricting, screen)


def _ruled_out(
    screen: _Screen, knowledge: KnowledgeBase
) -> tuple[tuple[Avoidance, ...], tuple[PressureLimit, ...], int]:
    """The avoided list, the pressure limits, and the mask of the sources they cite, for a screen that restricts."""
    avoided, cited = _avoidances(screen, knowledge)
    limits = _limits(screen, knowledge)
    if limits:
        cited |= knowledge._tables.cited_union(limit.sources for limit in limits)
    return avoided, limits, cited


def _avoidances(screen: _Screen, knowledge: KnowledgeBase) -> tuple[tuple[Avoidance, ...], int]:
    """What the fired restrictions rule out, and the mask of the sources they cite; memoised by the restrictions.

    A whole list rarely recurs (it depends on every restriction and where each
    applies), but one restriction on one set of areas often does: a missed list
    is put together from memoised parts, one per restriction, and each item is
    shared by every list that holds it.
    """
    key = screen.key
    tables = knowledge._tables
    known: tuple[tuple[Avoidance, ...], int] | None = tables.avoided.get(key)
    if known is not None:
        return known
    keys: list[tuple[str, str, str]] = []
    items: list[Avoidance] = []
    cited = 0
    restrictions: list[tuple[AvoidanceKind, CompiledRule, tuple[str, ...] | None]] = [
        *[("forbidden", rule, names) for rule, _scope, names in screen.forbids],
        *[("not_allowed", rule, None) for rule in screen.allow],
        *[("pressure_cap", rule, names) for rule, _scope, names in screen.caps],
    ]
    for kind, rule, names in restrictions:
        part_keys, part = _avoidance_part(kind, rule, names, knowledge)
        if part:
            keys += part_keys
            items += part
            cited |= tables.cited_mask(rule.sources)
    if len(restrictions) == 1:  # one part: already in order, nothing twice
        avoided = tuple(items)
    else:  # in reverse, so that the first restriction to rule out a (technique, area, rule) gives its kind
        found = dict(zip(reversed(keys), reversed(items), strict=True))
        avoided = tuple(map(found.__getitem__, sorted(found)))
    return tables.avoided.put(key, (avoided, cited))  # type: ignore[no-any-return]


def _avoidance_part(
    kind: AvoidanceKind, rule: CompiledRule, areas: tuple[str, ...] | None, knowledge: KnowledgeBase
) -> tuple[tuple[tuple[str, str, str], ...], tuple[Avoidance, ...]]:
    """What one restriction rules out on ``areas`` (in order; None: everywhere), in sort order; memoised.

    The sort keys, (technique, area or "", rule), and the avoidances are kept in
    two memo tables rather than as a pair: a pair holding the avoidances would be
    one more object for the garbage collector to walk, and the keys hold only
    strings, which it stops tracking.
    """
    tables = knowledge._tables
    part_key = (kind, rule.id, areas)
    known: tuple[Avoidance, ...] | None = tables.avoidance_parts.get(part_key)
    known_keys: tuple[tuple[str, str, str], ...] | None = tables.avoidance_keys.get(part_key)
    if known is not None and known_keys is not None:
        return known_keys, known
    if kind == "forbidden":
        techs = sorted(rule.forbid_set if rule.forbid_set is not None else knowledge.techniques)
    elif kind == "not_allowed":
        assert rule.allow_only is not None
        techs = sorted(tech for tech in knowledge.techniques if tech not in rule.allow_only)
    else:
        assert rule.cap is not None
        cap = rule.cap.max
        techs = sorted(tech for tech, (_name, lowest, *_rest) in tables.techniques.items() if lowest > cap)
    shared = tables.avoidances
    keys: list[tuple[str, str, str]] = []
    items: list[Avoidance] = []
    for tech in techs:
        for area in areas if areas is not None else (None,):
            item_key = (tech, area or "", rule.id, kind)
            item: Avoidance | None = shared.get(item_key)
            if item is None:
                item = shared.put(
                    item_key,
                    trusted(
                        Avoidance,
                        technique=tech,
                        area=area,
                        rule=rule.id,
                        kind=kind,
                        reason=rule.text,
                        sources=rule.sources,
                    ),
                )
            assert item is not None
            keys.append(item_key[:3])
            items.append(item)
    return tables.avoidance_keys.put(part_key, tuple(keys)), tables.avoidance_parts.put(part_key, tuple(items))


def _limits(screen: _Screen, knowledge: KnowledgeBase) -> tuple[PressureLimit, ...]:
    memo = knowledge._tables.limits
    limits: list[PressureLimit] = []
    for rule, _scope, areas in screen.caps:
        key = (rule.id, areas)
        known: tuple[PressureLimit, ...] | None = memo.get(key)
        if known is None:
            assert rule.cap is not None
            cap = rule.cap.max
            known = memo.put(
                key,
                tuple(
                    trusted(
                        PressureLimit, area=area, max_pressure=cap, rule=rule.id, reason=rule.text, sources=rule.sources
                    )
                    for area in (areas if areas is not None else (None,))
                ),
            )
        limits.extend(known)
    return tuple(limits)


def _rank(
    scoring: int, screen: _Screen, r: Resolved, knowledge: KnowledgeBase
) -> tuple[tuple[RankedTechnique, ...], int]:
    """The offered techniques, best first, and the mask of the sources their reasons cite.

    ``scoring`` is the mask of the fired scoring rules. The order follows from
    the scores alone, and a score from which of the technique's rules fired: so
    the techniques that score, in order, are memoised by that mask, and each
    profile only filters them by place. Entries are built per answer: they rarely
    recur (rank and areas vary), and a memo of them would keep many objects alive
    for the garbage collector to walk again and again.
    """
    tables = knowledge._tables
    candidates: tuple[_Candidate, ...] | None = tables.candidates.find(scoring)
    if candidates is None:
        candidates = tables.candidates.put(scoring, _candidates(scoring, knowledge))
    assert candidates is not None
    restricted = bool(screen.forbids or screen.caps or screen.allow)
    r_areas = r.areas
    whole_body = knowledge.whole_body_areas & r_areas if restricted else _NOWHERE
    ranked: list[RankedTechnique] = []
    cited = 0
    all_areas: tuple[str, ...] | None = None
    static = tables.techniques
    reasons = tables.scoring.reasons
    for _order, tech_id, _score, shown_score, entries, sources in candidates:
        name, lowest, highest, where, cpt, evidence = static[tech_id]
        areas = r_areas if where is None or r_areas <= where else r_areas.intersection(where)
        skip = _NOWHERE
        if restricted:
            place = _restrict(tech_id, lowest, highest, areas, whole_body, screen)
            if place is None:
                continue
            areas, skip, highest = place
        elif not areas:
            continue
        if areas is r_areas:
            shown = all_areas = all_areas or tuple(sorted(r_areas))
        else:
            shown = tuple(sorted(areas))
        ranked.append(
            trusted_dict(
                RankedTechnique,
                {
                    "id": tech_id,
                    "name": name,
                    "rank": len(ranked) + 1,
                    "score": shown_score,
                    "areas": shown,
                    "skip_areas": tuple(sorted(skip)) if skip else (),
                    "pressure_min": lowest,
                    "pressure_max": highest,
                    "cpt": cpt,
                    "evidence": evidence,
                    "reasons": (reasons[entries[0]],) if len(entries) == 1 else itemgetter(*entries)(reasons),
                },
                _RANKED_FIELDS,
            )
        )
        cited |= sources
    return tuple(ranked), cited


_RANKED_FIELDS = fields_set(RankedTechnique, RankedTechnique.model_fields)  # every field is given

# A technique that scores: its order (minus the score as shown), id, score (exact, as shown), its fired scoring
# entries in order (the reasons, by number) and the mask of the sources they cite. Numbers and a string only:
# memoised by the thousand on large bases, such tuples are ones the garbage collector stops tracking, so its
# full collections never walk them (a tuple holding the reasons themselves would be walked every time).
_Candidate = tuple[float, str, float, float, tuple[int, ...], int]


def _candidates(scoring: int, knowledge: KnowledgeBase) -> tuple[_Candidate, ...]:
    """The techniques with a positive score from the fired scoring rules ``scoring``, best first, ties by id."""
    tables = knowledge._tables
    entries = tables.scoring.entries(scoring)
    run_end = tables.scoring.run_end
    memo = tables.scored
    singles = tables.singles
    found = []
    start, count = 0, len(entries)
    while start < count:  # one technique's run of entries at a time
        first = entries[start]
        end = bisect_left(entries, run_end[first], start)
        candidate: _Candidate | None
        if end == start + 1:  # a technique one rule scores: its candidate is kept by entry, no key to build
            candidate = singles[first]
            if candidate is None:
                candidate = singles[first] = _candidate((first,), tables)
        else:
            key = tuple(entries[start:end])
            candidate = memo.find(key)
            if candidate is None:
                candidate = memo.put(key, _candidate(key, tables))
        assert candidate is not None
        if candidate[2] > 0:
            found.append(candidate)
        start = end
    found.sort()  # by score as shown, then id: ids differ, so the comparison stops there
    return tuple(found)


def _candidate(entries: tuple[int, ...], tables: Tables) -> _Candidate:
    """A technique as a candidate, from its fired entries in order; memoised, so lists share candidates."""
    scoring = tables.scoring
    score = math.fsum(map(scoring.points.__getitem__, entries))
    shown = round6(score)
    sources = 0
    for mask in map(scoring.sources.__getitem__, entries):
        sources |= mask
    return -shown, scoring.techniques[entries[0]], score, shown, entries, sources


def _score_entries(entries: list[tuple[float, str, Reason, frozenset[str]]]) -> _Scored:
    """Score a technique from (-points, rule id, reason, sources): sorting them puts its reasons best first."""
    entries.sort()
    score = math.fsum(map(neg, map(_minus_points, entries)))
    return score, round6(score), tuple(map(_reason_of, entries)), frozenset().union(*map(_sources_of, entries))


_minus_points, _reason_of, _sources_of = itemgetter(0), itemgetter(2), itemgetter(3)


def round6(score: float) -> float:
    """``round(score, 6)``: a score as shown and compared for ties.

    Most scores are sums of points like 0.5 or 1.5, multiples of 1/64, whose
    decimals end within six places: rounding gives them back unchanged, so the
    costly decimal conversion inside ``round`` is skipped for them.
    """
    return score if (score * 64.0).is_integer() else round(score, 6)


def score_reasons(reasons: list[Reason]) -> _Scored:
    """A technique's score (exact, and rounded as shown), its reasons best first, and their sources."""
    return _score_entries([(-reason.points, reason.rule, reason, frozenset(reason.sources)) for reason in reasons])


def _restrict(
    tech_id: str, lowest: int, highest: int, areas: frozenset[str], whole_body: frozenset[str], screen: _Screen
) -> tuple[frozenset[str], frozenset[str], int] | None:
    """Where a technique may go under the fired restrictions, what to skip, and its top pressure; None: nowhere."""
    for rule in screen.allow:
        if rule.allow_only is not None and tech_id not in rule.allow_only:
            return None
    blocked: set[str] = set()
    for forbid_set, scope in screen.forbid_sets:
        if forbid_set is None or tech_id in forbid_set:
            if scope is None:
                return None
            blocked |= scope
    for cap, scope in screen.cap_limits:
        if cap < lowest:
            if scope is None:
                return None
            blocked |= scope
    if blocked:
        areas = areas.difference(blocked)
    if not areas:  # nowhere left, or the technique is not used on any of the client's areas
        return None
    covers_all = bool(areas & whole_body) if whole_body else False
    for cap, scope in screen.cap_limits:
        if lowest <= cap < highest and (scope is None or covers_all or not scope.isdisjoint(areas)):
            highest = cap
    return areas, frozenset(blocked) if covers_all and blocked else _NOWHERE, highest


def _all_areas_ruled_out(screen: _Screen, r: Resolved) -> NoMassageNow | None:
    """When local rules forbid every technique on every problem area, say so as "no massage now"."""
    covering = screen.covering
    ruled_out: set[str] = set()
    for _rule, scope in covering:
        ruled_out |= r.areas if scope is None else scope
    if not covering or not r.areas <= ruled_out:
        return None
    rule = covering[0][0]
    assert rule.forbid is not None
    come_back = rule.forbid.come_back or "once the affected area has healed or been cleared; other areas may be treated"
    return NoMassageNow(reason=rule.text, rule=rule.id, come_back=come_back, sources=rule.sources)


def recommend(profile: ClientProfile, knowledge: KnowledgeBase | None = None) -> Recommendation:
    """Screen, match, rank and plan for one client. Bundled knowledge unless ``knowledge`` is given.

    Raises :class:`~massage_rules.ProfileError` when the profile holds a value the
    knowledge does not define.
    """
    if not isinstance(profile, ClientProfile):
        raise ProfileError("profile", profile, f"must be a ClientProfile, not {type(profile).__name__}")
    return _recommend(profile, _knowledge_or_default(knowledge))


def _knowledge_or_default(knowledge: object) -> KnowledgeBase:
    if knowledge is None:
        return default_knowledge()
    if not isinstance(knowledge, KnowledgeBase):
        raise TypeError(f"knowledge must be a KnowledgeBase from load_knowledge(), not {type(knowledge).__name__}")
    return knowledge


def recommend_many(
    profiles: Iterable[ClientProfile], knowledge: KnowledgeBase | None = None
) -> Iterator[Recommendation]:
    """Recommend for each profile in turn, lazily: the same answers as :func:`recommend`, one by one.

    An iterable in, an iterator out, so a batch of any length never sits in memory.
    A profile that is not a :class:`ClientProfile`, or holds a value the knowledge
    does not define, raises :class:`~massage_rules.ProfileError` when the iterator
    reaches it; the answers before it have already been yielded.
    """
    if isinstance(profiles, ClientProfile | Mapping | str | bytes):
        raise ProfileError(
            "profiles", profiles, f"must be an iterable of ClientProfile, not a single {type(profiles).__name__}"
        )
    return _many(iter(profiles), knowledge)


def _many(profiles: Iterator[ClientProfile], knowledge: KnowledgeBase | None) -> Iterator[Recommendation]:
    kb = _knowledge_or_default(knowledge)
    for profile in profiles:
        if not isinstance(profile, ClientProfile):
            raise ProfileError("profile", profile, f"must be a ClientProfile, not {type(profile).__name__}")
        yield _recommend(profile, kb)


@dataclass(slots=True)
class _Head:
    """The parts of an answer that follow from the fired rules alone: referrals, "no massage now", complaints, notes."""

    referrals: tuple[Referral, ...]
    referral: Referral | None
    no_massage: NoMassageNow | None
    blocked: bool
    conditions: tuple[MatchedCondition, ...]
    notes: tuple[Note, ...]
    cited: int  # the mask of the sources they cite


def _head(fired_mask: int, complaint_mask: int, r: Resolved, kb: KnowledgeBase) -> _Head:
    """Referrals (urgent first), "no massage now", matched complaints and notes; memoised."""
    tables = kb._tables
    effects = tables.index.effects
    diagnoses = r.diagnoses
    key = (fired_mask & effects["head"], complaint_mask, r.diagnosis_key)
    known: _Head | None = tables.heads.get(key)
    if known is not None:
        return known
    rules = kb.rules
    fired = [rules[i] for i in bits(fired_mask & effects["head"])]
    referrals = sorted(
        (rule.referral for rule in fired if rule.referral is not None),
        key=lambda x: (x.urgency != "urgent", x.massage_meanwhile, x.rule),
    )
    referral = None
    if referrals:
        meanwhile = all(x.massage_meanwhile for x in referrals)
        referral = referrals[0]
        if referral.massage_meanwhile != meanwhile:
            referral = referral.model_copy(update={"massage_meanwhile": meanwhile})
    no_massage = next((rule.stop for rule in fired if rule.stop is not None), None)
    matched = sorted(rules[i].id for i in bits(complaint_mask))
    notes = tuple(rule.note_item for rule in fired if rule.note_item is not None)
    groups = [given.sources for given in referrals] + [note.sources for note in notes]
    if no_massage is not None:
        groups.append(no_massage.sources)
    cited = tables.cited_union(groups)
    head = _Head(
        referrals=tuple(referrals),
        referral=referral,
        no_massage=no_massage,
        blocked=no_massage is not None or (referral is not None and not referral.massage_meanwhile),
        conditions=tuple(tables.matched_conditions[(c, "diagnosis" if c in diagnoses else "profile")] for c in matched),
        notes=notes,
        cited=cited,
    )
    return tables.heads.put(key, head)  # type: ignore[no-any-return]


def _recommend(profile: ClientProfile, kb: KnowledgeBase) -> Recommendation:
    r = resolve_profile(profile, kb)
    tables = kb._tables
    index = tables.index
    fired_mask, complaint_mask = index.fire(r)
    head = _head(fired_mask, complaint_mask, r, kb)
    referral, no_massage = head.referral, head.no_massage
    restricting = fired_mask & index.effects["restrict"]
    screen = _screen(restricting, r, kb) if restricting else _UNRESTRICTED
    techniques: tuple[RankedTechnique, ...] = ()
    avoided: tuple[Avoidance, ...] = ()
    limits: tuple[PressureLimit, ...] = ()
    plan = None
    cited = head.cited
    if not head.blocked:
        if restricting:
            ruled_out = screen.ruled_out
            if ruled_out is None:  # a memoised screen keeps what it rules out: no key to hash again
                ruled_out = screen.ruled_out = _ruled_out(screen, kb)
            avoided, limits, restricting_sources = ruled_out
            cited |= restricting_sources
        ranked, ranked_sources = _rank(fired_mask & index.effects["score"], screen, r, kb)
        if ranked:
            techniques = ranked
            cited |= ranked_sources
            plan, plan_cited = build_plan(fired_mask, complaint_mask, r, kb, techniques)
            cited |= plan_cited
        elif referral is None:
            no_massage = _all_areas_ruled_out(screen, r)
            if no_massage is not None:
                cited |= tables.cited_mask(no_massage.sources)

    outcome: Outcome
    if no_massage is not None:
        outcome = "no_massage"
    elif referral is not None:
        outcome = "refer_and_treat" if techniques else "refer"
    else:
        outcome = "treat" if techniques else "nothing_suitable"
    warnings = r.code_notes
    if screen.warnings or kb.switched_off:
        matched = frozenset(condition.id for condition in head.conditions)
        warnings = (*warnings, *screen.warnings, *switched_off_warnings(kb, r, matched))
    return trusted(
        Recommendation,
        _DEFAULTS,
        outcome=outcome,
        profile=r.profile,
        techniques=techniques,
        avoided=avoided,
        pressure_limits=limits,
        referral=referral,
        referrals=head.referrals,
        no_massage=no_massage,
        plan=plan,
        conditions=head.conditions,
        notes=head.notes,
        warnings=tuple(dict.fromkeys(warnings)) if warnings else (),
        sources=_source_refs(cited, tables),
        knowledge=tables.stamp,
    )


def _source_refs(cited: int, tables: Tables) -> tuple[SourceRef, ...]:
    """The answer's sources (a mask: a bit per source, in id order); memoised, as many answers cite the same."""
    memo = tables.cited
    found: tuple[SourceRef, ...] | None = memo.get(cited)
    if found is None:
        found = memo.put(cited, tuple(map(tables.refs_in_order.__getitem__, bits(cited))))
    return found
