"""The loaded knowledge: validated, cross-checked, compiled and immutable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from massage_rules.knowledge import schema as s
from massage_rules.knowledge.course_model import CourseModel
from massage_rules.knowledge.plan_settings import PlanKnowledge
from massage_rules.knowledge.ranking import RankingModel
from massage_rules.knowledge.rule import CompiledRule
from massage_rules.models import KnowledgeStamp, OverrideStamp, SourceRef

__all__ = ["KnowledgeBase"]


class KnowledgeBase:
    """A validated, compiled, immutable knowledge base. Build it with :func:`load_knowledge`."""

    __slots__ = (
        "__weakref__",
        "area_groups",
        "areas",
        "billing",
        "causes",
        "conditions",
        "content_hash",
        "course_model",
        "distal",
        "files",
        "findings",
        "goals",
        "icd10_index",
        "implications",
        "overrides",
        "packs",
        "phases",
        "plan_defaults",
        "plan_settings",
        "ranking",
        "rules",
        "rules_by_id",
        "severity_bands",
        "source_refs",
        "sources",
        "stamp",
        "switched_off",
        "techniques",
        "version",
        "whole_body_areas",
    )

    areas: Mapping[str, s.Area]
    billing: s.Billing | None
    causes: Mapping[str, s.Term]
    goals: Mapping[str, s.Term]
    phases: Mapping[str, s.Phase]
    severity_bands: Mapping[str, s.SeverityBand]
    findings: Mapping[str, s.Finding]
    techniques: Mapping[str, s.Technique]
    conditions: Mapping[str, s.Condition]
    sources: Mapping[str, s.Source]
    rules: tuple[CompiledRule, ...]
    rules_by_id: Mapping[str, CompiledRule]
    plan_defaults: Mapping[str, tuple[s.PhaseDefault, str]]
    plan_settings: PlanKnowledge
    icd10_index: Mapping[str, str]
    distal: Mapping[str, frozenset[str]]
    whole_body_areas: frozenset[str]
    version: str
    content_hash: str
    packs: tuple[tuple[str, str], ...]
    overrides: tuple[OverrideStamp, ...]
    switched_off: tuple[CompiledRule, ...]  # safety rules a pack switched off, for the results' warnings
    files: tuple[str, ...]
    source_refs: Mapping[str, SourceRef]  # how an answer cites each source
    stamp: KnowledgeStamp  # what every answer carries to say which knowledge gave it
    area_groups: Mapping[str, Mapping[str, frozenset[str]]]  # kind -> area -> the areas sharing a group with it
    implications: tuple[tuple[str, CompiledRule], ...]  # findings the profile's own pattern implies
    course_model: CourseModel  # how severity, goals and modifiers move a course
    ranking: RankingModel  # how equally scored techniques are ordered

    def __init__(self, **parts: Any) -> None:
        for name, value in parts.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a KnowledgeBase is immutable; load a new one instead")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a KnowledgeBase is immutable; load a new one instead")

    def __repr__(self) -> str:
        return (
            f"<KnowledgeBase {self.version} {self.content_hash[:12]}: {len(self.techniques)} techniques, "
            f"{len(self.conditions)} conditions, {len(self.rules)} rules>"
        )
