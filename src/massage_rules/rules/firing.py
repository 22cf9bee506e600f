"""Which rules fire for a profile: the one definition every part of the library uses.

A rule fires when the client named its complaint as a diagnosis, or when every
condition of its ``when`` (a complaint's ``match``) holds for the profile. A
complaint with a ``confirm`` whose pattern holds is the exception: the profile
cannot show its defining feature, so it is matched only once named, and its
question is asked instead. A condition may name complaints, and a complaint is matched when its own rule
fires, so firing is a fixed point: the rules that fire are those whose
conditions hold given the complaints matched by the rules that fire. Conditions
only ever ask for a complaint to be matched, never for one to be absent, so the
loop below only adds rules and stops; a cycle of complaints matching each other
is refused when the knowledge is loaded.

:func:`fire_bits` is that loop, on the rule index's bit masks; :func:`fire`
spells its answer out as rules (and adds the plan advice that holds).
:func:`unmet_conditions` says, in words, why one rule does not fire; it is the
same test, and the property tests hold :func:`fire` to a plain loop over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.knowledge.rule import CompiledRule
from massage_rules.rules.facts import Facts
from massage_rules.rules.index import RuleIndex, bits, indexes_of

__all__ = ["Fired", "Firing", "fire", "fire_bits", "holds", "unmet_conditions"]

_NONE: frozenset[str] = frozenset()


class Fired(NamedTuple):
    """The rules that fire for one profile (in id order), the complaints they match, and the plan advice that holds."""

    rules: tuple[CompiledRule, ...]
    complaints: frozenset[str]
    advice: tuple[int, ...]  # positions in ``knowledge.plan_settings.advice``, in file order
    unconfirmed: tuple[CompiledRule, ...] = ()  # the confirming questions of complaints left unmatched


class Firing(NamedTuple):
    """The rules that fire for one profile as bits (bit i: rule i of the knowledge), and what they match.

    :func:`fire_bits` gives it, :func:`fire` spells it out; a caller that needs
    only which rules fire (verify, once per walked profile) stops here.
    """

    mask: int
    complaints: frozenset[str]
    unconfirmed: tuple[CompiledRule, ...]


def fire(facts: Facts, kb: KnowledgeBase) -> Fired:
    """Every rule of ``kb`` that fires for ``facts``, to a fixed point over complaints matched through complaints."""
    firing = fire_bits(facts, kb)
    rules = tuple(map(kb.rules.__getitem__, bits(firing.mask)))
    advice = _advice_holding(facts, firing.complaints, indexes_of(kb).advice)
    return Fired(rules, firing.complaints, advice, firing.unconfirmed)


def fire_bits(facts: Facts, kb: KnowledgeBase) -> Firing:
    """The rules of ``kb`` that fire for ``facts``, as bits: the firing :func:`fire` spells out (advice aside)."""
    index = indexes_of(kb).rules
    holding = index.holding(facts)
    named = index.named(facts.diagnoses) if facts.diagnoses else 0  # a named complaint fires whatever else holds
    unconfirmed: list[CompiledRule] = []
    confirming = holding & index.confirming & ~named
    for position in bits(confirming):  # a profile match alone waits for the complaint's defining feature
        confirm = kb.rules[position].confirm
        if confirm is not None and holds(confirm, facts, frozenset()):
            holding &= ~(1 << position)
            unconfirmed.append(confirm)
    waiting = holding & index.naming_complaints  # rules that also need a complaint matched
    fired = (holding & ~waiting) | named
    waiting &= ~fired
    while waiting:
        newly = waiting & index.naming([kb.rules[i].id for i in bits(fired & index.complaint_rules)])
        if not newly:
            break
        fired |= newly
        waiting &= ~newly
    complaint_rules = fired & index.complaint_rules
    complaints = frozenset(kb.rules[i].id for i in bits(complaint_rules)) if complaint_rules else _NONE
    return Firing(fired, complaints, tuple(unconfirmed))


def _advice_holding(facts: Facts, complaints: frozenset[str], index: RuleIndex) -> tuple[int, ...]:
    """The plan advice whose conditions hold, once the complaints matched are known (advice matches none)."""
    if not index.rules:
        return ()
    holding = index.holding(facts)
    waiting = holding & index.naming_complaints
    return tuple(bits((holding & ~waiting) | (waiting & index.naming(complaints))))


def holds(rule: CompiledRule, facts: Facts, matched: frozenset[str]) -> bool:
    """True when ``rule`` fires for ``facts`` once the complaints ``matched`` are known.

    It stops at the first unmet condition and puts none in words.
    """
    return next(_unmet(rule, facts, matched), None) is None and not _unconfirmed(rule, facts)


def unmet_conditions(rule: CompiledRule, facts: Facts, matched: frozenset[str]) -> list[str]:
    """Every condition of ``rule`` that ``facts`` do not meet, in words; empty when the rule fires."""
    out = list(_unmet(rule, facts, matched))
    if not out and _unconfirmed(rule, facts):
        out.append(f"its defining feature is not confirmed: name '{rule.diagnosis}' once this is answered yes")
    return out


def _unconfirmed(rule: CompiledRule, facts: Facts) -> bool:
    """True when the rule's complaint, not named, waits for its confirming question, whose pattern holds."""
    return (
        rule.confirm is not None and rule.diagnosis not in facts.diagnoses and holds(rule.confirm, facts, frozenset())
    )


def _unmet(rule: CompiledRule, facts: Facts, matched: frozenset[str]) -> Iterator[str]:
    """The conditions of ``rule`` (its confirming question aside) that ``facts`` do not meet, in words, one by one."""
    if rule.diagnosis is not None and rule.diagnosis in facts.diagnoses:
        return
    if rule.diagnosis is not None and not rule.has_match:
        yield f"it applies only when the diagnosis '{rule.diagnosis}' is named"
        return
    if rule.areas is not None and rule.areas.isdisjoint(facts.areas):
        yield f"needs one of the areas {_names(rule.areas)}; the profile's areas are {_names(facts.areas)}"
    if rule.area_count is not None and not rule.area_count[0] <= len(facts.areas) <= rule.area_count[1]:
        yield f"needs {_span(rule.area_count)} problem areas; the profile names {len(facts.areas)}"
    if rule.causes is not None and facts.cause not in rule.causes:
        yield f"needs the cause {_names(rule.causes)}; the profile's cause is {facts.cause or 'not given'}"
    if rule.phases is not None and facts.phase not in rule.phases:
        yield f"needs the phase {_names(rule.phases)}; the profile is in the {facts.phase} phase"
    if rule.goals is not None and rule.goals.isdisjoint(facts.goals):
        yield f"needs one of the goals {_names(rule.goals)}; the profile's goals are {_names(facts.goals)}"
    if rule.severity is not None and not rule.severity[0] <= facts.severity <= rule.severity[1]:
        yield f"needs severity {_span(rule.severity)}; the profile's severity is {facts.severity}"
    if rule.days is not None and (facts.days is None or not rule.days[0] <= facts.days <= rule.days[1]):
        given = "not given" if facts.days is None else str(facts.days)
        yield f"needs days since onset {_span(rule.days)}; the profile's is {given}"
    if rule.health_all is not None and not rule.health_all <= facts.health:
        missing = _names(rule.health_all - facts.health)
        yield f"needs every finding of {_names(rule.health_all)}; missing {missing}"
    if rule.health_any is not None and rule.health_any.isdisjoint(facts.health):
        yield f"needs one of the findings {_names(rule.health_any)}; the profile has none of them"
    if rule.causes_not is not None and facts.cause in rule.causes_not:
        yield f"needs a cause other than {_names(rule.causes_not)}; the profile's cause is {facts.cause}"
    if rule.age is not None and (facts.age is None or not rule.age[0] <= facts.age <= rule.age[1]):
        given = "not given" if facts.age is None else str(facts.age)
        yield f"needs age {_span(rule.age)}; the profile's is {given}"
    if rule.conditions is not None and rule.conditions.isdisjoint(matched):
        yield f"needs the complaint {_names(rule.conditions)}; the profile matched {_names(matched)}"


def _names(values: frozenset[str]) -> str:
    return ", ".join(sorted(values)) or "none"


def _span(bounds: tuple[int, int]) -> str:
    low, high = bounds
    if low <= -(10**8):
        return f"at most {high}"
    if high >= 10**8:
        return f"at least {low}"
    return f"{low}-{high}"
