"""The reference the compiled index is checked against: every rule tested with ``holds``, one by one."""

from __future__ import annotations

import massage_rules as mr
from massage_rules.engine.recommend import holds, resolve_profile


def fire_every_rule(profile: mr.ClientProfile, kb: mr.KnowledgeBase) -> list[str]:
    """The ids of the rules that fire, by a scan: complaints first, then the rules that name complaints."""
    r = resolve_profile(profile, kb)
    first = [rule for rule in kb.rules if rule.conditions is None and holds(rule, r, frozenset())]
    matched = frozenset(rule.id for rule in first if rule.kind == "condition")
    second = [rule for rule in kb.rules if rule.conditions is not None and holds(rule, r, matched)] if matched else []
    return sorted(rule.id for rule in (*first, *second))
