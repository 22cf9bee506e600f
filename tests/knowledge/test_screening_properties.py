"""Screening over random profiles, checked against the knowledge files by an oracle written here.

The oracle re-reads each rule's conditions and effects from the loaded knowledge and
decides on its own which rules must fire and what they rule out; the engine's answer
must agree. No finding, technique or area is named here: expectations come from the data.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import massage_rules as mr
from massage_rules.knowledge.load import CompiledRule
from tests.strategies import profile_fields

KB = mr.load_knowledge()
RULES = [rule for rule in KB.rules if rule.kind == "rule"]


def _tied(profile: mr.ClientProfile) -> dict[str, set[str]]:
    """Finding -> the areas the profile tied it to (empty when given without an area).

    A finding the profile's own pattern implies (its ``implied_by``) counts as given on
    every problem area, unless the profile gives it itself.
    """
    tied: dict[str, set[str]] = {}
    for entry in profile.health:
        finding, _, area = entry.partition("@")
        tied.setdefault(finding, set())
        if area:
            tied[finding].add(area)
    for ident, finding in KB.findings.items():
        pattern = finding.implied_by
        if pattern is None or ident in tied:
            continue
        holds = (
            (pattern.areas is None or bool(set(pattern.areas) & set(profile.areas)))
            and (pattern.causes is None or profile.cause in pattern.causes)
            and (pattern.phases is None or profile.phase in pattern.phases)
            and (pattern.goals is None or bool(set(pattern.goals) & set(profile.goals)))
        )
        if holds:
            tied[ident] = set(profile.areas)
    return tied


def _within(value: int | None, window: tuple[int, int] | None) -> bool:
    return window is None or (value is not None and window[0] <= value <= window[1])


def fires(rule: CompiledRule, result: mr.Recommendation) -> bool:
    """Whether ``rule``'s ``when`` holds for the profile in ``result``, decided independently of the engine."""
    p = result.profile
    health = set(_tied(p))
    matched = {c.id for c in result.conditions}
    checks = [
        rule.areas is None or bool(rule.areas & set(p.areas)),
        rule.causes is None or p.cause in rule.causes,
        rule.phases is None or p.phase in rule.phases,
        rule.goals is None or bool(rule.goals & set(p.goals)),
        rule.severity is None or rule.severity[0] <= p.severity <= rule.severity[1],
        rule.days is None or (p.days_since_onset is not None and rule.days[0] <= p.days_since_onset <= rule.days[1]),
        rule.health_all is None or rule.health_all <= health,
        rule.health_any is None or bool(rule.health_any & health),
        rule.conditions is None or bool(rule.conditions & matched),
        rule.causes_not is None or p.cause not in rule.causes_not,
        _within(p.age, rule.age),
    ]
    return all(checks)


def scope(
    rule: CompiledRule, where: str, distal: bool, result: mr.Recommendation, spread: str | None = None
) -> set[str] | None:
    """The areas a fired rule's restriction covers; None means everywhere."""
    p = result.profile
    if where == "everywhere":
        return None
    if where == "problem_areas":
        areas = set(p.areas)
    else:
        tied = _tied(p)
        areas = set()
        for finding in (rule.health_all or frozenset()) | ((rule.health_any or frozenset()) & set(tied)):
            areas |= tied.get(finding) or set(p.areas)  # no area given: every problem area, cautiously
    if distal:
        for area in list(areas):
            areas |= KB.distal.get(area, frozenset())
    if spread is not None:  # the whole area group (a lymph quadrant) of each area
        for area in list(areas):
            areas |= KB.area_groups.get(spread, {}).get(area, frozenset())
    return areas


def _on(technique: mr.RankedTechnique, areas: set[str]) -> set[str]:
    """The areas of ``areas`` that ``technique`` is applied to, a whole-body session covering all but its skips."""
    whole = bool(KB.whole_body_areas & set(technique.areas))
    return (areas & set(technique.areas)) | ((areas - set(technique.skip_areas)) if whole else set())


def _blocking(rule: CompiledRule) -> bool:
    return rule.no_massage is not None or (rule.refer is not None and not rule.refer.massage_meanwhile)


def _findings_where(predicate: Any) -> list[str]:
    """Findings with a rule of their own (conditioned on that finding alone) for which ``predicate`` holds."""
    found = set()
    for rule in RULES:
        alone = rule.health_all is not None and len(rule.health_all) == 1
        others = ("areas", "causes", "phases", "goals", "conditions", "health_any", "severity", "days")
        if alone and all(getattr(rule, key) is None for key in others) and predicate(rule):
            found |= set(rule.health_all or ())
    return sorted(found)


BLOCKING_FINDINGS = _findings_where(_blocking)
MEANWHILE_FINDINGS = _findings_where(lambda r: r.refer is not None and r.refer.massage_meanwhile)
LOCAL_FINDINGS = sorted(f for f, finding in KB.findings.items() if finding.local)
CAPPING_FINDINGS = _findings_where(lambda r: r.cap is not None)


def _with(fields: dict[str, Any], *entries: str) -> mr.ClientProfile:
    return mr.ClientProfile(**{**fields, "health": [*fields["health"], *entries]})


def test_the_oracle_has_something_to_check() -> None:
    """The knowledge has blocking, care-meanwhile, local and pressure-capping findings for the properties below."""
    assert BLOCKING_FINDINGS
    assert MEANWHILE_FINDINGS
    assert LOCAL_FINDINGS
    assert CAPPING_FINDINGS


@given(profile_fields(KB), st.sampled_from(BLOCKING_FINDINGS))
def test_no_massage_or_plain_referral_findings_leave_no_techniques(fields: dict[str, Any], finding: str) -> None:
    """A finding whose rule says "no massage now", or refers without care meanwhile, leaves no technique and no plan."""
    result = mr.recommend(_with(fields, finding), KB)
    assert result.techniques == ()
    assert result.plan is None
    assert result.outcome in {"refer", "no_massage"}
    assert result.referral is not None or result.no_massage is not None


@given(profile_fields(KB, max_health=2), st.sampled_from(MEANWHILE_FINDINGS))
def test_care_meanwhile_stays_inside_the_referrals_restrictions(fields: dict[str, Any], finding: str) -> None:
    """A referral that allows care meanwhile is always shown, and whatever is offered obeys every fired restriction."""
    result = mr.recommend(_with(fields, finding), KB)
    assert result.referral is not None
    assert any(fires(rule, result) and rule.refer is not None for rule in RULES)
    _check_restrictions(result)


@given(profile_fields(KB, max_health=2), st.sampled_from(LOCAL_FINDINGS), st.data())
def test_local_findings_keep_techniques_off_their_area(
    fields: dict[str, Any], finding: str, data: st.DataObject
) -> None:
    """A finding tied to an area keeps what it forbids off that area, and distal to it where its rule says so."""
    area = data.draw(st.sampled_from(sorted({*fields["areas"], *KB.areas})))
    result = mr.recommend(_with(fields, f"{finding}@{area}"), KB)
    scoped = [
        rule
        for rule in RULES
        if fires(rule, result)
        and finding in (rule.health_all or frozenset())
        and rule.forbid is not None
        and rule.forbid.where == "finding_areas"
    ]
    for rule in scoped:
        assert rule.forbid is not None
        covered = scope(rule, "finding_areas", rule.forbid.distal, result, rule.forbid.spread)
        assert covered is not None
        assert area in covered
        for technique in result.techniques:
            if rule.forbid_set is None or technique.id in rule.forbid_set:
                assert not _on(technique, covered), (rule.id, technique.id, technique.areas)
    _check_restrictions(result)


@given(profile_fields(KB, max_health=2), st.sampled_from(CAPPING_FINDINGS))
def test_no_offered_technique_exceeds_a_pressure_cap(fields: dict[str, Any], finding: str) -> None:
    """Every pressure cap that fires holds for every technique offered where the cap applies."""
    result = mr.recommend(_with(fields, finding), KB)
    _check_restrictions(result)


@given(profile_fields(KB))
def test_every_fired_restriction_holds_on_random_profiles(fields: dict[str, Any]) -> None:
    """On any profile, every rule the oracle says fires is obeyed: forbids, caps, allow-only and blocking answers."""
    _check_restrictions(mr.recommend(mr.ClientProfile(**fields), KB))


def _check_restrictions(result: mr.Recommendation) -> None:
    fired = [rule for rule in RULES if fires(rule, result)]
    referred = {x.rule for x in result.referrals}
    for rule in fired:
        if rule.refer is not None:
            assert rule.id in referred, rule.id
        if _blocking(rule):
            assert result.techniques == ()
            assert result.plan is None
        if rule.allow_only is not None:
            assert {t.id for t in result.techniques} <= rule.allow_only, rule.id
        if rule.forbid is not None:
            covered = scope(rule, rule.forbid.where, rule.forbid.distal, result, rule.forbid.spread)
            for technique in result.techniques:
                if rule.forbid_set is None or technique.id in rule.forbid_set:
                    assert covered is not None, (rule.id, technique.id)
                    assert not _on(technique, covered), (rule.id, technique.id, technique.areas)
        if rule.cap is not None:
            covered = scope(rule, rule.cap.where, rule.cap.distal, result, rule.cap.spread)
            for technique in result.techniques:
                if covered is None or _on(technique, covered):
                    assert technique.pressure_max <= rule.cap.max, (rule.id, technique.id)


@given(profile_fields(KB))
def test_every_reason_carries_its_sources_and_the_knowledge_stamp(fields: dict[str, Any]) -> None:
    """Every reason, avoidance, referral and note names sources the result lists in full, with the knowledge stamp."""
    result = mr.recommend(mr.ClientProfile(**fields), KB)
    listed = {s.id: s for s in result.sources}
    named = [r.sources for t in result.techniques for r in t.reasons]
    named += [a.sources for a in result.avoided] + [x.sources for x in result.referrals]
    named += [n.sources for n in result.notes] + [p.sources for p in result.pressure_limits]
    if result.no_massage is not None:
        named.append(result.no_massage.sources)
    for sources in named:
        assert sources
        for ident in sources:
            assert listed[ident].citation == KB.sources[ident].citation
    assert result.knowledge.version == KB.version
    assert result.knowledge.content_hash == KB.content_hash
    assert len(result.knowledge.content_hash) == 64
