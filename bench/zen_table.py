"""The same rules as one GoRules zen-engine decision table, collect hit policy.

List conditions (areas, goals) are zen expressions over list inputs
(``contains($, "area_03") or contains($, "area_07")``); scalar conditions use zen's
own unary tests (``"cause_1", "cause_4"``, ``[3..7]``); findings are maps of
booleans (``health.finding_02 and health.finding_05``).

zen is called as its documentation shows, ``ZenEngine.evaluate(key, context)``,
which compiles the decision once and keeps it. ``ZenEngine.get_decision(key).evaluate``
looked equivalent but ran about twelve times slower here (it seemed to compile
the table on every call); an earlier version of this bench used it, and so
understated zen. Of the encodings tried (maps of booleans, ``some($, # in [...])``,
``contains``), none was more than 1.5 times faster than another; this one was the
fastest at 10,000 rules and within noise of the best at 1,000.
"""

from __future__ import annotations

import json
from typing import Any

from naive import top5
from synth import FINDINGS, FlatRule


def _contains(values: frozenset[str] | None) -> str:
    return "" if values is None else " or ".join(f'contains($, "{v}")' for v in sorted(values))


def _health(values: frozenset[str] | None, joiner: str) -> str:
    return "" if values is None else joiner.join(f"health.{v}" for v in sorted(values))


def _one_of(values: frozenset[str] | None) -> str:
    return "" if values is None else ", ".join(f'"{v}"' for v in sorted(values))


def decision_content(rules: list[FlatRule]) -> dict[str, Any]:
    """The JDM graph: input -> decision table -> output."""
    rows = []
    for rule in rules:
        rows.append(
            {
                "_id": rule.id,
                "areas": _contains(rule.areas),
                "causes": _one_of(rule.causes),
                "phases": _one_of(rule.phases),
                "goals": _contains(rule.goals),
                "severity": "" if rule.severity is None else f"[{rule.severity[0]}..{rule.severity[1]}]",
                "health_all": _health(rule.health_all, " and "),
                "health_any": _health(rule.health_any, " or "),
                "rule": f'"{rule.id}"',
            }
        )
    table = {
        "hitPolicy": "collect",
        "inputs": [
            {"id": "areas", "name": "areas", "field": "areas"},
            {"id": "causes", "name": "cause", "field": "cause"},
            {"id": "phases", "name": "phase", "field": "phase"},
            {"id": "goals", "name": "goals", "field": "goals"},
            {"id": "severity", "name": "severity", "field": "severity"},
            {"id": "health_all", "name": "health (all)"},
            {"id": "health_any", "name": "health (any)"},
        ],
        "outputs": [{"id": "rule", "name": "rule", "field": "rule"}],
        "rules": rows,
    }
    node = {"position": {"x": 0, "y": 0}}
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "in", "name": "profile", "type": "inputNode", "content": {}, **node},
            {"id": "dt", "name": "rules", "type": "decisionTableNode", "content": table, **node},
            {"id": "out", "name": "fired", "type": "outputNode", "content": {}, **node},
        ],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "dt"}, {"id": "e2", "sourceId": "dt", "targetId": "out"}],
    }


class ZenEngine:
    """zen-engine evaluating the table; Python adds up the fired rules' points, as for the naive loop."""

    def __init__(self, rules: list[FlatRule]) -> None:
        import zen

        self.by_id = {rule.id: rule for rule in rules}
        self.engine = zen.ZenEngine({"loader": {"type": "static", "content": {"rules": decision_content(rules)}}})

    @staticmethod
    def context(profile: dict[str, Any]) -> dict[str, Any]:
        # Every finding present, true or false: zen's ``null or true`` is not true.
        given = profile.get("health", ())
        return {
            "areas": list(profile["areas"]),
            "cause": profile.get("cause"),
            "phase": profile["phase"],
            "severity": profile["severity"],
            "goals": list(profile["goals"]),
            "health": {f: f in given for f in FINDINGS},
        }

    def evaluate(self, profile: dict[str, Any]) -> tuple[list[str], set[str]]:
        result = self.engine.evaluate("rules", self.context(profile))["result"]
        rows = result if isinstance(result, list) else [result] if result else []
        return top5([self.by_id[row["rule"]] for row in rows])


def dumps(rules: list[FlatRule]) -> str:
    """The decision as JSON, to inspect it or load it in the GoRules editor."""
    return json.dumps(decision_content(rules), indent=1)
