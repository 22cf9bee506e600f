"""The client's handout as a document: what it says, in plain text, before any format is chosen.

Written to the client ("you"): who it is for, what to do first if a doctor must
look, the questions the therapist must ask first, the techniques the therapist
picked with what they feel like, how often, what we avoid and why, after-care
and the signs that mean stop and call. No
scores, billing codes, rule ids or reference lists. :mod:`massage_rules.output.handout`
writes it as Markdown or as one self-contained HTML page; each escapes the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from massage_rules.errors import ProfileError, close_match
from massage_rules.models import Plan, RankedTechnique, Recommendation, normalise_id
from massage_rules.output.markup import effects_in_words
from massage_rules.output.names import Names, and_list, lower_first

__all__ = [
    "DEFAULT_PICKS",
    "QUESTIONS_HEADING",
    "Handout",
    "Item",
    "Section",
    "build_handout",
    "choose_techniques",
    "long_date",
]

DEFAULT_PICKS = 3
QUESTIONS_HEADING = "Before we start: your therapist will ask you"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
# The 0-5 pressure scale in words a client knows.
_PRESSURE = ("a still, resting touch", "very light", "light", "moderate", "firm", "deep")
_TIMES = {1: "once a week", 2: "twice a week"}


@dataclass(frozen=True)
class Item:
    """A paragraph or list entry; ``strong`` (may be empty) opens it in bold."""

    strong: str
    text: str


@dataclass(frozen=True)
class Section:
    """A heading with its entries, shown as a list."""

    heading: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Handout:
    """The whole handout: notices that come first, who it is for, the sections, and a closing line."""

    title: str
    safety_notices: tuple[Item, ...]  # a safety precaution the clinic switched off: said first of all
    meta: tuple[tuple[str, str], ...]  # ("For", "Anna"), ("Therapist", ...), ("Date", ...)
    notices: tuple[Item, ...]  # see a doctor; no massage for now
    intro: str
    sections: tuple[Section, ...]
    closing: str


def long_date(day: dt.date) -> str:
    """``7 March 2026``: the same in every locale, and unambiguous."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def choose_techniques(result: Recommendation, picks: Sequence[str] | None) -> tuple[RankedTechnique, ...]:
    """The techniques the therapist picked, in their order (default: the top three offered).

    A pick that is not offered raises :class:`~massage_rules.ProfileError` (field ``pick``),
    saying why when a rule ruled it out, so a handout never names a technique the answer refused.
    """
    offered = {t.id: t for t in result.techniques}
    if not picks:
        return result.techniques[:DEFAULT_PICKS]
    chosen: list[RankedTechnique] = []
    for raw in picks:
        ident = normalise_id(raw)
        if ident in offered:
            if offered[ident] not in chosen:
                chosen.append(offered[ident])
            continue
        if not offered:
            raise ProfileError("pick", raw, f"'{raw}' cannot be picked: no technique is offered to this client")
        ruled_out = [a for a in result.avoided if a.technique == ident]
        if ruled_out:
            message = f"'{ident}' is ruled out for this client ({ruled_out[0].rule}): {ruled_out[0].reason}"
            raise ProfileError("pick", raw, message, sorted(offered))
        raise ProfileError(
            "pick", raw, f"'{raw}' is not offered to this client", sorted(offered), close_match(ident, offered)
        )
    return tuple(chosen)


def _pressure(low: int, high: int) -> str:
    words = [_PRESSURE[max(0, min(5, level))] for level in (low, high)]
    return words[0] if words[0] == words[1] else f"{words[0]} to {words[1]}"


def _technique_item(t: RankedTechnique, names: Names, areas: tuple[str, ...]) -> Item:
    text = names.descriptions.get(t.id, "")
    if text and not text.endswith("."):
        text += "."
    text += f" Pressure: {_pressure(t.pressure_min, t.pressure_max)}."
    if set(t.areas) < set(areas) or t.skip_areas:  # not everywhere the client came for: say where
        text += f" Only on your {and_list([lower_first(names.area(a)) for a in t.areas])}"
        if t.skip_areas:
            text += f", not on your {and_list([lower_first(names.area(a)) for a in t.skip_areas], 'or')}"
        text += "."
    if t.after_screening:
        text += " Only once your answers above are clear."
    return Item(f"{t.name}:", text.strip())


def _how_often(plan: Plan) -> Section:
    if plan.no_course_reason is not None:
        return Section("How often", (Item("", f"No course of sessions is planned. {plan.no_course_reason.text}"),))
    count = (
        f"{plan.sessions_min}"
        if plan.sessions_min == plan.sessions_max
        else f"{plan.sessions_min} to {plan.sessions_max}"
    )
    often = _TIMES.get(int(plan.sessions_per_week)) if plan.sessions_per_week.is_integer() else None
    often = often or f"{plan.sessions_per_week:g} times a week"
    items = [Item("", f"About {count} sessions, {often}, {plan.session_minutes} minutes each.")]
    checks = [str(k) for k in plan.check_in_sessions or (plan.check_in_after_sessions,)]
    word = "sessions" if len(checks) > 1 else "session"
    items.append(Item("", f"After {word} {and_list(checks)} we will look together at how it is going."))
    mc = plan.meaningful_change
    if mc is not None:
        items.append(
            Item(
                "",
                f"We hope you notice a change by session {mc.by_session}: pain down by {mc.pain_points} points "
                f"out of 10 (or by {mc.pain_percent}%), or everyday activities clearly easier. If not, we will "
                "talk about changing the approach.",
            )
        )
    return Section("How often", tuple(items))


def _avoid(result: Recommendation, names: Names) -> Section | None:
    """Why we hold back: the reasons of the restrictions, not the per-technique phase rules (the list covers them)."""
    reasons = [lim.reason for lim in result.pressure_limits if lim.rule not in names.phase_rules]
    reasons += [a.reason for a in result.avoided if a.rule not in names.phase_rules]
    unique = list(dict.fromkeys(reasons))
    return Section("What we will avoid, and why", tuple(Item("", r) for r in unique)) if unique else None


def _aftercare(plan: Plan, names: Names, picked: frozenset[str]) -> list[Section]:
    fitting = [item for item in plan.aftercare if names.advice_fits(item.rule, picked)]
    sections = []
    for kind, heading in (
        ("expect", "After a session: what to expect"),
        ("self_care", "Looking after yourself"),
        ("warning_sign", "When to stop and call"),
    ):
        items = tuple(Item("", item.text) for item in fitting if item.kind == kind)
        if items:
            sections.append(Section(heading, items))
    return sections


def build_handout(
    result: Recommendation,
    names: Names,
    *,
    picks: Sequence[str] | None = None,
    client: str | None = None,
    therapist: str | None = None,
    date: dt.date | None = None,
) -> Handout:
    """The handout for ``result``; raises ProfileError for a pick that is not offered (see choose_techniques)."""
    chosen = choose_techniques(result, picks)
    p = result.profile
    safety = tuple(
        Item(
            "Please note: your clinic has switched off a standard safety precaution that applies to you",
            f"({effects_in_words(o)}). The clinic's reason: {o.reason} Please talk to your therapist about it "
            "before your session.",
        )
        for o in result.safety_overrides
    )
    meta = [("For", client)] if client else []
    meta += [("Therapist", therapist)] if therapist else []
    meta.append(("Date", long_date(date or dt.date.today())))
    notices = []
    for referral in result.referrals:
        when = "as soon as possible" if referral.urgency == "urgent" else "soon"
        meanwhile = (
            "We can go on with massage meanwhile, within the limits below."
            if referral.massage_meanwhile
            else "Please do not book massage until a doctor has seen you."
        )
        notices.append(Item(f"Please see a doctor {when}.", f"{referral.reason} {meanwhile}"))
    if result.no_massage is not None:
        nm = result.no_massage
        notices.append(Item("No massage for now.", f"{nm.reason} Please come back {nm.come_back}."))
    areas = and_list([f"your {lower_first(names.area(a))}" for a in p.areas])
    goals = and_list([lower_first(names.goal(g)) for g in p.goals])
    intro = f"What we are working on: {areas}. Your goals: {goals}."
    sections: list[Section] = []
    if result.screening_questions:  # first: the client answers them before any treatment starts
        asked = tuple(Item("", q.question) for q in result.screening_questions)
        sections.append(Section(QUESTIONS_HEADING, asked))
    if chosen:
        sections.append(Section("What we will do", tuple(_technique_item(t, names, p.areas) for t in chosen)))
    elif result.outcome == "nothing_suitable":
        sections.append(
            Section("What we will do", (Item("", "Your therapist will talk the options through with you."),))
        )
    if result.plan is not None:
        sections.append(_how_often(result.plan))
    avoid = _avoid(result, names)
    if avoid is not None:
        sections.append(avoid)
    if result.plan is not None:
        sections += _aftercare(result.plan, names, frozenset(t.id for t in chosen))
    stamp = result.knowledge.version
    closing = f"Questions about this plan? Ask your therapist. Prepared with massage_rules, knowledge {stamp}."
    return Handout("Your massage plan", safety, tuple(meta), tuple(notices), intro, tuple(sections), closing)
