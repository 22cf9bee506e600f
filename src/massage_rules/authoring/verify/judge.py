"""Judging one part of the walk: its profiles grouped into situations, one engine run per largest fired set.

What an answer can depend on is a profile's *situation*: the structural rules
that fired (those that restrict care, refer, stop, set or move the dose, or take
points away), which answer lists its areas meet (``space.Reading``), the phase,
the named diagnoses, and the findings' areas when a rule scoped to them fired.
Profiles of one situation differ only in rules that add points. The engine runs
once for each largest fired set of a situation; any other profile of it has a
subset of those rules, so the same restrictions on the same placements and
fewer points: its offer is read from the larger answer (a technique stays
offered while the points of its own fired rules add up to more than 0, as
ranking does), and so are its referral, its stop and its plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeAlias

from massage_rules.authoring.verify.cells import GoalClass
from massage_rules.authoring.verify.oracle import Answer
from massage_rules.authoring.verify.walk import Deferred, PlanReading, Point, Walk
from massage_rules.engine.plan import severity_band, treated_regions

__all__ = ["Part", "Reader"]

Key: TypeAlias = tuple[int, int, str, frozenset[str], tuple[str, ...] | None, PlanReading | None]
Reader: TypeAlias = Callable[[Point, bool], tuple[int, tuple[str, ...] | None]]  # what an answer reads of areas


class Part:
    """The profiles walked in one part of the space, judged together once the part (or a stage of it) is walked.

    ``plan``: judge the plan too (sessions against severity). When False, rules
    that only set or move the number of sessions are set aside: the part's cells
    need not tell them apart (Part 1 walks them).
    """

    def __init__(self, walk: Walk, number: int, name: str, reader: Reader, *, plan: bool = True) -> None:
        self.walk = walk
        self.number = number
        self.name = name
        self.reader = reader
        self.plan = plan
        self.judged = -1 if plan else ~walk.plan_only
        self.index: dict[tuple[Key, int], int] = {}
        self.keys: list[Key] = []
        self.fired: list[int] = []
        self.points: list[Point] = []  # the first profile of each situation
        self.counts: list[int] = []
        self.tops: dict[Key, list[int]] = {}
        self.answers: dict[int, Answer] = {}
        self.plain: dict[tuple[tuple[object, ...], int], int] = {}  # (key but the plan's reading, fired) -> a run
        self.verdicts: list[tuple[Answer, frozenset[str]]] = []
        self.chains: list[list[tuple[int, Point]]] = []
        self.cells: list[tuple[int, Point, GoalClass]] = []
        self.walked = 0
        self.shown = 0.0

    def progress(self, done: float) -> None:
        """Report how much of the part is done (never less than already reported)."""
        self.shown = max(self.shown, done)
        self.walk.progress(self.number, self.name, self.shown)

    def add(self, point: Point) -> int:
        """Walk one profile; return its situation's number."""
        walk = self.walk
        fired, plan = walk.fire(point)
        self.walked += 1
        seen, ties = self.reader(point, bool(fired & walk.scoped))
        fired &= self.judged
        key: Key = (fired & walk.structural, seen, point.phase, point.diagnoses, ties, plan if self.plan else None)
        found = self.index.get((key, fired))
        if found is None:
            found = self.index[(key, fired)] = len(self.keys)
            self.keys.append(key)
            self.fired.append(fired)
            self.points.append(point)
            self.counts.append(0)
        self.counts[found] += 1
        return found

    def cell(self, base: Point, goals: GoalClass, severities: list[tuple[int, int]]) -> list[int]:
        """Walk ``base`` at each severity piece with the largest goal set of ``goals``; smaller ones may follow."""
        chain = []
        for low, _ in severities:
            point = base.at(low, goals.largest)
            k = self.add(point)
            self.cells.append((k, point, goals))
            chain.append((k, point))
        if self.plan:
            self.chains.append(chain)
        return [k for k, _ in chain]

    def finish(self, until: float = 1.0) -> None:
        """Judge what was walked; walk the smaller goal sets where one of them could get no answer; judge those.

        The other cells' smaller goal sets are kept aside (``Walk.deferred``) for
        the rule checks that might need them. Progress runs up to ``until``.
        """
        self.judge(self.shown + (until - self.shown) * 0.8)
        walk = self.walk
        for k, point, goals in self.cells:
            smaller = tuple(g for g in goals.smallest if g != goals.largest)
            if not smaller:
                continue
            if self.could_lose_all(k):
                for goal_set in smaller:
                    self.add(point.with_goals(goal_set))
            else:
                walk.deferred.append(Deferred(point, self.fired[k], smaller))
        self.cells = []
        self.judge(until)
        self._monotone()
        self.chains = []

    def could_lose_all(self, k: int) -> bool:
        """Whether a smaller goal set than situation ``k``'s might leave it with nothing offered and no answer.

        Not when it refers or stops (structural, so alike for every goal of the
        class), nor when a technique it offers keeps more than 0 points from
        rules that fire for every goal set of the class.
        """
        answer, offer = self.verdicts[k]
        if answer.refused or answer.answered or not offer:
            return False  # refused or answered: nothing to gain; nothing offered: a gap already noted
        return not self.kept(k)

    def kept(self, k: int) -> frozenset[str]:
        """The techniques situation ``k`` offers for every goal set of its class (points from goal-free rules)."""
        answer, offer = self.verdicts[k]
        free = self.fired[k] & self.walk.goal_free
        return frozenset(tech for tech in offer if math.fsum(p for b, p in answer.offered[tech] if b & free) > 0)

    def judge(self, until: float) -> None:
        """Run the engine on each new largest fired set of a situation, and judge every new situation from one."""
        walk = self.walk
        start = len(self.verdicts)
        fresh = sorted(range(start, len(self.keys)), key=lambda k: -self.fired[k].bit_count())
        cover: dict[int, int] = {}
        run: list[int] = []
        for k in fresh:
            mask = self.fired[k]
            tops = self.tops.setdefault(self.keys[k], [])
            top = next((t for t in tops if self.fired[t] | mask == self.fired[t]), None)
            if top is None:
                tops.append(k)
                run.append(k)
                top = k
            cover[k] = top
        begin = self.shown
        for n, k in enumerate(run):
            # a profile read alike but for what only the plan reads: the same offer, its own plan
            twin = self.plain.get((self.keys[k][:5], self.fired[k]))
            if twin is not None and not self.answers[twin].refused:
                self.answers[k] = walk.replan(self.points[k], self.answers[twin])
            else:
                self.answers[k] = walk.run(self.points[k])
                self.plain[(self.keys[k][:5], self.fired[k])] = k
            self.progress(begin + (until - begin) * (n + 1) / len(run))
        for k in range(start, len(self.keys)):
            answer = self.answers[cover[k]]
            if k not in self.answers and answer.refused:
                answer = self.answers[k] = walk.run(self.points[k])  # nothing to read from: ask the engine itself
            elif k not in self.answers and self._fewer_regions(k, answer):
                answer = walk.replan(self.points[k], answer, answer.offer_for(self.fired[k]))
            self.verdicts.append((answer, self._judge(k, answer)))
        walk.situations += len(self.keys) - start
        self.progress(until)

    def _fewer_regions(self, k: int, answer: Answer) -> bool:
        """Whether situation ``k``'s smaller offer reaches fewer body regions than ``answer``'s: its plan may differ."""
        if not self.plan or answer.sessions is None:
            return False
        offer = answer.offer_for(self.fired[k])
        if len(offer) == len(answer.offered):
            return False
        kept = [technique for technique in answer.ranked if technique.id in offer]
        return treated_regions(kept, self.walk.kb) != treated_regions(answer.ranked, self.walk.kb)

    def _judge(self, k: int, answer: Answer) -> frozenset[str]:
        """Note the gap or unsafe offer of situation ``k``, read from ``answer``; return what it offers."""
        notes, point, count = self.walk.notes, self.points[k], self.counts[k]
        if answer.refused:
            rules = ", ".join(answer.refused)
            message = f"the engine refused its own answer as unsafe (rules {rules})"
            notes.note("unsafe", rules, message, answer.refused, count, profile=point.fields())
            return frozenset()
        offer = frozenset(answer.offered) if k in self.answers else answer.offer_for(self.fired[k])
        for item in answer.unsafe:
            if item.technique in offer:
                message = f"rule '{item.rule}' {item.what}"
                notes.note("unsafe", f"{item.rule}|{item.what}", message, (item.rule,), count, profile=point.fields())
        if not offer and not answer.answered:
            notes.note(
                "gap",
                f"{sorted(point.areas)}|{point.phase}|{sorted(point.goals)}|{point.health}|{sorted(point.diagnoses)}",
                "no technique, no referral and no 'no massage' answer for this profile",
                (),
                count,
                profile=point.fields(),
            )
        return offer

    def _monotone(self) -> None:
        """Along each chain of severities, more severity must not give fewer sessions (where both are treated)."""
        for chain in self.chains:
            last: tuple[int, Point] | None = None
            for k, point in chain:
                answer, offer = self.verdicts[k]
                if not offer or answer.sessions is None:
                    continue
                if last is not None:
                    self._compare(last, (k, point))
                last = (k, point)

    def _rises(self, before: Answer, after: Answer, one: Point, two: Point) -> bool:
        """True unless the course must rise strictly from ``one`` to ``two`` (then: whether it did not need to).

        It must between two bands that the knowledge gives severity steps (the
        no-course band aside: at rest, goals beyond pain relief plan as mild pain
        does) when both courses stand on the same
        base, longer than the short-course limit, and the trial margin did not
        cap either (the margin then decides).
        """
        kb = self.walk.kb
        model = kb.course_model
        bands = severity_band(one.severity, kb), severity_band(two.severity, kb)
        rest = model.no_course.band if model.no_course is not None else None
        first, second = before.plan, after.plan
        if bands[0] == bands[1] or rest in bands or first is None or second is None:
            return True
        if model.steps is None or any(band not in model.steps for band in bands):
            return True  # no severity step for one of the bands: the knowledge does not move courses by band
        for plan in (first, second):
            if plan.basis not in ("trial", "phase_default") or "plan.trial_margin" in (s.rule for s in plan.derivation):
                return True  # a short block or no course is never moved; the trial margin decides
        base = first.derivation[0]
        return base.rule != second.derivation[0].rule or base.sessions_max <= model.short_course_max

    def _compare(self, lower: tuple[int, Point], higher: tuple[int, Point]) -> None:
        (low, one), (high, two) = lower, higher
        before, after = self.verdicts[low][0], self.verdicts[high][0]
        assert before.sessions is not None
        assert after.sessions is not None
        (a_min, a_max), (b_min, b_max) = before.sessions, after.sessions
        if b_min >= a_min and b_max >= a_max:
            if self._rises(before, after, one, two) or a_min + a_max < b_min + b_max:
                return
            steps = sorted(after.steps ^ before.steps) or sorted(after.steps)
            self.walk.notes.note(
                "non_monotone",
                f"flat|{steps}",
                f"severity {two.severity} is in a higher band than severity {one.severity}, yet its course "
                f"{b_min}-{b_max} is no longer than {a_min}-{a_max}",
                tuple(s for s in steps if not s.startswith("plan.")),
                profile=one.fields(),
                other_profile=two.fields(),
            )
            return
        # Name the steps the more severe answer brought in (the culprit); else every step that differs.
        steps = sorted(after.steps - before.steps) or sorted(after.steps ^ before.steps)
        self.walk.notes.note(
            "non_monotone",
            f"{steps}",
            f"severity {two.severity} gives {b_min}-{b_max} sessions, fewer than {a_min}-{a_max} at severity "
            f"{one.severity}",
            tuple(steps),
            profile=one.fields(),
            other_profile=two.fields(),
        )
