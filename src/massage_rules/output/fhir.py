"""A recommendation as a FHIR R4 CarePlan, and the pieces CDS Hooks cards share with it.

The CarePlan is a plain JSON-ready dict built only from the result, so the same
result always gives the same output (its id is a UUID5 of the content). Text
from the knowledge is escaped for where it goes (Markdown in annotations, XHTML
in the narrative). A safety rule a pack switched off for this client comes first.
"""

from __future__ import annotations

import html
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Final

from massage_rules._codes import is_icd10_code
from massage_rules.models import Plan, Recommendation
from massage_rules.output.interop_types import (
    FhirActivity,
    FhirActivityDetail,
    FhirAnnotation,
    FhirCarePlan,
    FhirCodeableConcept,
    FhirCoding,
    FhirNarrative,
    FhirReference,
    FhirTiming,
)
from massage_rules.output.markup import markdown

__all__ = [
    "CPT_SYSTEM",
    "ICD10CM_SYSTEM",
    "FhirCarePlan",
    "content_uuid",
    "plan_words",
    "sessions_words",
    "subject_reference",
    "to_fhir_careplan",
]

CPT_SYSTEM: Final = "http://www.ama-assn.org/go/cpt"
ICD10CM_SYSTEM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:massage-rules")


def content_uuid(kind: str, content: Any) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{text}"))


def sessions_words(low: int, high: int) -> str:
    if high == 0:
        return "no course of"
    return f"{low}" if low == high else f"{low}-{high}"


def plan_words(plan: Plan, escape: Callable[[str], str]) -> str:
    """The plan in one sentence; a plan of no course says why (the knowledge's words through ``escape``)."""
    if plan.no_course_reason is not None:
        return f"No course of sessions is planned. {escape(plan.no_course_reason.text)}"
    return (
        f"{sessions_words(plan.sessions_min, plan.sessions_max)} sessions, {plan.sessions_per_week:g} a week, "
        f"{plan.session_minutes} min each; check progress after session {plan.check_in_after_sessions}."
    )


def subject_reference(subject: str | None) -> FhirReference:
    return {"reference": subject} if subject else {"display": "the client"}


def _timing(result: Recommendation) -> FhirTiming | None:
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


def _narrative(result: Recommendation, activities: list[FhirActivity]) -> FhirNarrative:
    """The human-readable XHTML a FHIR resource should carry, so any EHR can show the plan."""
    parts = [
        f"<p><strong>Safety rule {html.escape(o.rule)} is switched off by pack {html.escape(str(o.pack))}: "
        f"{html.escape(o.reason)}</strong></p>"
        for o in result.safety_overrides
    ]
    parts.append(f"<p>Medical massage plan: {html.escape(result.outcome.replace('_', ' '))}.</p>")
    if result.plan is not None:
        parts.append(f"<p>{plan_words(result.plan, html.escape)}</p>")
    if activities:
        items = "".join(f"<li>{html.escape(a['detail']['description'])}</li>" for a in activities)
        parts.append(f"<ul>{items}</ul>")
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{"".join(parts)}</div>'}


def _reason_codes(result: Recommendation) -> list[FhirCodeableConcept]:
    """The client's own ICD-10-CM codes, coded; complaints named by id or inferred, as text only.

    A complaint inferred from the profile is not coded: its codes in the knowledge
    may carry a side or an encounter the client never stated.
    """
    given = [c for c in result.profile.conditions if is_icd10_code(c)]
    names = {code: c.name for c in result.conditions for code in c.icd10}
    reasons: list[FhirCodeableConcept] = []
    for code in given:
        coding: FhirCoding = {"system": ICD10CM_SYSTEM, "code": code}
        if code in names:
            coding["display"] = names[code]
        reasons.append({"coding": [coding]})
    coded = {names[code] for code in given if code in names}
    reasons += [{"text": c.name} for c in result.conditions if c.name not in coded]
    return reasons


def to_fhir_careplan(result: Recommendation, *, subject: str | None = None) -> FhirCarePlan:
    """The result as a FHIR R4 CarePlan (a JSON-ready dict): one activity per offered technique.

    Offered techniques are ``ServiceRequest`` activities coded in CPT, with the
    plan's schedule and the matched ICD-10-CM codes as reasons; techniques ruled
    out everywhere are ``doNotPerform`` activities; a referral is an activity of
    its own. The plan is a ``draft`` ``proposal``: a therapist confirms it.
    """
    reasons = _reason_codes(result)
    timing = _timing(result)
    activities: list[FhirActivity] = []
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
        detail: FhirActivityDetail = {
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
    # Annotation.text is Markdown in FHIR R4: escaped, so that no text becomes markup.
    notes: list[FhirAnnotation] = [
        {"text": markdown(f"Ask before treating: {q.question} ({q.why})")} for q in result.screening_questions
    ]
    notes += [{"text": markdown(n.text)} for n in result.notes]
    notes += [{"text": markdown(w)} for w in result.warnings]
    if result.no_massage is not None:
        nm = result.no_massage
        notes.insert(0, {"text": markdown(f"No massage now: {nm.reason} Come back {nm.come_back}.")})
    notes[:0] = [
        {
            "text": f"**SAFETY RULE SWITCHED OFF** ({markdown(o.rule)}, pack {markdown(str(o.pack))}): "
            f"{markdown(o.reason)}"
        }
        for o in result.safety_overrides
    ]
    plan: FhirCarePlan = {
        "resourceType": "CarePlan",
        "id": "",
        "status": "draft",
        "intent": "proposal",
        "title": "Medical massage plan",
        "description": f"Outcome: {result.outcome}. Knowledge {result.knowledge.version} "
        f"({result.knowledge.content_hash[:12]}).",
        "subject": subject_reference(subject),
        "text": _narrative(result, activities),
    }
    if activities:
        plan["activity"] = activities
    if notes:
        plan["note"] = notes
    plan["id"] = content_uuid("careplan", {k: v for k, v in plan.items() if k != "id"})
    return plan
