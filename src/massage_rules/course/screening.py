"""What new health findings change during a course: a referral, a stop, new restrictions.

With the client's profile, the findings are screened by answering the profile
with and without them (:func:`~massage_rules.recommend`, so through the one rule
semantics). Without a profile there is nothing to fire rules on; then every
safety rule whose health condition the findings meet is taken as firing, a
cautious superset of what any profile with those findings would fire (a property
test holds it to :func:`~massage_rules.rules.firing.fire`).
"""

from __future__ import annotations

from collections.abc import Iterable

from massage_rules.engine.recommend import recommend
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase
from massage_rules.models import ClientProfile, NoMassageNow, Note, OverrideStamp, Referral

__all__ = ["Screening", "health_condition_met", "screen_findings_only", "screen_with_profile"]


class Screening:
    """What new findings change: a referral or a stop, and any new restrictions."""

    def __init__(self) -> None:
        self.referral: Referral | None = None
        self.no_massage: NoMassageNow | None = None
        self.restrictions: list[Note] = []
        self.switched_off: list[OverrideStamp] = []  # safety rules a pack switched off that apply now


def screen_with_profile(profile: ClientProfile, new: Iterable[str], knowledge: KnowledgeBase) -> Screening:
    """What the ``new`` findings change for this client: the answer with them against the answer without."""
    out = Screening()
    health = sorted(set(profile.health) | set(new))
    if list(profile.health) == health:
        return out
    before = recommend(profile, knowledge)
    after = recommend(ClientProfile(**{**profile.model_dump(), "health": health}), knowledge)
    out.switched_off = list(after.safety_overrides)
    old_refs = {x.rule for x in before.referrals}
    fresh = [x for x in after.referrals if x.rule not in old_refs]
    if fresh:
        out.referral = fresh[0]
    if after.no_massage is not None and (before.no_massage is None or before.no_massage.rule != after.no_massage.rule):
        out.no_massage = after.no_massage
    if after.outcome == "nothing_suitable" and before.outcome != "nothing_suitable":
        out.restrictions.append(
            Note(rule="screening", text="With the new findings no technique in the knowledge fits.", sources=())
        )
    old = {(a.rule, a.reason, a.sources) for a in before.avoided} | {
        (p.rule, p.reason, p.sources) for p in before.pressure_limits
    }
    new_rules = {(a.rule, a.reason, a.sources) for a in after.avoided} | {
        (p.rule, p.reason, p.sources) for p in after.pressure_limits
    }
    for rule, reason, sources in sorted(new_rules - old):
        out.restrictions.append(Note(rule=rule, text=reason, sources=sources))
    return out


def health_condition_met(rule: CompiledRule, findings: set[str]) -> bool:
    """True when the rule's health condition holds for ``findings`` (its other conditions are not asked)."""
    return (rule.health_all is not None and rule.health_all <= findings) or (
        rule.health_any is not None and not rule.health_any.isdisjoint(findings)
    )


def screen_findings_only(new: Iterable[str], knowledge: KnowledgeBase) -> Screening:
    """Without a profile, treat a rule as firing when its health condition holds: cautious on purpose."""
    out = Screening()
    findings = {entry.partition("@")[0] for entry in new}
    if not findings:
        return out
    stamps = {o.rule: o for o in knowledge.overrides}
    out.switched_off = [stamps[rule.id] for rule in knowledge.switched_off if health_condition_met(rule, findings)]
    for rule in knowledge.rules:
        if not health_condition_met(rule, findings):
            continue
        if rule.refer is not None and out.referral is None:
            out.referral = Referral(
                reason=rule.text,
                urgency=rule.refer.urgency,
                rule=rule.id,
                massage_meanwhile=rule.refer.massage_meanwhile,
                sources=rule.sources,
            )
        elif rule.no_massage is not None and out.no_massage is None:
            out.no_massage = NoMassageNow(
                reason=rule.text, rule=rule.id, come_back=rule.no_massage.come_back, sources=rule.sources
            )
        elif rule.is_safety:
            out.restrictions.append(Note(rule=rule.id, text=rule.text, sources=rule.sources))
    return out
