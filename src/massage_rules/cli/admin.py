"""The ``massage-rules`` command: tools for knowledge authors and integrators.

Each subcommand lives in its own module exposing ``register(subparsers)``, which
adds its parser and sets ``func`` (``args -> exit code``). Add a subcommand by
adding its module to ``SUBCOMMANDS``; modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

# (name, module): the module is imported when the parser is built.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("check", "massage_rules.cli.check"),
    ("course", "massage_rules.cli.course"),
    ("explain", "massage_rules.cli.explain"),
    ("list", "massage_rules.cli.list"),
    ("schema", "massage_rules.cli.schema"),
    ("verify", "massage_rules.cli.verify"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser with every registered subcommand."""
    from massage_rules.cli.suggest import _version

    parser = _Parser(prog="massage-rules", description="Tools for massage_rules knowledge authors and integrators.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for _name, module in SUBCOMMANDS:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``massage-rules``; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    code: int = func(args)
    return code


def run() -> NoReturn:  # pragma: no cover - the console-script entry point
    """Console-script entry point: an unexpected exception is one line and exit 3, as for ``suggest``."""
    from massage_rules.cli.suggest import guarded

    sys.exit(guarded("massage-rules", main))
