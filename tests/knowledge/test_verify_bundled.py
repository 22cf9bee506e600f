"""The bundled knowledge passes verify: no gap, nothing unsafe, no dose falling with severity, no dead rule."""

from __future__ import annotations

import massage_rules as mr


def test_bundled_knowledge_verifies(kb: mr.KnowledgeBase) -> None:
    """verify on the bundled base reports no error."""
    report = mr.verify_knowledge(kb)
    assert report.ok, "\n".join(f"{f.kind}: {f.message} {f.profile}" for f in report.errors)
