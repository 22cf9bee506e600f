"""The ``suggest`` command: a profile from flags or a file in, a recommendation out.

Exit codes: 0 for any answer (a referral is an answer), 1 for broken knowledge,
2 for bad usage or a bad profile, 3 for a bug, 4 when the result cannot be
written. Results go to stdout, diagnostics to stderr, and no traceback ever
reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from massage_rules.cli.profile_flags import add_profile_flags, profile_fields, profile_from_args
from massage_rules.cli.streams import (
    CLOSED,
    EXIT_OUTPUT,
    EXIT_READER_LEFT,
    CheckedStdout,
    OutputError,
    ReaderLeftError,
    discard_stdout,
    say,
)
from massage_rules.cli.views import add_view_flags, render, view_flag_problem

if TYPE_CHECKING:  # imported lazily at run time, so that --help and --version stay instant
    from massage_rules.knowledge.load import KnowledgeBase

FORMATS = ("text", "json", "markdown", "html", "cds-hooks", "fhir")
BATCH_ONLY_FORMATS = ("summary", "csv")  # one line or row per client: for --batch only
EXAMPLES = """\
examples:
  suggest --area lower_back --cause posture --severity 6 --phase chronic --goal pain_relief --goal mobility
  suggest --area ankle_foot --cause sport --days-since-onset 3 --severity 5 \\
          --goal swelling_reduction --health anticoagulants
  suggest --area calf --severity moderate --phase subacute --goal pain_relief --health varicose_veins@calf
  suggest --profile client.yaml          # the same fields in a YAML or JSON file
  suggest --profile client.yaml --json   # the whole result as JSON
  suggest --profile client.yaml --top 3 --full    # the 3 best, with rule ids, sources and billing
  suggest --profile client.yaml --format html --client "Anna Berg" --pick myofascial_release > anna.html
  suggest --batch clients.csv > answers.jsonl   # many profiles: CSV or .jsonl in, JSON lines out
  suggest --batch export.csv --format summary   # one short line per client, with its client_id
  suggest --batch export.csv --format csv --id-column patient_no > answers.csv   # for a spreadsheet

the ids a profile may use, with names, synonyms and screening questions:
  massage-rules list areas|causes|goals|phases|findings|conditions|techniques|questions
  massage-rules list findings diabetis   # what a word may stand for

exit codes: 0 an answer (including a referral), 1 broken knowledge, 2 bad usage or profile,
            3 an internal error (a bug: set MASSAGE_RULES_DEBUG=1 to see the traceback),
            4 the result cannot be written (standard output closed or full);
            141, quietly, when the reader of a pipe leaves before all is written
"""
EXIT_INTERNAL = 3
DEBUG_ENV = "MASSAGE_RULES_DEBUG"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        say(f"{self.prog}: error: {message} (see {self.prog} --help)")
        self.exit(2)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed for documentation and tests."""
    parser = _Parser(
        prog="suggest",
        description="Suggest medical-massage techniques for a client, with reasons, cautions and a plan.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_profile_flags(parser)
    parser.add_argument(
        "--knowledge",
        action="append",
        default=[],
        metavar="FILE",
        help="add a clinic's knowledge file on top of the bundled base (repeat)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS + BATCH_ONLY_FORMATS,
        default=None,
        help="text (for the therapist; the default), json (the whole result), markdown or html (the client's "
        "handout), cds-hooks (a CDS Hooks response with cards) or fhir (a FHIR R4 CarePlan); with --batch: json "
        "(the default), summary (one short JSON line per client) or csv (one row per client)",
    )
    parser.add_argument("--json", action="store_true", help="the same as --format json")
    parser.add_argument(
        "--batch",
        metavar="FILE",
        help="answer every profile in a .csv or .jsonl file (- for JSON lines on stdin), one line each; "
        "columns that are not profile fields are ignored",
    )
    parser.add_argument(
        "--id-column",
        metavar="NAME",
        help="with --batch: the column that holds each client's id, echoed on every output line "
        "(default: client_id, else id, when present)",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    add_view_flags(parser)
    return parser


class _VersionAction(argparse.Action):
    """Print the version; reads package metadata only when asked, since importing that costs start-up time."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        parser.exit(0, f"{parser.prog} {_version()}\n")


def _format(args: argparse.Namespace) -> str:
    if args.json and args.format not in (None, "json"):
        raise SystemExit(_fail(2, f"--json and --format {args.format} disagree; give one"))
    return "json" if args.json else (args.format or "text")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("massage-rules")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _worst(exc: Exception) -> str:
    """The worst problem of a KnowledgeError, and how many more there are, on one line."""
    problems: tuple[object, ...] = getattr(exc, "problems", ())
    if len(problems) <= 1:
        return str(exc)
    return f"{problems[0]} (and {len(problems) - 1} more problems; load_knowledge() lists them all)"


def _fail(code: int, message: str) -> int:
    say(f"suggest: {message}")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``suggest``; return the exit code."""
    args = build_parser().parse_args(argv)
    # Imported here so that --help and --version stay instant.
    from massage_rules.engine.recommend import recommend
    from massage_rules.errors import KnowledgeError, ProfileError
    from massage_rules.knowledge.load import default_knowledge, load_knowledge

    try:
        knowledge = load_knowledge(args.knowledge) if args.knowledge else default_knowledge()
    except KnowledgeError as exc:
        return _fail(1, f"broken knowledge: {_worst(exc)}")
    if args.batch is not None:
        return _batch(args, knowledge)
    if args.id_column is not None or args.format in BATCH_ONLY_FORMATS:
        flag = "--id-column" if args.id_column is not None else f"--format {args.format}"
        return _fail(2, f"{flag} is for --batch; one profile prints text, json, markdown, html, cds-hooks or fhir")
    fmt = _format(args)
    problem = view_flag_problem(args, fmt)
    if problem:
        return _fail(2, problem)
    try:
        profile = profile_from_args(args, knowledge)
        if profile is None:
            return _fail(
                2,
                "no profile given: use --area, --severity, --phase, --goal ... or --profile FILE (see suggest --help)",
            )
        result = recommend(profile, knowledge)
    except ProfileError as exc:
        return _fail(2, f"bad profile: {exc}")
    try:
        text = render(result, fmt, args, knowledge, sys.stdout)
    except ProfileError as exc:  # a --pick the answer does not offer
        return _fail(2, f"--{exc}")
    return _write(text)


def _batch(args: argparse.Namespace, knowledge: KnowledgeBase) -> int:
    """``--batch FILE``: check the flags that go with it, then answer every row."""
    if args.profile or profile_fields(args):
        return _fail(2, "--batch reads every profile from its file; drop --profile and the profile flags")
    if args.json and args.format not in (None, "json"):
        return _fail(2, f"--json and --format {args.format} disagree; give one")
    fmt = args.format or "json"
    if fmt not in ("json", *BATCH_ONLY_FORMATS):
        return _fail(2, f"--batch writes json, summary or csv; --format {fmt} is for one profile")
    problem = view_flag_problem(args, fmt)
    if problem:
        return _fail(2, problem)
    from massage_rules.cli.batch import run_batch

    # A closed, full or broken standard output is guarded()'s to report (exit 4, or 141 for a reader that left).
    return run_batch(args.batch, knowledge, sys.stdout, fmt=fmt, id_column=args.id_column)


def _write(text: str) -> int:
    """Write the result to stdout; ``guarded`` turns a failure into exit 4 (141 when the reader left early)."""
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def guarded(prog: str, entry: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Run a command's ``main``: output failures and bugs become one line on stderr and their exit code.

    Standard output that cannot be written (closed, full, failing) exits
    ``EXIT_OUTPUT`` (4) with the reason; a reader that leaves a pipe early
    (``| head -1``) ends the command quietly with exit 141, as it would ``cat``
    (see :mod:`massage_rules.cli.streams`). Every other expected
    failure has its own message and code already; what reaches here otherwise is
    a bug: exit 3. Set ``MASSAGE_RULES_DEBUG=1`` to get the traceback instead.
    """
    import os

    stdout = sys.stdout
    if stdout is None:  # started with stdout closed (`>&-`): say so before doing anything
        say(f"{prog}: cannot write to standard output: {CLOSED}")
        return EXIT_OUTPUT
    sys.stdout = cast(TextIO, CheckedStdout(stdout))
    try:
        try:
            code = entry(argv)
        except SystemExit:  # argparse's --help, --version and usage errors: their output must reach the reader too
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # buffered output fails here, not in the interpreter's final flush
        return code
    except ReaderLeftError:
        discard_stdout(stdout)
        return EXIT_READER_LEFT
    except OutputError as exc:
        discard_stdout(stdout)
        say(f"{prog}: cannot write to standard output: {exc.reason}")
        return EXIT_OUTPUT
    except KeyboardInterrupt:
        say(f"{prog}: interrupted")
        return 130
    except Exception as exc:
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        detail = (str(exc).splitlines() or [""])[0][:200]
        say(
            f"{prog}: internal error: {type(exc).__name__}: {detail} "
            f"(a bug; please report it, and set {DEBUG_ENV}=1 to see the traceback)"
        )
        return EXIT_INTERNAL
    finally:
        sys.stdout = stdout


def run() -> NoReturn:  # pragma: no cover - the console-script entry point
    """Console-script entry point."""
    sys.exit(guarded("suggest", main))


if __name__ == "__main__":  # python -m massage_rules.cli.suggest: suggest without the console script
    run()
