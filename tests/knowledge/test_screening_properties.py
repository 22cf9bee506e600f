"""Screening over random profiles, checked against the knowledge by the plain-loop reference.

The reference (tests/reference.py) re-reads each rule's conditions and effects and
decides on its own which rules fire and what they rule out; the engine's answer must
agree. The strategies here aim at the findings that refer, stop massage, cap pressure
or keep techniques off an area. No finding, technique or area is named here:
expectations come from the data.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, strategies as st

import massage_rules as mr
from massage_rules.knowledge.load import CompiledRule
from tests.reference import facts_of, reference_fire, unsafe_offers, where_applies
from tests.strategies import profile_fields

KB = mr.load_knowledge()
RULES = [rule for rule in KB.rules if rule.kind == "rule"]


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
    assert any(KB.rules_by_id[rule].refer is not None for rule in reference_fire(result.profile, KB)[0])
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
        for rule in map(KB.rules_by_id.__getitem__, reference_fire(result.profile, KB)[0])
        if finding in (rule.health_all or frozenset())
        and rule.forbid is not None
        and rule.forbid.where == "finding_areas"
    ]
    for rule in scoped:
        assert rule.forbid is not None
        covered = where_applies(
            rule, "finding_areas", rule.forbid.distal, facts_of(result.profile, KB), KB, rule.forbid.spread
        )
        assert covered is not None
        assert area in covered
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
    """Every referral the reference fires is shown, and the answer breaks no restriction it fires."""
    fired = [KB.rules_by_id[rule] for rule in reference_fire(result.profile, KB)[0]]
    assert {rule.id for rule in fired if rule.refer is not None} <= {x.rule for x in result.referrals}
    assert unsafe_offers(result.profile, result, KB) == []


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
