"""The ``massage-rules course`` command: start a course from a profile, add sessions, review progress.

Exit codes: 0 for any answer (a review that says stop is an answer), 1 for broken
knowledge, 2 for bad usage, a bad profile or a bad history file, 4 when a file or
standard output cannot be written (the message says what was saved). No traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from massage_rules.cli.profile_flags import add_profile_flags
from massage_rules.cli.views import parse_date
from massage_rules.output.markup import terminal
from massage_rules.output.text import _wrap

if TYPE_CHECKING:
    from massage_rules.course.history import CourseHistory
    from massage_rules.course.progress import ProgressReview
    from massage_rules.knowledge.load import KnowledgeBase
    from massage_rules.models import Plan, Recommendation

__all__ = ["register", "render_review"]

_STATUS_WORDS = {
    "on_track": "ON TRACK",
    "ahead": "AHEAD",
    "not_responding": "NOT RESPONDING",
    "worsening": "WORSENING",
    "red_flag": "RED FLAG",
}
_ACTION_WORDS = {
    "continue": "continue the plan",
    "discharge": "discharge, or offer maintenance",
    "change_approach": "change the approach or refer",
    "stop_and_refer": "STOP the course and refer",
}


def render_review(review: ProgressReview, history: CourseHistory, plan: Plan, chart: str) -> str:
    """The review as a short text report with the pain chart."""
    out = [_wrap(warning, "!! ") for warning in review.warnings]
    out += [""] if out else []
    out.append(f"Course review: {_STATUS_WORDS[review.status]}: {_ACTION_WORDS[review.action]}")
    if review.sessions_done:
        out.append(
            f"  {review.sessions_done} session(s) since {history.started.isoformat()}; pain at the start "
            f"{review.baseline_pain}/10, now {review.current_pain}/10 ({-review.pain_change:+d} points, "
            f"{-review.pain_change_percent:+g}%)"
        )
    else:
        out.append(f"  no sessions recorded yet; course started {history.started.isoformat()}")
    plan_range = f"{plan.sessions_min}-{plan.sessions_max}"
    left = "none (the plan no longer applies)" if review.sessions_left is None else f"about {review.sessions_left}"
    out.append(
        f"  sessions left: {left} (plan {plan_range}); change expected by session {review.expect_change_by_session}"
    )
    if review.next_check_in is not None:
        out.append(f"  next check-in after session {review.next_check_in}")
    out += _stop_lines(review)
    out.append("")
    out.append(chart.rstrip())
    out.append("")
    out.append("Why")
    for note in review.reasons:
        out.append(_wrap(f"- {note.text} [{note.rule}]", "  ")[2:])
    if review.check_before_next:
        out.append("")
        out.append("Before the next session")
        for note in review.check_before_next:
            out.append(_wrap(f"- {note.text} [{note.rule}]", "  ")[2:])
    if review.sources:
        out.append("")
        out.append("Sources: " + ", ".join(s.id for s in review.sources))
    return terminal("\n".join(out).rstrip() + "\n")


def _pain(value: str) -> int:
    text = value.strip()
    if not text.isdigit() or int(text) > 10:
        raise argparse.ArgumentTypeError(f"'{value}' is not a pain score from 0 to 10")
    return int(text)


def _score(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 10:
        raise argparse.ArgumentTypeError(f"'{value}' is not a score from 0 to 10")
    return number


def register(subparsers: Any) -> None:
    """Add ``course`` and its ``start``, ``add`` and ``review`` subcommands."""
    course = subparsers.add_parser(
        "course",
        help="carry a client through a course: start it, add sessions, review progress",
        description="Carry a client through a course of sessions, kept in a plain YAML or JSON file.",
        epilog=textwrap.dedent(
            """\
            examples:
              massage-rules course start --profile client.yaml --out anna.yaml
              massage-rules course start --area neck --severity 5 --phase acute --goal pain_relief --out bo.yaml
              massage-rules course add anna.yaml --date 2026-03-14 --pain-before 7 --pain-after 4
              massage-rules course review anna.yaml --svg anna.svg

            exit codes: 0 an answer (including "stop and refer"), 1 broken knowledge, 2 bad usage or input,
                        4 a file or standard output cannot be written (the message says what was saved)
            """
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = course.add_subparsers(dest="course_command", metavar="ACTION", parser_class=type(course))
    knowledge_help = "add a clinic's knowledge file on top of the bundled base (repeat)"

    start = actions.add_parser(
        "start",
        help="start a course from a client profile",
        description="Start a course: the profile from --profile FILE and/or the same flags as suggest.",
    )
    add_profile_flags(start)
    start.add_argument("--out", required=True, metavar="FILE", help="the history file to create (.yaml or .json)")
    start.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="the day it starts (default: today)")
    start.add_argument("--force", action="store_true", help="replace the history file if it exists")
    start.add_argument("--knowledge", action="append", default=[], metavar="FILE", help=knowledge_help)
    start.set_defaults(func=_start)

    add = actions.add_parser("add", help="add a session to a history file")
    add.add_argument("history", metavar="HISTORY", help="the history file")
    add.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="the day of the session (default: today)")
    add.add_argument("--pain-before", type=_pain, required=True, metavar="0-10", help="pain at the start")
    add.add_argument("--pain-after", type=_pain, required=True, metavar="0-10", help="pain at the end")
    add.add_argument("--function", type=_score, metavar="0-10", help="a function score, e.g. the mean PSFS")
    add.add_argument("--adverse", metavar="TEXT", help="an adverse reaction since the last session")
    add.add_argument("--health", action="append", default=[], metavar="FINDING", help="a new health finding (repeat)")
    add.add_argument("--notes", metavar="TEXT", help="free notes")
    add.add_argument("--knowledge", action="append", default=[], metavar="FILE", help=knowledge_help)
    add.set_defaults(func=_add)

    review = actions.add_parser("review", help="review progress, with a pain chart")
    review.add_argument("history", metavar="HISTORY", help="the history file")
    review.add_argument("--json", action="store_true", help="print the review as JSON")
    review.add_argument("--svg", metavar="FILE", help="also write the pain chart as SVG (a new file)")
    review.add_argument("--force", action="store_true", help="replace the SVG file if it exists")
    review.add_argument("--knowledge", action="append", default=[], metavar="FILE", help=knowledge_help)
    review.set_defaults(func=_review)

    course.set_defaults(func=lambda args: _usage(course))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _fail(code: int, message: str) -> int:
    print(f"massage-rules course: {message}", file=sys.stderr)
    return code


def _write(text: str) -> None:
    """Print ``text`` now; under ``guarded`` a failure raises ``OutputError`` (or ``ReaderLeftError``)."""
    sys.stdout.write(text)
    sys.stdout.flush()


def _report(text: str, done: str) -> int:
    """Print the report of something already saved; if it cannot be printed, say that ``done`` was done: exit 4."""
    from massage_rules.cli.streams import EXIT_OUTPUT, OutputError, discard_stdout

    try:
        _write(text)
    except OutputError as exc:
        discard_stdout()
        return _fail(EXIT_OUTPUT, f"{done}; the report could not be written: {exc.reason}")
    return 0


def _knowledge(args: argparse.Namespace) -> KnowledgeBase:
    from massage_rules.knowledge.load import default_knowledge, load_knowledge

    return load_knowledge(args.knowledge) if args.knowledge else default_knowledge()


def _guarded(action: Any, args: argparse.Namespace) -> int:
    from massage_rules.cli.streams import EXIT_OUTPUT, OutputError, discard_stdout
    from massage_rules.course.files import HistoryWriteError
    from massage_rules.errors import HistoryError, KnowledgeError, ProfileError

    try:
        knowledge = _knowledge(args)
    except KnowledgeError as exc:
        return _fail(1, f"broken knowledge: {exc}")
    try:
        code: int = action(args, knowledge)
    except KnowledgeError as exc:
        return _fail(1, f"broken knowledge: {exc}")
    except ProfileError as exc:
        return _fail(2, f"bad profile: {exc}")
    except HistoryWriteError as exc:
        return _fail(EXIT_OUTPUT, f"nothing was saved: {exc}")
    except HistoryError as exc:
        return _fail(2, f"bad history: {exc}")
    except OutputError as exc:  # nothing was saved before this output
        discard_stdout()
        return _fail(EXIT_OUTPUT, f"cannot write to standard output: {exc.reason}")
    return code


def _start(args: argparse.Namespace) -> int:
    return _guarded(_do_start, args)


def _add(args: argparse.Namespace) -> int:
    return _guarded(_do_add, args)


def _review(args: argparse.Namespace) -> int:
    return _guarded(_do_review, args)


def _do_start(args: argparse.Namespace, knowledge: KnowledgeBase) -> int:
    from massage_rules.cli.profile_flags import profile_from_args
    from massage_rules.cli.views import width_for
    from massage_rules.course.files import check_writable, history_lock, output_problem
    from massage_rules.course.history import CourseHistory, save_history
    from massage_rules.engine.recommend import recommend
    from massage_rules.output.text import render_text

    out = Path(args.out)
    today = dt.date.today()
    started = args.date or today
    if started > today:
        return _fail(2, f"--date {started.isoformat()} is after today ({today.isoformat()}); a course starts by today")
    protect = [args.profile] if args.profile else []
    problem = output_problem(out, force=args.force, protect=protect)
    if problem:
        return _fail(2, problem)
    profile = profile_from_args(args, knowledge)
    if profile is None:
        return _fail(2, "no profile given: use --profile FILE, or --area, --severity, --phase, --goal ...")
    result = recommend(profile, knowledge)
    report = render_text(result, knowledge=knowledge, width=width_for(sys.stdout), answers="flags")
    if result.plan is None:
        _write(report + "\nNo course started: this answer has no plan.\n")
        return 0
    history = CourseHistory(
        started=started,
        knowledge={"version": knowledge.version, "content_hash": knowledge.content_hash},
        profile=profile,
    )
    with history_lock(out) as target:
        problem = output_problem(out, force=args.force, protect=protect)  # again, now that we hold the lock
        if problem:
            return _fail(2, problem)
        check_writable(out, target)
        save_history(history, out, exclusive=not args.force)
    return _report(
        report + f"\nCourse started in {out}; add sessions with `massage-rules course add {out}`.\n",
        f"the course was started in {out}",
    )


def _do_add(args: argparse.Namespace, knowledge: KnowledgeBase) -> int:
    from massage_rules.course.history import add_session, change_history
    from massage_rules.course.progress import review_progress
    from massage_rules.course.records import check_findings, session_record
    from massage_rules.errors import HistoryError

    fields: dict[str, Any] = {
        "date": args.date or dt.date.today(),
        "pain_before": args.pain_before,
        "pain_after": args.pain_after,
        "function": args.function,
        "adverse_reaction": args.adverse,
        "health": args.health,
        "notes": args.notes,
    }
    record = session_record({k: v for k, v in fields.items() if v is not None})
    try:
        check_findings([record], knowledge)
    except HistoryError as exc:
        raise HistoryError(exc.reason, field="--health") from None
    results: list[Recommendation] = []

    def change(history: CourseHistory) -> CourseHistory:
        updated = add_session(history, record)
        # Before saving: a stored profile the current knowledge refuses saves nothing.
        results.append(_recommendation(updated, knowledge))
        return updated

    updated = change_history(args.history, change, knowledge)
    result = results[0]
    line = f"Session {len(updated.sessions)} ({record.date.isoformat()}) added to {args.history}."
    saved = f"the session was saved to {args.history}"
    if result.plan is None:
        return _report(line + "\n", saved)
    review = review_progress(result, updated.sessions, knowledge)
    summary = f"{_STATUS_WORDS[review.status]}: {_ACTION_WORDS[review.action]}"
    loud = "".join(_wrap(warning, "!! ") + "\n" for warning in review.warnings)
    report = f"{loud}{line}\n{summary}\n{_why_stop(review)}(see `massage-rules course review {args.history}`)\n"
    return _report(report, saved)


def _stop_lines(review: ProgressReview) -> list[str]:
    """The review's referral and its "no massage now", each on its own wrapped line (none when it has neither)."""
    out = []
    if review.referral is not None:
        tag = "URGENT REFERRAL" if review.referral.urgency == "urgent" else "REFERRAL"
        out.append(_wrap(f"{tag} [{review.referral.rule}]: {review.referral.reason}", "  "))
    if review.no_massage is not None:
        nm = review.no_massage
        out.append(_wrap(f"NO MASSAGE NOW [{nm.rule}]: {nm.reason} Come back {nm.come_back}.", "  "))
    return out


def _why_stop(review: ProgressReview) -> str:
    """The lines that say why a course must stop (the referral, the reason massage is ruled out); else nothing."""
    if review.action != "stop_and_refer":
        return ""
    out = _stop_lines(review)
    if not out and review.reasons:
        out.append(_wrap(f"{review.reasons[0].text} [{review.reasons[0].rule}]", "  "))
    return "".join(line + "\n" for line in out)


def _recommendation(history: CourseHistory, knowledge: KnowledgeBase) -> Recommendation:
    from massage_rules.engine.recommend import recommend

    stamp = history.knowledge.get("content_hash")
    if stamp and stamp != knowledge.content_hash:
        print(
            "massage-rules course: note: the knowledge has changed since this course started; "
            "the plan is recomputed with the current knowledge",
            file=sys.stderr,
        )
    return recommend(history.profile, knowledge)


def _do_review(args: argparse.Namespace, knowledge: KnowledgeBase) -> int:
    from massage_rules.course.chart import goal_pain, pain_chart_svg, pain_chart_text
    from massage_rules.course.history import load_history
    from massage_rules.course.progress import review_progress
    from massage_rules.output.text import render_text

    history = load_history(args.history, knowledge)
    result = _recommendation(history, knowledge)
    if result.plan is None:
        _write(
            render_text(result, knowledge=knowledge)
            + "\nThis profile now gets no plan, so there is no course to review.\n"
        )
        return 0
    review = review_progress(result, history.sessions, knowledge)
    mc = result.plan.meaningful_change
    goal = None
    if review.baseline_pain is not None and mc is not None:
        goal = goal_pain(review.baseline_pain, mc.pain_points, mc.pain_percent)
    if args.svg:
        title = f"Pain over the course started {history.started.isoformat()}"
        written = _write_chart(args, pain_chart_svg(history.sessions, goal, title))
        if written is not None:
            return written
    if args.json:
        text = review.model_dump_json(indent=2) + "\n"
    else:
        text = render_review(review, history, result.plan, pain_chart_text(history.sessions, goal))
    if args.svg:
        return _report(text, f"the chart was written to {args.svg}")
    _write(text)
    return 0


def _write_chart(args: argparse.Namespace, svg: str) -> int | None:
    """Write the SVG chart as a new file (or over one with --force): never the history, a device or a folder.

    None when written, else the exit code: 2 when refused, 4 when the file cannot be written.
    """
    from massage_rules.cli.streams import EXIT_OUTPUT
    from massage_rules.course.files import output_problem, write_atomic

    problem = output_problem(args.svg, force=args.force, protect=[args.history])
    if problem:
        return _fail(2, f"no chart written: {problem}")
    try:
        write_atomic(args.svg, svg, exclusive=not args.force)
    except FileExistsError:
        return _fail(2, f"no chart written: {args.svg} already exists; use --force to replace it")
    except OSError as exc:
        return _fail(EXIT_OUTPUT, f"cannot write the chart to {args.svg}: {exc.strerror or exc}")
    return None
