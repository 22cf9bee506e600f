"""``massage-rules verify``: walk the profile space and report gaps, unsafe answers and rule defects."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from massage_rules.authoring.verify import Progress


def register(subparsers: Any) -> None:
    """Add the ``verify`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="walk the whole profile space of the knowledge and report what is wrong with it",
        description="Walk every profile class the knowledge can tell apart (see docs/authoring.md) and report "
        "gaps, unsafe answers, more severity giving fewer sessions, dead rules, contradictions (errors) and "
        "scores always shadowed (warnings). Exit 0 when there is no error, 1 otherwise or when the knowledge "
        "is broken.",
    )
    parser.add_argument(
        "--knowledge", action="append", default=[], metavar="FILE", help="add a clinic pack on top of the base (repeat)"
    )
    parser.add_argument("--alone", action="store_true", help="verify the --knowledge files without the bundled base")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--max-examples", type=int, default=5, metavar="N", help="examples kept per kind (default 5)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (schema_version 1)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from massage_rules.authoring.verify import WARNING_KINDS, verify_knowledge
    from massage_rules.errors import KnowledgeError
    from massage_rules.knowledge.load import default_knowledge, load_knowledge

    if args.max_examples < 1:
        print("massage-rules verify: --max-examples must be at least 1", file=sys.stderr)
        return 2
    if args.alone and not args.knowledge:
        print("massage-rules verify: --alone needs at least one --knowledge FILE", file=sys.stderr)
        return 2
    try:
        if args.knowledge:
            kb = load_knowledge(args.knowledge, bundled=not args.alone)
        else:
            kb = default_knowledge()
    except KnowledgeError as exc:
        print(f"massage-rules verify: broken knowledge: {exc}", file=sys.stderr)
        return 1
    line = _ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    try:
        report = verify_knowledge(kb, max_examples=args.max_examples, progress=line)
    finally:
        if line is not None:
            line.clear()
    if args.json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        print(f"knowledge {report.knowledge_version} ({report.content_hash[:12]})")
        print(
            f"walked {report.profiles_walked:,} profiles standing for {report.profiles_represented:,} "
            f"({report.situations:,} situations), {report.engine_calls:,} engine calls, in {report.seconds:.1f} s"
        )
        for part, size in report.parts.items():
            print(f"  {size:>9,}  {part}")
        print(f"  ({report.pairs_settled:,} cells of finding pairs settled from their two singles)")
        for finding in (*report.errors, *report.warnings):
            level = "warning" if finding.kind in WARNING_KINDS else "error"
            where = f"{finding.origin}: " if finding.origin else ""
            times = f" ({finding.count} profiles)" if finding.count > 1 else ""
            print(f"{where}{level}: {finding.kind}: {finding.message}{times}")
            if finding.profile is not None:
                print(f"    profile: {finding.profile}")
            if finding.other_profile is not None:
                print(f"    and:     {finding.other_profile}")
        verdict = "ok" if report.ok else "FAILED"
        print(f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    failed = not report.ok or (args.strict and bool(report.warnings))
    return 1 if failed else 0


class _ProgressLine:
    """One line on a terminal, rewritten in place as verify goes: which part, how far, how many profiles."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = 0

    def __call__(self, progress: Progress) -> None:
        text = (
            f"verify: part {progress.part}/{progress.parts} {progress.name}, "
            f"{progress.done:.0%} ({progress.profiles:,} profiles)"
        )
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        """Wipe the line, so that the report starts on a clean one."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
