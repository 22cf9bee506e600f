"""``massage-rules list``: the ids a profile may use, with their names, synonyms and screening questions.

A therapist or an integrator looks up what to type (``massage-rules list areas``),
or what a word they typed may stand for (``massage-rules list findings diabetis``).
Everything shown comes from the knowledge files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from massage_rules.knowledge.load import KnowledgeBase

__all__ = ["KINDS", "entries", "register"]

# kind -> (heading, where a profile takes the id)
KINDS: Mapping[str, tuple[str, str]] = {
    "areas": ("Body areas", "in `areas`, or after @ in `health` (varicose_veins@calf)"),
    "causes": ("Causes", "in `cause`"),
    "goals": ("Goals", "in `goals`"),
    "phases": ("Healing phases", "in `phase`, or give `days_since_onset`"),
    "findings": ("Health findings", "in `health`; a local one as finding@area"),
    "conditions": ("Conditions (complaints)", "in `conditions`, by id or ICD-10-CM code"),
    "techniques": ("Techniques", "to `massage-rules explain --technique`"),
    "questions": ("Screening questions", "in `cleared` (suggest --cleared ID) once asked and answered no"),
}


def register(subparsers: Any) -> None:
    """Add the ``list`` subcommand."""
    parser = subparsers.add_parser(
        "list",
        help="list the ids a profile may use: areas, causes, goals, phases, findings, conditions, techniques, "
        "questions",
        description="List the ids of one kind in the knowledge, with their names, the synonyms people type "
        "for them, and (for findings) the screening question to ask; 'questions' lists the screening "
        "questions, by the id that --cleared takes. With WORD, list only the entries it "
        "may stand for: an id, a synonym, a whole word of either, or a near spelling. Exit 0 with a list, "
        "1 for broken knowledge, 2 when WORD matches nothing.",
    )
    parser.add_argument("kind", choices=list(KINDS), metavar="KIND", help=f"which ids to list: {', '.join(KINDS)}")
    parser.add_argument(
        "word", nargs="?", metavar="WORD", help="only the entries this word may stand for (back, diabetis, foot)"
    )
    parser.add_argument(
        "--knowledge", action="append", default=[], metavar="FILE", help="add a clinic pack on top of the base (repeat)"
    )
    parser.add_argument("--json", action="store_true", help="print the entries as JSON")
    parser.set_defaults(func=_run)


def entries(kb: KnowledgeBase, kind: str) -> list[dict[str, Any]]:
    """The entries of one kind, in the knowledge's order, as JSON-ready dicts."""
    if kind == "techniques":
        return [
            {
                "id": t.id,
                "name": t.name,
                "cpt": t.cpt,
                "pressure_min": t.pressure.min,
                "pressure_max": t.pressure.max,
                "evidence": t.evidence,
            }
            for t in kb.techniques.values()
        ]
    if kind == "questions":
        from massage_rules.engine.screening import question_rules

        return [
            {
                "id": rule.id,
                "question": rule.ask.question,
                "findings": list(rule.ask.findings),
                "diagnosis": rule.id.removesuffix(".confirm") if rule.kind == "confirm" else None,
            }
            for rule in question_rules(kb)
            if rule.ask is not None
        ]
    if kind == "conditions":
        return [{"id": c.id, "name": c.name, "icd10": list(c.icd10)} for c in kb.conditions.values()]
    if kind == "phases":
        return [{"id": p.id, "name": p.name, "days_max": p.days_max} for p in kb.phases.values()]
    if kind == "findings":
        return [
            {"id": f.id, "name": f.name, "synonyms": list(f.synonyms), "question": f.question, "local": f.local}
            for f in kb.findings.values()
        ]
    table = {"areas": kb.areas, "causes": kb.causes, "goals": kb.goals}[kind]
    return [{"id": e.id, "name": e.name, "synonyms": list(e.synonyms)} for e in table.values()]


def _matching(kb: KnowledgeBase, kind: str, items: list[dict[str, Any]], word: str) -> list[dict[str, Any]]:
    """The entries ``word`` may stand for, best first: the id itself, or what a ProfileError would suggest."""
    from massage_rules.errors import close_matches
    from massage_rules.models.profile import normalise_id

    key = normalise_id(word)
    by_id = {item["id"]: item for item in items}
    if key in by_id:
        return [by_id[key]]
    if kind == "conditions" and word.strip().upper() in kb.icd10_index:
        return [by_id[kb.icd10_index[word.strip().upper()]]]
    synonyms = {item["id"]: item.get("synonyms", ()) for item in items}
    return [by_id[ident] for ident in close_matches(key, by_id, synonyms, limit=10)]


def _text(kind: str, items: list[dict[str, Any]], version: str) -> str:
    heading, where = KINDS[kind]
    width = max(len(item["id"]) for item in items)
    lines = [f"{heading} in knowledge {version}; give the id {where}:"]
    for item in items:
        if kind == "questions":
            lines.extend(_question(item))
            continue
        lines.append(f"  {item['id']:<{width}}  {item['name']}")
        pad = " " * (width + 4)
        if kind == "findings":
            if item["question"]:
                lines.append(f"{pad}ask: {item['question']}")
            if item["local"]:
                lines.append(f"{pad}local: give it as {item['id']}@area")
        if item.get("synonyms"):
            lines.append(f"{pad}also: {', '.join(item['synonyms'])}")
        if kind == "conditions" and item["icd10"]:
            lines.append(f"{pad}ICD-10-CM: {', '.join(item['icd10'])}")
        if kind == "techniques":
            lines.append(f"{pad}CPT {item['cpt']}, pressure {item['pressure_min']}-{item['pressure_max']} of 5")
        if kind == "phases":
            lines.append(f"{pad}" + (f"up to day {item['days_max']}" if item["days_max"] is not None else "after that"))
    if any(item.get("synonyms") for item in items):
        lines.append("('also': other words for an id; a profile error suggests the id, but a profile must give it.)")
    return "\n".join(lines) + "\n"


def _question(item: dict[str, Any]) -> list[str]:
    """One screening question: its id, the question, and what a yes is given as."""
    from massage_rules.output.names import and_list

    if item["diagnosis"] is not None:
        yes = f"the diagnosis {item['diagnosis']} in `conditions`"
    else:
        yes = f"{and_list(item['findings'], 'or')} in `health`" if item["findings"] else "refer to a physician"
    return [f"  {item['id']}", f"      ask: {item['question']}", f"      if yes: {yes}"]


def _run(args: argparse.Namespace) -> int:
    from massage_rules.errors import KnowledgeError
    from massage_rules.knowledge.load import default_knowledge, load_knowledge

    try:
        kb = load_knowledge(args.knowledge) if args.knowledge else default_knowledge()
    except KnowledgeError as exc:
        print(f"massage-rules list: broken knowledge: {exc}", file=sys.stderr)
        return 1
    items = entries(kb, args.kind)
    if args.word is not None:
        items = _matching(kb, args.kind, items, args.word)
        if not items:
            shown = args.word if len(args.word) <= 40 else args.word[:37] + "..."
            print(
                f"massage-rules list: {shown!r} matches none of the {args.kind}; see massage-rules list {args.kind}",
                file=sys.stderr,
            )
            return 2
    if args.json:
        payload = {"kind": args.kind, "knowledge": kb.version, "items": items}
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    else:
        text = _text(args.kind, items, kb.version)
    sys.stdout.write(text)  # a closed, full or broken output is guarded()'s to report (exit 4 or 141)
    sys.stdout.flush()
    return 0
