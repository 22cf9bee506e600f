"""Cross-check merged knowledge files and compile them into a :class:`KnowledgeBase`."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from massage_rules.errors import KnowledgeError
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.base import KnowledgeBase
from massage_rules.knowledge.checker import Checker, Located, each, origin, unique
from massage_rules.knowledge.complaints import check_confirm, confirm_rule, refuse_complaint_cycles
from massage_rules.knowledge.course_model import compile_course_model
from massage_rules.knowledge.pack_files import pack_headers, plan_overrides
from massage_rules.knowledge.packs import apply_overrides
from massage_rules.knowledge.plan_settings import compile_plan_settings
from massage_rules.knowledge.ranking import compile_ranking
from massage_rules.knowledge.reading import bundled_knowledge_paths
from massage_rules.knowledge.rule import CompiledRule, when_fields, with_answer_parts
from massage_rules.knowledge.screening import check_asks, check_spreads, compile_area_groups, compile_implications
from massage_rules.models import KnowledgeStamp, PackStamp, SourceRef

__all__ = ["compile_knowledge"]


def compile_knowledge(
    files: list[tuple[str, s.KnowledgeFile, Any]], checker: Checker, content_hash: str
) -> KnowledgeBase:
    sources = unique(checker, each(files, "sources"), "source")
    areas = unique(checker, each(files, "vocabulary.areas"), "area")
    causes = unique(checker, each(files, "vocabulary.causes"), "cause")
    goals = unique(checker, each(files, "vocabulary.goals"), "goal")
    phases = unique(checker, each(files, "vocabulary.phases"), "phase")
    bands = unique(checker, each(files, "vocabulary.severity_bands"), "severity band")
    findings = unique(checker, each(files, "findings"), "finding")
    techniques = unique(checker, each(files, "techniques"), "technique")
    rule_ids: dict[str, Located] = {}
    conditions = unique(checker, each(files, "conditions"), "condition", rule_ids)
    rules = unique(checker, each(files, "rules"), "rule", dict(conditions))
    for ident in conditions:
        rules.pop(ident, None)

    for kind, table in (("areas", areas), ("causes", causes), ("goals", goals), ("phases", phases)):
        if not table:
            checker.error((files[0][0], 0, 0), f"the vocabulary defines no {kind}")

    def cite(item: Located, owner: str, refs: Sequence[str], *loc: str | int) -> None:
        for i, ref in enumerate(refs):
            checker.ref(item, owner, "source", ref, sources, *loc, "sources", i)

    # vocabulary cross-references
    for kind, table in (("area", areas), ("cause", causes), ("goal", goals), ("finding", findings)):
        _check_synonyms(table, kind, checker)
    distal: dict[str, frozenset[str]] = {}
    for ident, item in areas.items():
        for i, other in enumerate(item.value.distal):
            checker.ref(item, ident, "area", other, areas, "distal", i)
        distal[ident] = frozenset(item.value.distal)
    whole_body = frozenset(ident for ident, item in areas.items() if item.value.whole_body)
    ordered_phases = [item.value for item in phases.values()]
    for earlier, later in itertools.pairwise(ordered_phases):
        if earlier.days_max is None or (later.days_max is not None and later.days_max <= earlier.days_max):
            where = phases[later.id].where()
            checker.error(where, "phases must be listed in order, each but the last with a larger days_max", later.id)

    def check_when(item: Located, owner: str, when: s.When, *loc: str | int) -> None:
        for key, table, kind in (
            ("areas", areas, "area"),
            ("causes", causes, "cause"),
            ("causes_not", causes, "cause"),
            ("phases", phases, "phase"),
            ("goals", goals, "goal"),
            ("health_all", findings, "finding"),
            ("health_any", findings, "finding"),
            ("conditions", conditions, "condition"),
        ):
            for i, ref in enumerate(getattr(when, key) or ()):
                checker.ref(item, owner, kind, ref, table, *loc, key, i)
        for key in ("areas", "causes", "phases", "goals", "health_all", "health_any", "conditions", "causes_not"):
            if getattr(when, key) == []:
                checker.error(
                    Located(None, item.file, item.data, (*item.loc, *loc, key)).where(),
                    f"'{key}' is an empty list, which no profile can match; remove it",
                    owner,
                )

    for ident, item in techniques.items():
        tech: s.Technique = item.value
        cite(item, ident, tech.sources)
        for goal in tech.goals:
            checker.ref(item, ident, "goal", goal, goals, "goals", goal)
        for phase in tech.phases:
            checker.ref(item, ident, "phase", phase, phases, "phases", phase)
        for phase in phases:
            if phase not in tech.phases:
                checker.error(
                    item.where(), f"says nothing about phase '{phase}'; give suited, away_only or unsuited", ident
                )
        for i, area in enumerate(tech.areas or ()):
            checker.ref(item, ident, "area", area, areas, "areas", i)
        assert tech.pressure.min is not None
        assert tech.pressure.max is not None
        if tech.pressure.min > tech.pressure.max:
            checker.error(item.where(), "pressure min is greater than max", ident)

    for ident, item in conditions.items():
        cond: s.Condition = item.value
        cite(item, ident, cond.sources)
        if cond.match is not None:
            check_when(item, ident, cond.match, "match")
        for tech_id in cond.favour:
            checker.ref(item, ident, "technique", tech_id, techniques, "favour", tech_id)
        for i, tech_id in enumerate(cond.forbid):
            checker.ref(item, ident, "technique", tech_id, techniques, "forbid", i)
        check_confirm(item, ident, checker, check_when, techniques)
    refuse_complaint_cycles(conditions, checker)

    for ident, item in rules.items():
        plain: s.Rule = item.value
        cite(item, ident, plain.sources)
        check_when(item, ident, plain.when, "when")
        for tech_id in plain.score or {}:
            checker.ref(item, ident, "technique", tech_id, techniques, "score", tech_id)
        if plain.forbid is not None and plain.forbid.techniques != "all":
            for i, tech_id in enumerate(plain.forbid.techniques):
                checker.ref(item, ident, "technique", tech_id, techniques, "forbid", "techniques", i)
        for i, tech_id in enumerate(plain.allow_only or ()):
            checker.ref(item, ident, "technique", tech_id, techniques, "allow_only", i)
        for scoped in (plain.forbid, plain.cap_pressure):
            needs_finding = scoped is not None and scoped.where == "finding_areas"
            if needs_finding and not (plain.when.health_all or plain.when.health_any):
                checker.error(item.where(), "'where: finding_areas' needs a health condition in 'when'", ident)

    for item in sources.values():
        if not item.value.url:
            checker.warn(item.where(), "has no URL", item.value.id)

    plan_defaults: dict[str, tuple[s.PhaseDefault, str]] = {}
    for item in each(files, "plan.defaults"):
        default: s.PhaseDefault = item.value
        if checker.ref(item, None, "phase", default.phase, phases, "phase"):
            if default.phase in plan_defaults:
                checker.error(item.where(), f"a second plan default for phase '{default.phase}'")
            file, line, _ = item.where()
            plan_defaults[default.phase] = (default, f"{file}:{line}")
            cite(item, f"plan.default.{default.phase}", default.sources)
    for phase in phases:
        if phase not in plan_defaults:
            checker.error((files[0][0], 0, 0), f"plan.defaults has no entry for phase '{phase}'")

    billing: s.Billing | None = None
    billed_in = ""
    for name, model, data in files:
        if model.billing is None:
            continue
        item = Located(model.billing, name, data, ("billing",))
        if billing is not None:
            checker.error(item.where(), f"a second billing section; the first is in {billed_in}")
            continue
        billing, billed_in = model.billing, name
        cite(item, "billing", model.billing.sources)

    plan_settings = compile_plan_settings(files, checker, cite, check_when, techniques, rules)
    area_groups = compile_area_groups(files, checker, areas)
    check_spreads(rules, area_groups, checker)
    check_asks(rules, checker, findings, techniques)
    implications = compile_implications(findings, checker, check_when)
    course_model = compile_course_model(files, checker, cite, check_when, bands, goals)
    ranking = compile_ranking(files, checker, cite, check_when)

    icd10: dict[str, str] = {}
    for ident, item in conditions.items():
        for code in item.value.icd10:
            if code in icd10 and icd10[code] != ident:
                checker.error(
                    item.where(), f"ICD-10-CM code {code} is already used by condition '{icd10[code]}'", ident
                )
            icd10.setdefault(code, ident)

    # Compiling needs no valid references, so overrides are checked even when other
    # problems were found: an author sees every problem at once.
    compiled = [
        *_technique_rules(techniques, goals),
        *(_condition_rule(item) for item in conditions.values()),
        *(_plain_rule(item) for item in rules.values()),
    ]
    compiled.sort(key=lambda r: r.id)
    for earlier, later in itertools.pairwise(compiled):
        if earlier.id == later.id:
            checker.error((later.origin, 0, 0), f"rule id '{later.id}' clashes with a generated rule id", later.id)
    pack_of = {name: (m.pack.id if m.pack is not None else None) for name, m, _ in files}
    compiled, overrides, switched_off = apply_overrides(
        compiled, each(files, "overrides"), checker, techniques, pack_of
    )
    overrides = (*overrides, *plan_overrides(files, each(files, "overrides"), checker, pack_of))
    packs = pack_headers(files, checker, bundled_knowledge_paths())
    if any(p.severity_rank == 0 for p in checker.problems):
        raise KnowledgeError(checker.problems)
    compiled = [with_answer_parts(rule) for rule in compiled]

    version = "+".join(f"{pid}-{ver}" for pid, ver in packs) or "unversioned"
    frozen = MappingProxyType
    technique_map = {k: v.value for k, v in sorted(techniques.items())}
    condition_map = {k: v.value for k, v in sorted(conditions.items())}
    source_map = {k: v.value for k, v in sorted(sources.items())}
    return KnowledgeBase(
        areas=frozen({k: v.value for k, v in areas.items()}),
        billing=billing,
        causes=frozen({k: v.value for k, v in causes.items()}),
        goals=frozen({k: v.value for k, v in goals.items()}),
        phases=frozen({k: v.value for k, v in phases.items()}),
        severity_bands=frozen({k: v.value for k, v in bands.items()}),
        findings=frozen({k: v.value for k, v in findings.items()}),
        techniques=frozen(technique_map),
        conditions=frozen(condition_map),
        sources=frozen(source_map),
        rules=tuple(compiled),
        rules_by_id=frozen({r.id: r for r in compiled}),
        plan_defaults=frozen(plan_defaults),
        plan_settings=plan_settings,
        icd10_index=frozen(icd10),
        distal=frozen(distal),
        whole_body_areas=whole_body,
        area_groups=area_groups,
        implications=implications,
        course_model=course_model,
        ranking=ranking,
        version=version,
        content_hash=content_hash,
        packs=packs,
        overrides=overrides,
        switched_off=switched_off,
        files=tuple(name for name, _, _ in files),
        stamp=KnowledgeStamp(
            version=version,
            content_hash=content_hash,
            packs=tuple(PackStamp(id=pid, version=ver) for pid, ver in packs),
            overrides=overrides,
        ),
        source_refs=frozen(
            {
                sid: SourceRef(id=sid, citation=src.citation, url=src.url, evidence=src.evidence)
                for sid, src in source_map.items()
            }
        ),
    )


def _goal_name(goals: Mapping[str, Located], goal: str) -> str:
    return str(goals[goal].value.name).lower() if goal in goals else goal


def _technique_rules(techniques: Mapping[str, Located], goals: Mapping[str, Located]) -> Iterator[CompiledRule]:
    for ident, item in techniques.items():
        tech: s.Technique = item.value
        defined_at = origin(item)
        for goal, weight in sorted(tech.goals.items()):
            if weight:
                yield CompiledRule(
                    id=f"{ident}.goal.{goal}",
                    text=f"{tech.name} serves the goal: {_goal_name(goals, goal)}",
                    sources=tuple(tech.sources),
                    origin=defined_at,
                    kind="technique",
                    effect_label="goal",
                    label=_goal_name(goals, goal),
                    goals=frozenset([goal]),
                    score=((ident, weight),),
                    specificity=1,
                )
        for phase, fit in sorted(tech.phases.items()):
            if fit == "suited":
                continue
            where: s.Scope = "problem_areas" if fit == "away_only" else "everywhere"
            text = (
                f"{tech.name} is not used on the injured area in the {phase} phase"
                if fit == "away_only"
                else f"{tech.name} does not suit the {phase} phase"
            )
            yield CompiledRule(
                id=f"{ident}.phase.{phase}",
                text=text,
                sources=tuple(tech.sources),
                origin=defined_at,
                kind="technique",
                effect_label="score",
                label=f"{phase} phase",
                phases=frozenset([phase]),
                forbid=s.Forbid.model_construct(techniques=[ident], where=where),
                forbid_set=frozenset([ident]),
                specificity=1,
            )


def _condition_rule(item: Located) -> CompiledRule:
    cond: s.Condition = item.value
    fields = when_fields(cond.match)
    forbid = s.Forbid.model_construct(techniques=list(cond.forbid), where="problem_areas") if cond.forbid else None
    return CompiledRule(
        id=cond.id,
        text=cond.text,
        sources=tuple(cond.sources),
        origin=origin(item),
        kind="condition",
        effect_label="condition",
        label=cond.name,
        diagnosis=cond.id,
        score=tuple(sorted((k, v) for k, v in cond.favour.items() if v)),
        forbid=forbid,
        forbid_set=frozenset(cond.forbid) if cond.forbid else None,
        forbid_reason=cond.forbid_reason,
        note=cond.note,
        dose=cond.dose,
        confirm=confirm_rule(cond, origin(item)),
        **fields,
    )


def _plain_rule(item: Located) -> CompiledRule:
    rule: s.Rule = item.value
    forbid_set = None
    if rule.forbid is not None and rule.forbid.techniques != "all":
        forbid_set = frozenset(rule.forbid.techniques)
    return CompiledRule(
        id=rule.id,
        text=rule.text,
        sources=tuple(rule.sources),
        origin=origin(item),
        kind="rule",
        effect_label="score",
        label=rule.label or rule.id,
        score=tuple(sorted((rule.score or {}).items())),
        forbid=rule.forbid,
        forbid_set=forbid_set,
        cap=rule.cap_pressure,
        allow_only=frozenset(rule.allow_only) if rule.allow_only is not None else None,
        refer=rule.refer,
        no_massage=rule.no_massage,
        note=rule.note,
        dose=rule.dose,
        sessions=rule.sessions,
        ask=rule.ask,
        **when_fields(rule.when),
    )


def _check_synonyms(table: Mapping[str, Located], kind: str, checker: Checker) -> None:
    """A synonym names one entry: never an id of the same kind, never a synonym of two entries.

    Otherwise a suggestion drawn from it would be ambiguous, or would point away
    from an id the user typed correctly.
    """
    owners: dict[str, str] = {}
    for ident, item in table.items():
        for i, word in enumerate(item.value.synonyms):
            where = Located(None, item.file, item.data, (*item.loc, "synonyms", i)).where()
            if word in table:
                whose = "its own id" if word == ident else f"the id of another {kind}"
                checker.error(where, f"synonym '{word}' is {whose}; a synonym must be a different word", ident)
            elif owners.setdefault(word, ident) != ident:
                checker.error(where, f"synonym '{word}' is already a synonym of {kind} '{owners[word]}'", ident)
