"""Billing units for a session length, by the unit rule in the knowledge (the CMS 8-minute rule)."""

from __future__ import annotations

from collections.abc import Iterable

from massage_rules._codes import billable_units
from massage_rules.knowledge.load import KnowledgeBase, default_knowledge
from massage_rules.models import BillingUnits

__all__ = ["billing_units"]

RULE_ID = "billing.units"


def billing_units(
    session_minutes: int, knowledge: KnowledgeBase | None = None, cpt: Iterable[str] = ()
) -> BillingUnits | None:
    """Units billable for ``session_minutes`` of timed care, with the rule cited; None if the knowledge has no rule.

    ``cpt`` narrows the reported codes to those performed; only timed codes are kept.

    >>> billing_units(60).units
    4
    >>> billing_units(37).units, billing_units(38).units
    (2, 3)
    """
    kb = knowledge or default_knowledge()
    rule = kb.billing
    if rule is None:
        return None
    if isinstance(session_minutes, bool) or not isinstance(session_minutes, int) or session_minutes < 0:
        raise ValueError(f"session_minutes must be a whole number of minutes, not {session_minutes!r}")
    timed = [code for code in dict.fromkeys(cpt) if code in rule.timed_cpt]
    return BillingUnits(
        session_minutes=session_minutes,
        units=billable_units(session_minutes, rule.unit_minutes, rule.min_minutes_for_unit),
        unit_minutes=rule.unit_minutes,
        min_minutes_for_unit=rule.min_minutes_for_unit,
        cpt=tuple(sorted(timed)),
        rule=RULE_ID,
        text=rule.text,
        sources=tuple(rule.sources),
    )
