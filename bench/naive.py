"""The baseline: test every rule against every profile, then add up and rank."""

from __future__ import annotations

import math
from typing import Any

from synth import FlatRule


def round6(score: float) -> float:
    """``round(score, 6)``, as massage_rules shows and ties scores, with its shortcut for multiples of 1/64.

    A copy of ``massage_rules.engine.recommend.round6``, so that the bench can time older
    versions of the engine too; tests/unit/test_compiled.py checks the engine's.
    """
    return score if (score * 64.0).is_integer() else round(score, 6)


def top5(fired: list[FlatRule]) -> tuple[list[str], set[str]]:
    """Rank techniques as massage_rules does: forbidden ones out, score > 0, by (-score, id).

    Every variant of the bench ends with this same function, so it is kept lean:
    its cost is paid alike by all of them and would otherwise hide the
    differences in matching.
    """
    points: dict[str, list[float]] = {}
    forbidden = set()
    for rule in fired:
        if rule.forbid:
            forbidden.add(rule.technique)
        elif rule.technique in points:
            points[rule.technique].append(rule.points)
        else:
            points[rule.technique] = [rule.points]
    ranked = []
    for tech, values in points.items():
        if tech not in forbidden:
            score = math.fsum(values)
            if score > 0:
                ranked.append((-round6(score), tech))
    ranked.sort()
    return [tech for _, tech in ranked[:5]], {rule.id for rule in fired}


class NaiveEngine:
    """A plain loop over all rules, with the rules' lists already turned into sets."""

    def __init__(self, rules: list[FlatRule]) -> None:
        self.rules = rules

    def evaluate(self, profile: dict[str, Any]) -> tuple[list[str], set[str]]:
        areas = set(profile["areas"])
        cause = profile.get("cause")
        phase = profile["phase"]
        severity = profile["severity"]
        goals = set(profile["goals"])
        health = set(profile.get("health", ()))
        fired = []
        for rule in self.rules:
            if rule.areas is not None and rule.areas.isdisjoint(areas):
                continue
            if rule.causes is not None and cause not in rule.causes:
                continue
            if rule.phases is not None and phase not in rule.phases:
                continue
            if rule.goals is not None and rule.goals.isdisjoint(goals):
                continue
            if rule.severity is not None and not rule.severity[0] <= severity <= rule.severity[1]:
                continue
            if rule.health_all is not None and not rule.health_all <= health:
                continue
            if rule.health_any is not None and rule.health_any.isdisjoint(health):
                continue
            fired.append(rule)
        return top5(fired)
