"""``verify``: walk the profile space of a knowledge base and report gaps, unsafe answers and rule defects.

The walk is exhaustive where the engine can tell profiles apart and sampled
nowhere. A rule sees a profile only through its conditions, so two values of a
dimension that every rule treats alike (two causes no rule names, two severities
between the same thresholds) give the same answer; one value per such class
stands for all of them. See ``docs/authoring.md`` for the exact space and why it
suffices.

Which rules fire is decided here independently of the engine, with one bit per
rule and one mask per dimension value (a rule fires when every dimension's mask
holds it), and the engine's answer is then checked against those rules: nothing
forbidden offered, no pressure over a cap, no techniques when care is stopped.
The engine runs once per distinct situation (fired rules, areas, findings'
areas, phase, diagnoses), since its answer depends on nothing else.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from massage_rules.engine.recommend import recommend
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase, default_knowledge
from massage_rules.models import ClientProfile, Recommendation
from massage_rules.rules.facts import tie_findings

__all__ = ["VerifyFinding", "VerifyReport", "verify_knowledge"]

MAX_DAYS = 36_500
MAX_CACHED = 200_000
WARNING_KINDS = frozenset({"shadowed", "switched_off"})
GOAL_SUBSETS_UP_TO = 6  # walk every goal set when goals are not monotone and there are this few


class VerifyFinding(BaseModel):
    """One defect verify found: its kind, the rule(s) involved, what is wrong, and a profile that shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # errors: unsafe, gap, non_monotone, contradiction, dead_rule; warnings: switched_off, shadowed
    message: str
    rules: tuple[str, ...] = ()
    origin: str | None = None
    profile: dict[str, Any] | None = None
    other_profile: dict[str, Any] | None = None
    count: int = 1  # how many walked profiles show it


class VerifyReport(BaseModel):
    """What verify walked, how long it took, and every defect it found (errors fail, warnings do not)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    knowledge_version: str
    content_hash: str
    ok: bool
    errors: tuple[VerifyFinding, ...]
    warnings: tuple[VerifyFinding, ...]
    profiles_walked: int
    profiles_represented: int
    engine_calls: int
    pairs_settled: int  # finding pairs judged from their two singles, without an engine call
    parts: dict[str, int]
    classes: dict[str, list[str]]
    seconds: float


# --- the dimensions -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Masks:
    """Per-dimension masks: bit i is set when rule i's condition on that dimension holds."""

    kb: KnowledgeBase
    rules: tuple[CompiledRule, ...]
    full: int
    no_match: int  # complaint rules that fire only on a named diagnosis
    needs_complaint: int  # rules with a ``conditions`` test
    complaint_bit: dict[str, int]
    complaints: int
    _cond_cache: dict[int, int] = field(default_factory=dict)
    _memo: dict[tuple[str, Any], int] = field(default_factory=dict)

    @classmethod
    def build(cls, kb: KnowledgeBase) -> _Masks:
        rules = kb.rules
        full = (1 << len(rules)) - 1
        # Complaints only a named diagnosis fires (also those whose 'confirm' always applies), and
        # rules on age: verify's profiles give no age.
        no_match = _bits(
            i
            for i, r in enumerate(rules)
            if (r.diagnosis is not None and not r.has_match) or r.age is not None or _confirms_always(r)
        )
        needs = _bits(i for i, r in enumerate(rules) if r.conditions is not None)
        complaints = {r.id: 1 << i for i, r in enumerate(rules) if r.kind == "condition"}
        return cls(kb, rules, full, no_match, needs, complaints, _bits_from(complaints.values()))

    def where(self, test: Any) -> int:
        return _bits(i for i, r in enumerate(self.rules) if test(r))

    def memo(self, name: str, value: Any) -> int:
        """The mask of dimension ``name`` for ``value``, computed once."""
        key = (name, value)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = getattr(self, name)(value)
        return found

    def areas(self, areas: frozenset[str]) -> int:
        count = len(areas)  # a profile's areas also decide its area count
        return self.where(
            lambda r: (
                (r.areas is None or not r.areas.isdisjoint(areas))
                and (r.area_count is None or r.area_count[0] <= count <= r.area_count[1])
            )
        )

    def cause(self, cause: str | None) -> int:
        return self.where(
            lambda r: (r.causes is None or cause in r.causes) and (r.causes_not is None or cause not in r.causes_not)
        )

    def phase(self, phase: str) -> int:
        return self.where(lambda r: (r.phases is None or phase in r.phases) and not _confirms_in(r, phase))

    def goals(self, goals: frozenset[str]) -> int:
        return self.where(lambda r: r.goals is None or not r.goals.isdisjoint(goals))

    def severity(self, value: int) -> int:
        return self.where(lambda r: r.severity is None or r.severity[0] <= value <= r.severity[1])

    def days(self, value: int | None) -> int:
        return self.where(lambda r: r.days is None or (value is not None and r.days[0] <= value <= r.days[1]))

    def health(self, findings: frozenset[str]) -> int:
        return self.where(
            lambda r: (
                (r.health_all is None or r.health_all <= findings)
                and (r.health_any is None or not r.health_any.isdisjoint(findings))
            )
        )

    def diagnoses(self, named: frozenset[str]) -> int:
        return self.where(lambda r: r.diagnosis is not None and r.diagnosis in named)

    def fired(self, held: int, named: int) -> int:
        """Rules that fire, given the rules whose own conditions hold and those a named diagnosis fires.

        A ``conditions`` test holds when the profile matched one of the complaints;
        complaints matched that way count too, until nothing changes.
        """
        held &= ~self.no_match
        fired = (held & ~self.needs_complaint) | named
        waiting = held & self.needs_complaint & ~named
        while waiting:
            matched = fired & self.complaints
            more = waiting & self._cond(matched)
            if not more:
                break
            fired |= more
            waiting &= ~more
        return fired

    def _cond(self, matched: int) -> int:
        found = self._cond_cache.get(matched)
        if found is None:
            ids = {ident for ident, bit in self.complaint_bit.items() if matched & bit}
            found = self.where(lambda r: r.conditions is not None and not r.conditions.isdisjoint(ids))
            self._cond_cache[matched] = found
        return found


def _confirm_keys(rule: CompiledRule) -> set[str]:
    confirm = rule.confirm
    if confirm is None:
        return set()
    keys = ("areas", "causes", "phases", "goals", "severity", "days", "health_all", "health_any", "causes_not", "age")
    return {key for key in keys if getattr(confirm, key) is not None}


def _confirms_always(rule: CompiledRule) -> bool:
    """A complaint whose confirming question always applies: only a named diagnosis matches it."""
    return rule.confirm is not None and not _confirm_keys(rule)


def _confirms_in(rule: CompiledRule, phase: str) -> bool:
    """A complaint whose confirming question applies in ``phase`` (its only condition): no match from the profile."""
    confirm = rule.confirm
    return (
        confirm is not None
        and _confirm_keys(rule) == {"phases"}
        and confirm.phases is not None
        and phase in confirm.phases
    )


def _bits(indexes: Iterable[int]) -> int:
    mask = 0
    for i in indexes:
        mask |= 1 << i
    return mask


def _bits_from(values: Iterable[int]) -> int:
    mask = 0
    for v in values:
        mask |= v
    return mask


def _members(mask: int, rules: tuple[CompiledRule, ...]) -> list[CompiledRule]:
    out = []
    while mask:
        low = mask & -mask
        out.append(rules[low.bit_length() - 1])
        mask ^= low
    return out


def _classes(values: list[Any], mask_of: Any) -> list[tuple[Any, int, int]]:
    """Group values that every rule treats alike: (representative, mask, class size), in first-seen order."""
    groups: dict[int, list[Any]] = {}
    for value in values:
        groups.setdefault(mask_of(value), []).append(value)
    return [(members[0], mask, len(members)) for mask, members in groups.items()]


def _cut_points(ranges: Iterable[tuple[int, int]], low: int, high: int) -> list[tuple[int, int]]:
    """Split [low, high] at every range end, so that each piece lies wholly in or out of every range."""
    cuts = {low, high + 1}
    for lo, hi in ranges:
        for point in (lo, hi + 1):
            if low < point <= high:
                cuts.add(point)
    ordered = sorted(cuts)
    return [(a, b - 1) for a, b in itertools.pairwise(ordered)]


# --- the safety oracle ----------------------------------------------------------------------------------------


def _scope(
    rule: CompiledRule,
    on: str,
    distal: bool,
    areas: frozenset[str],
    tied: Mapping[str, frozenset[str]],
    kb: KnowledgeBase,
) -> frozenset[str] | None:
    if on == "everywhere":
        return None
    if on == "problem_areas":
        found = set(areas)
    else:
        found = set()
        findings = (rule.health_all or frozenset()) | ((rule.health_any or frozenset()) & frozenset(tied))
        for finding in findings:
            found |= tied.get(finding) or areas
    if distal:
        for area in list(found):
            found |= kb.distal.get(area, frozenset())
    return frozenset(found)


def unsafe_offers(
    result: Recommendation,
    fired: Iterable[CompiledRule],
    areas: frozenset[str],
    tied: Mapping[str, frozenset[str]],
    kb: KnowledgeBase,
) -> list[tuple[str, str]]:
    """Every way ``result`` breaks the rules that fired: (rule id, what was offered against it)."""
    problems: list[tuple[str, str]] = []
    fired = list(fired)
    offered = result.techniques
    whole = kb.whole_body_areas
    for rule in fired:
        if rule.no_massage is not None and offered:
            problems.append((rule.id, f"stops massage, yet {offered[0].id} is offered"))
        if rule.refer is not None and not rule.refer.massage_meanwhile and offered:
            problems.append((rule.id, f"refers with no massage meanwhile, yet {offered[0].id} is offered"))
    for tech in offered:
        technique = kb.techniques[tech.id]
        on = frozenset(tech.areas)
        # a whole-body session touches every area but those it says to skip
        treated = on | (frozenset(kb.areas) - frozenset(tech.skip_areas) if on & whole else frozenset())
        if technique.areas is not None and not on <= frozenset(technique.areas):
            problems.append(
                (tech.id, f"{tech.id} is offered on {sorted(on - set(technique.areas))}, outside its areas")
            )
        assert technique.pressure.min is not None
        for rule in fired:
            if rule.allow_only is not None and tech.id not in rule.allow_only:
                problems.append((rule.id, f"allows only {sorted(rule.allow_only)}, yet {tech.id} is offered"))
            if rule.forbid is not None and (rule.forbid_set is None or tech.id in rule.forbid_set):
                scope = _scope(rule, rule.forbid.where, rule.forbid.distal, areas, tied, kb)
                if scope is None or not scope.isdisjoint(treated):
                    where = "" if scope is None else f" on {sorted(scope & treated)}"
                    problems.append((rule.id, f"holds and forbids {tech.id}{where}, yet it is offered there"))
            if rule.cap is not None:
                scope = _scope(rule, rule.cap.where, rule.cap.distal, areas, tied, kb)
                if (scope is None or not scope.isdisjoint(treated)) and tech.pressure_max > rule.cap.max:
                    problems.append(
                        (
                            rule.id,
                            f"caps pressure at {rule.cap.max}, yet {tech.id} is offered up to {tech.pressure_max}",
                        )
                    )
    return problems


# --- the walk -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Profile:
    areas: frozenset[str]
    cause: str | None
    phase: str
    days: int | None
    severity: int
    goals: frozenset[str]
    health: tuple[str, ...]
    diagnoses: frozenset[str]

    def fields(self) -> dict[str, Any]:
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
        """The profile itself; its fields are valid by construction, so validation is skipped."""
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

    def tied(self) -> dict[str, frozenset[str]]:
        return tie_findings(self.health)


@dataclass(frozen=True, slots=True)
class _Answer:
    """What verify keeps of one engine answer: enough to judge it and the profiles that share it."""

    stop: bool  # a referral or "no massage now"
    gap: bool
    offered: frozenset[str]
    points: tuple[tuple[tuple[int, float], ...], ...]  # per offered technique: (rule bit, points) per reason
    sessions: tuple[int, int] | None
    steps: frozenset[str]
    unsafe: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, result: Recommendation, unsafe: list[tuple[str, str]], bit: Mapping[str, int]) -> _Answer:
        plan = result.plan
        return cls(
            stop=result.referral is not None or result.no_massage is not None,
            gap=result.outcome == "nothing_suitable",
            offered=frozenset(t.id for t in result.techniques),
            points=tuple(tuple((bit.get(r.rule, 0), r.points) for r in t.reasons) for t in result.techniques),
            sessions=(plan.sessions_min, plan.sessions_max) if plan is not None else None,
            steps=frozenset(s.rule for s in plan.derivation) if plan is not None else frozenset(),
            unsafe=tuple(unsafe),
        )


class _Walker:
    def __init__(self, kb: KnowledgeBase, max_examples: int) -> None:
        self.kb = kb
        self.m = _Masks.build(kb)
        self.max_examples = max_examples
        self.cache: dict[tuple[Any, ...], _Answer] = {}
        self.engine_calls = 0
        self.fired_counts: Counter[int] = Counter()
        self.walked = 0
        self.represented = 0
        self.found: dict[tuple[str, str], VerifyFinding] = {}
        self.scored_seen: dict[tuple[str, str], Counter[str]] = {}
        self.scored_offered: set[tuple[str, str]] = set()
        self.bit = {r.id: 1 << i for i, r in enumerate(self.m.rules)}
        self.uses_tied = _bits(
            i
            for i, r in enumerate(self.m.rules)
            if (r.forbid is not None and r.forbid.where == "finding_areas")
            or (r.cap is not None and r.cap.where == "finding_areas")
        )

    def derive(self, p: _Profile, held: int, weight: int, base: _Answer) -> None:
        """Evaluate a profile that differs from an all-goals one only by fewer goals, from that one's answer.

        Used only when goal rules just add points: restrictions and plan are then the
        same, and a technique is offered when the points of the rules firing here still
        add up to more than 0. ``points`` holds, per offered technique, each reason's
        rule bit and points.
        """
        fired = self.count(p, held, weight)
        if base.stop:
            return
        for reasons in base.points:
            if math.fsum(value for bit, value in reasons if bit & fired) > 0:
                return
        self.note(
            "gap",
            f"{sorted(p.areas)}|{p.phase}|{sorted(p.goals)}|{p.health}|{p.diagnoses}",
            "no technique, no referral and no 'no massage' answer for this profile",
            profile=p.fields(),
        )

    def goals(
        self, template: _Profile, held: int, weight: int, goal_masks: list[tuple[frozenset[str], int]], derive: bool
    ) -> list[tuple[_Answer, _Profile]]:
        """Walk every goal set for one profile (``template`` has all goals, the last of ``goal_masks``).

        The engine runs for each goal set, or, when ``derive``, once for all goals.
        """
        if not derive:
            out = []
            for goal_set, g_mask in goal_masks:
                p = template if goal_set == template.goals else dataclasses.replace(template, goals=goal_set)
                out.append((self.run(p, held & g_mask, weight), p))
            return out
        all_mask = goal_masks[-1][1]
        base = self.run(template, held & all_mask, weight)
        for goal_set, g_mask in goal_masks[:-1]:
            template.goals = goal_set  # the profile is read, never kept, unless a gap copies its fields
            self.derive(template, held & g_mask, weight, base)
        template.goals = goal_masks[-1][0]
        return [(base, template)]

    def count(self, p: _Profile, held: int, weight: int) -> int:
        """Count ``p`` as walked (standing for ``weight`` profiles) and return the rules that fire for it."""
        named = self.m.diagnoses(p.diagnoses) if p.diagnoses else 0
        fired = self.m.fired(held, named)
        self.walked += 1
        self.represented += weight
        self.fired_counts[fired] += 1
        return fired

    def note(self, kind: str, key: str, message: str, rules: tuple[str, ...] = (), **extra: Any) -> None:
        known = self.found.get((kind, key))
        if known is None and sum(1 for k in self.found if k[0] == kind) >= self.max_examples:
            key = next(k for k in self.found if k[0] == kind)[1]  # counted with the first example
            known = self.found[(kind, key)]
        if known is not None:
            self.found[(kind, key)] = known.model_copy(update={"count": known.count + 1})
            return
        origin = self.kb.rules_by_id[rules[0]].origin if rules and rules[0] in self.kb.rules_by_id else None
        self.found[(kind, key)] = VerifyFinding(kind=kind, message=message, rules=rules, origin=origin, **extra)

    def run(self, p: _Profile, held: int, weight: int) -> _Answer:
        """Evaluate one profile whose rules' own conditions hold in ``held``; return the engine's answer."""
        fired = self.count(p, held, weight)
        tied = p.tied() if fired & self.uses_tied else None
        key = (fired, p.areas, tuple(sorted(tied.items())) if tied else None, p.phase, p.diagnoses)
        cached = self.cache.get(key)
        if cached is None:
            result = recommend(p.profile(), self.kb)
            self.engine_calls += 1
            rules = _members(fired, self.m.rules)
            unsafe = unsafe_offers(result, rules, p.areas, tied or p.tied(), self.kb)
            cached = _Answer.of(result, unsafe, self.bit)
            if len(self.cache) >= MAX_CACHED:  # the cache only saves time; keep memory bounded
                self.cache.clear()
            self.cache[key] = cached
            offered = cached.offered
            blockers = _blockers(result)
            for rule in rules:
                for tech, points in rule.score:
                    if points > 0:
                        if tech in offered:
                            self.scored_offered.add((rule.id, tech))
                        else:
                            self.scored_seen.setdefault((rule.id, tech), Counter()).update(blockers.get(tech, ["?"]))
        if cached.gap:
            self.note(
                "gap",
                f"{sorted(p.areas)}|{p.phase}|{sorted(p.goals)}|{p.health}|{p.diagnoses}",
                "no technique, no referral and no 'no massage' answer for this profile",
                profile=p.fields(),
            )
        for rule_id, what in cached.unsafe:
            self.note("unsafe", f"{rule_id}|{what}", f"rule '{rule_id}' {what}", (rule_id,), profile=p.fields())
        return cached


def _blockers(result: Recommendation) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    stop = result.no_massage.rule if result.no_massage else None
    if stop is None and result.referral is not None and not result.referral.massage_meanwhile:
        stop = result.referral.rule
    for avoided in result.avoided:
        out.setdefault(avoided.technique, []).append(avoided.rule)
    if stop is not None:
        return _Everything(stop)
    return out


class _Everything(dict[str, list[str]]):
    """Every technique blocked by one answer-wide rule (a referral or 'no massage')."""

    def __init__(self, rule: str) -> None:
        super().__init__()
        self.rule = rule

    def get(self, key: str, default: Any = None) -> list[str]:
        return [self.rule]


def _subsets(items: list[str], sizes: Iterable[int]) -> Iterator[frozenset[str]]:
    for size in sizes:
        for combo in itertools.combinations(items, size):
            yield frozenset(combo)


def verify_knowledge(knowledge: KnowledgeBase | None = None, *, max_examples: int = 5) -> VerifyReport:
    """Walk the profile space of ``knowledge`` (bundled by default) and report what is wrong with it.

    Errors (the report is not ``ok``): gaps, unsafe answers, more severity giving
    fewer sessions, dead rules, contradictions. Warnings: scores always shadowed.
    """
    kb = knowledge if knowledge is not None else default_knowledge()
    started = time.perf_counter()
    w = _Walker(kb, max_examples)
    m = w.m
    rules = m.rules
    areas = list(kb.areas)
    goals = list(kb.goals)
    phases = list(kb.phases.values())

    # Classes of equivalent values, from every rule (the core walk) and from the rules that
    # restrict care or test findings (the walks with findings and diagnoses).
    restricting = [r for r in rules if r.is_safety or r.health_all is not None or r.health_any is not None]
    causes_all = _classes([None, *kb.causes], m.cause)
    cause_restrict = _classes([None, *kb.causes], lambda c: m.cause(c) & _bits_of(rules, restricting))
    sev_all = _cut_points((r.severity for r in rules if r.severity is not None), 0, 10)
    sev_restrict = _cut_points((r.severity for r in restricting if r.severity is not None), 0, 10)
    day_ranges = [r.days for r in rules if r.days is not None]
    timings: list[tuple[str, int | None, int]] = []
    low = 0
    for phase in phases:
        high = phase.days_max if phase.days_max is not None else MAX_DAYS
        timings.append((phase.id, None, 1))
        if day_ranges:
            timings += [(phase.id, a, b - a + 1) for a, b in _cut_points(day_ranges, low, high)]
        low = high + 1
    goal_monotone = all(
        not (r.is_safety or any(points < 0 for _, points in r.score)) for r in rules if r.goals is not None
    )
    if goal_monotone:
        goal_sets = [frozenset([g]) for g in goals]
        goal_kind = "each single goal (goal rules only add points, so more goals never take a technique away)"
    elif len(goals) <= GOAL_SUBSETS_UP_TO:
        goal_sets = list(_subsets(goals, range(1, len(goals) + 1)))
        goal_kind = "every set of goals"
    else:
        goal_sets = list(_subsets(goals, (1, 2)))
        goal_kind = "every single goal and pair of goals"
    all_goals = frozenset(goals)
    goal_sets = [g for g in dict.fromkeys(goal_sets) if g != all_goals] + [all_goals]
    goal_masks = [(g, m.goals(g)) for g in goal_sets]
    # When goal rules only add points (no restriction, no complaint other rules test), a smaller
    # goal set changes only which of those points count (and, through a dose, the plan): the
    # engine runs for all goals and each smaller set's offer is read from that answer.
    tested = {c for r in rules if r.conditions is not None for c in r.conditions}
    derive = all(
        not r.is_safety and r.id not in tested and all(points > 0 for _, points in r.score)
        for r in rules
        if r.goals is not None
    )

    area_sets = [frozenset([a]) for a in areas] + [frozenset(pair) for pair in itertools.combinations(areas, 2)]
    parts: dict[str, int] = {}

    # Part 1, the core: every area and pair of areas x cause class x phase and day class x severity class x goal set.
    before = w.walked
    for area_set in area_sets:
        a_mask = m.memo("areas", area_set)
        for cause, c_mask, c_size in causes_all:
            ac = a_mask & c_mask
            for phase_id, days, d_size in timings:
                acp = ac & m.memo("phase", phase_id) & m.memo("days", days) & m.memo("health", frozenset())
                chains: list[list[tuple[_Answer, _Profile]]] = []
                for lo, hi in sev_all:
                    p = _Profile(area_set, cause, phase_id, days, lo, all_goals, (), frozenset())
                    held = acp & m.memo("severity", lo)
                    chains.append(w.goals(p, held, c_size * d_size * (hi - lo + 1), goal_masks, derive))
                for lower, higher in itertools.pairwise(chains):
                    for before_p, after_p in zip(lower, higher, strict=True):
                        _monotone(w, before_p, after_p)
    parts["core: areas (1-2) x causes x timing x severity x goals"] = w.walked - before

    # Part 2, findings: every single finding and every pair (local ones untied, or tied to the
    # area or to an area above it on the limb), on every single area, phase and goal set above.
    # Two findings that no rule needs together only add up their rules' effects; when those
    # effects never take points away, a technique both singles offer is offered for the pair,
    # so the engine runs for such a pair only when the singles share no offered technique.
    before = w.walked
    findings = list(kb.findings.values())
    together = {  # findings some rule mentions both of (conservative: health_any alone needs only one)
        frozenset(pair)
        for r in rules
        for pair in itertools.combinations(sorted((r.health_all or frozenset()) | (r.health_any or frozenset())), 2)
    }
    additive = all(points >= 0 for r in rules if r.health_all or r.health_any for _, points in r.score)
    single_runs: dict[tuple[Any, ...], tuple[bool, frozenset[str]]] = {}
    settled = 0
    for area in areas:
        proximal = [a for a in areas if area in kb.distal.get(a, frozenset())]
        entries: list[tuple[str, str]] = []
        for finding in findings:
            entries.append((finding.id, finding.id))
            if finding.local:
                entries += [(finding.id, f"{finding.id}@{x}") for x in (area, *proximal)]
        sets: list[tuple[tuple[str, str], ...]] = [(e,) for e in entries]
        sets += [pair for pair in itertools.combinations(entries, 2) if pair[0][0] != pair[1][0]]
        sets += _witnesses(rules, entries)
        a_mask = m.memo("areas", frozenset([area]))
        for chosen in sets:
            health = tuple(sorted(e for _, e in chosen))
            h_mask = m.memo("health", frozenset(f for f, _ in chosen))
            ah = a_mask & h_mask
            single = len(chosen) == 1
            separable = len(chosen) == 2 and additive and frozenset(f for f, _ in chosen) not in together
            goals_here = goal_masks if single else [(all_goals, m.goals(all_goals))]
            for cause, _, _ in cause_restrict:
                for phase_id, days, _ in timings:
                    if days is not None:
                        continue
                    ahp = ah & m.memo("cause", cause) & m.memo("phase", phase_id) & m.memo("days", None)
                    for lo, _hi in sev_restrict:
                        where = (area, cause, phase_id, lo)
                        if separable:
                            one, two = (single_runs[(e, *where)] for e in chosen)
                            if one[0] or two[0] or one[1] & two[1]:
                                settled += 1
                                continue
                        p = _Profile(frozenset([area]), cause, phase_id, None, lo, all_goals, health, frozenset())
                        runs = w.goals(p, ahp & m.memo("severity", lo), 1, goals_here, derive)
                        if single:
                            answer = runs[-1][0]
                            single_runs[(chosen[0], *where)] = (answer.stop, answer.offered)
    w.walked += settled
    w.represented += settled
    parts["findings: single areas x findings (1-2) x restricting causes x phases x severity x goals"] = (
        w.walked - before
    )

    # Part 3, named diagnoses: each one, on every single area, phase, severity class and goal set.
    before = w.walked
    for diagnosis in kb.conditions:
        named = frozenset([diagnosis])
        for area in areas:
            a_mask = m.memo("areas", frozenset([area])) & m.memo("health", frozenset())
            for phase_id, _days, _ in timings:
                if _days is not None:
                    continue
                held = a_mask & m.memo("cause", None) & m.memo("phase", phase_id) & m.memo("days", None)
                chains = []
                for lo, _hi in sev_all:  # every severity class, so a complaint's dose is checked for monotony
                    p = _Profile(frozenset([area]), None, phase_id, None, lo, all_goals, (), named)
                    chains.append(w.goals(p, held & m.memo("severity", lo), 1, goal_masks, derive))
                for lower, higher in itertools.pairwise(chains):
                    for before_p, after_p in zip(lower, higher, strict=True):
                        _monotone(w, before_p, after_p)
    parts["diagnoses: each diagnosis x single areas x phases x severity x goals"] = w.walked - before

    _rule_findings(w)
    for override in kb.overrides:
        if override.safety:
            w.found[("switched_off", override.rule)] = VerifyFinding(
                kind="switched_off",
                message=f"safety rule '{override.rule}' is switched off by pack '{override.pack}': {override.reason}",
                rules=(override.rule,),
            )
    errors = tuple(f for f in w.found.values() if f.kind not in WARNING_KINDS)
    warnings = tuple(f for f in w.found.values() if f.kind in WARNING_KINDS)
    return VerifyReport(
        knowledge_version=kb.version,
        content_hash=kb.content_hash,
        ok=not errors,
        errors=tuple(sorted(errors, key=_order)),
        warnings=tuple(sorted(warnings, key=_order)),
        profiles_walked=w.walked,
        profiles_represented=w.represented,
        engine_calls=w.engine_calls,
        pairs_settled=settled,
        parts=parts,
        classes={
            "causes": [str(c) for c, _, _ in causes_all],
            "severity": [f"{a}-{b}" for a, b in sev_all],
            "timing": [f"{p}:{'phase only' if d is None else f'day {d}+'}" for p, d, _ in timings],
            "goals": [goal_kind],
        },
        seconds=round(time.perf_counter() - started, 3),
    )


_KIND_ORDER = {
    "unsafe": 0,
    "gap": 1,
    "non_monotone": 2,
    "contradiction": 3,
    "dead_rule": 4,
    "switched_off": 5,
    "shadowed": 6,
}


def _order(finding: VerifyFinding) -> tuple[int, tuple[str, ...], str]:
    return (_KIND_ORDER.get(finding.kind, 9), finding.rules, finding.message)


def _bits_of(rules: tuple[CompiledRule, ...], chosen: list[CompiledRule]) -> int:
    wanted = {r.id for r in chosen}
    return _bits(i for i, r in enumerate(rules) if r.id in wanted)


def _witnesses(rules: tuple[CompiledRule, ...], entries: list[tuple[str, str]]) -> list[tuple[tuple[str, str], ...]]:
    """Finding sets of three or more that some rule needs all of (pairs are walked already)."""
    untied = {f: (f, e) for f, e in entries if f == e}
    out = []
    for rule in rules:
        if rule.health_all is not None and len(rule.health_all) > 2 and rule.health_all <= set(untied):
            out.append(tuple(untied[f] for f in sorted(rule.health_all)))
    return out


def _monotone(w: _Walker, before: tuple[_Answer, _Profile], after: tuple[_Answer, _Profile]) -> None:
    (low_answer, low), (high_answer, high) = before, after
    if low_answer.sessions is None or high_answer.sessions is None:
        return
    (a_min, a_max), (b_min, b_max) = low_answer.sessions, high_answer.sessions
    if b_min < a_min or b_max < a_max:
        # Name the steps the more severe answer brought in (the culprit); else every step that differs.
        steps = sorted(high_answer.steps - low_answer.steps) or sorted(high_answer.steps ^ low_answer.steps)
        w.note(
            "non_monotone",
            f"{steps}",
            f"severity {high.severity} gives {b_min}-{b_max} sessions, fewer than "
            f"{a_min}-{a_max} at severity {low.severity}",
            tuple(steps),
            profile=low.fields(),
            other_profile=high.fields(),
        )


def _rule_findings(w: _Walker) -> None:
    rules = w.m.rules
    ever = _bits_from(w.fired_counts)
    for i, rule in enumerate(rules):
        if not ever >> i & 1 and rule.age is None:  # the walk gives no age (tested in tests/knowledge)
            w.note("dead_rule", rule.id, f"rule '{rule.id}' fires for no profile in the walk", (rule.id,))
    contradicted: set[tuple[str, str]] = set()
    # column[i]: which distinct fired sets hold rule i; two rules fire in the same profiles
    # exactly when their columns are equal.
    column = [0] * len(rules)
    for k, mask in enumerate(w.fired_counts):
        for rule in _members(mask, rules):
            column[w.bit[rule.id].bit_length() - 1] |= 1 << k
    for i, favour in enumerate(rules):
        for tech, points in favour.score:
            if points <= 0 or not ever >> i & 1:
                continue
            for j, forbid in enumerate(rules):
                if forbid.forbid is None or forbid.forbid.where == "finding_areas":
                    continue
                if forbid.forbid_set is not None and tech not in forbid.forbid_set:
                    continue
                if column[i] == column[j]:
                    contradicted.add((favour.id, tech))
                    if i == j:
                        message = f"rule '{favour.id}' both favours and forbids {tech}; the favour never counts"
                    else:
                        message = (
                            f"rule '{favour.id}' favours {tech} and rule '{forbid.id}' forbids it in exactly the "
                            "same profiles; the forbid always wins, so the favour never counts"
                        )
                    w.note(
                        "contradiction",
                        f"{favour.id}|{forbid.id}|{tech}",
                        message,
                        (favour.id,) if i == j else (favour.id, forbid.id),
                    )
    for (rule_id, tech), blockers in sorted(w.scored_seen.items()):
        if (rule_id, tech) in w.scored_offered or (rule_id, tech) in contradicted:
            continue
        by = ", ".join(f"'{b}'" for b, _ in blockers.most_common(3))
        w.note(
            "shadowed",
            f"{rule_id}|{tech}",
            f"rule '{rule_id}' scores {tech}, but {tech} is never offered where the rule fires (ruled out by {by})",
            (rule_id,),
        )
