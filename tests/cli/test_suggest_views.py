"""`suggest`'s report and handout flags: --top/--all/--full/--no-color, colour on a terminal, the handout's flags."""

from __future__ import annotations

import io
import re

import pytest

from massage_rules.cli.suggest import main

PROFILE = ["--area", "lower_back", "--severity", "6", "--phase", "chronic", "--goal", "pain_relief", "--goal"]
PROFILE.append("mobility")
RANK_LINE = re.compile(r"^ +=?\d+  [A-Z]", re.MULTILINE)


class _Terminal(io.StringIO):
    """Standard output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _run_on_terminal(monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str]:
    screen = _Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    return main([*PROFILE, *argv]), screen.getvalue()


def test_top_all_and_full(capsys: pytest.CaptureFixture[str]) -> None:
    """--top N shows N techniques, --all and --full show every one, and --top limits --full."""
    counts = {}
    for flags in (["--top", "2"], [], ["--all"], ["--full"], ["--full", "--top", "3"]):
        assert main([*PROFILE, *flags]) == 0
        counts[" ".join(flags)] = len(RANK_LINE.findall(capsys.readouterr().out))
    assert counts == {"--top 2": 2, "": 5, "--all": 15, "--full": 15, "--full --top 3": 3}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--top", "0"], "'0' is not a number of techniques from 1 to 1000"),
        (["--top", "3", "--all"], "argument --all: not allowed with argument --top"),
    ],
)
def test_bad_report_flags_are_usage_errors(flags: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad --top, or --top with --all, exits 2 with one line."""
    with pytest.raises(SystemExit) as caught:
        main([*PROFILE, *flags])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--top", "3", "--json"], "--top is for the text report; --format json prints everything it has"),
        (["--full", "--format", "markdown"], "--full is for the text report; --format markdown prints everything"),
        (["--pick", "swedish"], "--pick is for the handout (--format markdown or html), not --format text"),
        (["--client", "Anna", "--format", "fhir"], "--client is for the handout (--format markdown or html)"),
    ],
)
def test_flags_for_another_format_are_refused(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report flag with a handout format (or the other way round) exits 2 rather than being ignored."""
    assert main([*PROFILE, *flags]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err


def test_view_flags_with_batch_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """--batch writes JSON lines, a summary or CSV: --top has nothing to shorten there."""
    assert main(["--batch", "clients.csv", "--top", "3"]) == 2
    assert "--top is for the text report; --format json" in capsys.readouterr().err


def test_a_ruled_out_pick_is_refused_with_its_reason(capsys: pytest.CaptureFixture[str]) -> None:
    """--pick of a technique the answer rules out exits 2 and says which rule and why."""
    argv = [*PROFILE, "--health", "anticoagulants", "--format", "html", "--pick", "cupping"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("suggest: --pick: 'cupping' is ruled out for this client (anticoagulants_gentle): ")


def test_html_handout(capsys: pytest.CaptureFixture[str]) -> None:
    """--format html prints one page with the client, the therapist, the date and the picks."""
    argv = [*PROFILE, "--format", "html", "--client", "Anna Berg", "--therapist", "Jo Smith", "--date", "2026-03-02"]
    assert main([*argv, "--pick", "swedish"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>")
    assert "<strong>For:</strong> Anna Berg · <strong>Therapist:</strong> Jo Smith · " in page
    assert "<strong>Date:</strong> 2 March 2026" in page
    assert page.count("<li><strong>") == 1


def test_colour_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the top pick is bold; NO_COLOR, TERM=dumb and --no-color switch colour off."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    code, out = _run_on_terminal(monkeypatch)
    assert code == 0
    assert "\x1b[1mMyofascial release\x1b[0m" in out
    assert "\x1b" not in _run_on_terminal(monkeypatch, "--no-color")[1]
    monkeypatch.setenv("TERM", "dumb")
    assert "\x1b" not in _run_on_terminal(monkeypatch)[1]
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in _run_on_terminal(monkeypatch)[1]


def test_no_colour_into_a_pipe_or_file(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Into a file or a pipe there is no escape code, and lines are wrapped at 88 whatever COLUMNS says."""
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main([*PROFILE, "--full"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert max(len(line) for line in out.splitlines()) > 60


def test_wrapped_to_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal, lines are wrapped to its width (COLUMNS here)."""
    monkeypatch.setenv("COLUMNS", "60")
    code, out = _run_on_terminal(monkeypatch, "--full", "--no-color")
    assert code == 0
    assert [line for line in out.splitlines() if len(line) > 60 and " " in line.strip()] == []
