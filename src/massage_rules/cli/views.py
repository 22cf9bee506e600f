"""How ``suggest`` shows one answer: the flags of the therapist's report and of the client's handout.

The report (``--format text``) takes ``--top N`` / ``--all``, ``--full`` and
``--no-color``; it is coloured only on a terminal, never when ``NO_COLOR`` is set
(https://no-color.org) or ``TERM=dumb``, and wrapped to the terminal's width. The
handout (``--format markdown`` or ``html``) takes ``--client``, ``--therapist``,
``--date`` and ``--pick``. A flag given with a format it does not apply to is a
usage error, so a script never silently loses it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from massage_rules.knowledge.load import KnowledgeBase
    from massage_rules.models import Recommendation

__all__ = ["HANDOUT_FORMATS", "add_view_flags", "parse_date", "render", "use_color", "view_flag_problem", "width_for"]

HANDOUT_FORMATS = ("markdown", "html")
MAX_WIDTH = 120  # wider lines are hard to read, whatever the terminal


def _top(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of techniques from 1 to 1000")
    return int(text)


def parse_date(value: str) -> dt.date:
    """A ``YYYY-MM-DD`` flag value; anything else is a usage error that says how to write it."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date; write it as YYYY-MM-DD") from None


def _name(value: str) -> str:
    text = " ".join(value.split())
    if not text or len(text) > 100:
        raise argparse.ArgumentTypeError("a name must hold 1 to 100 characters")
    return text


def add_view_flags(parser: argparse.ArgumentParser) -> None:
    """Add the flags of the report and of the handout to ``suggest``'s parser."""
    report = parser.add_argument_group("the therapist's report (--format text)")
    count = report.add_mutually_exclusive_group()
    count.add_argument("--top", type=_top, metavar="N", help="show the N best techniques (default 5)")
    count.add_argument("--all", action="store_true", help="show every technique offered")
    report.add_argument(
        "--full",
        action="store_true",
        help="everything: rule ids, sources, the plan's arithmetic, billing, all after-care (and every technique "
        "unless --top is given)",
    )
    report.add_argument("--no-color", action="store_true", help="no colour or bold, even on a terminal (as NO_COLOR)")
    handout = parser.add_argument_group("the client's handout (--format markdown or html)")
    handout.add_argument("--client", type=_name, metavar="NAME", help="the client's name, printed at the top")
    handout.add_argument("--therapist", type=_name, metavar="NAME", help="the therapist's name, printed at the top")
    handout.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="the date printed (default: today)")
    handout.add_argument(
        "--pick",
        action="append",
        dest="picks",
        metavar="ID",
        help="a technique to describe, by id (repeat; default: the top three offered)",
    )


def view_flag_problem(args: argparse.Namespace, fmt: str) -> str | None:
    """The usage error when a report flag meets a handout format or the other way round; else None."""
    report = [flag for flag, on in (("--top", args.top is not None), ("--all", args.all), ("--full", args.full)) if on]
    handout = [
        flag
        for flag, on in (
            ("--client", args.client is not None),
            ("--therapist", args.therapist is not None),
            ("--date", args.date is not None),
            ("--pick", bool(args.picks)),
        )
        if on
    ]
    if report and fmt != "text":
        return f"{report[0]} is for the text report; --format {fmt} prints everything it has"
    if handout and fmt not in HANDOUT_FORMATS:
        return f"{handout[0]} is for the handout (--format markdown or html), not --format {fmt}"
    return None


def use_color(args: argparse.Namespace, stream: TextIO) -> bool:
    """Colour only on a terminal, and never with --no-color, a non-empty NO_COLOR, or TERM=dumb."""
    if args.no_color or os.environ.get("NO_COLOR", "") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # a closed stream
        return False


def width_for(stream: TextIO) -> int:
    """The terminal's width (at most 120 columns) on a terminal; 88 columns into a file or a pipe."""
    from massage_rules.output.lines import DEFAULT_WIDTH

    isatty = getattr(stream, "isatty", None)
    try:
        on_terminal = bool(isatty and isatty())
    except (OSError, ValueError):
        on_terminal = False
    if not on_terminal:
        return DEFAULT_WIDTH
    return min(MAX_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def render(result: Recommendation, fmt: str, args: argparse.Namespace, knowledge: KnowledgeBase, stream: Any) -> str:
    """The answer in ``fmt``; a bad ``--pick`` raises ProfileError (field ``pick``)."""
    if fmt == "json":
        return str(result.model_dump_json(indent=2)) + "\n"
    if fmt in ("cds-hooks", "fhir"):
        import json

        from massage_rules.output.interop import to_cds_hooks_cards, to_fhir_careplan

        payload = {"cards": to_cds_hooks_cards(result)} if fmt == "cds-hooks" else to_fhir_careplan(result)
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if fmt in HANDOUT_FORMATS:
        from massage_rules.output.handout import render_html, render_markdown

        options: dict[str, Any] = {"picks": args.picks, "client": args.client, "therapist": args.therapist}
        renderer = render_markdown if fmt == "markdown" else render_html
        return renderer(result, knowledge=knowledge, date=args.date, **options)
    from massage_rules.output.text import render_text

    top = args.top if args.top is not None else (None if args.all or args.full else 5)
    return render_text(
        result,
        knowledge=knowledge,
        top=top,
        full=args.full,
        color=use_color(args, stream),
        width=width_for(stream),
        answers="flags",  # the reader is at the command line: "if no: add --cleared RULE"
    )
