"""The facts of a profile that rules test: its values checked against a knowledge base, as sets and numbers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from massage_rules.models import ClientProfile

__all__ = ["Facts", "tie_findings"]


class Facts(NamedTuple):
    """A profile in the shape rules test. Built by the engine's ``resolve_profile``, never by hand in answers.

    A named tuple: immutable, and built in one step, which matters once per answer.
    """

    profile: ClientProfile  # the profile, its phase filled in from days since onset
    areas: frozenset[str]
    cause: str | None
    phase: str
    severity: int
    days: int | None
    goals: frozenset[str]
    health: frozenset[str]
    health_areas: dict[str, frozenset[str]]  # finding -> the areas it was tied to (empty: none said)
    diagnoses: frozenset[str]  # complaints the client named (by id or ICD-10-CM code)
    code_notes: tuple[str, ...] = ()  # how a client's ICD-10-CM code was read through a broader one
    age: int | None = None  # years, when the profile gives it
    implied: tuple[str, ...] = ()  # findings the profile's own pattern implies, said in words


def tie_findings(entries: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each finding of ``finding@area`` entries, with the areas it was tied to (empty when none was said)."""
    tied: dict[str, set[str]] = {}
    for entry in entries:
        finding, _, area = entry.partition("@")
        areas = tied.setdefault(finding, set())
        if area:
            areas.add(area)
    return {finding: frozenset(areas) for finding, areas in tied.items()}
