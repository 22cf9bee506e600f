"""The rule index: which rules each profile value allows, as bit masks, built once per knowledge base.

Each rule is one bit of an integer. Per dimension of a profile (areas, cause,
phase, goals, severity, days since onset, age, number of areas, causes ruled out, findings) the index
keeps, for each value, the mask of the rules that value satisfies; a profile's
candidate rules are the AND of one mask per dimension. The masks are exact, so
the rules a profile touches follow the rules that fire, not the size of the
base. Complaints are not indexed here: :func:`massage_rules.rules.firing.fire`
resolves them to a fixed point.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Sequence

from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.knowledge.rule import CompiledRule
from massage_rules.rules.facts import Facts

__all__ = ["RuleIndex", "bits", "indexes_of"]

_PAIN_SCALE = range(11)  # the 0-10 values a profile's severity may take


def bits(mask: int) -> list[int]:
    """The positions of the set bits of ``mask``, lowest first.

    Bits are taken off the top: each step leaves a shorter integer, where taking
    the lowest off (``mask & -mask``) passes over the whole of it twice.
    """
    out = []
    while mask:
        top = mask.bit_length() - 1
        out.append(top)
        mask ^= 1 << top
    out.reverse()
    return out


class _AnyOf:
    """One dimension whose rules list values: the rules each value satisfies, and the rules that list none."""

    def __init__(self, rules: Sequence[CompiledRule], values_of: Callable[[CompiledRule], Collection[str] | None]):
        self.free = 0
        self.by_value: dict[str, int] = {}
        for position, rule in enumerate(rules):
            values = values_of(rule)
            if values is None:
                self.free |= 1 << position
            else:
                for value in values:
                    self.by_value[value] = self.by_value.get(value, 0) | 1 << position

    def any(self, values: Collection[str]) -> int:
        """The rules a profile holding ``values`` satisfies here: one of a rule's values is enough."""
        mask = self.free
        for value in values:
            mask |= self.by_value.get(value, 0)
        return mask

    def one(self, value: str | None) -> int:
        """The rules a profile holding the single ``value`` (None: nothing said) satisfies here."""
        return self.free if value is None else self.free | self.by_value.get(value, 0)


class _NoneOf:
    """One dimension whose rules list values the profile must not hold (a profile without one meets them all)."""

    def __init__(self, rules: Sequence[CompiledRule], values_of: Callable[[CompiledRule], Collection[str] | None]):
        self.barred: dict[str, int] = {}
        for position, rule in enumerate(rules):
            for value in values_of(rule) or ():
                self.barred[value] = self.barred.get(value, 0) | 1 << position

    def barring(self, value: str | None) -> int:
        """The rules that ``value`` bars, to be cleared from a mask; None bars none."""
        return 0 if value is None else self.barred.get(value, 0)


class _Window:
    """One whole-number dimension whose rules give a window (days since onset, number of areas).

    The windows' ends cut the number line into segments inside which every rule
    answers alike; a value finds its segment's mask by bisection.
    """

    def __init__(self, rules: Sequence[CompiledRule], window_of: Callable[[CompiledRule], tuple[int, int] | None]):
        self.free = 0
        windows: list[tuple[int, int, int]] = []
        for position, rule in enumerate(rules):
            window = window_of(rule)
            if window is None:
                self.free |= 1 << position
            else:
                windows.append((1 << position, *window))
        self.starts = sorted({low for _bit, low, _high in windows} | {high + 1 for _bit, _low, high in windows})
        self.masks = [
            self.free | sum_bits(bit for bit, low, high in windows if low <= start <= high) for start in self.starts
        ]

    def at(self, value: int | None) -> int:
        """The rules that hold for ``value``; None (the profile does not say): only rules without a window."""
        if value is None:
            return self.free
        segment = bisect_right(self.starts, value) - 1
        return self.masks[segment] if segment >= 0 else self.free


def sum_bits(masks: Iterable[int]) -> int:
    """The OR of ``masks``."""
    out = 0
    for mask in masks:
        out |= mask
    return out


class RuleIndex:
    """Every rule of a list as one bit; per dimension, the rules each profile value satisfies."""

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules = tuple(rules)
        self._areas = _AnyOf(rules, lambda rule: rule.areas)
        self._causes = _AnyOf(rules, lambda rule: rule.causes)
        self._phases = _AnyOf(rules, lambda rule: rule.phases)
        self._goals = _AnyOf(rules, lambda rule: rule.goals)
        self._health_any = _AnyOf(rules, lambda rule: rule.health_any)
        self._days = _Window(rules, lambda rule: rule.days)
        self._area_count = _Window(rules, lambda rule: rule.area_count)
        self._causes_not = _NoneOf(rules, lambda rule: rule.causes_not)
        self._age = _Window(rules, lambda rule: rule.age)
        self._severity = [
            sum_bits(
                1 << position
                for position, rule in enumerate(rules)
                if rule.severity is None or rule.severity[0] <= score <= rule.severity[1]
            )
            for score in _PAIN_SCALE
        ]
        self._needs: dict[str, int] = {}  # finding -> the rules whose health_all names it
        self._needing_findings = 0  # every rule with a health_all
        self._named: dict[str, int] = {}  # complaint -> its rule, which a named diagnosis fires
        self._naming: dict[str, int] = {}  # complaint -> the rules whose conditions name it
        self.on_conditions = 0  # rules that may fire on their conditions (not only on a named diagnosis)
        self.naming_complaints = 0  # rules whose conditions name complaints
        self.complaint_rules = 0  # the rules of complaints: when one fires, its complaint is matched
        self.confirming = 0  # complaints a profile match alone does not match while their question is open
        for position, rule in enumerate(rules):
            bit = 1 << position
            for finding in rule.health_all or ():
                self._needs[finding] = self._needs.get(finding, 0) | bit
                self._needing_findings |= bit
            if rule.diagnosis is not None:
                self._named[rule.diagnosis] = self._named.get(rule.diagnosis, 0) | bit
            if rule.diagnosis is None or rule.has_match:
                self.on_conditions |= bit
            for complaint in rule.conditions or ():
                self._naming[complaint] = self._naming.get(complaint, 0) | bit
                self.naming_complaints |= bit
            if rule.kind == "condition":
                self.complaint_rules |= bit
            if rule.confirm is not None:
                self.confirming |= bit

    def holding(self, facts: Facts) -> int:
        """The rules whose conditions hold for ``facts``, complaints aside (a rule naming any is included)."""
        mask = self.on_conditions & self._severity[facts.severity]
        mask &= self._areas.any(facts.areas) & self._causes.one(facts.cause)
        mask &= self._phases.one(facts.phase) & self._goals.any(facts.goals)
        mask &= self._days.at(facts.days) & self._area_count.at(len(facts.areas))
        mask &= self._health_any.any(facts.health)
        mask &= self._age.at(facts.age) & ~self._causes_not.barring(facts.cause)
        if mask & self._needing_findings:  # some candidates need every one of some findings
            unmet = 0
            for finding, needing in self._needs.items():
                if finding not in facts.health:
                    unmet |= needing
            mask &= ~unmet
        return mask

    def named(self, diagnoses: Collection[str]) -> int:
        """The complaint rules of the diagnoses a client named: they fire whatever else the profile says."""
        return sum_bits(self._named.get(diagnosis, 0) for diagnosis in diagnoses)

    def naming(self, complaints: Collection[str]) -> int:
        """The rules whose conditions name one of ``complaints``."""
        return sum_bits(self._naming.get(complaint, 0) for complaint in complaints)


class Indexes:
    """The two indexes of a knowledge base: its rules, and the plan advice (tested the same way)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.rules = RuleIndex(kb.rules)
        self.advice = RuleIndex([advice.rule for advice in kb.plan_settings.advice])


_BUILT: weakref.WeakKeyDictionary[KnowledgeBase, Indexes] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def indexes_of(kb: KnowledgeBase) -> Indexes:
    """The indexes of ``kb``, built on its first answer and kept for as long as the base lives."""
    found = _BUILT.get(kb)
    if found is None:
        with _LOCK:
            found = _BUILT.get(kb)
            if found is None:
                found = _BUILT[kb] = Indexes(kb)
    return found
