"""Public, frozen models: the profile a caller gives and the recommendation it gets.

Every model is immutable and JSON-serialisable; ``model_dump_json()`` uses the
attribute names as keys. The profile checks its own shape on construction and
normalises ids (``"Lower Back"`` becomes ``"lower_back"``); whether a value is
known is checked against a knowledge base by :func:`massage_rules.recommend`.
"""

from massage_rules.models.explanation import Explanation, Obstacle, ObstacleKind as ObstacleKind, UnmetRule
from massage_rules.models.profile import (
    SCHEMA_VERSION as SCHEMA_VERSION,
    ClientProfile,
    Ids as Ids,
    normalise_id as normalise_id,
)
from massage_rules.models.result import (
    AfterCare,
    Avoidance,
    AvoidanceKind as AvoidanceKind,
    BillingUnits,
    KnowledgeStamp,
    MatchedCondition,
    MeaningfulChange,
    NoMassageNow,
    Note,
    Outcome as Outcome,
    OverrideStamp,
    PackStamp,
    Plan,
    PlanAdvice,
    PlanStep,
    PressureLimit,
    RankedTechnique,
    Reason,
    ReasonEffect as ReasonEffect,
    Recommendation,
    Referral,
    SafetyEffect as SafetyEffect,
    ScreeningQuestion,
    SourceRef,
    switched_off_warning,
)

__all__ = [
    "AfterCare",
    "Avoidance",
    "BillingUnits",
    "ClientProfile",
    "Explanation",
    "KnowledgeStamp",
    "MatchedCondition",
    "MeaningfulChange",
    "NoMassageNow",
    "Note",
    "Obstacle",
    "OverrideStamp",
    "PackStamp",
    "Plan",
    "PlanAdvice",
    "PlanStep",
    "PressureLimit",
    "RankedTechnique",
    "Reason",
    "Recommendation",
    "Referral",
    "ScreeningQuestion",
    "SourceRef",
    "UnmetRule",
    "switched_off_warning",
]
