"""What the outputs need from the knowledge beyond the result: display names, and what each rule is about.

A result carries ids (``ankle_foot``, ``anticoagulants``, ``cupping``); people read
names ("Ankle and foot"). The names live in the knowledge, so the text report and
the handout take the knowledge the result came from (the bundled base when none is
given: an id it does not know is shown as words, ``clinic_heat`` as "clinic heat").
They also learn from it which finding a restriction stems from, which rules are the
per-technique phase rules, and which after-care belongs to which technique.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from massage_rules.knowledge.load import KnowledgeBase, default_knowledge
from massage_rules.knowledge.rule import CONDITION_FIELDS
from massage_rules.models import RankedTechnique

__all__ = ["Names", "lower_first", "names_of", "shared_ranks", "words"]


def words(ident: str) -> str:
    """An id as words: ``ankle_foot`` -> ``ankle foot`` (for ids the knowledge gives no name)."""
    return ident.replace("_", " ")


def lower_first(name: str) -> str:
    """``Lower back`` -> ``lower back`` for use inside a sentence; ``PNF stretching`` stays as it is."""
    if len(name) > 1 and name[0].isupper() and not name[1].isupper():
        return name[0].lower() + name[1:]
    return name


@dataclass(frozen=True)
class Names:
    """Display names by kind, and the facts about rules and advice that the outputs group by."""

    areas: Mapping[str, str] = field(default_factory=dict)
    causes: Mapping[str, str] = field(default_factory=dict)
    goals: Mapping[str, str] = field(default_factory=dict)
    phases: Mapping[str, str] = field(default_factory=dict)
    findings: Mapping[str, str] = field(default_factory=dict)
    techniques: Mapping[str, str] = field(default_factory=dict)
    conditions: Mapping[str, str] = field(default_factory=dict)  # complaint id -> its name
    descriptions: Mapping[str, str] = field(default_factory=dict)  # technique id -> what it is, in words
    rule_findings: Mapping[str, frozenset[str]] = field(default_factory=dict)  # rule id -> findings it needs
    rule_kinds: Mapping[str, str] = field(default_factory=dict)  # rule id -> "rule", "condition", "technique"
    phase_rules: Mapping[str, str] = field(default_factory=dict)  # "<technique>.phase.<phase>" -> phase
    advice_techniques: Mapping[str, frozenset[str]] = field(default_factory=dict)  # advice id -> its techniques
    general_advice: frozenset[str] = frozenset()  # advice ids with no condition and no technique

    def area(self, ident: str) -> str:
        """An area's name: ``Ankle and foot``."""
        return self.areas.get(ident) or words(ident)

    def cause(self, ident: str) -> str:
        """A cause's name."""
        return self.causes.get(ident) or words(ident)

    def goal(self, ident: str) -> str:
        """A goal's name."""
        return self.goals.get(ident) or words(ident)

    def phase(self, ident: str) -> str:
        """A phase's name: ``Acute``."""
        return self.phases.get(ident) or words(ident)

    def technique(self, ident: str) -> str:
        """A technique's name: ``Dry cupping``."""
        return self.techniques.get(ident) or words(ident)

    def condition(self, ident: str) -> str:
        """A complaint's name: ``Plantar fasciitis``."""
        return self.conditions.get(ident) or words(ident)

    def finding(self, entry: str) -> str:
        """A health entry (``finding`` or ``finding@area``) in words: ``Varicose veins (calf)``."""
        finding, at, area = entry.partition("@")
        name = self.findings.get(finding) or words(finding)
        return f"{name} ({lower_first(self.area(area))})" if at else name

    def areas_in_words(self, idents: Iterable[str], conjunction: str = "and") -> str:
        """Areas as a phrase for a sentence: ``the lower back and the neck`` (or ``... or the neck``)."""
        names = [f"the {lower_first(self.area(a))}" for a in idents]
        return and_list(names, conjunction)

    def advice_fits(self, advice: str, shown: frozenset[str]) -> bool:
        """True when after-care ``advice`` is for everyone or for one of the ``shown`` techniques."""
        techniques = self.advice_techniques.get(advice)
        return techniques is None or not techniques.isdisjoint(shown)


def and_list(items: list[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (or ``a, b or c``)."""
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def names_of(knowledge: KnowledgeBase | None) -> Names:
    """The names and rule facts of ``knowledge`` (the bundled base when None)."""
    kb = knowledge if knowledge is not None else default_knowledge()
    rule_findings: dict[str, frozenset[str]] = {}
    phase_rules: dict[str, str] = {}
    for rule in kb.rules:
        needs = (rule.health_all or frozenset()) | (rule.health_any or frozenset())
        if needs:
            rule_findings[rule.id] = needs
        if rule.kind == "technique" and rule.phases and rule.forbid_set is not None:
            phase_rules[rule.id] = next(iter(rule.phases))
    advice_techniques: dict[str, frozenset[str]] = {}
    general: set[str] = set()
    for advice in kb.plan_settings.advice:
        if advice.techniques is not None:
            advice_techniques[advice.rule.id] = advice.techniques
        elif all(getattr(advice.rule, name) is None for name in CONDITION_FIELDS):
            general.add(advice.rule.id)
    return Names(
        areas={k: v.name for k, v in kb.areas.items()},
        causes={k: v.name for k, v in kb.causes.items()},
        goals={k: v.name for k, v in kb.goals.items()},
        phases={k: v.name for k, v in kb.phases.items()},
        findings={k: v.name for k, v in kb.findings.items()},
        techniques={k: v.name for k, v in kb.techniques.items()},
        conditions={k: v.name for k, v in kb.conditions.items()},
        descriptions={k: v.description for k, v in kb.techniques.items() if v.description},
        rule_findings=rule_findings,
        rule_kinds={rule.id: rule.kind for rule in kb.rules},
        phase_rules=phase_rules,
        advice_techniques=advice_techniques,
        general_advice=frozenset(general),
    )


def shared_ranks(techniques: Sequence[RankedTechnique]) -> list[str]:
    """Each technique's rank as shown: ``=3`` when another technique has the same rank.

    Equal scores alone do not tie: the engine breaks them on clinical grounds
    (see ``tie_break``) and gives the same rank only to techniques still equal.
    """
    count = Counter(t.rank for t in techniques)
    return [f"={t.rank}" if count[t.rank] > 1 else str(t.rank) for t in techniques]
