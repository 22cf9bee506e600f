"""``massage-rules schema``: print the JSON Schema of the knowledge files, the profile or the result."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from massage_rules.output.json_schema import SCHEMA_FILES, SchemaName, schema_text

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``schema`` subcommand."""
    parser = subparsers.add_parser(
        "schema",
        help="print a JSON Schema (knowledge, profile or result)",
        description="Print the JSON Schema (draft 2020-12) of a knowledge file, a client profile or a result. "
        "The same files ship inside the package under massage_rules/schemas/.",
    )
    parser.add_argument("name", choices=list(SCHEMA_FILES), help="which schema to print")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    name: SchemaName = args.name
    sys.stdout.write(schema_text(name))  # `guarded` handles a failure: exit 4 (141: reader left)
    sys.stdout.flush()
    return 0
