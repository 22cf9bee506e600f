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

from ._check import CheckReport, check_knowledge
from ._engine import recommend
from ._explain import explain
from ._knowledge import KnowledgeBase, load_knowledge
from ._verify import VerifyFinding, VerifyReport, verify_knowledge
from .errors import KnowledgeError, MassageRulesError, Problem, ProfileError
from .models import (
    Avoidance,
    ClientProfile,
    Explanation,
    KnowledgeStamp,
    MatchedCondition,
    NoMassageNow,
    Note,
    Obstacle,
    OverrideStamp,
    PackStamp,
    Plan,
    PlanStep,
    PressureLimit,
    RankedTechnique,
    Reason,
    Recommendation,
    Referral,
    SourceRef,
    UnmetRule,
)

try:
    __version__ = version("massage-rules")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "Avoidance",
    "CheckReport",
    "ClientProfile",
    "Explanation",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeStamp",
    "MassageRulesError",
    "MatchedCondition",
    "NoMassageNow",
    "Note",
    "Obstacle",
    "OverrideStamp",
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
    "UnmetRule",
    "VerifyFinding",
    "VerifyReport",
    "__version__",
    "check_knowledge",
    "explain",
    "load_knowledge",
    "recommend",
    "verify_knowledge",
]
