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
from .errors import KnowledgeError, MassageRulesError, Problem, ProfileError
from .models import (
    Avoidance,
    BillingUnits,
    ClientProfile,
    KnowledgeStamp,
    MatchedCondition,
    NoMassageNow,
    Note,
    PackStamp,
    Plan,
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
    "Avoidance",
    "BillingUnits",
    "ClientProfile",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeStamp",
    "MassageRulesError",
    "MatchedCondition",
    "NoMassageNow",
    "Note",
    "PackStamp",
    "Plan",
    "PlanStep",
    "PressureLimit",
    "Problem",
    "ProfileError",
    "RankedTechnique",
    "Reason",
    "Recommendation",
    "Referral",
    "SourceRef",
    "__version__",
    "billing_units",
    "load_knowledge",
    "recommend",
    "to_cds_hooks_cards",
    "to_fhir_careplan",
]
