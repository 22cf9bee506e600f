"""The text report: what a therapist reads between two clients.

Safety first (see :mod:`massage_rules.output.text_safety`), then the top
techniques with their reasons in words (ties share a rank, shown ``=3``), the
plan in two lines and the after-care that belongs to this client and to the
techniques shown. Sources are a count; rule ids, sources, the plan's arithmetic,
billing and the general after-care are behind ``full``. Names come from the
knowledge (:mod:`massage_rules.output.names`); ids stay in the JSON.
"""

from __future__ import annotations

from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models import Plan, RankedTechnique, Reason, Recommendation, switched_off_warning
from massage_rules.output.lines import DEFAULT_WIDTH, Lines, wrap
from massage_rules.output.names import Names, and_list, lower_first, names_of, shared_ranks
from massage_rules.output.text_safety import Answers, render_safety, safety_banner_lines

__all__ = ["DEFAULT_TOP", "render_text", "safety_banner", "shared_ranks"]

DEFAULT_TOP = 5
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
WIDTH = DEFAULT_WIDTH
_AFTERCARE_HEADINGS = {
    "expect": "What to expect",
    "self_care": "Looking after yourself",
    "warning_sign": "Stop and call",
}


def _wrap(text: str, indent: str) -> str:
    """Kept for the course reports: ``text`` wrapped to the default width after ``indent``."""
    return wrap(text, indent)


def render_text(
    result: Recommendation,
    *,
    knowledge: KnowledgeBase | None = None,
    top: int | None = DEFAULT_TOP,
    full: bool = False,
    color: bool = False,
    width: int = WIDTH,
    answers: Answers = "profile",
) -> str:
    """Render ``result`` for the therapist: safety, the ``top`` techniques (None: all), the plan, after-care.

    ``knowledge`` is the base the result came from, for display names (the
    bundled base when None). ``full`` adds rule ids, sources, the plan's
    arithmetic, billing and all after-care. ``color`` adds ANSI colour and bold;
    lines are wrapped to ``width`` columns. ``answers`` says how a screening
    question is answered: in the profile's fields (``"profile"``: "add RULE to
    its cleared") or with ``suggest``'s flags (``"flags"``: "add --cleared RULE").
    """
    names = names_of(knowledge)
    out = Lines(width, color=color)
    safety_banner_lines(result, out)
    _client(result, names, out, top=top, full=full)
    out.blank()
    render_safety(result, names, out, full=full, answers=answers)
    shown = _techniques(result, names, out, top=top, full=full)
    if result.plan is not None:
        _plan(result.plan, names, out, frozenset(t.id for t in shown), full=full)
    _notes(result, names, out, full=full)
    _footer(result, out, full=full)
    return out.text()


def safety_banner(result: Recommendation) -> list[str]:
    """The lines that open the report when a pack switched off a safety rule that applies to this client."""
    out = Lines()
    safety_banner_lines(result, out)
    return [*out.text().splitlines(), ""] if result.safety_overrides else []


def _client(result: Recommendation, names: Names, out: Lines, *, top: int | None, full: bool) -> None:
    p = result.profile
    timing = names.phase(p.phase) if p.phase else ""
    if p.days_since_onset is not None:
        timing = f"{timing} (day {p.days_since_onset})".strip()
    head = [
        ", ".join(names.area(a) for a in p.areas),
        names.cause(p.cause) if p.cause else "cause not given",
        f"pain {p.severity}/10",
        timing,
        "goals: " + ", ".join(lower_first(names.goal(g)) for g in p.goals),
    ]
    out.add("Client: " + " · ".join(part for part in head if part), hang="  ")
    if p.health:
        out.add("Health: " + ", ".join(names.finding(h) for h in p.health), hang="  ")
    # The complaints matched, unless the reasons of the techniques shown name them all already.
    named = {r.label for t in result.techniques[: top or None] for r in t.reasons}
    if result.conditions and (full or any(c.name not in named for c in result.conditions)):
        how = {"diagnosis": " (diagnosis)", "profile": " (from the profile)"}
        matched = ", ".join(c.name + (how[c.matched_by] if full else "") for c in result.conditions)
        out.add(f"Matched: {matched}", hang="  ")


def _reason_words(reason: Reason) -> str:
    """A reason in words: the goal's or the complaint's name, or the first sentence of the rule's text."""
    if reason.label != reason.rule:
        return reason.label
    return lower_first(reason.text.split(". ")[0].rstrip("."))


def _techniques(
    result: Recommendation, names: Names, out: Lines, *, top: int | None, full: bool
) -> list[RankedTechnique]:
    """The techniques shown (the first ``top``, or all), each with its reasons; returns them."""
    techniques = result.techniques
    if not techniques:
        if result.outcome == "nothing_suitable":
            out.add("No technique in the knowledge base fits this profile.")
            out.blank()
        return []
    ranks = shared_ranks(techniques)
    count = len(techniques) if top is None else max(1, min(top, len(techniques)))
    shown = list(techniques[:count])
    heading = "Techniques, best first"
    hidden = len(techniques) - count
    if hidden:
        ties = sum(1 for rank in ranks[count:] if rank == ranks[count - 1] and rank.startswith("="))
        tied = f", {ties} more tied at {ranks[count - 1]}" if ties else ""
        heading += f" (top {count} of {len(techniques)}{tied}; --all for every one)"
    out.add(heading, hang="  ")
    pad = max(len(t.name) for t in shown)
    several = len(result.profile.areas) > 1
    above: RankedTechnique | None = None
    for t, rank in zip(shown, ranks, strict=False):
        shares_above = above is not None and above.rank == t.rank
        above = t
        where = ""
        if several and len(t.areas) < len(result.profile.areas):
            where = "on " + names.areas_in_words(t.areas)
        if t.skip_areas:
            where += (", not on " if where else "not on ") + names.areas_in_words(t.skip_areas, "or")
        pressure = f"{t.pressure_min}" if t.pressure_min == t.pressure_max else f"{t.pressure_min}-{t.pressure_max}"
        detail = f"pressure {pressure}/5  score {t.score:g}"
        if full:
            detail += f"  [{t.id}] CPT {t.cpt}, evidence {t.evidence}"
        name = t.name.ljust(pad) if 6 + pad + 2 + len(detail) <= out.width else t.name
        top_pick = rank.lstrip("=") == "1"
        out.add(
            f"{rank:>4}  {name}  {detail}",
            hang=" " * 6,
            style="strong" if top_pick else None,
            span=(6, 6 + len(t.name)),
        )
        if where:
            out.add(where[0].upper() + where[1:], " " * 6)
        if full:
            for r in t.reasons:
                out.add(f"{r.points:+g} {_reason_words(r)} [{r.rule}; {', '.join(r.sources)}]", " " * 6, " " * 9)
        else:
            out.add(", ".join(f"{_reason_words(r)} {r.points:+g}" for r in t.reasons), " " * 6)
        _technique_extras(result, t, out, shares_above=shares_above, full=full)
    out.blank()
    return shown


def _technique_extras(
    result: Recommendation, t: RankedTechnique, out: Lines, *, shares_above: bool, full: bool
) -> None:
    """The lines under a technique beyond its reasons: the questions it waits for, and how a tie was broken
    (a rank shared with the technique above shows as "=", so those words wait for --full)."""
    if t.after_screening:
        asked = result.screening_questions
        if len(asked) == 1:
            which = "the question above is"
        else:
            places = [
                _ORDINALS[i] if i < len(_ORDINALS) else f"#{i + 1}"
                for i, q in enumerate(asked)
                if q.rule in t.after_screening
            ]
            several = len(places) > 1
            which = f"the {and_list(places)} question{'s' if several else ''} above {'are' if several else 'is'}"
        out.add(f"only once {which} answered no", " " * 6)
    if t.tie_break and (full or not shares_above):
        out.add(f"order: {t.tie_break}", " " * 6)


def _sessions(plan: Plan) -> str:
    if plan.no_course_reason is not None:
        return f"Plan: no course of sessions. {plan.no_course_reason.text}"
    span = (
        f"{plan.sessions_min}" if plan.sessions_min == plan.sessions_max else f"{plan.sessions_min}-{plan.sessions_max}"
    )
    checks = plan.check_in_sessions or (plan.check_in_after_sessions,)
    listed = ", ".join(str(k) for k in checks[:-1]) + (" and " if len(checks) > 1 else "") + str(checks[-1])
    word = "sessions" if len(checks) > 1 else "session"
    return (
        f"Plan: {span} sessions, {plan.sessions_per_week:g} a week, {plan.session_minutes} min each; "
        f"check in after {word} {listed}"
    )


def _plan(plan: Plan, names: Names, out: Lines, shown: frozenset[str], *, full: bool) -> None:
    """The plan in two lines, then the after-care for this client (all of it, with the arithmetic, when full)."""
    out.add(_sessions(plan), hang="  ")
    mc = plan.meaningful_change
    if mc is not None:
        cited = f" [{', '.join(mc.sources)}]" if full else ""
        out.add(
            f"expect by session {mc.by_session}: pain down {mc.pain_points} points or {mc.pain_percent}%, "
            f"or function up {mc.function_points:g}{cited}",
            "  ",
            "    ",
        )
    if full:
        for i, step in enumerate(plan.derivation):
            change = (
                f"base {step.sessions_min}-{step.sessions_max}"
                if i == 0
                else f"{step.add_min:+d}/{step.add_max:+d} -> {step.sessions_min}-{step.sessions_max}"
            )
            out.add(f"{change}: {step.text} [{step.rule}]{_evidence(step.evidence)}", "  ", "    ")
        if plan.check_in_reason is not None:
            out.add(f"check-ins: {plan.check_in_reason.text} [{plan.check_in_reason.rule}]", "  ", "    ")
        for advice in plan.maintenance:
            out.add(f"booster: {advice.text} [{advice.rule}]", "  ", "    ")
        if plan.billing is not None:
            bill = plan.billing
            codes = f" of {', '.join(bill.cpt)}" if bill.cpt else ""
            out.add(
                f"billing: {bill.units} unit(s){codes} for {bill.session_minutes} timed minutes "
                f"({bill.unit_minutes}-min units, {bill.min_minutes_for_unit}-min threshold) [{bill.rule}]",
                "  ",
                "    ",
            )
    fitting = [item for item in plan.aftercare if names.advice_fits(item.rule, shown)]
    if full:
        if fitting:
            out.add("After-care for the client")
            for item in fitting:
                out.add(f"{_AFTERCARE_HEADINGS[item.kind]}: {item.text} [{item.rule}]", "  - ", "    ")
        out.blank()
        return
    own = [item for item in fitting if item.rule not in names.general_advice]
    general = [item for item in fitting if item.rule in names.general_advice]
    signs = sum(1 for item in general if item.kind == "warning_sign")
    rest = f"{len(general) - signs} general points, {signs} warning signs"
    if own:
        out.add(f"After-care for this client (+ {rest}: --full)", hang="  ")
        for item in own:
            out.add(item.text, "  - ", "    ")
    elif general:
        out.add(f"After-care: {rest} (--full, or the handout with --format html)", hang="  ")
    out.blank()


def _evidence(evidence: str | None) -> str:
    """How a plan step is backed, as shown after it: tested by a source, or expert consensus."""
    return {"tested": " (tested)", "expert_consensus": " (expert consensus)"}.get(evidence or "", "")


def _notes(result: Recommendation, names: Names, out: Lines, *, full: bool) -> None:
    """Notes and warnings; when no massage may happen now, a complaint's treatment notes wait for --full."""
    stopped = not result.techniques and (result.no_massage is not None or result.referrals)
    for note in result.notes:
        if stopped and not full and names.rule_kinds.get(note.rule) == "condition":
            continue
        out.add(f"Note: {note.text}" + (f" [{note.rule}]" if full else ""), hang="  ")
    shown = {switched_off_warning(o) for o in result.safety_overrides}
    for warning in result.warnings:
        if warning not in shown:  # the banner at the top said it already
            out.add(f"Warning: {warning}", hang="  ")
    out.blank()


def _footer(result: Recommendation, out: Lines, *, full: bool) -> None:
    stamp = result.knowledge
    if full:
        if result.sources:
            out.add("Sources: " + ", ".join(s.id for s in result.sources), hang="  ")
        out.add(f"Knowledge: {stamp.version} ({stamp.content_hash[:12]})")
    else:
        count = len(result.sources)
        cited = f"{count} source{'s' if count != 1 else ''}"
        out.add(f"{cited} · knowledge {stamp.version} · --full adds rule ids, sources, arithmetic, billing")
    if stamp.overrides:
        changed = ", ".join(f"{o.rule} ({o.action}, pack {o.pack})" for o in stamp.overrides)
        out.add(f"Overrides: {changed}", hang="  ")
