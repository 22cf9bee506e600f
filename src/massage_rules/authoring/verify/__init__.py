"""``verify``: walk the profile space of a knowledge base and report gaps, unsafe answers and rule defects.

The walk reasons instead of grinding: it visits one profile per *cell*, a set of
profiles that the rules cannot tell apart, and runs the engine once per
*situation*, a set of cells whose answers differ only in points. Three facts
make that exhaustive; ``docs/authoring.md`` says the same for authors.

**Cells** (``cells``). A rule sees a profile only through its conditions, and
:func:`fire` decides each rule from those conditions alone (to a fixed point
over complaints). So, per dimension, values every condition treats alike are
one value: causes that the same rules name (in ``causes`` or ``causes_not``);
severities, and days since onset, cut at every end of every rule's window (days
of one phase holding the same windows are one class, with "the phase given
alone"); and area sets. The patterns that imply findings and the plan
modifiers' conditions cut the space as rules do, and so do the severity bands
and the body regions a plan counts (``space.plan_regions``). The walk gives no
age: rules on age never fire in it. Which rules
fire depends on the area *set* only through ``areas`` conditions, which are
"any of" (a set meets a list when one of its areas is on it), and ``area_count``
windows. So two area sets that meet the same lists and whose sizes fall in the
same piece of the windows fire the same rules, whatever their size: one set
stands for the class, three or more areas included. The classes come from the
atoms (the areas on exactly the same lists): a set meets the lists of the
atoms it touches, and touching an atom with more of its areas changes only its
size.

**What an answer reads** (``space.Reading``). Besides the fired rules, the
engine reads the phase (the default dose), the named diagnoses (which dose
wins), the areas findings are tied to (restrictions scoped to them), and the
areas only to place techniques: a technique goes on its own areas among the
profile's, less the areas a restriction covers; a whole-body area among them
makes the session pass over every area (caps apply, covered areas are skipped);
an answer with nothing to offer turns to "no massage" when restrictions cover
every area. Restrictions on the problem areas cover all of them, so an answer
reads of the areas only which *answer lists* they meet: each technique's areas,
cut by the whole-body areas and the tied findings' areas. Those lists are part
of an area class's signature, so every profile of a cell gets the same offer,
top pressures, referral, stop and plan (``tests/property/test_verify_cells.py``
holds random profiles to their cell's walked profile).

**Situations** (``judge``). A profile's situation is its fired *structural*
rules (those that restrict, refer, stop, set or move the dose, or take points
away), the answer lists its areas meet, its phase, diagnoses and tied findings.
Profiles of one situation differ only in rules that add points. The engine runs
on each largest fired set of a situation; any other has the same restrictions
on the same placements and fewer points, so its offer is read from that answer
(a technique stays offered while its own fired rules' points add up to more
than 0, as ranking does), and so are its referral and stop. What only the plan
reads (the severity band, goals that a short block or no course needs, the plan
modifiers that hold, the regions the offer reaches) is part of the situation
too; profiles that differ only there get the engine's plan for the same offer. Each answer
the engine gives is checked by its own last check (a refusal is *unsafe*) and
by verify's (``oracle``), from the rules :func:`fire` says fire.

**Goals** are grouped by the goal lists of the rules that decide structure (the
structural rules and the complaints their ``conditions`` need). Such a class is
closed under union, so it has a largest set; a smaller one fires a subset of the
largest's rules with the same structural part (goals are "any of"), so its
offer is a subset. The walk visits the largest: an unsafe offer, a shadowed
score, a dose falling with severity or a rule that fires shows there. A gap may
show only for a smaller set, so the smallest sets of the class are walked too,
unless the largest refers, stops, or offers a technique whose points come from
rules that fire for every goal set of the class. Before two rules are said to
fire in the same profiles, the smaller sets set aside are walked when one of
the two depends on goals (``Walk.tell_apart``).

**The parts.** 1, core: every area set, cause, timing, severity and goal set,
without findings or diagnoses. 2, findings (``findings``): every finding, every
pair of findings and every set a rule needs all of, on every single area, in
every cause, timing, severity and goal class (``Space.near``: on one area only
the rules whose ``areas`` hold it can fire, so only they cut causes, days and
severity there); a finding tied away, above, or
to the area (one of each kind stands for its kind); rules that only dose are
set aside (part 1 judges doses). A finding whose rule stops care on it alone is
walked in one cell: every profile with it stops. A pair no rule tests together
is settled from its two singles in a cell when either gets a referral or stop
there, or both keep a technique for every goal set: on one area, a technique
both place the pair places too (restrictions add up, points only add). 3,
diagnoses: each named diagnosis alone, with no cause, on every area set, timing,
severity and goal set.

**Invariants** (``invariants``), checked on each engine answer and each plan verify
asks for: no course at rest with only the no-course goals, a trial's course within
its margin, techniques of equal score ordered by the clinical key and not the id,
every due screening question asked and every technique it holds waiting for it;
along each severity chain a course also rises strictly between two bands (``judge``).

**Not walked**, plainly: findings on two or more areas, three findings unless a
rule needs them together, a diagnosis with a cause or with findings, two
diagnoses, and the safety of settled pairs. Restrictions only add up and points
only add, which is why the parts are expected to show every kind of answer;
verify does not prove it for those profiles.
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

    findings_space = Space(kb, findings_rules(kb.rules), walk.gating, plan=False)
    findings = Part(walk, 2, PARTS[1], findings_space.reading, plan=False)
    settled = walk_findings(findings_space, findings, Findings(kb))
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
            "goals": [
                "every goal set, by the goal lists of the rules that decide structure: the largest of each class, "
                "and its smallest where a gap could hide"
            ],
        },
        seconds=round(time.perf_counter() - started, 3),
        situations=walk.situations,
    )
