"""A seeded generator of synthetic knowledge bases in the project's own YAML format.

20 areas, 8 causes, 3 phases, 7 goals, 12 findings, 15 techniques; each rule
scores one technique or forbids it, and about 5% are forbids keyed on findings.
Techniques suit every phase and every area, so the only generated rules besides
the file's own are "technique serves goal" ones; :func:`flat_rules` spells them
out for the engines that are not massage_rules.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import yaml

AREAS = [f"area_{i:02d}" for i in range(20)]
CAUSES = [f"cause_{i}" for i in range(8)]
PHASES = ["acute", "subacute", "chronic"]
GOALS = [f"goal_{i}" for i in range(7)]
FINDINGS = [f"finding_{i:02d}" for i in range(12)]
TECHNIQUES = [f"tech_{i:02d}" for i in range(15)]


def knowledge(n_rules: int, seed: int = 0) -> dict[str, Any]:
    """One knowledge document with ``n_rules`` rules (plus the vocabulary, techniques, plan and a source)."""
    rnd = random.Random(seed)
    techniques = []
    for tech in TECHNIQUES:
        goals = {g: rnd.choice([0.5, 1.0, 1.5, 2.0]) for g in rnd.sample(GOALS, rnd.randint(1, 3))}
        techniques.append(
            {
                "id": tech,
                "name": tech.replace("_", " ").title(),
                "pressure": {"min": 1, "max": 3},
                "goals": goals,
                "phases": dict.fromkeys(PHASES, "suited"),
                "cpt": "97124",
                "evidence": "low",
                "sources": ["synthetic"],
            }
        )
    rules = []
    for i in range(n_rules):
        when: dict[str, Any] = {}
        rule: dict[str, Any] = {"id": f"r{i:05d}", "text": f"Synthetic rule {i}."}
        if rnd.random() < 0.05:  # a safety rule: a finding forbids one technique
            key = "health_any" if rnd.random() < 0.5 else "health_all"
            when[key] = rnd.sample(FINDINGS, rnd.randint(1, 2))
            rule["forbid"] = {"techniques": [rnd.choice(TECHNIQUES)]}
        else:
            # A clinical rule is specific: where, why, when and how bad; sometimes what for.
            when["areas"] = rnd.sample(AREAS, rnd.randint(1, 2))
            when["causes"] = rnd.sample(CAUSES, rnd.randint(1, 2))
            when["phases"] = rnd.sample(PHASES, 1)
            low = rnd.randint(0, 7)
            when["severity"] = {"min": low, "max": rnd.randint(low, 10)}
            if rnd.random() < 0.3:
                when["goals"] = rnd.sample(GOALS, rnd.randint(1, 2))
            rule["score"] = {rnd.choice(TECHNIQUES): rnd.choice([0.5, 1.0, 1.5, 2.0, 3.0])}
        rule["when"] = when
        rule["sources"] = ["synthetic"]
        rules.append(rule)
    return {
        "format": 1,
        "pack": {"id": "synthetic", "version": f"{n_rules}.{seed}"},
        "sources": [{"id": "synthetic", "citation": "Generated for benchmarks.", "evidence": "expert_opinion"}],
        "vocabulary": {
            "areas": [{"id": a, "name": a} for a in AREAS],
            "causes": [{"id": c, "name": c} for c in CAUSES],
            "goals": [{"id": g, "name": g} for g in GOALS],
            "phases": [
                {"id": "acute", "name": "Acute", "days_max": 7},
                {"id": "subacute", "name": "Subacute", "days_max": 84},
                {"id": "chronic", "name": "Chronic"},
            ],
            "severity_bands": [
                {"id": "mild", "name": "Mild", "min": 0, "max": 3, "nrs": 3},
                {"id": "moderate", "name": "Moderate", "min": 4, "max": 6, "nrs": 5},
                {"id": "severe", "name": "Severe", "min": 7, "max": 10, "nrs": 8},
            ],
        },
        "findings": [{"id": f, "name": f} for f in FINDINGS],
        "techniques": techniques,
        "rules": rules,
        "plan": {
            "defaults": [
                {
                    "phase": p,
                    "sessions_min": 2,
                    "sessions_max": 6,
                    "sessions_per_week": 1,
                    "session_minutes": 45,
                    "check_in_after_sessions": 2,
                    "sources": ["synthetic"],
                }
                for p in PHASES
            ]
        },
    }


def to_yaml(doc: dict[str, Any]) -> str:
    """The document as YAML text, as a clinic would write it."""
    return yaml.safe_dump(doc, sort_keys=False, width=120)


def profiles(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Seeded client profiles over the synthetic vocabulary."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        fields: dict[str, Any] = {
            "areas": rnd.sample(AREAS, rnd.randint(1, 3)),
            "cause": rnd.choice(CAUSES) if rnd.random() < 0.9 else None,
            "severity": rnd.randint(0, 10),
            "phase": rnd.choice(PHASES),
            "goals": rnd.sample(GOALS, rnd.randint(1, 3)),
        }
        if rnd.random() < 0.2:
            fields["health"] = rnd.sample(FINDINGS, rnd.randint(1, 2))
        out.append(fields)
    return out


@dataclass(frozen=True, slots=True)
class FlatRule:
    """A rule as plain sets, shared by the naive loop and the zen decision table."""

    id: str
    areas: frozenset[str] | None
    causes: frozenset[str] | None
    phases: frozenset[str] | None
    goals: frozenset[str] | None
    severity: tuple[int, int] | None
    health_all: frozenset[str] | None
    health_any: frozenset[str] | None
    technique: str
    points: float  # 0 for a forbid
    forbid: bool


def flat_rules(doc: dict[str, Any]) -> list[FlatRule]:
    """Every rule of the document, the techniques' goal rules included, as massage_rules compiles them."""

    def opt(when: dict[str, Any], key: str) -> frozenset[str] | None:
        return frozenset(when[key]) if key in when else None

    out = []
    for tech in doc["techniques"]:
        for goal, weight in sorted(tech["goals"].items()):
            out.append(
                FlatRule(
                    f"{tech['id']}.goal.{goal}",
                    None,
                    None,
                    None,
                    frozenset([goal]),
                    None,
                    None,
                    None,
                    tech["id"],
                    float(weight),
                    False,
                )
            )
    for rule in doc["rules"]:
        when = rule["when"]
        sev = (when["severity"]["min"], when["severity"]["max"]) if "severity" in when else None
        if "forbid" in rule:
            tech, points, forbid = rule["forbid"]["techniques"][0], 0.0, True
        else:
            ((tech, points),) = rule["score"].items()
            forbid = False
        out.append(
            FlatRule(
                rule["id"],
                opt(when, "areas"),
                opt(when, "causes"),
                opt(when, "phases"),
                opt(when, "goals"),
                sev,
                opt(when, "health_all"),
                opt(when, "health_any"),
                tech,
                float(points),
                forbid,
            )
        )
    return out
