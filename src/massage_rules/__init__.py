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

import typing as _typing

from massage_rules.engine.billing import billing_units
from massage_rules.engine.recommend import recommend, recommend_many
from massage_rules.errors import (
    HistoryError,
    KnowledgeError,
    MassageRulesError,
    Problem,
    ProfileError,
    UnsafeAnswerError,
)
from massage_rules.knowledge.load import KnowledgeBase, load_knowledge
from massage_rules.models import (
    AfterCare,
    Avoidance,
    BillingUnits,
    ClientProfile,
    Explanation,
    KnowledgeStamp,
    MatchedCondition,
    MeaningfulChange,
    NoMassageNow,
    Note,
    Obstacle,
    OverrideStamp,
    PackStamp,
    Plan,
    PlanAdvice,
    PlanStep,
    PressureLimit,
    RankedTechnique,
    Reason,
    Recommendation,
    Referral,
    ScreeningQuestion,
    SourceRef,
    UnmetRule,
)

if _typing.TYPE_CHECKING:
    from massage_rules.authoring.check import CheckReport, check_knowledge
    from massage_rules.authoring.verify import VerifyFinding, VerifyReport, verify_knowledge
    from massage_rules.course.history import CourseHistory, add_session, load_history, save_history
    from massage_rules.course.progress import ProgressReview, SessionRecord, review_progress
    from massage_rules.engine.explain import explain
    from massage_rules.engine.profile_rows import ProfileRow, read_profiles
    from massage_rules.output.handout import render_markdown
    from massage_rules.output.interop import CdsHooksCard, FhirCarePlan, to_cds_hooks_cards, to_fhir_careplan
    from massage_rules.output.text import render_text

# Imported on first use, so that `suggest` and `import massage_rules` do not pay for them.
_LAZY = {
    "CheckReport": "authoring.check",
    "check_knowledge": "authoring.check",
    "explain": "engine.explain",
    "VerifyFinding": "authoring.verify",
    "VerifyReport": "authoring.verify",
    "verify_knowledge": "authoring.verify",
    "ProfileRow": "engine.profile_rows",
    "read_profiles": "engine.profile_rows",
    "CourseHistory": "course.history",
    "add_session": "course.history",
    "load_history": "course.history",
    "save_history": "course.history",
    "ProgressReview": "course.progress",
    "SessionRecord": "course.progress",
    "review_progress": "course.progress",
    "render_markdown": "output.handout",
    "render_text": "output.text",
    "CdsHooksCard": "output.interop",
    "FhirCarePlan": "output.interop",
    "to_cds_hooks_cards": "output.interop",
    "to_fhir_careplan": "output.interop",
}


def __getattr__(name: str) -> object:
    """Lazy exports, and ``__version__`` read from the installed metadata only when asked."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("massage-rules")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
            return "0.0.0"
    raise AttributeError(f"module 'massage_rules' has no attribute {name!r}")


__all__ = [
    "AfterCare",
    "Avoidance",
    "BillingUnits",
    "CdsHooksCard",
    "CheckReport",
    "ClientProfile",
    "CourseHistory",
    "Explanation",
    "FhirCarePlan",
    "HistoryError",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeStamp",
    "MassageRulesError",
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
    "Problem",
    "ProfileError",
    "ProfileRow",
    "ProgressReview",
    "RankedTechnique",
    "Reason",
    "Recommendation",
    "Referral",
    "ScreeningQuestion",
    "SessionRecord",
    "SourceRef",
    "UnmetRule",
    "UnsafeAnswerError",
    "VerifyFinding",
    "VerifyReport",
    "__version__",
    "add_session",
    "billing_units",
    "check_knowledge",
    "explain",
    "load_history",
    "load_knowledge",
    "read_profiles",
    "recommend",
    "recommend_many",
    "render_markdown",
    "render_text",
    "review_progress",
    "save_history",
    "to_cds_hooks_cards",
    "to_fhir_careplan",
    "verify_knowledge",
]
