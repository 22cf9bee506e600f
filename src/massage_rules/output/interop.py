"""A recommendation in the shapes clinic software speaks: HL7 CDS Hooks cards, and a FHIR R4 CarePlan (``fhir``).

Both are plain JSON-ready dicts, built only from the result, so the same result
always gives the same output (ids are UUID5s of the content). Their shapes are
TypedDicts (:mod:`massage_rules.output.interop_types`), so a type checker knows
every key an integrator reads. Nothing here adds clinical judgement: every line
comes from the result and names its rule. Text from the knowledge is escaped for
where it goes (Markdown in a card's detail and in FHIR annotations, XHTML in the
narrative); links are web addresses only. A safety rule a pack switched off for
this client comes first in both.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final, Literal

from massage_rules.models import OverrideStamp, Recommendation, Referral
from massage_rules.output.fhir import (
    CPT_SYSTEM,
    ICD10CM_SYSTEM,
    content_uuid,
    plan_words,
    sessions_words,
    subject_reference,
    to_fhir_careplan,
)
from massage_rules.output.interop_types import (
    CdsHooksCard,
    CdsHooksCoding,
    CdsHooksLink,
    CdsHooksSource,
    CdsHooksSuggestion,
    FhirCarePlan,
    FhirReference,
    FhirServiceRequest,
)
from massage_rules.output.markup import effects_in_words, markdown, web_url
from massage_rules.output.names import shared_ranks

__all__ = [
    "CPT_SYSTEM",
    "ICD10CM_SYSTEM",
    "OVERRIDE_REASON_SYSTEM",
    "CdsHooksCard",
    "FhirCarePlan",
    "to_cds_hooks_cards",
    "to_fhir_careplan",
]

OVERRIDE_REASON_SYSTEM: Final = "urn:massage-rules:override-reason"
SUMMARY_LIMIT: Final = 140  # CDS Hooks: "<140 characters"
TOP_TECHNIQUES: Final = 3

# Why a clinician may dismiss a card; shown by the EHR when a card is overridden.
OVERRIDE_REASONS: Final = (
    ("already-addressed", "Already addressed or referred"),
    ("client-declined", "Client declined"),
    ("clinical-judgement", "Clinical judgement differs"),
    ("information-incorrect", "Profile information is incorrect"),
)


def _summary(text: str) -> str:
    """Shorten to under 140 characters at a word boundary, marking the cut."""
    if len(text) < SUMMARY_LIMIT:
        return text
    cut = text[: SUMMARY_LIMIT - 2].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _cited(result: Recommendation, source_ids: tuple[str, ...] | list[str]) -> list[CdsHooksLink]:
    """CDS Hooks links for the cited sources that have a URL, in citation order."""
    by_id = {s.id: s for s in result.sources}
    links: list[CdsHooksLink] = []
    for ident in dict.fromkeys(source_ids):
        src = by_id.get(ident)
        url = web_url(src.url) if src is not None else None
        if src is not None and url:
            links.append({"label": _summary(f"[{src.id}] {src.citation}"), "url": url, "type": "absolute"})
    return links


def _source(result: Recommendation, links: list[CdsHooksLink]) -> CdsHooksSource:
    source: CdsHooksSource = {"label": f"massage_rules (knowledge {result.knowledge.version})"}
    if links:
        source["url"] = links[0]["url"]
    return source


def _override_reasons() -> list[CdsHooksCoding]:
    return [{"system": OVERRIDE_REASON_SYSTEM, "code": code, "display": display} for code, display in OVERRIDE_REASONS]


def _card(
    result: Recommendation,
    summary: str,
    indicator: Literal["info", "warning", "critical"],
    detail: str,
    links: list[CdsHooksLink],
    suggestions: list[CdsHooksSuggestion] | None = None,
) -> CdsHooksCard:
    """A whole card, its uuid a hash of everything else in it; optional keys left out when empty."""
    card: CdsHooksCard = {  # every key, in the order cards have always had, then the empty ones dropped
        "uuid": "",
        "summary": _summary(summary),
        "indicator": indicator,
        "detail": detail,
        "source": _source(result, links),
        "suggestions": suggestions or [],
        "selectionBehavior": "at-most-one",
        "links": links,
        "overrideReasons": _override_reasons(),
    }
    if suggestions is None:
        del card["suggestions"], card["selectionBehavior"]
    if not links:
        del card["links"]
    card["uuid"] = content_uuid("card", {k: v for k, v in card.items() if k != "uuid"})
    return card


def _referral_card(result: Recommendation, referral: Referral) -> CdsHooksCard:
    urgent = referral.urgency == "urgent"
    meanwhile = (
        "Massage may go on meanwhile, within the limits in the plan."
        if referral.massage_meanwhile
        else "No massage until a physician has cleared the client."
    )
    detail = (
        f"**{'Urgent referral' if urgent else 'Referral'} to a physician** (rule `{referral.rule}`)\n\n"
        f"{markdown(referral.reason)}\n\n{meanwhile}\n\nSources: {', '.join(referral.sources)}"
    )
    summary = f"{'Urgent: refer' if urgent else 'Refer'} to a physician: {referral.reason}"
    return _card(result, summary, "critical" if urgent else "warning", detail, _cited(result, referral.sources))


def _override_card(result: Recommendation, override: OverrideStamp) -> CdsHooksCard:
    """A card for a safety rule a pack switched off that applies to this client, at that rule's own indicator."""
    effects = effects_in_words(override)
    detail = (
        f"**A safety rule that applies to this client is switched off** (rule `{override.rule}`, "
        f"pack `{override.pack}`)\n\nThe core knowledge would have given {markdown(effects)}; this answer does "
        f"not.\n\nThe pack's reason: {markdown(override.reason)}"
    )
    summary = f"Safety rule {override.rule} switched off by pack {override.pack}: {effects}"
    return _card(result, summary, "critical" if "refer_urgent" in override.effects else "warning", detail, [])


def _plan_detail(result: Recommendation) -> str:
    lines = ["| Rank | Technique | CPT | Pressure (0-5) | Areas | Score |", "|---|---|---|---|---|---|"]
    for t, rank in zip(result.techniques, shared_ranks(result.techniques), strict=True):
        where = ", ".join(t.areas) + (f" (skip {', '.join(t.skip_areas)})" if t.skip_areas else "")
        lines.append(
            f"| {rank} | {markdown(t.name)} | {t.cpt} | {t.pressure_min}-{t.pressure_max} | {where} | {t.score:g} |"
        )
    if result.plan is not None:
        p = result.plan
        lines += ["", f"**Plan:** {plan_words(p, markdown)}"]
        if p.billing is not None:
            codes = f" of {', '.join(p.billing.cpt)}" if p.billing.cpt else ""
            lines += ["", f"**Billing:** {p.billing.units} unit(s){codes} per session (rule `{p.billing.rule}`)."]
    if result.pressure_limits:
        lines += ["", "**Pressure limits:**"]
        for limit in result.pressure_limits:
            place = f"on {limit.area}" if limit.area else "everywhere"
            lines.append(f"- at most {limit.max_pressure}/5 {place} (rule `{limit.rule}`): {markdown(limit.reason)}")
    if result.avoided:
        lines += ["", "**Avoid:**"]
        grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
        for a in result.avoided:
            grouped[(a.rule, a.reason)].append(f"{a.technique} on {a.area}" if a.area else a.technique)
        for (rule, reason), what in grouped.items():
            lines.append(f"- {', '.join(what)} (rule `{rule}`): {markdown(reason)}")
    for note in result.notes:
        lines += ["", f"*Note:* {markdown(note.text)} (rule `{note.rule}`)"]
    for warning in result.warnings:
        lines += ["", f"*Warning:* {markdown(warning)}"]
    return "\n".join(lines)


def _suggestion(result: Recommendation, rank: int, subject: FhirReference) -> CdsHooksSuggestion:
    t = result.techniques[rank]
    service: FhirServiceRequest = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": CPT_SYSTEM, "code": t.cpt, "display": t.name}], "text": t.name},
        "subject": subject,
        "note": [{"text": f"Pressure {t.pressure_min}-{t.pressure_max} on the 0-5 Walton scale"}],
    }
    suggestion: CdsHooksSuggestion = {
        "uuid": "",
        "label": _summary(f"{t.name} (CPT {t.cpt}), pressure {t.pressure_min}-{t.pressure_max}/5"),
        "isRecommended": rank == 0,
        "actions": [{"type": "create", "description": f"Order {t.name} (CPT {t.cpt})", "resource": service}],
    }
    suggestion["uuid"] = content_uuid("suggestion", {k: v for k, v in suggestion.items() if k != "uuid"})
    return suggestion


def _plan_card(result: Recommendation, subject: FhirReference) -> CdsHooksCard:
    top = result.techniques[:TOP_TECHNIQUES]
    adjusted = bool(result.pressure_limits or result.avoided or result.referrals)
    names = ", ".join(t.name for t in top)
    summary = f"Massage: {names}"
    if result.plan is not None:
        summary += f"; {sessions_words(result.plan.sessions_min, result.plan.sessions_max)} sessions"
    return _card(
        result,
        summary + (" (adjusted for safety)" if adjusted else ""),
        "warning" if adjusted else "info",
        _plan_detail(result),
        _cited(result, [s for t in top for r in t.reasons for s in r.sources]),
        [_suggestion(result, i, subject) for i in range(len(top))],
    )


def _questions_card(result: Recommendation) -> CdsHooksCard:
    """A warning card with the screening questions: asked before any suggestion is acted on."""
    lines = ["**Ask before treating**", ""]
    for number, q in enumerate(result.screening_questions, 1):
        yes = f"record {', '.join(q.findings)}" if q.findings else "refer to a physician"
        if q.diagnosis is not None:
            yes = f"record the diagnosis {q.diagnosis}"
        waiting = f" Waiting for the answer: {', '.join(q.holds)}." if q.holds else ""
        lines.append(
            f"{number}. {markdown(q.question)} (rule `{q.rule}`)  \n   {markdown(q.why)} If yes: {yes}.{waiting}"
        )
    count = len(result.screening_questions)
    return _card(
        result,
        f"Ask {count} screening question{'s' if count > 1 else ''} before treating",
        "warning",
        "\n".join(lines),
        _cited(result, [s for q in result.screening_questions for s in q.sources]),
    )


def to_cds_hooks_cards(result: Recommendation, *, subject: str | None = None) -> list[CdsHooksCard]:
    """The result as HL7 CDS Hooks cards, most urgent first.

    First a card for each safety rule a pack switched off that applies to this
    client, at the indicator that rule's own card would have had (``critical``
    for an urgent referral, else ``warning``); then one card per referral
    (``critical`` when urgent, else ``warning``), one for
    "no massage now" (``warning``), and one for the plan with a suggestion per
    top technique (``warning`` when the plan was adjusted by a pressure cap, an
    avoidance or a referral, ``info`` otherwise). ``subject`` is the FHIR
    reference of the patient (``"Patient/123"``) used in suggested orders.
    """
    cards = [_override_card(result, override) for override in result.safety_overrides]
    cards += [_referral_card(result, referral) for referral in result.referrals]
    if result.screening_questions:
        cards.append(_questions_card(result))
    if result.no_massage is not None:
        nm = result.no_massage
        detail = (
            f"**No massage now** (rule `{nm.rule}`)\n\n{markdown(nm.reason)}\n\nCome back {markdown(nm.come_back)}."
        )
        cards.append(_card(result, f"No massage now: {nm.reason}", "warning", detail, _cited(result, nm.sources)))
    if result.techniques:
        cards.append(_plan_card(result, subject_reference(subject)))
    elif result.outcome == "nothing_suitable":
        summary = "No massage technique in the knowledge base fits this client"
        cards.append(_card(result, summary, "info", _plan_detail(result), []))
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(cards, key=lambda c: order[c["indicator"]])
