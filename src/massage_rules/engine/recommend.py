"""One answer for one client: screen, rank and plan, from the rules that fire.

The order is fixed and safety comes first: referrals and "no massage now" are
decided before anything is ranked, a technique that a fired rule forbids
(everywhere, on an area, or through a pressure cap) is never ranked, and the
finished answer is checked against every fired restriction before it leaves
(:mod:`massage_rules.engine.guard`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from massage_rules.engine.guard import check_answer
from massage_rules.engine.plan import build_plan, plan_sources
from massage_rules.engine.rank import rank
from massage_rules.engine.resolve import resolve_profile
from massage_rules.engine.screen import screen
from massage_rules.engine.screening import ask_first, open_questions
from massage_rules.errors import ProfileError
from massage_rules.knowledge.load import KnowledgeBase, default_knowledge
from massage_rules.models import (
    Avoidance,
    ClientProfile,
    MatchedCondition,
    NoMassageNow,
    OverrideStamp,
    PressureLimit,
    RankedTechnique,
    Recommendation,
    Referral,
    ScreeningQuestion,
    switched_off_warning,
)
from massage_rules.models.result import Outcome
from massage_rules.rules.facts import Facts
from massage_rules.rules.firing import Fired, fire, holds

__all__ = ["recommend", "recommend_many"]


def recommend(profile: ClientProfile, knowledge: KnowledgeBase | None = None) -> Recommendation:
    """Screen, match, rank and plan for one client. Bundled knowledge unless ``knowledge`` is given.

    Raises :class:`~massage_rules.ProfileError` when the profile holds a value the
    knowledge does not define.
    """
    if not isinstance(profile, ClientProfile):
        raise ProfileError("profile", profile, f"must be a ClientProfile, not {type(profile).__name__}")
    return _recommend(profile, _knowledge_or_default(knowledge))


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


def _knowledge_or_default(knowledge: object) -> KnowledgeBase:
    if knowledge is None:
        return default_knowledge()
    if not isinstance(knowledge, KnowledgeBase):
        raise TypeError(f"knowledge must be a KnowledgeBase from load_knowledge(), not {type(knowledge).__name__}")
    return knowledge


def _recommend(profile: ClientProfile, kb: KnowledgeBase) -> Recommendation:
    facts = resolve_profile(profile, kb)
    fired = fire(facts, kb)
    referrals = tuple(
        sorted(
            (rule.referral for rule in fired.rules if rule.referral is not None),
            key=lambda x: (x.urgency != "urgent", x.massage_meanwhile, x.rule),
        )
    )
    referral = _first_referral(referrals)
    no_massage = next((rule.stop for rule in fired.rules if rule.stop is not None), None)
    notes = tuple(rule.note_item for rule in fired.rules if rule.note_item is not None)
    cited: list[tuple[str, ...]] = [given.sources for given in referrals] + [note.sources for note in notes]
    restrictions = screen(fired.rules, facts, kb)
    techniques: tuple[RankedTechnique, ...] = ()
    avoided: tuple[Avoidance, ...] = ()
    limits: tuple[PressureLimit, ...] = ()
    plan = None
    questions: tuple[ScreeningQuestion, ...] = ()
    blocked = no_massage is not None or (referral is not None and not referral.massage_meanwhile)
    if not blocked:
        avoided, limits = restrictions.avoided(kb), restrictions.limits()
        cited += [item.sources for item in avoided] + [limit.sources for limit in limits]
        ranked = rank(fired.rules, restrictions, facts.areas, kb, facts, fired.complaints)
        techniques = tuple(ranked.techniques)
        cited.append(ranked.sources)
        # A named diagnosis wins: the complaints the profile alone could not confirm are then not asked about.
        confirming = () if facts.diagnoses else fired.unconfirmed
        asking = open_questions((*fired.rules, *confirming), facts) if techniques else []
        if asking:
            questions, techniques = ask_first(asking, facts, kb, techniques)
            cited += [question.sources for question in questions]
        cited += [reason.sources for technique in techniques for reason in technique.reasons]
        if techniques:
            plan = build_plan(fired, facts, kb, techniques)
            cited += plan_sources(plan)
        elif referral is None:
            no_massage = restrictions.every_area_ruled_out(facts)
    if no_massage is not None:
        cited.append(no_massage.sources)
    switched_off = _switched_off(fired, facts, kb)
    answer = Recommendation(
        outcome=_outcome(no_massage, referral, techniques),
        profile=facts.profile,
        techniques=techniques,
        avoided=avoided,
        pressure_limits=limits,
        referral=referral,
        referrals=referrals,
        no_massage=no_massage,
        plan=plan,
        conditions=_matched(fired, facts, kb),
        notes=notes,
        warnings=tuple(
            dict.fromkeys(
                (
                    *facts.code_notes,
                    *facts.implied,
                    *restrictions.warnings,
                    *(switched_off_warning(o) for o in switched_off),
                )
            )
        ),
        sources=tuple(kb.source_refs[source] for source in sorted({s for group in cited for s in group})),
        knowledge=kb.stamp,
        safety_overrides=switched_off,
        screening_questions=questions,
    )
    check_answer(answer, restrictions)
    return answer


def _first_referral(referrals: tuple[Referral, ...]) -> Referral | None:
    """The referral to act on (urgent first); massage may go on meanwhile only if every referral allows it."""
    if not referrals:
        return None
    meanwhile = all(x.massage_meanwhile for x in referrals)
    first = referrals[0]
    return first if first.massage_meanwhile == meanwhile else first.model_copy(update={"massage_meanwhile": meanwhile})


def _outcome(no_massage: NoMassageNow | None, referral: Referral | None, techniques: tuple[object, ...]) -> Outcome:
    if no_massage is not None:
        return "no_massage"
    if referral is not None:
        return "refer_and_treat" if techniques else "refer"
    return "treat" if techniques else "nothing_suitable"


def _matched(fired: Fired, facts: Facts, kb: KnowledgeBase) -> tuple[MatchedCondition, ...]:
    """The complaints matched, by id, each saying whether the client named it or the profile matched it."""
    return tuple(
        MatchedCondition(
            id=complaint,
            name=kb.conditions[complaint].name,
            icd10=tuple(kb.conditions[complaint].icd10),
            matched_by="diagnosis" if complaint in facts.diagnoses else "profile",
        )
        for complaint in sorted(fired.complaints)
    )


def _switched_off(fired: Fired, facts: Facts, kb: KnowledgeBase) -> tuple[OverrideStamp, ...]:
    """The safety rules a pack switched off that would have fired for this profile, as their override stamps."""
    stamps = {o.rule: o for o in kb.overrides}
    return tuple(stamps[rule.id] for rule in kb.switched_off if holds(rule, facts, fired.complaints))
