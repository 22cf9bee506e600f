"""massage_rules: explainable, safety-first medical-massage technique recommendations.

>>> from massage_rules import ClientProfile, recommend
>>> result = recommend(ClientProfile(areas=["lower_back"], cause="posture", severity=6,
...                                  phase="chronic", goals=["pain_relief"]))
>>> result.outcome
'treat'

All clinical knowledge lives in YAML files (see :func:`load_knowledge`); this
package holds only the engine that reads them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._billing import billing_units
from ._engine import recommend
from ._interop import to_cds_hooks_cards, to_fhir_careplan
from ._knowledge import KnowledgeBase, load_knowledge
from ._progress import ProgressReview, SessionRecord, review_progress
from .errors import HistoryError, KnowledgeError, MassageRulesError, Problem, ProfileError
from .models import (
    AfterCare,
    Avoidance,
    BillingUnits,
    ClientProfile,
    KnowledgeStamp,
    MatchedCondition,
    MeaningfulChange,
    NoMassageNow,
    Note,
    PackStamp,
    Plan,
    PlanAdvice,
    PlanStep,
    PressureLimit,
    RankedTechnique,
    Reason,
    Recommendation,
    Referral,
    SourceRef,
)

try:
    __version__ = version("massage-rules")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "AfterCare",
    "Avoidance",
    "BillingUnits",
    "ClientProfile",
    "HistoryError",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeStamp",
    "MassageRulesError",
    "MatchedCondition",
    "MeaningfulChange",
    "NoMassageNow",
    "Note",
    "PackStamp",
    "Plan",
    "PlanAdvice",
    "PlanStep",
    "PressureLimit",
    "Problem",
    "ProfileError",
    "ProgressReview",
    "RankedTechnique",
    "Reason",
    "Recommendation",
    "Referral",
    "SessionRecord",
    "SourceRef",
    "__version__",
    "billing_units",
    "load_knowledge",
    "recommend",
    "review_progress",
    "to_cds_hooks_cards",
    "to_fhir_careplan",
]
