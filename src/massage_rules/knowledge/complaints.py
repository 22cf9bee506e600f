"""Complaints beyond their rule: cycles of complaints matching each other, and confirming questions.

A complaint's ``confirm`` names the pattern in which the profile cannot show its
defining feature (a sprint, pain on the first steps in the morning): there the
complaint is not matched from the profile, and its question is asked instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from massage_rules.knowledge import schema as s
from massage_rules.knowledge.checker import Checker, Located
from massage_rules.knowledge.rule import CompiledRule, when_fields, with_answer_parts

__all__ = ["check_confirm", "confirm_rule", "refuse_complaint_cycles"]


def refuse_complaint_cycles(conditions: Mapping[str, Located], checker: Checker) -> None:
    """Report every complaint that matches through itself: a cycle could only ever fire by a named diagnosis.

    Firing is a fixed point over complaints matched through complaints; a cycle
    is almost always a slip, and it would leave each of its complaints silently
    unmatchable from the profile. Reported once per cycle, at its first complaint.
    """
    needs = {
        ident: sorted(set(item.value.match.conditions or ()) & conditions.keys())
        for ident, item in conditions.items()
        if item.value.match is not None
    }
    reported: set[frozenset[str]] = set()
    for start in sorted(needs):
        path = [start]
        stack = [iter(needs[start])]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                path.pop()
            elif step == start:
                cycle = frozenset(path)
                if cycle not in reported:
                    reported.add(cycle)
                    item = conditions[start]
                    where = Located(None, item.file, item.data, (*item.loc, "match", "conditions")).where()
                    loop = " -> ".join([*path, start])
                    checker.error(where, f"complaints match each other in a cycle ({loop}); break it", start)
            elif step not in path and step in needs:
                path.append(step)
                stack.append(iter(needs[step]))


def check_confirm(
    item: Located,
    ident: str,
    checker: Checker,
    check_when: Callable[..., None],
    techniques: Mapping[str, Located],
) -> None:
    """A complaint's ``confirm`` waits on a profile match, tests only the profile, and holds known techniques."""
    cond: s.Condition = item.value
    confirm = cond.confirm
    if confirm is None:
        return
    if cond.match is None:
        checker.error(item.where(), "'confirm' needs a 'match': only a profile match can wait for it", ident)
    if confirm.when is not None:
        check_when(item, ident, confirm.when, "confirm", "when")
        if confirm.when.conditions:
            checker.error(item.where(), "'confirm.when' may not name complaints", ident)
    for i, tech_id in enumerate(confirm.hold if confirm.hold != "all" else ()):
        checker.ref(item, ident, "technique", tech_id, techniques, "confirm", "hold", i)


def confirm_rule(cond: s.Condition, at: str) -> CompiledRule | None:
    """A complaint's confirming question as a rule that asks: its ``when`` is when the question is needed."""
    confirm = cond.confirm
    if confirm is None:
        return None
    fields = when_fields(confirm.when) if confirm.when is not None else {}
    return with_answer_parts(
        CompiledRule(
            id=f"{cond.id}.confirm",
            text=confirm.text,
            sources=tuple(cond.sources),
            origin=at,
            kind="confirm",
            effect_label="score",
            label=cond.name,
            ask=s.Ask.model_construct(question=confirm.question, findings=[], hold=confirm.hold, where="problem_areas"),
            **fields,
        )
    )
