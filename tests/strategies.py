"""Hypothesis strategies drawn from a loaded knowledge base's vocabulary."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import massage_rules as mr


def health_entries(kb: mr.KnowledgeBase) -> st.SearchStrategy[str]:
    """A finding id, tied to an area when the finding is local (and sometimes when it is not)."""
    findings = sorted(kb.findings)
    areas = sorted(kb.areas)

    @st.composite
    def entry(draw: st.DrawFn) -> str:
        finding = draw(st.sampled_from(findings))
        local = kb.findings[finding].local
        if (local or draw(st.booleans())) and (local or draw(st.booleans())):
            return f"{finding}@{draw(st.sampled_from(areas))}"
        return finding

    return entry()


def profile_fields(kb: mr.KnowledgeBase, *, max_health: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for a :class:`ClientProfile` that the vocabulary allows."""
    phases = sorted(kb.phases)
    asking = sorted(
        [rule.id for rule in kb.rules if rule.ask is not None]
        + [rule.confirm.id for rule in kb.rules if rule.confirm is not None]
    )

    @st.composite
    def fields(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {
            "areas": draw(st.lists(st.sampled_from(sorted(kb.areas)), min_size=1, max_size=3, unique=True)),
            "cause": draw(st.none() | st.sampled_from(sorted(kb.causes))),
            "severity": draw(st.integers(0, 10)),
            "goals": draw(st.lists(st.sampled_from(sorted(kb.goals)), min_size=1, max_size=3, unique=True)),
            "health": draw(st.lists(health_entries(kb), max_size=max_health, unique=True)),
            "conditions": draw(st.lists(st.sampled_from(sorted(kb.conditions)), max_size=1)),
        }
        if draw(st.booleans()):
            out["age"] = draw(st.integers(0, 100))
        if asking and draw(st.integers(0, 3)) == 0:
            out["cleared"] = draw(st.lists(st.sampled_from(asking), max_size=2, unique=True))
        if draw(st.booleans()):
            out["phase"] = draw(st.sampled_from(phases))
        else:
            out["days_since_onset"] = draw(st.integers(0, 2000))
        return out

    return fields()


def profiles(kb: mr.KnowledgeBase, **kwargs: Any) -> st.SearchStrategy[mr.ClientProfile]:
    """Valid client profiles."""
    return profile_fields(kb, **kwargs).map(lambda f: mr.ClientProfile(**f))
