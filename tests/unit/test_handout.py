"""The client's handout, as Markdown and as one HTML page: written to the client, plain words, referrals first."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.output.handout import render_html, render_markdown

KB = mr.load_knowledge()
BASE = {"areas": ["lower_back"], "severity": 6, "phase": "chronic", "goals": ["pain_relief", "mobility"]}
DAY = dt.date(2026, 3, 2)
# A long handout: three areas, three findings that restrict care, every goal that brings after-care.
BUSY = {
    "areas": ["ankle_foot", "calf", "knee"],
    "cause": "sport",
    "severity": 8,
    "days_since_onset": 3,
    "goals": ["swelling_reduction", "pain_relief", "mobility"],
    "health": ["anticoagulants", "varicose_veins@calf", "pregnancy"],
}
ALLOWED_HEADINGS = {
    "Before we start: your therapist will ask you",
    "What we will do",
    "How often",
    "What we will avoid, and why",
    "After a session: what to expect",
    "Looking after yourself",
    "When to stop and call",
}


def _result(**changes: object) -> mr.Recommendation:
    return mr.recommend(mr.ClientProfile(**{**BASE, **changes}), KB)


def test_referral_comes_first_in_plain_words() -> None:
    """An urgent referral opens the handout, under the date, and tells the client not to book massage yet."""
    result = mr.recommend(mr.ClientProfile(**{**BASE, "areas": ["calf"], "health": ["suspected_dvt"]}), KB)
    text = render_markdown(result, date=DAY)
    first = text.split("\n\n")[2]
    assert first.startswith("> **Please see a doctor as soon as possible.**")
    assert first.endswith("Please do not book massage until a doctor has seen you.")
    assert "## What we will do" not in text
    assert "## How often" not in text


def test_the_handout_names_the_client_the_therapist_and_the_date() -> None:
    """--client, --therapist and the date head the handout, written as a person reads a date."""
    text = render_markdown(_result(), client="Anna Berg", therapist="Jo Smith", date=DAY)
    assert text.splitlines()[2] == "**For:** Anna Berg · **Therapist:** Jo Smith · **Date:** 2 March 2026"
    page = render_html(_result(), client="Anna <b>Berg</b>", date=DAY)
    assert "<strong>For:</strong> Anna &lt;b&gt;Berg&lt;/b&gt;" in page


def test_the_handout_speaks_to_the_client_without_codes_ids_or_references() -> None:
    """No rule id, technique id, billing code, score or source id; area and goal names, not ids."""
    result = mr.recommend(mr.ClientProfile(**BUSY), KB)
    for text in (render_markdown(result, date=DAY), render_html(result, date=DAY)):
        assert "your ankle and foot, your calf and your knee" in text
        assert "ankle foot" not in text
        assert "ankle_foot" not in text
        assert re.search(r"\b97\d{3}\b", text) is None
        assert "score" not in text.lower()
        ids = {s.id for s in result.sources} | {a.rule for a in result.avoided} | {t.id for t in result.techniques}
        coded = [i for i in ids if re.search(r"[_\d]", i)]  # "healing" is a source id and a word too
        assert [i for i in coded if i in text.replace("massage\\_rules", "").replace("massage_rules", "")] == []


def test_headings_are_words_for_the_client_not_field_names() -> None:
    """Every section heading is one of the handout's own, never a model field turned into words."""
    text = render_markdown(mr.recommend(mr.ClientProfile(**BUSY), KB), date=DAY)
    headings = set(re.findall(r"^## (.+)$", text, re.MULTILINE))
    assert headings <= ALLOWED_HEADINGS
    assert {"What we will do", "How often", "When to stop and call"} <= headings


def test_the_top_three_are_described_by_default_and_picks_in_the_therapists_order() -> None:
    """Without --pick the top three offered; with picks, exactly those, in the order given."""
    result = _result()
    names = re.findall(r"^- \*\*(.+?):\*\*", render_markdown(result, date=DAY), re.MULTILINE)
    assert names == [t.name for t in result.techniques[:3]]
    picked = render_markdown(result, picks=["Swedish", "myofascial_release", "swedish"], date=DAY)
    assert re.findall(r"^- \*\*(.+?):\*\*", picked, re.MULTILINE) == ["Swedish massage", "Myofascial release"]


def test_a_pick_the_answer_rules_out_is_refused_with_the_reason() -> None:
    """A handout never describes a technique the answer ruled out: the pick is refused, saying why."""
    result = _result(health=["anticoagulants"])
    with pytest.raises(mr.ProfileError) as caught:
        render_markdown(result, picks=["deep_tissue"])
    assert caught.value.field == "pick"
    assert "'deep_tissue' is ruled out for this client (anticoagulants_gentle): Blood thinners" in str(caught.value)
    with pytest.raises(mr.ProfileError, match="did you mean 'myofascial_release'"):
        render_html(result, picks=["myofascial_relase"])


def test_after_care_follows_the_picked_techniques() -> None:
    """After-care tied to a technique appears only when that technique is picked."""
    result = _result()
    drainage = "After drainage, rest with the limb raised"
    assert any(t.id == "lymphatic_drainage" for t in result.techniques)
    assert drainage not in render_markdown(result, date=DAY)
    assert drainage in render_markdown(result, picks=["lymphatic_drainage"], date=DAY)


def test_no_massage_now_gives_no_plan() -> None:
    """A "no massage now" answer says so and when to come back, with no sessions or after-care."""
    text = render_markdown(_result(health=["fever"]), date=DAY)
    assert "> **No massage for now.** Fever means" in text
    assert "## How often" not in text
    assert "## Looking after yourself" not in text


def test_the_html_page_is_self_contained() -> None:
    """One page: no script, link, image, external resource or import; a CSP forbids them; print styles."""
    page = render_html(mr.recommend(mr.ClientProfile(**BUSY), KB), client="Anna", date=DAY)
    assert page.startswith("<!DOCTYPE html>\n")
    for banned in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "http://", "https://"):
        assert banned not in page.lower()
    assert "default-src 'none'" in page
    assert "@media print" in page
    assert page.count("<h1>") == 1


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _pages(pdf: bytes) -> int:
    """The number of pages of a PDF: pdfinfo when installed, else its /Type /Page objects."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo:
        info = subprocess.run([pdfinfo, "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["Letter", "A4"])
@pytest.mark.parametrize("profile", [BASE, BUSY], ids=["one area", "three areas and three findings"])
def test_the_html_page_prints_on_one_or_two_pages(paper: str, profile: dict[str, object], tmp_path: Path) -> None:
    """Printed by a real headless browser to PDF, on A4 and on Letter, the handout takes one or two pages."""
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium or Chrome on this machine (apt-get install chromium) to print the page with")
    page = render_html(mr.recommend(mr.ClientProfile(**profile), KB), client="Anna Berg", therapist="Jo", date=DAY)
    page = page.replace("@page {", f"@page {{ size: {paper};", 1)
    source, pdf = tmp_path / "handout.html", tmp_path / "handout.pdf"
    source.write_text(page, encoding="utf-8")
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # as root in a container, the sandbox cannot start
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--print-to-pdf={pdf}",
        source.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    if not pdf.exists():
        pytest.skip(f"{browser} could not print to PDF here (exit {done.returncode}): {done.stderr[-300:]}")
    assert 1 <= _pages(pdf.read_bytes()) <= 2
