"""``verify``: walk the profile space of a knowledge base and report gaps, unsafe answers and rule defects.

(The argument for why the walk covers the space is written out below, once the code settles.)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from massage_rules.authoring.verify.checks import rule_findings
from massage_rules.authoring.verify.findings import Findings, findings_rules
from massage_rules.authoring.verify.judge import Part
from massage_rules.authoring.verify.oracle import unsafe_offers
from massage_rules.authoring.verify.parts import walk_core, walk_diagnoses, walk_findings
from massage_rules.authoring.verify.report import WARNING_KINDS, Notebook, VerifyFinding, VerifyReport
from massage_rules.authoring.verify.space import Space
from massage_rules.authoring.verify.walk import Progress, Walk
from massage_rules.knowledge.load import KnowledgeBase, default_knowledge

__all__ = ["WARNING_KINDS", "Progress", "VerifyFinding", "VerifyReport", "unsafe_offers", "verify_knowledge"]

PARTS = ("core", "findings", "diagnoses", "rules")


def verify_knowledge(
    knowledge: KnowledgeBase | None = None,
    *,
    max_examples: int = 5,
    progress: Callable[[Progress], None] | None = None,
) -> VerifyReport:
    """Walk the profile space of ``knowledge`` (bundled by default) and report what is wrong with it.

    Errors (the report is not ``ok``): gaps, unsafe answers, more severity giving
    fewer sessions, dead rules, contradictions. Warnings: scores always shadowed,
    safety rules switched off. ``progress``, when given, is called as the walk
    goes (at most ten times a second) with where it is.
    """
    kb = knowledge if knowledge is not None else default_knowledge()
    started = time.perf_counter()
    notes = Notebook(kb, max_examples)
    walk = Walk(kb, notes, progress, len(PARTS))
    space = Space(kb, kb.rules, walk.gating)
    parts: dict[str, int] = {}

    core = Part(walk, 1, PARTS[0], space.reading)
    walk_core(space, core)
    parts["core: every area set x causes x timing x severity x goals"] = core.walked

    findings = Part(walk, 2, PARTS[1], space.reading, plan=False)
    settled = walk_findings(Space(kb, findings_rules(kb.rules), walk.gating), findings, Findings(kb))
    parts["findings: single areas x findings (1-2, tied or not) x causes x timing x severity x goals"] = findings.walked

    diagnoses = Part(walk, 3, PARTS[2], space.reading)
    walk_diagnoses(space, diagnoses)
    parts["diagnoses: each diagnosis x every area set x timing x severity x goals"] = diagnoses.walked

    walk.progress(4, PARTS[3], 0.0)
    before = walk.walked
    rule_findings(walk)
    parts["rules: smaller goal sets walked to tell two rules apart"] = walk.walked - before
    walk.progress(4, PARTS[3], 1.0)
    errors, warnings = notes.split()
    return VerifyReport(
        knowledge_version=kb.version,
        content_hash=kb.content_hash,
        ok=not errors,
        errors=errors,
        warnings=warnings,
        profiles_walked=walk.walked,
        profiles_represented=walk.represented,
        engine_calls=walk.engine_calls,
        pairs_settled=settled,
        parts=parts,
        classes={
            "causes": [str(c.cause) for c in space.causes],
            "severity": [f"{a}-{b}" for a, b in space.severities],
            "timing": [f"{t.phase}: {t.label}" for t in space.timings],
            "area sizes": [f"{a}-{b}" if a != b else str(a) for a, b in space.sizes],
        },
        seconds=round(time.perf_counter() - started, 3),
        situations=walk.situations,
    )
