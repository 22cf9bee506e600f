"""Plain-text rendering of a recommendation, for a therapist at a desk."""

from __future__ import annotations

import textwrap
from collections import defaultdict

from massage_rules.models import Plan, RankedTechnique, Recommendation

__all__ = ["render_plan_extras", "render_questions", "render_text"]

WIDTH = 88


def _points(value: float) -> str:
    return f"{value:+g}"


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_text(result: Recommendation) -> str:
    """Render ``result`` as a short report: referral, techniques, avoidances, plan, notes."""
    p = result.profile
    out: list[str] = []
    timing = p.phase or ""
    if p.days_since_onset is not None:
        timing += f" (day {p.days_since_onset})"
    head = [
        ", ".join(p.areas),
        p.cause or "cause not given",
        f"pain {p.severity}/10",
        timing,
        "goals: " + ", ".join(p.goals),
    ]
    out.append("Client: " + " · ".join(head))
    if p.health:
        out.append("Health: " + ", ".join(p.health))
    out.append("")

    if result.no_massage is not None:
        nm = result.no_massage
        out.append(f"NO MASSAGE NOW [{nm.rule}]")
        out.append(_wrap(nm.reason, "  "))
        out.append(_wrap(f"Come back {nm.come_back}.", "  "))
        out.append("")
    # Massage goes on meanwhile only if every referral allows it; the answer's referral says so.
    care_meanwhile = result.referral is not None and result.referral.massage_meanwhile
    for position, referral in enumerate(result.referrals):
        tag = "URGENT REFERRAL" if referral.urgency == "urgent" else "REFERRAL"
        if position and not care_meanwhile:
            meanwhile = "also, for this reason"
        elif referral.massage_meanwhile:
            meanwhile = "massage may go on meanwhile, within the limits below"
        else:
            meanwhile = "no massage until a physician has cleared the client"
        out.append(f"{tag} [{referral.rule}]: {meanwhile}")
        out.append(_wrap(referral.reason, "  "))
    if result.referrals:
        out.append("")

    out.extend(render_questions(result))
    if result.techniques:
        out.append("Techniques (best first)")
        for t in result.techniques:
            where = ", ".join(t.areas)
            if t.skip_areas:
                where += " (skip " + ", ".join(t.skip_areas) + ")"
            out.append(
                f"{_rank(result, t.rank):>3}. {t.name} [{t.id}]  score {t.score:g}  pressure {t.pressure_min}-"
                f"{t.pressure_max}/5  CPT {t.cpt}  on {where}"
            )
            why = ", ".join(f"{r.label} {_points(r.points)}" for r in t.reasons)
            out.append(_wrap("why: " + why, "      "))
            out.extend(_technique_extras(result, t))
        out.append("")
    elif result.outcome == "nothing_suitable":
        out.append("No technique in the knowledge base fits this profile.")
        out.append("")

    if result.avoided:
        out.append("Avoid")
        # One line per rule and place: a rule that both forbids and caps pressure reads as one.
        grouped: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        reasons: dict[str, str] = {}
        for a in result.avoided:
            if a.technique not in grouped[(a.rule, a.area)]:
                grouped[(a.rule, a.area)].append(a.technique)
            reasons[a.rule] = a.reason
        by_rule: dict[str, list[str]] = defaultdict(list)
        for (rule, area), techs in grouped.items():
            place = f"on {area}" if area else "everywhere"
            by_rule[rule].append(f"{', '.join(techs)} {place}")
        for rule, parts in by_rule.items():
            out.append(_wrap(f"- {'; '.join(parts)} [{rule}]", "  ")[2:])
            out.append(_wrap(reasons[rule], "    "))
        out.append("")
    if result.pressure_limits:
        out.append("Pressure limits (0-5 Walton scale)")
        for limit in result.pressure_limits:
            place = f"on {limit.area}" if limit.area else "everywhere"
            out.append(f"- at most {limit.max_pressure} {place} [{limit.rule}]")
        out.append("")

    if result.plan is not None:
        plan = result.plan
        sessions = (
            f"{plan.sessions_min}"
            if plan.sessions_min == plan.sessions_max
            else f"{plan.sessions_min}-{plan.sessions_max}"
        )
        if plan.no_course_reason is not None:
            out.append("Plan: no course of sessions")
        else:
            out.append(
                f"Plan: {sessions} sessions, {plan.sessions_per_week:g} a week, {plan.session_minutes} min each; "
                f"check progress after session {plan.check_in_after_sessions}"
            )
        for step in plan.derivation:
            change = (
                f"base {step.sessions_min}-{step.sessions_max}"
                if step is plan.derivation[0]
                else f"{step.add_min:+d}/{step.add_max:+d} -> {step.sessions_min}-{step.sessions_max}"
            )
            out.append(_wrap(f"{change}: {step.text} [{step.rule}]{_evidence(step.evidence)}", "    "))
        if plan.billing is not None:
            bill = plan.billing
            codes = f" of {', '.join(bill.cpt)}" if bill.cpt else ""
            out.append(
                f"Billing: {bill.units} unit(s){codes} for {bill.session_minutes} timed minutes "
                f"({bill.unit_minutes}-min units, {bill.min_minutes_for_unit}-min threshold) [{bill.rule}]"
            )
        out.extend(render_plan_extras(plan))
        out.append("")

    if result.conditions:
        out.append("Matched: " + ", ".join(f"{c.name} ({c.matched_by})" for c in result.conditions))
    for note in result.notes:
        out.append(_wrap(f"Note: {note.text} [{note.rule}]", ""))
    for warning in result.warnings:
        out.append(_wrap(f"Warning: {warning}", ""))
    if result.sources:
        out.append("Sources: " + ", ".join(s.id for s in result.sources))
    out.append(f"Knowledge: {result.knowledge.version} ({result.knowledge.content_hash[:12]})")
    return "\n".join(out).rstrip() + "\n"


def render_plan_extras(plan: Plan) -> list[str]:
    """Lines for the parts of a plan beyond its arithmetic: check-ins, expected change, booster, after-care."""
    out: list[str] = []
    if plan.check_in_sessions:
        out.append("    check in after session " + ", ".join(str(k) for k in plan.check_in_sessions))
    mc = plan.meaningful_change
    if mc is not None:
        out.append(
            _wrap(
                f"expect by session {mc.by_session}: pain down {mc.pain_points} points or {mc.pain_percent}%, "
                f"or function up {mc.function_points:g} [{', '.join(mc.sources)}]",
                "    ",
            )
        )
    for advice in plan.maintenance:
        out.append(_wrap(f"booster: {advice.text} [{advice.rule}]", "    "))
    if plan.aftercare:
        out.append("After-care for the client")
        headings = {"expect": "What to expect", "self_care": "Looking after yourself", "warning_sign": "Stop and call"}
        for item in plan.aftercare:
            out.append(_wrap(f"- {headings[item.kind]}: {item.text}", "  ")[2:])
    return out


def render_questions(result: Recommendation) -> list[str]:
    """The screening questions, numbered, each with what a "yes" means and what waits for it."""
    if not result.screening_questions:
        return []
    out = ["ASK BEFORE TREATING"]
    for number, q in enumerate(result.screening_questions, 1):
        out.append(
            textwrap.fill(f"{q.question} [{q.rule}]", WIDTH, initial_indent=f"  {number}. ", subsequent_indent="     ")
        )
        out.append(_wrap(f"why: {q.why}", "     "))
        if q.diagnosis is not None:
            yes = f"add {q.diagnosis} to the profile's conditions"
        else:
            yes = f"give {', '.join(q.findings)} in the profile" if q.findings else "refer to a physician"
        out.append(_wrap(f"if yes: {yes}; if no: add {q.rule} to 'cleared'", "     "))
        if q.holds:
            out.append(_wrap(f"waiting for the answer: {', '.join(q.holds)}", "     "))
    out.append("")
    return out


def _evidence(evidence: str | None) -> str:
    """How a plan step is backed, as shown after it: tested by a source, or expert consensus."""
    return {"tested": " (tested)", "expert_consensus": " (expert consensus)"}.get(evidence or "", "")


def _rank(result: Recommendation, rank: int) -> str:
    """A rank as shown: "=2" when another technique shares it."""
    shared = sum(1 for t in result.techniques if t.rank == rank) > 1
    return f"={rank}" if shared else str(rank)


def _technique_extras(result: Recommendation, t: RankedTechnique) -> list[str]:
    """The lines under a technique beyond its reasons: the questions it waits for, and how a tie was broken."""
    out: list[str] = []
    if t.after_screening:
        numbers = [str(i) for i, q in enumerate(result.screening_questions, 1) if q.rule in t.after_screening]
        which = f"question {numbers[0]} is" if len(numbers) == 1 else f"questions {', '.join(numbers)} are"
        out.append(_wrap(f"only once {which} answered no (see above)", "      "))
    if t.tie_break:
        out.append(_wrap(f"order: {t.tie_break}", "      "))
    return out
