"""The bundled knowledge passes verify: no gap, nothing unsafe, no dose falling with severity, no dead rule."""

from __future__ import annotations

import massage_rules as mr
from massage_rules.authoring.verify.invariants import INVARIANT_KINDS


def test_bundled_knowledge_verifies(kb: mr.KnowledgeBase) -> None:
    """verify on the bundled base reports no error, none of issue 18's invariants broken among them."""
    report = mr.verify_knowledge(kb)
    assert report.ok, "\n".join(f"{f.kind}: {f.message} {f.profile}" for f in report.errors)
    assert not [f for f in (*report.errors, *report.warnings) if f.kind in INVARIANT_KINDS]
