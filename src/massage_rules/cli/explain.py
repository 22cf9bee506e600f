"""``massage-rules explain``: why a technique ranks where it does for a profile, or why it is absent."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from massage_rules.cli.profile_flags import add_profile_flags


def register(subparsers: Any) -> None:
    """Add the ``explain`` subcommand, with the same profile flags as ``suggest``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "explain",
        help="why a technique ranks where it does for a profile, or why it is absent",
        description="Explain one technique for one profile: each reason with its points and source, or what "
        "ruled it out (which rule, where), and the rules that would have scored it with the conditions they "
        "missed. Exit 0 with an answer, 1 for broken knowledge, 2 for a bad profile or technique.",
    )
    parser.add_argument("--technique", required=True, metavar="ID", help="the technique to explain")
    add_profile_flags(parser)
    parser.add_argument(
        "--knowledge", action="append", default=[], metavar="FILE", help="add a clinic pack on top of the base (repeat)"
    )
    parser.add_argument("--json", action="store_true", help="print the explanation as JSON")
    parser.set_defaults(func=_run)


def _short(text: str | None) -> str:
    """``text`` citing a bundled file as ``knowledge/conditions.yaml:606``, not by its installed path."""
    from massage_rules.knowledge.load import bundled_knowledge_paths

    text = text or ""
    for path in bundled_knowledge_paths():
        text = text.replace(f"{path}:", f"knowledge/{path.name}:")
    return text


def _run(args: argparse.Namespace) -> int:
    from massage_rules.cli.profile_flags import profile_from_args
    from massage_rules.engine.explain import explain
    from massage_rules.errors import KnowledgeError, ProfileError
    from massage_rules.knowledge.load import default_knowledge, load_knowledge

    try:
        kb = load_knowledge(args.knowledge) if args.knowledge else default_knowledge()
    except KnowledgeError as exc:
        print(f"massage-rules explain: broken knowledge: {exc}", file=sys.stderr)
        return 1
    try:
        profile = profile_from_args(args, kb)
        if profile is None:
            print("massage-rules explain: no profile given: use --profile FILE or --area, --goal ...", file=sys.stderr)
            return 2
        answer = explain(profile, args.technique, kb)
    except ProfileError as exc:
        print(f"massage-rules explain: {exc}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
        return 0
    print(_short(answer.summary))
    if answer.reasons:
        print("points:")
        for reason in answer.reasons:
            print(f"  {reason.points:+g}  {reason.label} [{reason.rule}] {reason.text} ({', '.join(reason.sources)})")
    if answer.obstacles:
        print("ruled out or limited by:")
        for ob in answer.obstacles:
            where = f" on {ob.area}" if ob.area else ""
            rule = f" [{ob.rule}, {_short(ob.origin)}]" if ob.rule else ""
            print(f"  {ob.kind}{where}: {ob.text}{rule}")
    if answer.unmet:
        print("rules that would have given points, and what they missed:")
        for unmet in answer.unmet:
            print(f"  {unmet.points:+g} [{unmet.rule}, {_short(unmet.origin)}]: {'; '.join(unmet.unmet)}")
    return 0
