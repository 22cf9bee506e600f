"""The shapes :mod:`massage_rules.output.interop` returns, as TypedDicts: plain dicts at run time, typed for checkers.

Only the parts of HL7 CDS Hooks 2.0 and FHIR R4 that the library fills are
described, each key with the type it always has; a key marked ``NotRequired``
is left out when it would be empty. Keys keep the specifications' spelling
(``isRecommended``, ``resourceType``), so the dicts serialise as they are.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "CdsHooksAction",
    "CdsHooksCard",
    "CdsHooksCoding",
    "CdsHooksLink",
    "CdsHooksSource",
    "CdsHooksSuggestion",
    "FhirActivity",
    "FhirActivityDetail",
    "FhirAnnotation",
    "FhirCarePlan",
    "FhirCodeableConcept",
    "FhirCoding",
    "FhirNarrative",
    "FhirReference",
    "FhirRepeat",
    "FhirServiceRequest",
    "FhirTiming",
]


class FhirCoding(TypedDict):
    """A code in a code system (CPT, ICD-10-CM)."""

    system: str
    code: str
    display: NotRequired[str]


class FhirCodeableConcept(TypedDict, total=False):
    """Codings and, or instead, plain text."""

    coding: list[FhirCoding]
    text: str


class FhirReference(TypedDict, total=False):
    """The patient: a reference such as ``Patient/123`` when given, else a display text."""

    reference: str
    display: str


class FhirAnnotation(TypedDict):
    """A note."""

    text: str


class FhirNarrative(TypedDict):
    """The human-readable XHTML of a resource."""

    status: Literal["generated"]
    div: str


class FhirRepeat(TypedDict):
    """How often and how long: ``count``-``countMax`` sessions, ``frequency`` per ``period`` weeks."""

    count: int
    countMax: int
    frequency: int
    period: int
    periodUnit: Literal["wk"]
    duration: int
    durationUnit: Literal["min"]


class FhirTiming(TypedDict):
    """A schedule."""

    repeat: FhirRepeat


class FhirServiceRequest(TypedDict):
    """A proposed order for one technique, carried by a CDS Hooks suggestion."""

    resourceType: Literal["ServiceRequest"]
    status: Literal["draft"]
    intent: Literal["proposal"]
    code: FhirCodeableConcept
    subject: FhirReference
    note: list[FhirAnnotation]


class FhirActivityDetail(TypedDict):
    """One planned activity: a technique to perform, one not to perform, or a referral."""

    kind: Literal["ServiceRequest"]
    status: Literal["not-started"]
    description: str
    code: NotRequired[FhirCodeableConcept]
    doNotPerform: NotRequired[bool]
    reasonCode: NotRequired[list[FhirCodeableConcept]]
    scheduledTiming: NotRequired[FhirTiming]


class FhirActivity(TypedDict):
    """An activity of a CarePlan."""

    detail: FhirActivityDetail


class FhirCarePlan(TypedDict):
    """A FHIR R4 CarePlan, a ``draft`` ``proposal`` that a therapist confirms."""

    resourceType: Literal["CarePlan"]
    id: str
    status: Literal["draft"]
    intent: Literal["proposal"]
    title: str
    description: str
    subject: FhirReference
    text: FhirNarrative
    activity: NotRequired[list[FhirActivity]]
    note: NotRequired[list[FhirAnnotation]]


class CdsHooksCoding(TypedDict):
    """A coded reason (here: why a clinician may dismiss a card)."""

    system: str
    code: str
    display: str


class CdsHooksLink(TypedDict):
    """A link to a cited source."""

    label: str
    url: str
    type: Literal["absolute", "smart"]


class CdsHooksSource(TypedDict):
    """Where a card comes from: the library and its knowledge version, and the first cited source."""

    label: str
    url: NotRequired[str]


class CdsHooksAction(TypedDict):
    """Create the proposed order."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: FhirServiceRequest


class CdsHooksSuggestion(TypedDict):
    """One technique the clinician may accept, as an order to create."""

    uuid: str
    label: str
    isRecommended: bool
    actions: list[CdsHooksAction]


class CdsHooksCard(TypedDict):
    """A CDS Hooks card: a referral, "no massage now", the plan, or "nothing suitable"."""

    uuid: str
    summary: str
    indicator: Literal["info", "warning", "critical"]
    detail: str
    source: CdsHooksSource
    suggestions: NotRequired[list[CdsHooksSuggestion]]
    selectionBehavior: NotRequired[Literal["at-most-one", "any"]]
    links: NotRequired[list[CdsHooksLink]]
    overrideReasons: list[CdsHooksCoding]
