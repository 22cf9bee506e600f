"""Load knowledge files, cross-check them, and compile them into an immutable base.

All the work happens here, once: parsing, validation, reference checks, and
turning techniques, complaints and rules into :class:`CompiledRule` objects with
indexes, so that :func:`massage_rules.recommend` only looks things up and adds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import itertools
import os
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from massage_rules.engine.plan import PlanKnowledge, compile_plan_settings
from massage_rules.errors import KnowledgeError, Problem, close_match
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.cache import CacheStore
from massage_rules.knowledge.pack_files import pack_headers, plan_overrides
from massage_rules.knowledge.packs import apply_overrides
from massage_rules.knowledge.plain_text import control_characters
from massage_rules.knowledge.yaml_files import YamlLoadError, load_yaml_text, locate
from massage_rules.models import NoMassageNow, Note, OverrideStamp, Reason, ReasonEffect, Referral
from massage_rules.rules.compiled import Tables, trusted

__all__ = ["CompiledRule", "KnowledgeBase", "bundled_knowledge_paths", "load_knowledge"]

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS_PER_FILE = 50


def bundled_knowledge_paths() -> tuple[Path, ...]:
    """The bundled knowledge files: inside the installed package, or at the source checkout's root.

    A plain path next to this module, as ``importlib.resources`` would give for a
    package on disk (the only kind that works here), without importing its readers.
    """
    here = Path(__file__).resolve().parent  # a wheel puts the files beside this module
    found = tuple(sorted(here.glob("*.yaml")))
    if not found:  # an editable install or a source checkout: the files stay at the repository root
        found = tuple(sorted((here.parents[2] / "knowledge").glob("*.yaml")))
    return found


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to evaluate: its conditions as sets and ranges, its effects, its origin."""

    id: str
    text: str
    sources: tuple[str, ...]
    origin: str
    kind: str  # "rule", "condition", "technique"
    effect_label: ReasonEffect  # the Reason.effect its score reasons carry
    label: str  # a few words for a reason line: a goal's or a complaint's name, or the rule id
    areas: frozenset[str] | None = None
    causes: frozenset[str] | None = None
    phases: frozenset[str] | None = None
    goals: frozenset[str] | None = None
    conditions: frozenset[str] | None = None
    severity: tuple[int, int] | None = None
    days: tuple[int, int] | None = None
    area_count: tuple[int, int] | None = None
    health_all: frozenset[str] | None = None
    health_any: frozenset[str] | None = None
    diagnosis: str | None = None  # condition rules: a named diagnosis also fires them
    has_match: bool = True  # condition rules without a ``match`` fire only on diagnosis
    score: tuple[tuple[str, float], ...] = ()
    forbid: s.Forbid | None = None
    forbid_set: frozenset[str] | None = None  # None means every technique
    cap: s.PressureCap | None = None
    allow_only: frozenset[str] | None = None
    refer: s.Refer | None = None
    no_massage: s.NoMassage | None = None
    note: str | None = None
    dose: s.Dose | None = None
    sessions: s.SessionsAdjust | None = None
    specificity: int = 0
    # Answer parts built once at compile time (see _finish): immutable, shared by every answer.
    reasons: tuple[tuple[str, Reason], ...] = ()  # (technique, the reason this rule gives it)
    referral: Referral | None = None
    stop: NoMassageNow | None = None
    note_item: Note | None = None

    @property
    def is_safety(self) -> bool:
        """True when the rule restricts care: forbids, caps, restricts, refers, or stops massage."""
        return any(e is not None for e in (self.forbid, self.cap, self.allow_only, self.refer, self.no_massage))


_RULE_FIELDS = tuple(field.name for field in dataclasses.fields(CompiledRule))


@dataclass(frozen=True, slots=True)
class _Located:
    value: Any
    file: str
    data: Any
    loc: tuple[str | int, ...]

    def where(self) -> tuple[str, int, int]:
        line, column = locate(self.data, self.loc)
        return self.file, line, column


class KnowledgeBase:
    """A validated, compiled, immutable knowledge base. Build it with :func:`load_knowledge`."""

    __slots__ = (
        "__weakref__",
        "_tables",
        "areas",
        "billing",
        "causes",
        "conditions",
        "content_hash",
        "distal",
        "files",
        "findings",
        "goals",
        "icd10_index",
        "overrides",
        "packs",
        "phases",
        "plan_defaults",
        "plan_settings",
        "rules",
        "rules_by_id",
        "severity_bands",
        "sources",
        "switched_off",
        "techniques",
        "version",
        "whole_body_areas",
    )

    areas: Mapping[str, s.Area]
    billing: s.Billing | None
    causes: Mapping[str, s.Named]
    goals: Mapping[str, s.Named]
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
    _tables: Tables

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


class _Checker:
    """Collects problems while cross-checking merged knowledge."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(
        self, where: tuple[str, int, int], message: str, rule: str | None = None, suggestion: str | None = None
    ) -> None:
        file, line, column = where
        self.problems.append(Problem(0, file, line, column, message, rule, suggestion))

    def warn(self, where: tuple[str, int, int], message: str, rule: str | None = None) -> None:
        file, line, column = where
        self.problems.append(Problem(1, file, line, column, message, rule))

    def ref(
        self, item: _Located, owner: str | None, kind: str, value: str, allowed: Mapping[str, Any], *loc: str | int
    ) -> bool:
        if value in allowed:
            return True
        where = _Located(None, item.file, item.data, item.loc + loc).where()
        self.error(where, f"{kind} '{value}' is not defined", owner, close_match(value, allowed))
        return False


def _read(path: Path, checker: _Checker, cache: CacheStore | None = None) -> tuple[s.KnowledgeFile, Any, bytes] | None:
    """The file's validated model, its loaded data (or the cached positions) and its bytes; None after a problem."""
    name = str(path)
    raw = _read_bytes(path, checker)
    if raw is None:
        return None
    file_hash = ""
    if cache is not None:
        file_hash = hashlib.sha256(raw).hexdigest()
        hit = cache.get(file_hash, s.KnowledgeFile)
        if hit is not None:
            return hit[0], hit[1], raw
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        checker.error((name, 1, 1), "is UTF-16 text; save it as UTF-8")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        checker.error((name, line, column), f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})")
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = load_yaml_text(text)
    except YamlLoadError as exc:
        checker.error((name, exc.line, exc.column), exc.message)
        return None
    if data is None:
        checker.error((name, 1, 1), "is empty")
        return None
    if not isinstance(data, dict):
        kind = "list" if isinstance(data, list) else type(data).__name__
        checker.error((name, 1, 1), f"must be a mapping of sections, not a {kind}")
        return None
    hostile = list(itertools.islice(control_characters(data), MAX_PROBLEMS_PER_FILE))
    for line, column, message in hostile:  # refused before the shape is checked, so no message echoes one
        checker.error((name, line, column), message)
    if hostile:
        return None
    try:
        model = s.KnowledgeFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if len(errors) > MAX_PROBLEMS_PER_FILE:
            checker.error((name, 0, 0), f"has {len(errors)} problems; the first {MAX_PROBLEMS_PER_FILE} follow")
        for err in errors[:MAX_PROBLEMS_PER_FILE]:
            loc = tuple(err["loc"])
            rule = _owner_id(data, loc)
            message = _schema_message(err, loc)
            suggestion = None
            if err["type"] == "extra_forbidden":
                suggestion = _suggest_field(loc)
            checker.error((name, *locate(data, loc)), message, rule, suggestion)
        return None
    if cache is not None:
        cache.add(file_hash, model, data)
    return model, data, raw


def _read_bytes(path: Path, checker: _Checker) -> bytes | None:
    """The file's bytes, or None after recording why not; never blocks on a pipe or reads past the limit."""
    name = str(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            checker.error((name, 0, 0), "is a directory, not a knowledge file")
            return None
        if not stat.S_ISREG(info.st_mode):
            checker.error((name, 0, 0), "is not a regular file")
            return None
        if info.st_size > MAX_FILE_BYTES:
            checker.error((name, 0, 0), f"is {info.st_size} bytes; knowledge files are limited to {MAX_FILE_BYTES}")
            return None
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        checker.error((name, 0, 0), f"cannot be read: {exc.strerror or exc}")
        return None
    if len(raw) > MAX_FILE_BYTES:  # it grew after the stat
        checker.error((name, 0, 0), f"is over {MAX_FILE_BYTES} bytes; knowledge files are limited to {MAX_FILE_BYTES}")
        return None
    return raw


def _owner_id(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and isinstance(loc[1], int):
        try:
            item = data[loc[0]][loc[1]]
        except (KeyError, IndexError, TypeError):
            return None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return str(item["id"])
    return None


def _schema_message(err: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    path = ".".join(str(p) for p in loc if not isinstance(p, int)) or "file"
    if err["type"] == "extra_forbidden":
        return f"'{loc[-1]}' is not a known key here"
    if err["type"] == "missing":
        return f"{path}: is required"
    if err["type"] == "string_pattern_mismatch" and isinstance(err.get("input"), str):
        rule_id = ":" in str((err.get("ctx") or {}).get("pattern", ""))
        return f"{path}: {_id_problem(err['input'], rule_id)}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{path}: {msg}"


def _id_problem(value: str, rule_id: bool = False) -> str:
    """Say why ``value`` is not an id; ids are lower-case ASCII, so case or look-alike twins cannot exist."""
    shown = value if len(value) <= 80 else value[:77] + "..."
    for char in value:
        if not char.isascii():
            code = f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"
            return f"'{shown}' holds the non-ASCII character '{char}' ({code}); ids use a-z, 0-9 and _ only"
    if value != value.lower():
        return f"'{shown}' has capitals; ids are lower case, so write '{'_'.join(value.lower().split())}'"
    rest = "a-z, 0-9, _, '.', ':' or '-'" if rule_id else "a-z, 0-9 or _"
    return f"'{shown}' is not an id: start with a-z, then {rest}"


def _model_for(loc: tuple[Any, ...]) -> type[Any] | None:
    """Walk the schema along a path to find the model whose field set applies at its end."""
    model: Any = s.KnowledgeFile
    for step in loc[:-1]:
        if isinstance(step, int) or model is None:
            continue
        info = getattr(model, "model_fields", {}).get(step)
        if info is None:
            return None
        model = _inner_model(info.annotation)
    return model if hasattr(model, "model_fields") else None


def _inner_model(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in args:
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _suggest_field(loc: tuple[Any, ...]) -> str | None:
    model = _model_for(loc)
    if model is None or not loc:
        return None
    return close_match(str(loc[-1]), model.model_fields)


def _each(files: Sequence[tuple[str, s.KnowledgeFile, Any]], section: str) -> Iterator[_Located]:
    for name, model, data in files:
        if section.startswith("vocabulary."):
            sub = section.split(".", 1)[1]
            for i, item in enumerate(getattr(model.vocabulary, sub)):
                yield _Located(item, name, data, ("vocabulary", sub, i))
        elif section == "plan.defaults":
            for i, item in enumerate(model.plan.defaults):
                yield _Located(item, name, data, ("plan", "defaults", i))
        else:
            for i, item in enumerate(getattr(model, section)):
                yield _Located(item, name, data, (section, i))


def _unique(
    checker: _Checker, items: Iterable[_Located], kind: str, taken: dict[str, _Located] | None = None
) -> dict[str, _Located]:
    seen: dict[str, _Located] = {} if taken is None else taken
    folded: dict[str, str] = {k.casefold(): k for k in seen}
    for item in items:
        ident = item.value.id
        if ident in seen:
            first = seen[ident].where()
            hint = "; to change that rule, add an 'overrides:' entry with a reason" if kind == "rule" else ""
            checker.error(item.where(), f"{kind} id '{ident}' is already defined at {first[0]}:{first[1]}{hint}", ident)
            continue
        seen[ident] = item
        folded[ident.casefold()] = ident
    return seen


def load_knowledge(extra: Sequence[str | Path] = (), *, bundled: bool = True) -> KnowledgeBase:
    """Load, check and compile knowledge: the bundled base plus any clinic files in ``extra``.

    Raises :class:`~massage_rules.KnowledgeError` listing every problem, worst first.
    """
    if isinstance(extra, str | os.PathLike):
        extra = [extra]
    if not isinstance(extra, Iterable) or isinstance(extra, bytes):
        raise KnowledgeError(
            [Problem(0, "<extra>", 0, 0, f"expected a list of file paths, not {type(extra).__name__}")]
        )
    extra = list(extra)
    for i, item in enumerate(extra):
        if not isinstance(item, str | os.PathLike):
            problem = f"extra[{i}]: expected a file path, not {type(item).__name__}"
            raise KnowledgeError([Problem(0, "<extra>", 0, 0, problem)])
    own = bundled_knowledge_paths() if bundled else ()
    paths = [*own, *(Path(p) for p in extra)]
    if not paths:
        raise KnowledgeError([Problem(0, "<none>", 0, 0, "no knowledge files to load")])
    return _load_paths(tuple(paths), cached=len(own))


@functools.lru_cache(maxsize=1)
def default_knowledge() -> KnowledgeBase:
    """The bundled knowledge, loaded once per process (it is immutable, so sharing is safe)."""
    return load_knowledge()


def check_paths(paths: Sequence[Path]) -> tuple[KnowledgeBase | None, tuple[Problem, ...]]:
    """Load ``paths`` and return the base (None when broken) with every problem, warnings included, worst first."""
    checker = _Checker()
    try:
        base = _load_paths(tuple(paths), checker)
    except KnowledgeError as exc:
        return None, exc.problems
    return base, tuple(sorted(checker.problems))


def _load_paths(paths: tuple[Path, ...], checker: _Checker | None = None, cached: int = 0) -> KnowledgeBase:
    """Load ``paths``; the first ``cached`` of them (the bundled files) may come from the cache (see ``_cache``)."""
    with _gc_paused():
        return _load_paths_now(paths, checker, cached)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while loading.

    Loading allocates tens of thousands of small containers that are freed by
    reference counting; the collector, triggered by the count alone, walks every
    live object again and again (about a third of the bundled base's load time).
    Re-enabled afterwards unless it was off already.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_paths_now(paths: tuple[Path, ...], checker: _Checker | None, cached: int) -> KnowledgeBase:
    checker = checker if checker is not None else _Checker()
    files: list[tuple[str, s.KnowledgeFile, Any]] = []
    digest = hashlib.sha256()
    cache = CacheStore.open() if cached else None
    for i, path in enumerate(paths):
        read = _read(path, checker, cache if i < cached else None)
        if read is None:
            continue
        model, data, raw = read
        files.append((str(path), model, data))
        digest.update(len(raw).to_bytes(8, "big"))
        digest.update(raw)
    if cache is not None:
        cache.save()
    if checker.problems:
        raise KnowledgeError(checker.problems)
    base = _compile(files, checker, digest.hexdigest())
    if any(p.severity_rank == 0 for p in checker.problems):
        raise KnowledgeError(checker.problems)
    return base


def _compile(files: list[tuple[str, s.KnowledgeFile, Any]], checker: _Checker, content_hash: str) -> KnowledgeBase:
    sources = _unique(checker, _each(files, "sources"), "source")
    areas = _unique(checker, _each(files, "vocabulary.areas"), "area")
    causes = _unique(checker, _each(files, "vocabulary.causes"), "cause")
    goals = _unique(checker, _each(files, "vocabulary.goals"), "goal")
    phases = _unique(checker, _each(files, "vocabulary.phases"), "phase")
    bands = _unique(checker, _each(files, "vocabulary.severity_bands"), "severity band")
    findings = _unique(checker, _each(files, "findings"), "finding")
    techniques = _unique(checker, _each(files, "techniques"), "technique")
    rule_ids: dict[str, _Located] = {}
    conditions = _unique(checker, _each(files, "conditions"), "condition", rule_ids)
    rules = _unique(checker, _each(files, "rules"), "rule", dict(conditions))
    for ident in conditions:
        rules.pop(ident, None)

    for kind, table in (("areas", areas), ("causes", causes), ("goals", goals), ("phases", phases)):
        if not table:
            checker.error((files[0][0], 0, 0), f"the vocabulary defines no {kind}")

    def cite(item: _Located, owner: str, refs: Sequence[str], *loc: str | int) -> None:
        for i, ref in enumerate(refs):
            checker.ref(item, owner, "source", ref, sources, *loc, "sources", i)

    # vocabulary cross-references
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

    def check_when(item: _Located, owner: str, when: s.When, *loc: str | int) -> None:
        for key, table, kind in (
            ("areas", areas, "area"),
            ("causes", causes, "cause"),
            ("phases", phases, "phase"),
            ("goals", goals, "goal"),
            ("health_all", findings, "finding"),
            ("health_any", findings, "finding"),
            ("conditions", conditions, "condition"),
        ):
            for i, ref in enumerate(getattr(when, key) or ()):
                checker.ref(item, owner, kind, ref, table, *loc, key, i)
        for key in ("areas", "causes", "phases", "goals", "health_all", "health_any", "conditions"):
            if getattr(when, key) == []:
                checker.error(
                    _Located(None, item.file, item.data, (*item.loc, *loc, key)).where(),
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
    for item in _each(files, "plan.defaults"):
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
        item = _Located(model.billing, name, data, ("billing",))
        if billing is not None:
            checker.error(item.where(), f"a second billing section; the first is in {billed_in}")
            continue
        billing, billed_in = model.billing, name
        cite(item, "billing", model.billing.sources)

    plan_settings = compile_plan_settings(files, checker, cite, check_when, techniques, rules)

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
        compiled, _each(files, "overrides"), checker, techniques, pack_of
    )
    overrides = (*overrides, *plan_overrides(files, _each(files, "overrides"), checker, pack_of))
    packs = pack_headers(files, checker, bundled_knowledge_paths())
    if any(p.severity_rank == 0 for p in checker.problems):
        raise KnowledgeError(checker.problems)
    compiled = [_finish(rule) for rule in compiled]

    version = "+".join(f"{pid}-{ver}" for pid, ver in packs) or "unversioned"
    frozen = MappingProxyType
    # Built once: the base exposes them read-only, and Tables reads the same objects.
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
        version=version,
        content_hash=content_hash,
        packs=packs,
        overrides=overrides,
        switched_off=switched_off,
        files=tuple(name for name, _, _ in files),
        _tables=Tables(
            compiled,
            advice=[advice.rule for advice in plan_settings.advice],
            advice_techniques=[advice.techniques for advice in plan_settings.advice],
            sources=source_map,
            conditions=condition_map,
            techniques=technique_map,
            version=version,
            content_hash=content_hash,
            packs=packs,
            overrides=overrides,
        ),
    )


def _finish(rule: CompiledRule) -> CompiledRule:
    """Build the rule's answer parts once, so that no answer has to build them again.

    Built with ``trusted``: every value is already of its field's type (validated
    knowledge), and validating would first build these models' validators, which
    costs a fresh ``suggest`` more than the parts themselves.
    """
    reasons = tuple(
        (
            tech,
            trusted(
                Reason,
                rule=rule.id,
                effect=rule.effect_label,
                points=points,
                label=rule.label,
                text=rule.text,
                sources=rule.sources,
            ),
        )
        for tech, points in rule.score
    )
    referral = None
    if rule.refer is not None:
        referral = trusted(
            Referral,
            reason=rule.text,
            urgency=rule.refer.urgency,
            rule=rule.id,
            massage_meanwhile=rule.refer.massage_meanwhile,
            sources=rule.sources,
        )
    stop = None
    if rule.no_massage is not None:
        stop = trusted(
            NoMassageNow, reason=rule.text, rule=rule.id, come_back=rule.no_massage.come_back, sources=rule.sources
        )
    note_item = trusted(Note, rule=rule.id, text=rule.note, sources=rule.sources) if rule.note else None
    # dataclasses.replace, without its per-call walk over the fields (a tenth of compiling the bundled base)
    values = {name: getattr(rule, name) for name in _RULE_FIELDS}
    values.update(reasons=reasons, referral=referral, stop=stop, note_item=note_item)
    return CompiledRule(**values)


def _origin(item: _Located) -> str:
    file, line, _ = item.where()
    return f"{file}:{line}"


def _set_of(values: Iterable[str]) -> frozenset[str]:
    """The one shared frozenset of ``values``: rules ask the same few sets of areas, causes, phases and goals.

    A set is an object the garbage collector walks in every full collection for
    as long as the knowledge lives, and, unlike a tuple of strings, never stops
    tracking: 10,000 rules held over 30,000 of them, most of them equal.
    """
    found = frozenset(values)
    if len(_SETS) >= 100_000:  # bounded: a process loading many different bases must not grow it without end
        _SETS.clear()
    return _SETS.setdefault(found, found)


_SETS: dict[frozenset[str], frozenset[str]] = {}


def _when_fields(when: s.When | None) -> dict[str, Any]:
    if when is None:
        return {"has_match": False}
    fields: dict[str, Any] = {}
    for key in ("areas", "causes", "phases", "goals", "conditions", "health_all", "health_any"):
        value = getattr(when, key)
        if value is not None:
            fields[key] = _set_of(value)
    for key, name in (("severity", "severity"), ("days_since_onset", "days"), ("area_count", "area_count")):
        rng: s.Range | None = getattr(when, key)
        if rng is not None:
            fields[name] = (rng.min if rng.min is not None else -(10**9), rng.max if rng.max is not None else 10**9)
    fields["specificity"] = sum(1 for key in s.When.model_fields if getattr(when, key) is not None)
    return fields


def _goal_name(goals: Mapping[str, _Located], goal: str) -> str:
    return str(goals[goal].value.name).lower() if goal in goals else goal


def _technique_rules(techniques: Mapping[str, _Located], goals: Mapping[str, _Located]) -> Iterator[CompiledRule]:
    for ident, item in techniques.items():
        tech: s.Technique = item.value
        origin = _origin(item)
        for goal, weight in sorted(tech.goals.items()):
            if weight:
                yield CompiledRule(
                    id=f"{ident}.goal.{goal}",
                    text=f"{tech.name} serves the goal: {_goal_name(goals, goal)}",
                    sources=tuple(tech.sources),
                    origin=origin,
                    kind="technique",
                    effect_label="goal",
                    label=_goal_name(goals, goal),
                    goals=_set_of([goal]),
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
                origin=origin,
                kind="technique",
                effect_label="score",
                label=f"{phase} phase",
                phases=_set_of([phase]),
                forbid=s.Forbid.model_construct(techniques=[ident], where=where),
                forbid_set=_set_of([ident]),
                specificity=1,
            )


def _condition_rule(item: _Located) -> CompiledRule:
    cond: s.Condition = item.value
    fields = _when_fields(cond.match)
    forbid = s.Forbid.model_construct(techniques=list(cond.forbid), where="problem_areas") if cond.forbid else None
    return CompiledRule(
        id=cond.id,
        text=cond.text,
        sources=tuple(cond.sources),
        origin=_origin(item),
        kind="condition",
        effect_label="condition",
        label=cond.name,
        diagnosis=cond.id,
        score=tuple(sorted((k, v) for k, v in cond.favour.items() if v)),
        forbid=forbid,
        forbid_set=_set_of(cond.forbid) if cond.forbid else None,
        note=cond.note,
        dose=cond.dose,
        **fields,
    )


def _plain_rule(item: _Located) -> CompiledRule:
    rule: s.Rule = item.value
    forbid_set = None
    if rule.forbid is not None and rule.forbid.techniques != "all":
        forbid_set = _set_of(rule.forbid.techniques)
    return CompiledRule(
        id=rule.id,
        text=rule.text,
        sources=tuple(rule.sources),
        origin=_origin(item),
        kind="rule",
        effect_label="score",
        label=rule.id,
        score=tuple(sorted((rule.score or {}).items())),
        forbid=rule.forbid,
        forbid_set=forbid_set,
        cap=rule.cap_pressure,
        allow_only=_set_of(rule.allow_only) if rule.allow_only is not None else None,
        refer=rule.refer,
        no_massage=rule.no_massage,
        note=rule.note,
        dose=rule.dose,
        sessions=rule.sessions,
        **_when_fields(rule.when),
    )
