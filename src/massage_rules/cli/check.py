"""``massage-rules check FILE...``: every problem in knowledge files, as ``file:line:column: message``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``check`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="validate knowledge files and list every problem, worst first",
        description="Validate knowledge files: the bundled base plus the clinic files given (or the files alone "
        "with --alone). Every problem is listed as file:line:column: severity: message, worst first. "
        "Exit 0 when there is no error (warnings allowed), 1 when there is any error.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="a knowledge file (a clinic pack) to check")
    parser.add_argument("--alone", action="store_true", help="check the files without the bundled base")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (schema_version 1)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from massage_rules.authoring.check import check_knowledge, format_problem

    if args.alone and not args.files:
        print("massage-rules check: --alone needs at least one FILE", file=sys.stderr)
        return 2
    report = check_knowledge(args.files, bundled=not args.alone)
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        for problem in report.problems:
            print(format_problem(problem))
        files = len(report.files)
        print(
            f"{report.errors} error(s), {report.warnings} warning(s) in {files} file(s)",
            file=sys.stderr,
        )
    return 0 if report.ok else 1
