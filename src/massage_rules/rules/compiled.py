"""The compiled form of a knowledge base: a rule index and the answer parts built once.

Each rule is one bit of an integer. For every dimension of a profile (areas,
cause, phase, goals, severity, findings, complaints) the index keeps, per value,
the mask of rules that value satisfies. A profile's rules are the AND of a few
such masks: a handful of integer operations, each a quick pass in C over the
base's bits, and the Python work that follows visits only the rules that fire.

The answer parts that depend only on the knowledge (a reason per rule and
technique, a referral per rule, a source reference per source) are built here,
once; parts that depend on a few facts of the profile are memoised in bounded
tables. All of them are immutable, so sharing them between answers is safe.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from massage_rules.models import KnowledgeStamp, MatchedCondition, OverrideStamp, PackStamp, SourceRef

if TYPE_CHECKING:
    from massage_rules.engine.recommend import Resolved
    from massage_rules.knowledge import schema as s
    from massage_rules.knowledge.load import CompiledRule

__all__ = ["Memo", "ModelT", "RuleIndex", "Tables", "bits", "fields_set", "trusted", "trusted_dict"]

_PAIN_SCALE = range(11)  # the 0-10 values ClientProfile.severity accepts: a range becomes a set of them
ModelT = TypeVar("ModelT", bound=BaseModel)


def trusted(cls: type[ModelT], defaults: dict[str, Any] | None = None, /, **values: Any) -> ModelT:
    """Build a frozen model from values the engine made itself, already of the field types, without validating.

    Validating a whole answer costs several times more than computing it; the
    values here come from validated knowledge and the engine's own arithmetic.
    This is what ``model_construct`` does, minus its per-field Python loop. The
    tests check that every answer equals its validated copy, byte for byte.
    Give every field, in field order; ``defaults`` holds the leading fields left at their default.
    """
    return trusted_dict(cls, {**defaults, **values} if defaults else values, fields_set(cls, values))


def trusted_dict(cls: type[ModelT], values: dict[str, Any], given: set[str] | None = None, /) -> ModelT:
    """:func:`trusted` for a dict the caller built (every field, in field order), for hot loops and copies.

    ``given`` is what pydantic reports as explicitly set (``model_fields_set``);
    by default every key of ``values``, as the set :func:`fields_set` shares.
    """
    model = _new(cls)
    _set_dict(model, values)
    _set_fields_set(model, fields_set(cls, values) if given is None else given)
    _set_extra(model, None)
    _set_private(model, None)
    return model


def fields_set(cls: type[BaseModel], names: Collection[str]) -> set[str]:
    """One set of ``names`` per model class and names, shared by every trusted model that gives them.

    A set per model is one more object the garbage collector walks for as long
    as a memo table keeps the model. Sharing it is safe: these models are
    frozen, so pydantic never adds to their set, and its copies
    (``model_copy``, ``copy``) copy the set before changing it.
    """
    key = (cls, *names)
    found = _FIELDS_SETS.get(key)
    if found is None:
        if not cls.model_config.get("frozen"):
            raise TypeError(f"{cls.__name__} is not frozen: pydantic would add to a shared fields set")
        found = _FIELDS_SETS[key] = set(names)
    return found


_FIELDS_SETS: dict[tuple[Any, ...], set[str]] = {}  # (model class, *field names) -> the shared set


# No model defines __new__, so object's builds one, looked up once here rather than through the metaclass.
_new = object.__new__
# BaseModel's own slots, set through their descriptors: what object.__setattr__ does after looking them up.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


class _AnyOf:
    """One dimension as bit masks: the rules each value satisfies, and the rules that ask nothing of it."""

    __slots__ = ("_ones", "_sets", "by_value", "free")

    def __init__(self) -> None:
        self.free = 0
        self.by_value: dict[str, int] = {}
        self._sets = Memo(10_000)  # a profile's set of values -> its mask: sets recur (the same areas, goals)
        self._ones: dict[str | None, int] = {}  # one value -> its mask, free rules included (built on first use)

    def file(self, bit: int, values: Collection[str] | None) -> None:
        if values is None:
            self.free |= bit
            return
        by_value = self.by_value
        for value in values:
            by_value[value] = by_value.get(value, 0) | bit

    def one(self, value: str | None) -> int:
        """The rules that hold here for a profile holding ``value`` (None: nothing on this dimension)."""
        mask = self._ones.get(value)
        if mask is None:
            mask = self._ones[value] = self.free if value is None else self.free | self.by_value.get(value, 0)
        return mask

    def any(self, values: frozenset[str]) -> int:
        """The rules that hold here for a profile holding ``values`` (any one of a rule's values will do)."""
        mask: int | None = self._sets.get(values)
        if mask is None:
            mask = self.free
            for value in values:
                mask |= self.by_value.get(value, 0)
            self._sets.put(values, mask)
        return mask


class _Windows:
    """Rules on a whole-number window (days since onset, number of areas), as a mask per value, built on first use."""

    __slots__ = ("_masks", "_windows", "free")

    def __init__(self) -> None:
        self.free = 0
        self._windows: list[tuple[int, int, int]] = []  # (bit, lowest, highest)
        self._masks = Memo(10_000)

    def file(self, bit: int, window: tuple[int, int] | None) -> None:
        if window is None:
            self.free |= bit
        else:
            self._windows.append((bit, *window))

    def at(self, value: int | None) -> int:
        """The rules that hold for ``value`` (None: the profile does not say; only rules without a window hold)."""
        if value is None or not self._windows:
            return self.free
        mask: int | None = self._masks.get(value)
        if mask is None:
            mask = self.free
            for bit, lowest, highest in self._windows:
                if lowest <= value <= highest:
                    mask |= bit
            self._masks.put(value, mask)
        return mask


class RuleIndex:
    """Every rule as one bit; per dimension, which rules each profile value satisfies.

    A profile's rules are the AND of one mask per dimension, each the OR of the
    masks of the values it holds: a handful of integer operations, each a pass
    in C over the base's bits, and the masks of recurring value sets are
    remembered. Only the rules left standing are visited, so the Python work that
    follows grows with the rules that fire. The masks are exact: no rule is left
    to test by hand.
    """

    __slots__ = (
        "_areas",
        "_by_health",
        "_causes",
        "_complaints",
        "_count",
        "_days",
        "_diagnoses",
        "_first",
        "_goals",
        "_health_any",
        "_ids",
        "_narrowing",
        "_need",
        "_need_any",
        "_on_health",
        "_on_plain",
        "_on_windows",
        "_phases",
        "_plain",
        "_severity",
        "condition_rules",
        "effects",
    )

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self._ids = tuple(rule.id for rule in rules)
        self._areas, self._causes, self._phases = _AnyOf(), _AnyOf(), _AnyOf()
        self._goals, self._health_any, self._complaints = _AnyOf(), _AnyOf(), _AnyOf()
        self._days, self._count = _Windows(), _Windows()
        self._diagnoses: dict[str, int] = {}
        self._need: dict[str, int] = {}  # finding -> rules whose health_all names it
        self._by_health = Memo(10_000)  # a profile's findings -> the rules they allow (see _health)
        self._severity = [0] * len(_PAIN_SCALE)
        self._first = self._plain = self.condition_rules = 0
        # Which rules do what, so an answer skips whole steps when no fired rule needs them.
        self.effects = dict.fromkeys(("refer", "stop", "note", "restrict", "local", "score", "plan"), 0)
        for position, rule in enumerate(rules):
            bit = 1 << position
            for effect, has in (
                ("refer", rule.referral is not None),
                ("stop", rule.stop is not None),
                ("note", rule.note_item is not None),
                ("restrict", rule.forbid is not None or rule.cap is not None or rule.allow_only is not None),
                # restricts where the profile says: the problem areas, or the areas of its findings
                ("local", any(on is not None and on.where != "everywhere" for on in (rule.forbid, rule.cap))),
                ("score", bool(rule.reasons)),
                ("plan", rule.dose is not None or rule.sessions is not None),
            ):
                if has:
                    self.effects[effect] |= bit
            self._areas.file(bit, rule.areas)
            self._causes.file(bit, rule.causes)
            self._phases.file(bit, rule.phases)
            self._goals.file(bit, rule.goals)
            self._health_any.file(bit, rule.health_any)
            self._complaints.file(bit, rule.conditions)
            self._days.file(bit, rule.days)
            self._count.file(bit, rule.area_count)
            for finding in rule.health_all or ():
                self._need[finding] = self._need.get(finding, 0) | bit
            for score in _PAIN_SCALE:
                if rule.severity is None or rule.severity[0] <= score <= rule.severity[1]:
                    self._severity[score] |= bit
            if rule.conditions is None:  # rules naming complaints wait for the second pass
                self._first |= bit
            if rule.diagnosis is not None:
                self._diagnoses[rule.diagnosis] = self._diagnoses.get(rule.diagnosis, 0) | bit
            if rule.diagnosis is None or rule.has_match:
                self._plain |= bit  # may fire on its conditions, not only on a named diagnosis
            if rule.kind == "condition":
                self.condition_rules |= bit
        effects = self.effects
        effects["head"] = effects["refer"] | effects["stop"] | effects["note"]
        self._need_any = 0
        for need in self._need.values():
            self._need_any |= need
        # Which of the optional dimensions narrow anything: most bases leave some to every rule. Decided once:
        # comparing 10,000-bit masks per profile would cost as much as the AND it saves.
        every = (1 << len(rules)) - 1
        self._on_plain = self._plain != every
        self._on_windows = self._days.free != every or self._count.free != every
        self._on_health = bool(self._need_any or self._health_any.by_value)
        self._narrowing = self._on_plain or self._on_windows or self._on_health

    def _candidates(self, r: Resolved) -> int:
        """The rules whose listed conditions hold for ``r``, bar complaints and diagnoses.

        A dimension no rule asks about (its mask holds every rule) is skipped: at
        10,000 rules each mask operation is a pass over 1.3 KB.
        """
        mask = self._areas.any(r.areas) & self._phases.one(r.phase) & self._goals.any(r.goals)
        mask &= self._severity[r.severity] & self._causes.one(r.cause)
        if self._narrowing:
            if self._on_plain:
                mask &= self._plain
            if mask and self._on_windows:
                mask &= self._days.at(r.days) & self._count.at(len(r.areas))
            if mask and self._on_health:
                mask &= self._health(r.health)
        return mask

    def _health(self, health: frozenset[str]) -> int:
        """The rules whose findings ``health`` meets: any one of ``health_any``, all of ``health_all``."""
        found: int | None = self._by_health.get(health)
        if found is None:
            unmet = 0
            for finding, need in self._need.items():
                if finding not in health:
                    unmet |= need
            found = self._by_health.put(health, self._health_any.any(health) & ~unmet)
        return found

    def _named(self, r: Resolved) -> int:
        named = 0
        for diagnosis in r.diagnoses:  # a named diagnosis fires its complaint's rules whatever else holds
            named |= self._diagnoses.get(diagnosis, 0)
        return named

    def _second(self, mask: int, matched: frozenset[str]) -> int:
        """The rules naming complaints that hold, given the complaints matched."""
        second = mask & ~self._first & ~self._complaints.free
        return second & self._complaints.any(matched) if second else 0

    def fire(self, r: Resolved) -> tuple[int, int]:
        """The mask of the rules that fire for ``r``, and of the complaint rules among them.

        Rules naming complaints can only be tested once the complaints are known:
        they are a second pass, run when the first matched any.
        """
        mask = self._candidates(r)
        named = self._named(r) if r.diagnoses else 0
        first = (mask | named) & self._first
        complaints = first & self.condition_rules
        if not complaints:
            return first, 0
        ids = self._ids
        second = self._second(mask, frozenset(ids[position] for position in bits(complaints)))
        return first | second | (named & ~self._first), complaints

    def holding(self, r: Resolved, matched: frozenset[str]) -> int:
        """The mask of the rules that hold for ``r`` once ``matched`` complaints are known (one pass)."""
        mask = self._candidates(r)
        return (mask & self._first) | self._second(mask, matched) | (self._named(r) if r.diagnoses else 0)


def bits(mask: int) -> list[int]:
    """The positions of the set bits of ``mask``, lowest first.

    Bits are taken off the top: ``bit_length`` finds the highest in constant
    time, and each XOR leaves a shorter integer, so the passes over the mask
    shrink as it empties (taking the lowest bit off, with ``mask & -mask``,
    costs two passes over the whole integer per bit). Measured against that and
    against cutting the mask into 64-bit words: 25-60% faster on the sparse
    masks the engine peels, and no slower on dense ones.
    """
    out: list[int] = []
    while mask:
        top = mask.bit_length() - 1
        out.append(top)
        mask ^= 1 << top
    out.reverse()
    return out


class Memo(dict[Any, Any]):
    """A bounded memo table: emptied when full, so a stream of odd profiles cannot grow it without end."""

    __slots__ = ("limit",)

    def __init__(self, limit: int = 50_000) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: Any, value: Any) -> Any:
        """Remember ``value`` under ``key`` and return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


class ThriftyMemo(Memo):
    """A memo table that stops remembering while it rarely hits.

    On a large base nearly every profile fires a new combination of rules, so
    some tables miss almost always. Each miss then keeps a new key and value
    alive: memory the allocator cannot reuse, and objects the garbage collector
    must walk, for answers that will never be asked for again. At 10,000
    synthetic rules the two ranking tables found 3-11% of what they were asked
    for, and resting them made answers 14-16% faster; on the bundled base they
    find 40-90% and stay on.

    Callers look values up with :meth:`find` and, after a miss, :meth:`put`
    what they computed, so the table counts both. After each ``window`` lookups, a table that found
    less than the ``floor`` share of them empties itself and rests for ``rest``
    lookups (each finds nothing, and ``put`` keeps nothing), then starts over
    and measures again. Answers never depend on what a table holds.
    """

    __slots__ = ("_looked", "_missed", "_resting", "floor", "rest", "window")

    def __init__(self, limit: int = 50_000, *, window: int = 500, floor: float = 1 / 8, rest: int = 20_000) -> None:
        super().__init__(limit)
        self.window, self.floor, self.rest = window, floor, rest
        self._looked = self._missed = self._resting = 0

    @property
    def resting(self) -> bool:
        """Whether the table is resting: finding nothing and keeping nothing."""
        return self._resting > 0

    def find(self, key: Any) -> Any:
        """The value remembered under ``key``, or None (then ``put`` the value, so the miss is counted)."""
        if self._resting:
            return None
        self._looked += 1
        return self.get(key)

    def put(self, key: Any, value: Any) -> Any:
        """Remember ``value`` under ``key``, unless resting; return it. Judges the window when it is over."""
        if self._resting:  # counted here: every lookup while resting misses, and is followed by a put
            self._resting -= 1
            return value
        self._missed += 1
        looked = self._looked
        if looked >= self.window:
            if looked - self._missed < self.floor * looked:
                self.clear()
                self._resting = self.rest
                self._looked = self._missed = 0
                return value
            self._looked = self._missed = 0
        return super().put(key, value)


class Scoring:
    """What the scoring rules add to techniques, as flat arrays that ranking reads by number.

    Each (rule, technique it scores) is one entry, numbered in the order a
    technique's reasons are listed: by technique, then points (most first), then
    rule id. So sorting a profile's entry numbers puts each technique's entries in
    one run, its reasons already in order, and the numbers alone key the memo of
    candidates. Ranking a new profile touches every fired rule's entry: at 10,000
    rules, an object of its own per entry (a tuple, its points, its sources) would
    be a trip to memory each time, while these arrays stay in the cache.
    """

    __slots__ = ("first", "more", "more_mask", "points", "reasons", "run_end", "sources", "techniques")

    def __init__(self, rules: Sequence[CompiledRule], cited: Callable[[Sequence[str]], int]) -> None:
        """``cited`` gives the mask of the sources a reason cites (see :meth:`Tables.cited_mask`)."""
        # A technique never has two reasons from one rule, so this sort never compares the reasons themselves.
        entries = sorted(
            (tech, -why.points, why.rule, position, why)
            for position, rule in enumerate(rules)
            for tech, why in rule.reasons
        )
        self.points = array("d", (-minus for _tech, minus, *_rest in entries))
        self.reasons = [why for *_rest, why in entries]
        self.sources = [cited(why.sources) for why in self.reasons]  # masks, one object per tuple of sources
        self.techniques = [tech for tech, *_rest in entries]
        ends: dict[str, int] = {tech: number + 1 for number, tech in enumerate(self.techniques)}
        self.run_end = array("q", (ends[tech] for tech in self.techniques))
        # Per rule position, its first entry, and its other entries (rules that score several techniques).
        self.first = array("q", [-1] * len(rules))
        more: dict[int, list[int]] = {}
        for number, (_tech, _minus, _rule, position, _why) in enumerate(entries):
            if self.first[position] < 0:
                self.first[position] = number
            else:
                more.setdefault(position, []).append(number)
        self.more = {position: tuple(numbers) for position, numbers in more.items()}
        self.more_mask = 0
        for position in more:
            self.more_mask |= 1 << position

    def entries(self, scoring: int) -> list[int]:
        """The entry numbers of the fired scoring rules ``scoring``, sorted: each technique's in one run."""
        found = list(map(self.first.__getitem__, bits(scoring)))
        several = scoring & self.more_mask
        if several:
            more = self.more
            for position in bits(several):
                found += more[position]
        found.sort()
        return found


class Tables:
    """Everything the engine needs besides the rules: the index (rules, then plan advice), answer parts, memo tables."""

    __slots__ = (
        "_cited_masks",
        "_source_bits",
        "advice",
        "advice_free",
        "avoidance_keys",
        "avoidance_parts",
        "avoidances",
        "avoided",
        "candidates",
        "cited",
        "codes_in_order",
        "heads",
        "index",
        "limits",
        "matched_conditions",
        "plan_bits",
        "plan_parts",
        "plans",
        "refs_in_order",
        "rule_count",
        "rules_mask",
        "scopes",
        "scored",
        "scoring",
        "screens",
        "singles",
        "source_refs",
        "stamp",
        "techniques",
    )

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        *,
        advice: Sequence[CompiledRule] = (),
        advice_techniques: Sequence[frozenset[str] | None] = (),
        sources: dict[str, s.Source],
        conditions: dict[str, s.Condition],
        techniques: dict[str, s.Technique],
        version: str,
        content_hash: str,
        packs: tuple[tuple[str, str], ...],
        overrides: tuple[OverrideStamp, ...] = (),
    ) -> None:
        # The plan's advice (maintenance, after-care, warning signs) is matched with the rules, after them,
        # so one pass over the masks finds both; ``advice`` alone serves the rare case that needs a second look.
        self.index = RuleIndex([*rules, *advice])
        self.rule_count = len(rules)
        self.rules_mask = (1 << len(rules)) - 1
        self.advice = RuleIndex(advice)
        self.source_refs = {
            sid: SourceRef(id=sid, citation=src.citation, url=src.url, evidence=src.evidence)
            for sid, src in sources.items()
        }
        # The sources an answer cites are one integer, a bit per source in id order: unions are ORs, and a
        # memo entry holding only numbers is one the garbage collector stops tracking (see cited_mask).
        self.refs_in_order = [self.source_refs[sid] for sid in sorted(self.source_refs)]
        self._source_bits = {ref.id: 1 << position for position, ref in enumerate(self.refs_in_order)}
        self._cited_masks: dict[tuple[str, ...], int] = {}
        self.stamp = KnowledgeStamp(
            version=version,
            content_hash=content_hash,
            packs=tuple(PackStamp(id=p, version=v) for p, v in packs),
            overrides=overrides,
        )
        self.matched_conditions = {
            (cid, by): MatchedCondition(id=cid, name=cond.name, icd10=tuple(cond.icd10), matched_by=by)
            for cid, cond in conditions.items()
            for by in ("diagnosis", "profile")
        }
        # What a ranked technique shows that does not depend on the profile, read once.
        self.techniques: dict[str, tuple[str, int, int, frozenset[str] | None, str, str]] = {
            tid: (
                t.name,
                t.pressure.min if t.pressure.min is not None else 0,
                t.pressure.max if t.pressure.max is not None else 5,
                None if t.areas is None else frozenset(t.areas),
                t.cpt,
                t.evidence,
            )
            for tid, t in techniques.items()
        }
        self.scoring = Scoring(rules, self.cited_mask)
        # What a plan needs of the offered techniques, as masks: the advice shown whatever is offered, and per
        # technique the advice that names it and the bit of its billing code (codes in order, a bit each).
        code_of = {tech: cpt for tech, (_name, _low, _high, _where, cpt, _evidence) in self.techniques.items()}
        self.codes_in_order = sorted(set(code_of.values()))
        code_bits = {cpt: 1 << position for position, cpt in enumerate(self.codes_in_order)}
        self.advice_free = 0
        naming: dict[str, int] = dict.fromkeys(self.techniques, 0)
        for position, named in enumerate(advice_techniques):
            if named is None:
                self.advice_free |= 1 << position
            for tech in named or ():
                naming[tech] |= 1 << position
        self.plan_bits = {tech: (naming[tech], code_bits[cpt]) for tech, cpt in code_of.items()}
        self.avoided = Memo()  # the screen's restrictions -> the avoided list
        self.avoidances = Memo()  # (technique, area, rule, kind) -> that avoidance, shared by every list
        self.avoidance_parts = Memo()  # (kind, rule, areas) -> what that one restriction rules out, in order
        self.avoidance_keys = Memo()  # (kind, rule, areas) -> the sort keys of those avoidances
        self.limits = Memo()  # (cap rule, scope) -> its pressure limits
        self.cited = Memo()  # the mask of the sources an answer cites -> their references, in id order
        self.heads = Memo()  # (fired rules that refer, stop or note, complaints, diagnoses) -> the answer's head
        self.scopes = Memo()  # where a restriction applies -> that set of areas, one object, and its areas in order
        self.plans = Memo()  # (phase, dose and sessions rules, diagnoses, advice shown, codes) -> the plan
        self.plan_parts = Memo()  # what fixes a plan's step, billing or expected change -> that part, shared
        # The two ranking tables rest while they rarely hit (see ThriftyMemo): on large bases they mostly miss.
        self.candidates = ThriftyMemo()  # the fired scoring rules -> the techniques that score, best first
        self.scored = ThriftyMemo()  # a technique's fired scoring entries -> that technique as a candidate
        # Per scoring entry, the candidate of a technique that entry alone scores; filled on first use.
        self.singles: list[Any] = [None] * len(self.scoring.reasons)
        # The fired restrictions, when none applies where the profile says -> their screen (_engine._screen).
        self.screens = Memo(5_000)

    def scope(self, areas: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
        """Where a restriction applies, as one shared set, and its areas in order for memo keys."""
        known: tuple[frozenset[str], tuple[str, ...]] | None = self.scopes.get(areas)
        return known if known is not None else self.scopes.put(areas, (areas, tuple(sorted(areas))))

    def cited_mask(self, sources: Sequence[str]) -> int:
        """The mask of ``sources``, a tuple of source ids from the knowledge; remembered per tuple.

        Each tuple's mask is one object, and an integer is something the garbage
        collector never walks: memoised answer parts that carry their sources as
        masks cost full collections nothing.
        """
        key = tuple(sources)
        mask = self._cited_masks.get(key)
        if mask is None:
            bits_of = self._source_bits
            mask = 0
            for sid in key:
                mask |= bits_of[sid]
            self._cited_masks[key] = mask
        return mask

    def cited_union(self, groups: Iterable[Sequence[str]]) -> int:
        """The mask of every source the ``groups`` of source ids cite."""
        mask = 0
        for sources in groups:
            mask |= self.cited_mask(sources)
        return mask
