"""The cells of a knowledge base's profile space, what an answer reads of the areas, and each cell's profile.

See the package docstring for why these cells cover the whole space.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection, Sequence

from massage_rules.authoring.verify.cells import (
    AreaClasses,
    GoalClass,
    Regions,
    Timing,
    cause_classes,
    goal_classes,
    pieces,
    timings,
)
from massage_rules.authoring.verify.walk import Point
from massage_rules.knowledge.load import CompiledRule, KnowledgeBase

__all__ = ["Reading", "Space", "may_fire", "plan_regions", "reading_rules"]


def reading_rules(kb: KnowledgeBase, *, plan: bool) -> list[CompiledRule]:
    """Conditions beyond the rules' that an answer reads: the patterns that imply findings, the patterns in which
    a complaint waits for its confirming question, and (``plan``) the plan modifiers' conditions. They cut the
    space like rules do."""
    read = [rule for _, rule in kb.implications] + [rule.confirm for rule in kb.rules if rule.confirm is not None]
    return read + [modifier.rule for modifier in kb.course_model.modifiers] if plan else read


def plan_regions(kb: KnowledgeBase) -> Regions | None:
    """The body regions a plan counts (an area in none counts alone), when a plan modifier counts them.

    The plan counts the regions the offered techniques reach; the cells count the
    regions of the profile's areas. Without findings the two agree whenever an
    offered technique may go on every problem area, as the fallback can.
    """
    windows = [modifier.regions for modifier in kb.course_model.modifiers if modifier.regions is not None]
    if not windows:
        return None
    groups = kb.area_groups.get("region", {})
    named = list(dict.fromkeys(min(groups.get(area, {area})) for area in kb.areas if area not in kb.whole_body_areas))
    bit = {
        area: 1 << named.index(min(groups.get(area, {area}))) for area in kb.areas if area not in kb.whole_body_areas
    }
    whole = 1 << len(named)
    bit.update(dict.fromkeys(kb.whole_body_areas, whole))
    return Regions(bit, whole, tuple((a, b - 1) for a, b in pieces(windows, 1, max(1, len(named)))))


class Reading:
    """What an answer reads of a profile's areas: which *answer lists* they meet.

    The engine looks at the areas only to place techniques (a technique's own
    areas, less the areas a restriction covers), to see whether a whole-body area
    is among them, and to see whether restrictions cover every area. Problem-area
    restrictions cover all of a profile's areas, so only the whole-body areas and
    the areas findings are tied to cut the techniques' area lists further: the
    answer lists are each technique's areas (every area for a technique without
    a list) intersected with each atom of those cuts. When a plan counts body
    regions, a profile's reading is cut by ``regions`` too: profiles read alike
    then place each technique in the same regions, so their plans count alike.
    """

    def __init__(self, kb: KnowledgeBase, regions: Regions | None = None) -> None:
        self.kb = kb
        parts: dict[int, set[str]] = {}
        for area, bit in (regions.bit if regions is not None else {}).items():
            parts.setdefault(bit, set()).add(area)
        self.regions = [frozenset(part) for part in parts.values()]
        self._refined: dict[tuple[frozenset[str], ...], tuple[frozenset[str], ...]] = {}
        every = frozenset(kb.areas)
        own = [frozenset(t.areas) if t.areas is not None else every for t in kb.techniques.values()]
        self.technique_lists = list(dict.fromkeys([every, *own]))
        self.base = self.lists(())
        self._tied: dict[tuple[str, ...], tuple[frozenset[str], ...]] = {}
        self._seen: dict[tuple[frozenset[str], tuple[str, ...] | None], int] = {}

    def lists(self, scopes: Collection[frozenset[str]]) -> tuple[frozenset[str], ...]:
        """The answer lists when findings are tied to ``scopes`` (each with and without its distal areas)."""
        cuts = [self.kb.whole_body_areas, *scopes]
        atoms: dict[tuple[bool, ...], set[str]] = {}
        for area in self.kb.areas:
            atoms.setdefault(tuple(area in cut for cut in cuts), set()).add(area)
        found = (own & frozenset(atom) for own in self.technique_lists for atom in atoms.values())
        return tuple(dict.fromkeys(x for x in found if x))

    def refined(self, lists: tuple[frozenset[str], ...]) -> tuple[frozenset[str], ...]:
        """``lists`` cut by the body regions a plan counts (as they are when it counts none)."""
        if not self.regions:
            return lists
        found = self._refined.get(lists)
        if found is None:
            found = self._refined[lists] = tuple(x for own in lists for part in self.regions if (x := own & part))
        return found

    def tied_lists(self, health: tuple[str, ...]) -> tuple[frozenset[str], ...]:
        """The answer lists for findings tied to areas as in ``health``."""
        found = self._tied.get(health)
        if found is None:
            scopes: set[frozenset[str]] = set()
            for entry in health:
                _, _, area = entry.partition("@")
                if area:
                    near = frozenset([area])
                    far = near | self.kb.distal.get(area, frozenset())
                    scopes.update((near, far))
                    for companions in self.kb.area_groups.values():  # a restriction's spread
                        scopes.update(frozenset().union(*(companions.get(a, {a}) for a in s)) for s in (near, far))
            found = self._tied[health] = self.lists(scopes)
        return found

    def __call__(self, point: Point, tied: bool) -> tuple[int, tuple[str, ...] | None]:
        """Which answer lists ``point``'s areas meet, and its findings as written when ``tied`` says that a rule
        scoped to findings' areas fired (the lists are then cut by where the findings are tied too)."""
        ties = point.health if tied else None
        found = self._seen.get((point.areas, ties))
        if found is None:
            lists = self.refined(self.base if ties is None else self.tied_lists(ties))
            found = sum(1 << k for k, own in enumerate(lists) if not own.isdisjoint(point.areas))
            self._seen[(point.areas, ties)] = found
        return found, ties


def may_fire(rule: CompiledRule, cause: str | None, phase: str, health: frozenset[str], named: frozenset[str]) -> bool:
    """False when the rule cannot fire for any profile with this cause, phase, findings and diagnoses.

    The walk gives no age, so a rule on age never fires in it (tests/knowledge tests those rules).
    """
    if rule.diagnosis is not None and rule.diagnosis in named:
        return True
    return (
        (rule.diagnosis is None or rule.has_match)
        and rule.age is None
        and (rule.causes is None or cause in rule.causes)
        and (rule.causes_not is None or cause not in rule.causes_not)
        and (rule.phases is None or phase in rule.phases)
        and (rule.health_all is None or rule.health_all <= health)
        and (rule.health_any is None or not rule.health_any.isdisjoint(health))
    )


class Space:
    """The cells of a knowledge base's profile space as ``rules`` cut it, computed once per part of the walk.

    With ``plan`` the cells are cut for the plan too: by the severity bands, the
    plan modifiers' conditions, the goals a short block or no course needs every
    goal to be among, and the body regions a plan counts.
    """

    def __init__(
        self, kb: KnowledgeBase, rules: Sequence[CompiledRule], gating: frozenset[str], *, plan: bool = True
    ) -> None:
        self.kb = kb
        self.regions = plan_regions(kb) if plan else None
        self.reading = Reading(kb, self.regions)
        self.areas = list(kb.areas)
        self.goals = list(kb.goals)
        self.gating = gating
        self.plan = plan
        self.extra = reading_rules(kb, plan=plan)
        self.goal_lists = [rule.goals for rule in self.extra if rule.goals is not None]
        self.cutting = [*rules, *self.extra]
        self._cut(self.cutting)
        counts = (r.area_count for r in self.cutting if r.area_count is not None)
        self.sizes = [(a, b - 1) for a, b in pieces(counts, 1, len(self.areas))]
        self._areas: dict[frozenset[frozenset[str]], AreaClasses] = {}
        self._goals: dict[frozenset[frozenset[str]], list[GoalClass]] = {}
        self._near: dict[str, Space] = {}

    def _cut(self, cutting: Sequence[CompiledRule]) -> None:
        """The cause, timing and severity classes that ``cutting`` tells apart (and the severity bands, for a plan)."""
        self.causes = cause_classes(self.kb, cutting)
        self.timings = timings(self.kb, cutting)
        windows = [r.severity for r in cutting if r.severity]
        if self.plan:
            windows += [(band.min, band.max) for band in self.kb.severity_bands.values()]
        self.severities = [(a, b - 1) for a, b in pieces(windows, 0, 10)]

    def near(self, area: str) -> Space:
        """The space of the profiles whose only area is ``area``: cut by the rules that may fire there only.

        A rule whose ``areas`` miss ``area`` fires for no such profile, so its
        causes, day windows and severity window tell none of them apart.
        """
        found = self._near.get(area)
        if found is None:
            found = self._near[area] = copy.copy(self)
            found._cut([rule for rule in self.cutting if rule.areas is None or area in rule.areas])
        return found

    def timings_of(self, phase: str) -> list[Timing]:
        """The timing classes of one phase."""
        return [t for t in self.timings if t.phase == phase]

    def candidates(
        self, cause: str | None, phase: str, health: frozenset[str] = frozenset(), named: frozenset[str] = frozenset()
    ) -> list[CompiledRule]:
        """The rules that may fire in a cell (every other rule's conditions fail there whatever the areas and goals).

        A finding the profile's own pattern may imply counts as given.
        """
        implied = {f for f, rule in self.kb.implications if may_fire(rule, cause, phase, frozenset(), frozenset())}
        held = health | implied
        return [rule for rule in self.kb.rules if may_fire(rule, cause, phase, held, named)]

    def area_classes(self, rules: Sequence[CompiledRule]) -> AreaClasses:
        """The classes of area sets that ``rules`` and the answer tell apart."""
        lists = frozenset(rule.areas for rule in [*rules, *self.extra] if rule.areas is not None)
        found = self._areas.get(lists)
        if found is None:
            found = self._areas[lists] = AreaClasses(self.areas, lists, self.reading.base, self.sizes, self.regions)
        return found

    def goal_classes(self, rules: Sequence[CompiledRule]) -> list[GoalClass]:
        """The classes of goal sets that the gating rules among ``rules`` tell apart."""
        lists = frozenset(
            [*(rule.goals for rule in rules if rule.goals is not None and rule.id in self.gating), *self.goal_lists]
        )
        found = self._goals.get(lists)
        if found is None:
            found = self._goals[lists] = goal_classes(self.goals, lists)
        return found

    def cell_of(self, point: Point) -> Point:
        """``point`` with the cause, timing and severity that stand for its own (areas, goals and the rest kept)."""
        cause = next(c.cause for c in self.causes if point.cause in c.members)
        timing = next(t for t in self.timings if t.holds(point.phase, point.days))
        severity = next(low for low, high in self.severities if low <= point.severity <= high)
        return dataclasses.replace(point, cause=cause, phase=timing.phase, days=timing.days, severity=severity)

    def representative(self, point: Point) -> Point:
        """The profile Part 1 or 3 walks for ``point``'s cell, with the same goals (no findings; one diagnosis at most).

        Which rules fire for it and what its answer offers are those of ``point``
        (see the package docstring).
        """
        cell = self.cell_of(point)
        named = point.diagnoses
        rules = [r for r in self.candidates(cell.cause, cell.phase, named=named) if r.diagnosis not in named]
        areas = self.area_classes(rules).of(point.areas).areas
        return Point(areas, cell.cause, cell.phase, cell.days, cell.severity, point.goals, (), named)
