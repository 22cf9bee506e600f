"""Pain charts: a terminal chart that reads in plain ASCII, and a well-formed SVG."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from massage_rules.course.chart import goal_pain, pain_chart_svg, pain_chart_text
from massage_rules.course.progress import SessionRecord

SESSIONS = [
    SessionRecord(date=dt.date(2026, 3, 2), pain_before=7, pain_after=4),
    SessionRecord(date=dt.date(2026, 3, 9), pain_before=5, pain_after=3),
]


def test_goal_is_two_points_or_thirty_percent_whichever_is_smaller() -> None:
    """The goal line sits at the first pain that already counts as a meaningful change."""
    assert goal_pain(7, 2, 30) == 5
    assert goal_pain(3, 2, 30) == 2
    assert goal_pain(10, 2, 30) == 8
    assert goal_pain(0, 2, 30) == 0


def test_text_chart() -> None:
    """One ASCII line per session with bars for pain before and after, and a star at or below the goal."""
    assert pain_chart_text(SESSIONS, 5) == (
        "Pain over time (0-10): # before the session, o after it; * = started at or below the goal of 5/10\n"
        "   #  date        before           after\n"
        "   1  2026-03-02   7 #######        4 oooo\n"
        "   2  2026-03-09   5 #####          3 ooo        *\n"
    )
    assert pain_chart_text([], None) == "No sessions recorded yet.\n"
    assert pain_chart_text(SESSIONS, None).isascii()


def test_svg_is_well_formed_and_escaped() -> None:
    """The SVG parses as XML, has one point per session and measure, and escapes its title."""
    svg = pain_chart_svg(SESSIONS, 5, "Anna <& Co>")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert len(root.findall(f"{ns}polyline")) == 2
    assert len(root.findall(f"{ns}circle")) == 2 * len(SESSIONS) + 2  # plus two legend dots
    assert root.find(f"{ns}title").text == "Anna <& Co>"  # type: ignore[union-attr]
    assert pain_chart_svg(SESSIONS, 5, "x") == pain_chart_svg(SESSIONS, 5, "x")
