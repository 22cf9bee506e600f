"""A recommendation in the shapes clinic software speaks: HL7 CDS Hooks cards and a FHIR R4 CarePlan.

Both are plain JSON-ready dicts, built only from the result, so the same result
always gives the same output (ids are UUID5s of the content). Nothing here adds
clinical judgement: every line comes from the result and names its rule.
"""

from __future__ import annotations

import html
import json
import uuid
from collections import defaultdict
from fractions import Fraction
from typing import Any, Final

from massage_rules._codes import is_icd10_code
from massage_rules.models import Recommendation, Referral

__all__ = [
    "CPT_SYSTEM",
    "ICD10CM_SYSTEM",
    "OVERRIDE_REASON_SYSTEM",
    "to_cds_hooks_cards",
    "to_fhir_careplan",
]

CPT_SYSTEM: Final = "http://www.ama-assn.org/go/cpt"
ICD10CM_SYSTEM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
OVERRIDE_REASON_SYSTEM: Final = "urn:massage-rules:override-reason"
SUMMARY_LIMIT: Final = 140  # CDS Hooks: "<140 characters"
TOP_TECHNIQUES: Final = 3
_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:massage-rules")

# Why a clinician may dismiss a card; shown by the EHR when a card is overridden.
OVERRIDE_REASONS: Final = (
    ("already-addressed", "Already addressed or referred"),
    ("client-declined", "Client declined"),
    ("clinical-judgement", "Clinical judgement differs"),
    ("information-incorrect", "Profile information is incorrect"),
)


def _content_uuid(kind: str, content: Any) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{text}"))


def _summary(text: str) -> str:
    """Shorten to under 140 characters at a word boundary, marking the cut."""
    if len(text) < SUMMARY_LIMIT:
        return text
    cut = text[: SUMMARY_LIMIT - 2].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _sessions(low: int, high: int) -> str:
    if high == 0:
        return "no course of"
    return f"{low}" if low == high else f"{low}-{high}"


def _cited(result: Recommendation, source_ids: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """CDS Hooks links for the cited sources that have a URL, in citation order."""
    by_id = {s.id: s for s in result.sources}
    links = []
    for ident in dict.fromkeys(source_ids):
        src = by_id.get(ident)
        if src is not None and src.url:
            links.append({"label": _summary(f"[{src.id}] {src.citation}"), "url": src.url, "type": "absolute"})
    return links


def _source(result: Recommendation, links: list[dict[str, str]]) -> dict[str, Any]:
    source: dict[str, Any] = {"label": f"massage_rules (knowledge {result.knowledge.version})"}
    if links:
        source["url"] = links[0]["url"]
    return source


def _override_reasons() -> list[dict[str, str]]:
    return [{"system": OVERRIDE_REASON_SYSTEM, "code": code, "display": display} for code, display in OVERRIDE_REASONS]


def _finish(card: dict[str, Any]) -> dict[str, Any]:
    card["overrideReasons"] = _override_reasons()
    return {"uuid": _content_uuid("card", card), **card}


def _referral_card(result: Recommendation, referral: Referral) -> dict[str, Any]:
    urgent = referral.urgency == "urgent"
    meanwhile = (
        "Massage may go on meanwhile, within the limits in the plan."
        if referral.massage_meanwhile
        else "No massage until a physician has cleared the client."
    )
    detail = (
        f"**{'Urgent referral' if urgent else 'Referral'} to a physician** (rule `{referral.rule}`)\n\n"
        f"{referral.reason}\n\n{meanwhile}\n\nSources: {', '.join(referral.sources)}"
    )
    links = _cited(result, referral.sources)
    card: dict[str, Any] = {
        "summary": _summary(f"{'Urgent: refer' if urgent else 'Refer'} to a physician: {referral.reason}"),
        "indicator": "critical" if urgent else "warning",
        "detail": detail,
        "source": _source(result, links),
    }
    if links:
        card["links"] = links
    return _finish(card)


def _plan_detail(result: Recommendation) -> str:
    lines = ["| Rank | Technique | CPT | Pressure (0-5) | Areas | Score |", "|---|---|---|---|---|---|"]
    for t in result.techniques:
        where = ", ".join(t.areas) + (f" (skip {', '.join(t.skip_areas)})" if t.skip_areas else "")
        lines.append(f"| {t.rank} | {t.name} | {t.cpt} | {t.pressure_min}-{t.pressure_max} | {where} | {t.score:g} |")
    if result.plan is not None:
        p = result.plan
        lines += [
            "",
            f"**Plan:** {_sessions(p.sessions_min, p.sessions_max)} sessions, {p.sessions_per_week:g} a week, "
            f"{p.session_minutes} min each; check progress after session {p.check_in_after_sessions}.",
        ]
        if p.billing is not None:
            codes = f" of {', '.join(p.billing.cpt)}" if p.billing.cpt else ""
            lines += ["", f"**Billing:** {p.billing.units} unit(s){codes} per session (rule `{p.billing.rule}`)."]
    if result.pressure_limits:
        lines += ["", "**Pressure limits:**"]
        for limit in result.pressure_limits:
            place = f"on {limit.area}" if limit.area else "everywhere"
            lines.append(f"- at most {limit.max_pressure}/5 {place} (rule `{limit.rule}`): {limit.reason}")
    if result.avoided:
        lines += ["", "**Avoid:**"]
        grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
        for a in result.avoided:
            grouped[(a.rule, a.reason)].append(f"{a.technique} on {a.area}" if a.area else a.technique)
        for (rule, reason), what in grouped.items():
            lines.append(f"- {', '.join(what)} (rule `{rule}`): {reason}")
    for note in result.notes:
        lines += ["", f"*Note:* {note.text} (rule `{note.rule}`)"]
    for warning in result.warnings:
        lines += ["", f"*Warning:* {warning}"]
    return "\n".join(lines)


def _suggestion(result: Recommendation, rank: int, subject: dict[str, Any]) -> dict[str, Any]:
    t = result.techniques[rank]
    service: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": CPT_SYSTEM, "code": t.cpt, "display": t.name}], "text": t.name},
        "subject": subject,
        "note": [{"text": f"Pressure {t.pressure_min}-{t.pressure_max} on the 0-5 Walton scale"}],
    }
    body = {
        "label": _summary(f"{t.name} (CPT {t.cpt}), pressure {t.pressure_min}-{t.pressure_max}/5"),
        "isRecommended": rank == 0,
        "actions": [{"type": "create", "description": f"Order {t.name} (CPT {t.cpt})", "resource": service}],
    }
    return {"uuid": _content_uuid("suggestion", body), **body}


def _plan_card(result: Recommendation, subject: dict[str, Any]) -> dict[str, Any]:
    top = result.techniques[:TOP_TECHNIQUES]
    adjusted = bool(result.pressure_limits or result.avoided or result.referrals)
    names = ", ".join(t.name for t in top)
    summary = f"Massage: {names}"
    if result.plan is not None:
        summary += f"; {_sessions(result.plan.sessions_min, result.plan.sessions_max)} sessions"
    links = _cited(result, [s for t in top for r in t.reasons for s in r.sources])
    card: dict[str, Any] = {
        "summary": _summary(summary + (" (adjusted for safety)" if adjusted else "")),
        "indicator": "warning" if adjusted else "info",
        "detail": _plan_detail(result),
        "source": _source(result, links),
        "suggestions": [_suggestion(result, i, subject) for i in range(len(top))],
        "selectionBehavior": "at-most-one",
    }
    if links:
        card["links"] = links
    return _finish(card)


def _questions_card(result: Recommendation) -> dict[str, Any]:
    """A warning card with the screening questions: asked before any suggestion is acted on."""
    lines = ["**Ask before treating**", ""]
    for number, q in enumerate(result.screening_questions, 1):
        yes = f"record {', '.join(q.findings)}" if q.findings else "refer to a physician"
        if q.diagnosis is not None:
            yes = f"record the diagnosis {q.diagnosis}"
        waiting = f" Waiting for the answer: {', '.join(q.holds)}." if q.holds else ""
        lines.append(f"{number}. {q.question} (rule `{q.rule}`)  \n   {q.why} If yes: {yes}.{waiting}")
    links = _cited(result, [s for q in result.screening_questions for s in q.sources])
    count = len(result.screening_questions)
    card: dict[str, Any] = {
        "summary": _summary(f"Ask {count} screening question{'s' if count > 1 else ''} before treating"),
        "indicator": "warning",
        "detail": "\n".join(lines),
        "source": _source(result, links),
    }
    if links:
        card["links"] = links
    return _finish(card)


def _subject(subject: str | None) -> dict[str, Any]:
    return {"reference": subject} if subject else {"display": "the client"}


def to_cds_hooks_cards(result: Recommendation, *, subject: str | None = None) -> list[dict[str, Any]]:
    """The result as HL7 CDS Hooks cards, most urgent first.

    One card per referral (``critical`` when urgent, else ``warning``), one for
    "no massage now" (``warning``), and one for the plan with a suggestion per
    top technique (``warning`` when the plan was adjusted by a pressure cap, an
    avoidance or a referral, ``info`` otherwise). ``subject`` is the FHIR
    reference of the patient (``"Patient/123"``) used in suggested orders.
    """
    cards = [_referral_card(result, referral) for referral in result.referrals]
    if result.screening_questions:
        cards.append(_questions_card(result))
    if result.no_massage is not None:
        nm = result.no_massage
        links = _cited(result, nm.sources)
        card: dict[str, Any] = {
            "summary": _summary(f"No massage now: {nm.reason}"),
            "indicator": "warning",
            "detail": f"**No massage now** (rule `{nm.rule}`)\n\n{nm.reason}\n\nCome back {nm.come_back}.",
            "source": _source(result, links),
        }
        if links:
            card["links"] = links
        cards.append(_finish(card))
    if result.techniques:
        cards.append(_plan_card(result, _subject(subject)))
    elif result.outcome == "nothing_suitable":
        cards.append(
            _finish(
                {
                    "summary": "No massage technique in the knowledge base fits this client",
                    "indicator": "info",
                    "detail": _plan_detail(result),
                    "source": _source(result, []),
                }
            )
        )
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(cards, key=lambda c: order[c["indicator"]])


def _timing(result: Recommendation) -> dict[str, Any] | None:
    plan = result.plan
    if plan is None or plan.sessions_max == 0:  # no course planned: nothing to schedule
        return None
    per_week = Fraction(plan.sessions_per_week).limit_denominator(14)
    return {
        "repeat": {
            "count": plan.sessions_min,
            "countMax": plan.sessions_max,
            "frequency": per_week.numerator,
            "period": per_week.denominator,
            "periodUnit": "wk",
            "duration": plan.session_minutes,
            "durationUnit": "min",
        }
    }


def _narrative(result: Recommendation, activities: list[dict[str, Any]]) -> dict[str, str]:
    """The human-readable XHTML a FHIR resource should carry, so any EHR can show the plan."""
    parts = [f"<p>Medical massage plan: {html.escape(result.outcome.replace('_', ' '))}.</p>"]
    if result.plan is not None:
        p = result.plan
        parts.append(
            f"<p>{_sessions(p.sessions_min, p.sessions_max)} sessions, {p.sessions_per_week:g} a week, "
            f"{p.session_minutes} min each; check progress after session {p.check_in_after_sessions}.</p>"
        )
    if activities:
        items = "".join(f"<li>{html.escape(a['detail']['description'])}</li>" for a in activities)
        parts.append(f"<ul>{items}</ul>")
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{"".join(parts)}</div>'}


def _reason_codes(result: Recommendation) -> list[dict[str, Any]]:
    """The client's own ICD-10-CM codes, coded; complaints named by id or inferred, as text only.

    A complaint inferred from the profile is not coded: its codes in the knowledge
    may carry a side or an encounter the client never stated.
    """
    given = [c for c in result.profile.conditions if is_icd10_code(c)]
    names = {code: c.name for c in result.conditions for code in c.icd10}
    reasons: list[dict[str, Any]] = []
    for code in given:
        coding = {"system": ICD10CM_SYSTEM, "code": code}
        if code in names:
            coding["display"] = names[code]
        reasons.append({"coding": [coding]})
    coded = {names[code] for code in given if code in names}
    reasons += [{"text": c.name} for c in result.conditions if c.name not in coded]
    return reasons


def to_fhir_careplan(result: Recommendation, *, subject: str | None = None) -> dict[str, Any]:
    """The result as a FHIR R4 CarePlan (a JSON-ready dict): one activity per offered technique.

    Offered techniques are ``ServiceRequest`` activities coded in CPT, with the
    plan's schedule and the matched ICD-10-CM codes as reasons; techniques ruled
    out everywhere are ``doNotPerform`` activities; a referral is an activity of
    its own. The plan is a ``draft`` ``proposal``: a therapist confirms it.
    """
    reasons = _reason_codes(result)
    timing = _timing(result)
    activities: list[dict[str, Any]] = []
    for referral in result.referrals:
        activities.append(
            {
                "detail": {
                    "kind": "ServiceRequest",
                    "status": "not-started",
                    "description": f"{referral.urgency.capitalize()} referral to a physician: {referral.reason}",
                }
            }
        )
    for t in result.techniques:
        where = ", ".join(t.areas) + (f"; not on {', '.join(t.skip_areas)}" if t.skip_areas else "")
        detail: dict[str, Any] = {
            "kind": "ServiceRequest",
            "code": {"coding": [{"system": CPT_SYSTEM, "code": t.cpt, "display": t.name}], "text": t.name},
            "status": "not-started",
            "doNotPerform": False,
            "description": f"{t.name} on {where}, pressure {t.pressure_min}-{t.pressure_max} (0-5 Walton scale)"
            + (" (only once the screening questions are answered no)" if t.after_screening else ""),
        }
        if reasons:
            detail["reasonCode"] = reasons
        if timing is not None:
            detail["scheduledTiming"] = timing
        activities.append({"detail": detail})
    everywhere: dict[str, list[str]] = defaultdict(list)
    for a in result.avoided:
        if a.area is None:
            everywhere[a.technique].append(a.reason)
    for technique, why in everywhere.items():
        activities.append(
            {
                "detail": {
                    "kind": "ServiceRequest",
                    "code": {"text": technique},
                    "status": "not-started",
                    "doNotPerform": True,
                    "description": f"Do not use {technique}: {' '.join(dict.fromkeys(why))}",
                }
            }
        )
    notes = [{"text": f"Ask before treating: {q.question} ({q.why})"} for q in result.screening_questions]
    notes += [{"text": n.text} for n in result.notes] + [{"text": w} for w in result.warnings]
    if result.no_massage is not None:
        notes.insert(
            0, {"text": f"No massage now: {result.no_massage.reason} Come back {result.no_massage.come_back}."}
        )
    plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "draft",
        "intent": "proposal",
        "title": "Medical massage plan",
        "description": f"Outcome: {result.outcome}. Knowledge {result.knowledge.version} "
        f"({result.knowledge.content_hash[:12]}).",
        "subject": _subject(subject),
    }
    plan["text"] = _narrative(result, activities)
    if activities:
        plan["activity"] = activities
    if notes:
        plan["note"] = notes
    return {"resourceType": "CarePlan", "id": _content_uuid("careplan", plan), **plan}
