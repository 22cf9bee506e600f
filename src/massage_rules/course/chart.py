"""Pain over time: a plain-text chart for a terminal and an SVG for a client record."""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from massage_rules.course.records import SessionRecord

__all__ = ["goal_pain", "pain_chart_svg", "pain_chart_text"]


def goal_pain(baseline: int, points: int, percent: int) -> int:
    """The highest pain that already shows a meaningful change from ``baseline``."""
    needed = min(points, max(1, math.ceil(baseline * percent / 100)))
    return max(0, baseline - needed)


def pain_chart_text(sessions: Sequence[SessionRecord], goal: int | None) -> str:
    """One line per session: pain before (``#``) and after (``o``) as bars on the 0-10 scale.

    Plain ASCII, so it reads the same in any terminal, log or e-mail. A ``*`` marks
    sessions that began at or below ``goal``.
    """
    if not sessions:
        return "No sessions recorded yet.\n"
    legend = "Pain over time (0-10): # before the session, o after it"
    if goal is not None:
        legend += f"; * = started at or below the goal of {goal}/10"
    lines = [legend, "   #  date        before           after"]
    for i, record in enumerate(sessions, start=1):
        before = f"{record.pain_before:>2} {'#' * record.pain_before:<10}"
        after = f"{record.pain_after:>2} {'o' * record.pain_after:<10}"
        mark = " *" if goal is not None and record.pain_before <= goal else ""
        lines.append(f"{i:>4}  {record.date.isoformat()}  {before}    {after}{mark}".rstrip())
    return "\n".join(lines) + "\n"


def pain_chart_svg(sessions: Sequence[SessionRecord], goal: int | None, title: str) -> str:
    """A small, self-contained SVG line chart of pain before and after each session."""
    width, height, left, right, top, bottom = 640, 320, 48, 24, 40, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(1, len(sessions))

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(pain: float) -> float:
        return top + plot_h * (1 - pain / 10)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="20" font-size="14">{escape(title)}</text>',
    ]
    for pain in range(0, 11, 2):
        out.append(f'<line x1="{left}" y1="{y(pain):.1f}" x2="{width - right}" y2="{y(pain):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{y(pain) + 4:.1f}" text-anchor="end">{pain}</text>')
    if goal is not None:
        out.append(
            f'<line x1="{left}" y1="{y(goal):.1f}" x2="{width - right}" y2="{y(goal):.1f}" '
            'stroke="#2a7" stroke-dasharray="6 4"/>'
        )
        out.append(f'<text x="{width - right}" y="{y(goal) - 4:.1f}" text-anchor="end" fill="#2a7">goal</text>')
    for field, colour, dash in (("pain_before", "#c33", ""), ("pain_after", "#36c", ' stroke-dasharray="4 3"')):
        points = " ".join(f"{x(i):.1f},{y(getattr(r, field)):.1f}" for i, r in enumerate(sessions))
        if len(sessions) > 1:
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for i, record in enumerate(sessions):
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(getattr(record, field)):.1f}" r="3.5" fill="{colour}"/>')
    step = max(1, math.ceil(len(sessions) / 8))  # at most about eight date labels
    for i, record in enumerate(sessions):
        if i % step == 0:
            out.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">{record.date.isoformat()}</text>'
            )
    legend_y = height - 14
    out.append(f'<circle cx="{left}" cy="{legend_y - 4}" r="3.5" fill="#c33"/>')
    out.append(f'<text x="{left + 8}" y="{legend_y}">pain before the session</text>')
    out.append(f'<circle cx="{left + 170}" cy="{legend_y - 4}" r="3.5" fill="#36c"/>')
    out.append(f'<text x="{left + 178}" y="{legend_y}">pain after it</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
