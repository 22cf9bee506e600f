"""The cells of the profile space: per dimension, the values that every rule's conditions treat alike.

A rule sees a profile only through its conditions, so the values of a dimension
split into classes inside which every condition answers alike (see the package
docstring for why that makes the walk exhaustive). Single values (cause) are
grouped by the rules that name them; whole numbers (severity, days since onset,
number of areas) are cut at every end of every rule's window; sets (areas,
goals) are grouped by which lists of the rules they meet ("any of"), found from
the *atoms* the lists cut the values into.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import comb

from massage_rules.knowledge.load import CompiledRule, KnowledgeBase

__all__ = [
    "MAX_DAYS",
    "AreaClass",
    "AreaClasses",
    "CauseClass",
    "GoalClass",
    "Regions",
    "Timing",
    "cause_classes",
    "goal_classes",
    "pieces",
    "timings",
]

MAX_DAYS = 36_500  # the profile model's bound on days since onset


def pieces(windows: Iterable[tuple[int, int]], low: int, high: int) -> list[tuple[int, int]]:
    """Cut [low, high] at every window end, so that each piece lies wholly inside or outside every window."""
    cuts = {low, high + 1}
    for start, end in windows:
        for point in (start, end + 1):
            if low < point <= high:
                cuts.add(point)
    return list(itertools.pairwise(sorted(cuts)))


@dataclass(frozen=True, slots=True)
class CauseClass:
    """Causes (None: no cause given) that every rule names alike: the first stands for them all."""

    cause: str | None
    members: tuple[str | None, ...]


def cause_classes(kb: KnowledgeBase, rules: Sequence[CompiledRule]) -> list[CauseClass]:
    """The classes of causes (no cause included) that ``rules`` name alike, in ``causes`` or ``causes_not``."""
    groups: dict[tuple[frozenset[int], frozenset[int]], list[str | None]] = {}
    for cause in (None, *kb.causes):
        named = frozenset(i for i, rule in enumerate(rules) if rule.causes is not None and cause in rule.causes)
        barred = frozenset(
            i for i, rule in enumerate(rules) if rule.causes_not is not None and cause in rule.causes_not
        )
        groups.setdefault((named, barred), []).append(cause)
    return [CauseClass(members[0], tuple(members)) for members in groups.values()]


@dataclass(frozen=True, slots=True)
class Timing:
    """A phase, with days since onset (None: the phase given alone), standing for every timing in ``members``.

    ``members`` holds None for "the phase given alone" and (first, last) for each
    stretch of days.
    """

    phase: str
    days: int | None
    members: tuple[tuple[int, int] | None, ...]

    @property
    def size(self) -> int:
        """How many timings the class holds."""
        return sum(1 if m is None else m[1] - m[0] + 1 for m in self.members)

    @property
    def label(self) -> str:
        """The class in words."""
        return " + ".join("phase only" if m is None else f"days {m[0]}-{m[1]}" for m in self.members)

    def holds(self, phase: str, days: int | None) -> bool:
        """Whether a profile in ``phase`` with ``days`` since onset is in the class."""
        if phase != self.phase:
            return False
        return any(m is None if days is None else m is not None and m[0] <= days <= m[1] for m in self.members)


def timings(kb: KnowledgeBase, rules: Sequence[CompiledRule]) -> list[Timing]:
    """Per phase: the phase alone, and each stretch of days that every day window treats alike.

    Timings of one phase that hold the same day windows are one class: only the
    phase and those windows reach an answer.
    """
    windows = [rule.days for rule in rules if rule.days is not None]
    out: list[Timing] = []
    low = 0
    for phase in kb.phases.values():
        high = phase.days_max if phase.days_max is not None else MAX_DAYS
        spans: list[tuple[int, int] | None] = [None]
        if high >= low:
            spans += [(a, b - 1) for a, b in pieces(windows, low, high)]
        groups: dict[frozenset[int], list[tuple[int, int] | None]] = {}
        for span in spans:
            held = frozenset(
                i
                for i, rule in enumerate(rules)
                if rule.days is not None and span is not None and rule.days[0] <= span[0] <= rule.days[1]
            )
            groups.setdefault(held, []).append(span)
        for members in groups.values():
            out.append(Timing(phase.id, None if members[0] is None else members[0][0], tuple(members)))
        low = high + 1
    return out


@dataclass(frozen=True, slots=True)
class GoalClass:
    """Goal sets that meet the same structural goal lists: the largest, the smallest ones, and how many."""

    largest: frozenset[str]
    smallest: tuple[frozenset[str], ...]
    size: int
    lists: tuple[frozenset[str], ...]  # the lists that tell goal sets apart
    signature: int  # which of them the class meets

    def holds(self, goals: Collection[str]) -> bool:
        """Whether a goal set is in the class (meets exactly its lists)."""
        return sum(1 << k for k, own in enumerate(self.lists) if not own.isdisjoint(goals)) == self.signature


def goal_classes(goals: Sequence[str], lists: Collection[frozenset[str]]) -> list[GoalClass]:
    """Classes of the non-empty goal sets by which of ``lists`` they meet ("any of").

    Each class is closed under union, so it has a largest member; its smallest
    members take one goal from each atom of a smallest set of atoms that meets
    the same lists. Every set of atoms is tried: there are as many atoms as goals
    at most, and few in practice (goals on the same lists are one atom).
    """
    ordered = sorted(set(lists), key=sorted)
    atoms = _atoms(goals, ordered)
    by_signature: dict[int, list[tuple[int, ...]]] = {}
    for count in range(1, len(atoms) + 1):
        for chosen in itertools.combinations(range(len(atoms)), count):
            signature = 0
            for k in chosen:
                signature |= atoms[k][1]
            by_signature.setdefault(signature, []).append(chosen)
    out = []
    for signature, choices in by_signature.items():
        largest = frozenset(g for members, mask in atoms if mask | signature == signature for g in members)
        least = [c for c in choices if not any(set(o) < set(c) for o in choices)]
        smallest = tuple(frozenset(pick) for c in least for pick in itertools.product(*(atoms[k][0] for k in c)))
        size = sum(math.prod(2 ** len(atoms[k][0]) - 1 for k in c) for c in choices)
        out.append(GoalClass(largest, smallest, size, tuple(ordered), signature))
    return out


def _atoms(items: Sequence[str], lists: Sequence[Collection[str]]) -> list[tuple[tuple[str, ...], int]]:
    """``items`` grouped by which of ``lists`` hold them: (members, mask of those lists), in first-seen order."""
    groups: dict[int, list[str]] = {}
    for item in items:
        mask = 0
        for k, values in enumerate(lists):
            if item in values:
                mask |= 1 << k
        groups.setdefault(mask, []).append(item)
    return [(tuple(members), mask) for mask, members in groups.items()]


@dataclass(frozen=True, slots=True)
class AreaClass:
    """Area sets that meet the same lists and whose size (and region count) lie in the same piece: one, and how many."""

    areas: frozenset[str]
    size: int


@dataclass(frozen=True, slots=True)
class Regions:
    """The body regions a plan counts: each area's region as one bit (the whole-body bit: one region in all), and the
    pieces of the region count that the plan tells apart."""

    bit: Mapping[str, int]
    whole: int
    pieces: tuple[tuple[int, int], ...]

    def count(self, mask: int) -> int:
        """How many regions the areas of ``mask`` reach: one when a whole-body area is among them."""
        return 1 if mask & self.whole else mask.bit_count()

    def piece(self, mask: int) -> int:
        """The piece that the region count of ``mask`` is in (0 for no areas)."""
        count = self.count(mask)
        return next((n for n, (low, high) in enumerate(self.pieces) if low <= count <= high), 0)


class AreaClasses:
    """Every class of non-empty area sets by the lists they meet and the piece of ``sizes`` their size is in.

    Two sets that meet the same ``rule_lists`` and ``answer_lists`` and fall in
    the same size piece satisfy the same rules and are read alike by the engine.
    The classes come from the atoms (areas in exactly the same lists): a set
    meets the lists of the atoms it touches, and touching an atom with more or
    fewer of its areas changes only its size. Counting by size (collapsed above
    the last cut) gives each class's size; its representative is a smallest
    member, padded to its piece. With ``regions`` (a plan counts body regions)
    the atoms are split by region too, and the piece of the region count is part
    of a class: the representative is padded inside the regions it reaches.
    """

    def __init__(
        self,
        areas: Sequence[str],
        rule_lists: Collection[frozenset[str]],
        answer_lists: Sequence[frozenset[str]],
        sizes: Sequence[tuple[int, int]],
        regions: Regions | None = None,
    ) -> None:
        self.lists = [*sorted(set(rule_lists), key=sorted), *answer_lists]
        self.sizes = list(sizes)
        self.regions = regions
        atoms = _split(_atoms(areas, self.lists), regions)
        top = sizes[-1][0]  # sizes from here up are one piece
        # (signature, regions reached) -> (a smallest witness: atom indexes, counts by size)
        states: dict[tuple[int, int], tuple[tuple[int, ...], list[int]]] = {(0, 0): ((), [1] + [0] * top)}
        for k, (members, mask, region) in enumerate(atoms):
            ways = [0] + [comb(len(members), j) for j in range(1, len(members) + 1)]
            grown = dict(states)
            for (signature, reached), (witness, counts) in states.items():
                merged = _convolve(counts, ways, top)
                target = (signature | mask, reached | region)
                known = grown.get(target)
                if known is None:
                    grown[target] = ((*witness, k), merged)
                else:
                    best = known[0] if len(known[0]) <= len(witness) + 1 else (*witness, k)
                    grown[target] = (best, [a + b for a, b in zip(known[1], merged, strict=True)])
            states = grown
        self.by_signature: dict[tuple[int, int, int], AreaClass] = {}
        for (signature, reached), (witness, counts) in states.items():
            if not witness:
                continue
            allowed = [members for members, mask, region in atoms if mask | signature == signature and region & reached]
            if regions is None:
                allowed = [members for members, mask, _ in atoms if mask | signature == signature]
            band = regions.piece(reached) if regions is not None else 0
            for piece, (low, high) in enumerate(sizes):
                size = sum(counts[low : high + 1]) if low < top else counts[top]
                if not size:
                    continue
                key = (signature, piece, band)
                seen = self.by_signature.get(key)
                if seen is None:
                    self.by_signature[key] = AreaClass(_member(atoms, witness, allowed, low), size)
                else:
                    self.by_signature[key] = AreaClass(seen.areas, seen.size + size)
        self.classes = list(self.by_signature.values())

    def of(self, areas: Collection[str]) -> AreaClass:
        """The class of an area set."""
        signature = sum(1 << k for k, own in enumerate(self.lists) if not own.isdisjoint(areas))
        piece = next(n for n, (low, high) in enumerate(self.sizes) if low <= len(areas) <= high)
        band = 0
        if self.regions is not None:
            reached = 0
            for area in areas:
                reached |= self.regions.bit.get(area, 0)
            band = self.regions.piece(reached)
        return self.by_signature[(signature, piece, band)]


def _split(atoms: list[tuple[tuple[str, ...], int]], regions: Regions | None) -> list[tuple[tuple[str, ...], int, int]]:
    """Each atom split by region: (members, mask of lists, region bit); one part with bit 0 without regions."""
    if regions is None:
        return [(members, mask, 0) for members, mask in atoms]
    out: list[tuple[tuple[str, ...], int, int]] = []
    for members, mask in atoms:
        by_region: dict[int, list[str]] = {}
        for area in members:
            by_region.setdefault(regions.bit.get(area, 0), []).append(area)
        out += [(tuple(part), mask, region) for region, part in by_region.items()]
    return out


def _convolve(counts: list[int], ways: list[int], top: int) -> list[int]:
    out = [0] * (top + 1)
    for i, a in enumerate(counts):
        if a:
            for j, b in enumerate(ways):
                if b:
                    out[min(i + j, top)] += a * b
    return out


def _member(
    atoms: list[tuple[tuple[str, ...], int, int]], witness: tuple[int, ...], allowed: list[tuple[str, ...]], low: int
) -> frozenset[str]:
    """One area from each atom of ``witness``, then more from the allowed atoms until there are ``low``."""
    chosen = [atoms[k][0][0] for k in witness]
    spare = (a for members in allowed for a in members if a not in chosen)
    while len(chosen) < low:
        chosen.append(next(spare))
    return frozenset(chosen)
