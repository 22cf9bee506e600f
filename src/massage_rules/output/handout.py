"""A client handout: the plan and after-care as Markdown that reads well on paper.

It speaks to the client, not the therapist: no scores or rule ids, plain
words, and the sources at the end. Plan fields added after this module was
written (after-care advice, progress checks) are rendered generically, so the
handout shows whatever the plan holds.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from massage_rules.models import Plan, Recommendation

__all__ = ["render_markdown"]

# Plan fields this module renders by hand; any other field is rendered generically.
_KNOWN_PLAN_FIELDS = frozenset(
    {
        "sessions_min",
        "sessions_max",
        "sessions_per_week",
        "session_minutes",
        "check_in_after_sessions",
        "derivation",
        "billing",
        "basis",
        "severity_band",
        "treated_regions",
        "no_course_reason",
    }
)


def _words(ident: str) -> str:
    return ident.replace("_", " ")


def _range(low: int, high: int) -> str:
    return f"{low}" if low == high else f"{low}–{high}"


def _item_text(item: Any) -> str:
    if isinstance(item, BaseModel):
        for name in ("text", "reason", "advice", "description", "name"):
            value = getattr(item, name, None)
            if isinstance(value, str) and value:
                return value
        return "; ".join(f"{_words(k)}: {v}" for k, v in item.model_dump().items() if v not in (None, (), []))
    return str(item)


def _generic(name: str, value: Any) -> list[str]:
    """Render a plan field this module does not know: a heading and its text or a list."""
    if value is None or value == () or value == "":
        return []
    heading = _words(name).capitalize()
    if isinstance(value, tuple | list):
        return [f"## {heading}", "", *(f"- {_item_text(v)}" for v in value), ""]
    return [f"## {heading}", "", _item_text(value), ""]


def _plan_lines(plan: Plan) -> list[str]:
    if plan.no_course_reason is not None:
        return ["## How often", "", f"- No course of sessions is planned. {plan.no_course_reason.text}", ""]
    out = [
        "## How often",
        "",
        f"- {_range(plan.sessions_min, plan.sessions_max)} sessions, about {plan.sessions_per_week:g} a week, "
        f"{plan.session_minutes} minutes each.",
        f"- We will look at your progress together after session {plan.check_in_after_sessions}.",
        "",
    ]
    for name in type(plan).model_fields:
        if name not in _KNOWN_PLAN_FIELDS:
            out += _generic(name, getattr(plan, name))
    return out


def _billing_only(result: Recommendation) -> set[str]:
    """Sources cited only for billing units: of no use to the client."""
    plan = result.plan
    if plan is None or plan.billing is None:
        return set()
    used = {s for t in result.techniques for r in t.reasons for s in r.sources}
    for group in (result.avoided, result.pressure_limits, result.referrals, result.notes, plan.derivation):
        used.update(s for item in group for s in item.sources)
    return set(plan.billing.sources) - used


def _questions(result: Recommendation) -> list[str]:
    """The screening questions, first: the client answers them before any treatment starts."""
    if not result.screening_questions:
        return []
    out = ["## Before we start", "", "Your therapist needs to ask you about these first:", ""]
    out += [f"- {q.question}" for q in result.screening_questions]
    return [*out, ""]


def render_markdown(result: Recommendation) -> str:
    """Render ``result`` as a printable Markdown handout for the client."""
    p = result.profile
    out = ["# Your massage plan", ""]
    out += [f"*For: {', '.join(_words(a) for a in p.areas)} · goals: {', '.join(_words(g) for g in p.goals)}*", ""]

    for referral in result.referrals:
        when = "as soon as possible" if referral.urgency == "urgent" else "soon"
        meanwhile = (
            "We can go on with massage meanwhile, within the limits below."
            if referral.massage_meanwhile
            else "Please do not book massage until a doctor has seen you."
        )
        out += [f"> **Please see a doctor {when}.** {referral.reason} {meanwhile}", ""]
    if result.no_massage is not None:
        nm = result.no_massage
        out += [f"> **No massage for now.** {nm.reason} Please come back {nm.come_back}.", ""]

    out += _questions(result)
    if result.techniques:
        out += ["## What we will do", ""]
        for t in result.techniques:
            where = ", ".join(_words(a) for a in t.areas)
            skip = f" (not on {', '.join(_words(a) for a in t.skip_areas)})" if t.skip_areas else ""
            wait = " Only once your answers above are clear." if t.after_screening else ""
            out.append(
                f"- **{t.name}** on {where}{skip}; pressure {t.pressure_min}–{t.pressure_max} on a 0–5 scale.{wait}"
            )
        out.append("")
    elif result.outcome == "nothing_suitable":
        out += ["Your therapist will discuss the options with you; no standard technique fits yet.", ""]

    if result.plan is not None:
        out += _plan_lines(result.plan)

    if result.avoided or result.pressure_limits:
        out += ["## What we will avoid, and why", ""]
        reasons = dict.fromkeys([*(lim.reason for lim in result.pressure_limits), *(a.reason for a in result.avoided)])
        out += [f"- {reason}" for reason in reasons]
        out.append("")

    sources = [s for s in result.sources if s.id not in _billing_only(result)]
    if sources:
        out += ["## Sources", ""]
        for i, src in enumerate(sources, 1):
            link = f" <{src.url}>" if src.url else ""
            out.append(f"{i}. {src.citation}{link}")
        out.append("")
    out.append(f"*Prepared with massage_rules, knowledge {result.knowledge.version}.*")
    return "\n".join(out) + "\n"
