"""The safety part of the text report: what stops or limits the session, before any technique.

Order: a safety rule a pack switched off, "no massage now", referrals, the
questions to ask first, then what to avoid. Avoidances are grouped by the rule
that causes them: rules that a health finding triggers first (headed by the
finding's name), then other restrictions, then the per-technique phase rules
(``<technique>.phase.<phase>``) folded into one line per phase and place. In the
short view a technique already ruled out everywhere is not named again further
down, and a pressure limit no tighter than one already given is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from massage_rules.models import Recommendation
from massage_rules.output.lines import Lines
from massage_rules.output.markup import effects_in_words
from massage_rules.output.names import Names, and_list, lower_first

__all__ = ["Answers", "render_safety", "safety_banner_lines"]

Answers: TypeAlias = Literal["profile", "flags"]  # how the reader gives an answer back


def safety_banner_lines(result: Recommendation, out: Lines) -> None:
    """The lines that open the report when a pack switched off a safety rule that applies to this client."""
    for override in result.safety_overrides:
        head = f"!! SAFETY RULE SWITCHED OFF [{override.rule}] by pack '{override.pack}'"
        out.add(head, style="alarm")
        out.add(
            f"It applies to this client: the core knowledge would have given {effects_in_words(override)}. "
            f"This answer does not. The pack's reason: {override.reason}",
            "!! ",
        )
        out.blank()


def _questions(result: Recommendation, names: Names, out: Lines, *, full: bool, answers: Answers) -> None:
    """The screening questions, each with what a yes and a no mean and what waits for the answer."""
    if not result.screening_questions:
        return
    flags = answers == "flags"
    out.blank()
    out.add("Ask first")
    for q in result.screening_questions:
        out.add(q.question + (f" [{q.rule}]" if full else ""), "  ? ", "    ")
        no = f"add --cleared {q.rule}" if flags else None
        if full:  # why, and the ids to give in the profile
            out.add(f"why: {q.why}", "    ", "      ")
            findings = and_list(list(q.findings), "or")
            if q.diagnosis is not None:
                yes = f"add --condition {q.diagnosis}" if flags else f"add {q.diagnosis} to its conditions"
            elif q.findings:
                yes = f"add --health {findings}" if flags else f"give {findings} in its health"
            else:
                yes = "refer to a physician"
            out.add(f"if yes: {yes}", "    ", "      ")
            out.add(f"if no: {no or f'add {q.rule} to its cleared'}", "    ", "      ")
        else:
            found = and_list([lower_first(names.finding(f)) for f in q.findings], "or")
            if q.diagnosis is not None:
                yes = f"record the diagnosis {names.condition(q.diagnosis)}"
            else:
                yes = f"record {found}" if q.findings else "refer"
            out.add(f"if yes: {yes}", "    ", "      ")
            out.add(f"if no: {no or 'mark the question cleared'}", "    ", "      ")
        if q.holds:
            out.add(f"waiting for the answer: {', '.join(names.technique(t) for t in q.holds)}", "    ", "      ")
    out.blank()


def render_safety(
    result: Recommendation, names: Names, out: Lines, *, full: bool, answers: Answers = "profile"
) -> None:
    """No massage, referrals, questions to ask first, and what to avoid, in that order.

    ``answers`` is how the reader answers a question: in the profile (``add RULE to
    its cleared``) or with the command line's flags (``add --cleared RULE``).
    """

    def tag_rule(rule: str) -> str:
        return f" [{rule}]" if full else ""

    if result.no_massage is not None:
        nm = result.no_massage
        tag = "NO MASSAGE NOW"
        out.add(
            f"{tag}{tag_rule(nm.rule)}: {nm.reason} Come back {nm.come_back}.", hang="  ", style="alarm", span=(0, 14)
        )
    # Massage goes on meanwhile only if every referral allows it; the answer's referral says so.
    care_meanwhile = result.referral is not None and result.referral.massage_meanwhile
    for position, referral in enumerate(result.referrals):
        urgent = referral.urgency == "urgent"
        tag = "URGENT REFERRAL" if urgent else "REFERRAL"
        if position and not care_meanwhile:
            meanwhile = "also, for this reason"
        elif referral.massage_meanwhile:
            meanwhile = "massage may go on meanwhile, within the limits below"
        else:
            meanwhile = "no massage until a physician has cleared the client"
        out.add(
            f"{tag}{tag_rule(referral.rule)}: {meanwhile}. {referral.reason}",
            hang="  ",
            style="alarm" if urgent or not referral.massage_meanwhile else "strong",
            span=(0, len(tag)),
        )
    _questions(result, names, out, full=full, answers=answers)
    if result.no_massage is not None or result.referrals:
        out.blank()
    _render_avoid(result, names, out, full=full)


@dataclass
class _Group:
    """What one rule (or, for phase rules, one phase and place) rules out and caps."""

    heading: str
    reason: str
    rules: list[str]
    folded: bool = False  # the phase rules of one phase and place, folded into one line
    everywhere: list[str] = field(default_factory=list)  # technique ids
    on: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # area -> technique ids
    cap_everywhere: int | None = None
    caps: dict[str, int] = field(default_factory=dict)  # area -> max pressure


def _groups(result: Recommendation, names: Names) -> list[_Group]:
    """One group per rule, findings first, then other rules, then the phase rules folded by phase and place."""
    health = {entry.partition("@")[0] for entry in result.profile.health}
    by_rule: dict[str, _Group] = {}
    phase_groups: dict[tuple[str, str | None], _Group] = {}

    def group(rule: str, reason: str, area: str | None) -> _Group:
        phase = names.phase_rules.get(rule)
        if phase is None:
            if rule not in by_rule:
                found = sorted(names.rule_findings.get(rule, frozenset()) & health)
                heading = ", ".join(names.finding(f) for f in found)
                by_rule[rule] = _Group(heading, reason, [rule])
            return by_rule[rule]
        key = (phase, area)
        if key not in phase_groups:
            when = f"the {lower_first(names.phase(phase))} phase"
            heading = f"Not on the {lower_first(names.area(area))} in {when}" if area else f"Not in {when}"
            phase_groups[key] = _Group(heading, "", [], folded=True)
        phase_groups[key].rules.append(rule)
        return phase_groups[key]

    for avoid in result.avoided:
        target = group(avoid.rule, avoid.reason, avoid.area)
        place = target.everywhere if avoid.area is None else target.on[avoid.area]
        if avoid.technique not in place:
            place.append(avoid.technique)
    for limit in result.pressure_limits:
        target = group(limit.rule, limit.reason, limit.area)
        if limit.area is None:
            target.cap_everywhere = min(limit.max_pressure, target.cap_everywhere or limit.max_pressure)
        else:
            target.caps[limit.area] = min(limit.max_pressure, target.caps.get(limit.area, limit.max_pressure))

    def order(item: tuple[str, _Group]) -> tuple[bool, bool, str]:
        rule, grp = item
        return (not grp.heading, not (grp.everywhere or grp.cap_everywhere is not None), rule)

    ordered = [grp for _, grp in sorted(by_rule.items(), key=order)]
    folded = sorted(phase_groups.items(), key=lambda item: (item[0][1] is not None, item[0][1] or "", item[0][0]))
    return ordered + [grp for _, grp in folded]


def _render_avoid(result: Recommendation, names: Names, out: Lines, *, full: bool) -> None:
    gone: set[str] = set()  # ruled out everywhere by a line above
    gone_on: dict[str, set[str]] = defaultdict(set)
    cap_all: int | None = None
    cap_on: dict[str, int] = {}
    lines: list[tuple[_Group, list[str]]] = []
    placed = {area for t in result.techniques for area in t.areas}  # "no massage on" never where one is offered
    for grp in _groups(result, names):
        folded = grp.folded  # a phase line: its heading says why, its parts are technique names
        parts: list[str] = []
        everywhere = [t for t in grp.everywhere if full or t not in gone]
        if everywhere:
            listed = ", ".join(names.technique(t) for t in everywhere)
            parts.append(listed if folded else f"no {listed} anywhere")
        by_list: dict[tuple[str, ...], list[str]] = {}  # the techniques ruled out -> the areas, said once
        for area, on_area in sorted(grp.on.items()):
            shown = tuple(t for t in on_area if full or t not in gone)
            if shown and (full or not set(shown) <= gone_on[area]):
                by_list.setdefault(shown, []).append(area)
                gone_on[area].update(shown)
        for listed_ids, areas in by_list.items():
            if folded:
                parts.append(", ".join(names.technique(t) for t in listed_ids))
            elif set(listed_ids) | gone >= set(names.techniques) and placed.isdisjoint(areas):
                parts.append(f"no massage on {names.areas_in_words(areas)}")
            else:
                listed = ", ".join(names.technique(t) for t in listed_ids)
                parts.append(f"no {listed} on {names.areas_in_words(areas)}")
        if grp.cap_everywhere is not None and (full or cap_all is None or grp.cap_everywhere < cap_all):
            parts.append(f"pressure at most {grp.cap_everywhere}/5 anywhere")
            cap_all = min(grp.cap_everywhere, cap_all if cap_all is not None else 5)
        by_cap: dict[int, list[str]] = {}
        for area, cap in sorted(grp.caps.items()):
            bound = min([x for x in (cap_all, cap_on.get(area)) if x is not None], default=6)
            if full or cap < bound:
                by_cap.setdefault(cap, []).append(area)
                cap_on[area] = min(cap, bound)
        parts += [f"pressure at most {cap}/5 on {names.areas_in_words(areas)}" for cap, areas in by_cap.items()]
        gone.update(everywhere)
        if parts:
            lines.append((grp, parts))
    if not lines:
        return
    out.add("Avoid")
    for grp, parts in lines:
        ids = f" [{', '.join(grp.rules)}]" if full else ""
        if grp.folded:
            out.add(f"{grp.heading}: {', '.join(parts)}{ids}", "  ", "      ")
        elif grp.heading:
            out.add(
                f"{grp.heading}: {'; '.join(parts)}.{ids}", "  ", "      ", style="strong", span=(0, len(grp.heading))
            )
            out.add(grp.reason, "      ")
        else:
            effects = "; ".join(parts)
            out.add(f"{effects[0].upper()}{effects[1:]}.{ids} {grp.reason}", "  ", "      ")
    out.blank()
