"""Why a technique ranks where it does, or why it is absent: the answer of :func:`massage_rules.explain`."""

from __future__ import annotations

from typing import Literal

from massage_rules.models.base import Frozen as _Frozen
from massage_rules.models.result import KnowledgeStamp, Reason

__all__ = ["Explanation", "Obstacle", "ObstacleKind", "UnmetRule"]


ObstacleKind = Literal["stopped", "referred", "forbidden", "not_allowed", "pressure_cap", "not_applicable", "no_points"]


class Obstacle(_Frozen):
    """One reason a technique is not offered, everywhere (``area`` is None) or on one area."""

    kind: ObstacleKind
    rule: str | None
    origin: str | None  # file:line of the rule
    area: str | None
    text: str
    sources: tuple[str, ...] = ()


class UnmetRule(_Frozen):
    """A rule that would have given the technique points, and which of its conditions this profile missed."""

    rule: str
    points: float
    origin: str
    unmet: tuple[str, ...]


class Explanation(_Frozen):
    """Why one technique ranks where it does for a profile, or why it is absent.

    ``reasons`` are the points it got (also when it is not offered), ``obstacles``
    what ruled it out or limited it, ``unmet`` the rules that would have scored it
    and the conditions they missed. ``summary`` says it in one sentence.
    """

    technique: str
    name: str
    offered: bool
    rank: int | None
    score: float
    out_of: int
    areas: tuple[str, ...]
    reasons: tuple[Reason, ...]
    obstacles: tuple[Obstacle, ...]
    unmet: tuple[UnmetRule, ...]
    summary: str
    knowledge: KnowledgeStamp
