"""``massage-rules course``: start, add and review, exit codes 0/1/2, and never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest

from massage_rules.cli.admin import main

PROFILE = "areas: [lower_back]\nseverity: 7\nphase: chronic\ngoals: [pain_relief]\n"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits on usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def course(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A course started from a chronic low back pain profile."""
    (tmp_path / "client.yaml").write_text(PROFILE, encoding="utf-8")
    out = tmp_path / "anna.yaml"
    code, text, _ = _run(
        capsys, "course", "start", "--profile", str(tmp_path / "client.yaml"), "--out", str(out), "--date", "2026-03-02"
    )
    assert code == 0
    assert "check in after sessions 4, 8 and 12" in text
    assert "After-care for this client" in text
    assert f"Course started in {out}" in text
    return out


def test_start_add_review(course: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Sessions added in order are reviewed with a chart, and the SVG is written."""
    for date, before, after in (("2026-03-02", "7", "4"), ("2026-03-09", "5", "3")):
        code, out, _ = _run(
            capsys, "course", "add", str(course), "--date", date, "--pain-before", before, "--pain-after", after
        )
        assert code == 0
        assert "ON TRACK: continue the plan" in out
    svg = tmp_path / "anna.svg"
    code, out, _ = _run(capsys, "course", "review", str(course), "--svg", str(svg))
    assert code == 0
    assert out.startswith("Course review: ON TRACK: continue the plan\n")
    assert "   2  2026-03-09   5 #####          3 ooo        *\n" in out
    assert "Before the next session" in out
    assert svg.read_text(encoding="utf-8").startswith("<svg ")


def test_review_json(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the review model as JSON."""
    _run(capsys, "course", "add", str(course), "--date", "2026-03-02", "--pain-before", "7", "--pain-after", "4")
    code, out, _ = _run(capsys, "course", "review", str(course), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["status"], data["sessions_done"], data["baseline_pain"]) == ("on_track", 1, 7)


def test_red_flag_is_an_answer(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A session with a new red flag is recorded, and the review says stop: exit 0."""
    code, out, _ = _run(
        capsys,
        *("course", "add", str(course), "--date", "2026-03-02", "--pain-before", "7", "--pain-after", "4"),
        *("--health", "suspected_dvt"),
    )
    assert (code, out.splitlines()[1]) == (0, "RED FLAG: STOP the course and refer")
    assert out.splitlines()[2].startswith("  URGENT REFERRAL [suspected_dvt_refer]: ")
    code, out, _ = _run(capsys, "course", "review", str(course))
    assert code == 0
    assert "URGENT REFERRAL [suspected_dvt_refer]" in out


def test_out_of_order_session_is_refused_and_file_unchanged(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A session dated before the last one exits 2 with a clear message and leaves the file as it was."""
    _run(capsys, "course", "add", str(course), "--date", "2026-03-09", "--pain-before", "7", "--pain-after", "4")
    before = course.read_bytes()
    code, _, err = _run(
        capsys, "course", "add", str(course), "--date", "2026-03-05", "--pain-before", "6", "--pain-after", "4"
    )
    assert code == 2
    assert err == (
        "massage-rules course: bad history: date: 2026-03-05 is not after the last session (2026-03-09); "
        "add sessions in date order, one a day\n"
    )
    assert course.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--pain-before", "11", "--pain-after", "4"), "'11' is not a pain score from 0 to 10"),
        (("--pain-before", "6", "--pain-after", "4", "--function", "x"), "'x' is not a score from 0 to 10"),
        (("--pain-before", "6", "--pain-after", "4", "--health", "fevr"), "did you mean 'fever'?"),
    ],
)
def test_bad_add_input_exits_2(
    course: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    """Bad session values exit 2 with the reason on stderr."""
    code, _, err = _run(capsys, "course", "add", str(course), "--date", "2026-03-02", *args)
    assert code == 2
    assert message in err


def test_start_refuses_to_overwrite(course: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Starting over an existing history needs --force."""
    code, _, err = _run(capsys, "course", "start", "--profile", str(tmp_path / "client.yaml"), "--out", str(course))
    assert code == 2
    assert "already exists; use --force to replace it" in err


def test_start_with_a_referral_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A profile that gets a referral starts no course, and that is an answer (exit 0)."""
    (tmp_path / "client.yaml").write_text(PROFILE + "health: [suspected_dvt]\n", encoding="utf-8")
    out = tmp_path / "h.yaml"
    code, text, _ = _run(capsys, "course", "start", "--profile", str(tmp_path / "client.yaml"), "--out", str(out))
    assert code == 0
    assert "No course started" in text
    assert not out.exists()


def test_broken_history_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed history file exits 2, naming file and line."""
    path = tmp_path / "h.yaml"
    path.write_text("started: 2026-03-02\nprofile: [\n", encoding="utf-8")
    code, _, err = _run(capsys, "course", "review", str(path))
    assert code == 2
    assert err.startswith(f"massage-rules course: bad history: {path}:3: not valid YAML")


def test_broken_knowledge_exits_1(course: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A broken clinic knowledge file exits 1."""
    bad = tmp_path / "clinic.yaml"
    bad.write_text("rules: [\n", encoding="utf-8")
    code, _, err = _run(capsys, "course", "review", str(course), "--knowledge", str(bad))
    assert code == 1
    assert err.startswith("massage-rules course: broken knowledge:")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A missing action or a missing required flag exits 2."""
    assert _run(capsys, "course")[0] == 2
    assert _run(capsys, "course", "add")[0] == 2


def test_start_takes_the_profile_flags_of_suggest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`course start` takes suggest's profile flags, alone or over a profile file, and stores the profile."""
    out = tmp_path / "anna.yaml"
    flags = ("--area", "lower_back", "--severity", "7", "--phase", "chronic", "--goal", "pain_relief")
    code, text, _ = _run(capsys, "course", "start", *flags, "--out", str(out))
    assert code == 0
    assert text.startswith("Client: Lower back · cause not given · pain 7/10 · Chronic")
    stored = "profile:\n  areas: [lower_back]\n  severity: 7\n  phase: chronic\n  goals: [pain_relief]\n"
    assert stored in out.read_text(encoding="utf-8")
    (tmp_path / "client.yaml").write_text(PROFILE, encoding="utf-8")
    over = ("--profile", str(tmp_path / "client.yaml"), "--severity", "4", "--out", str(tmp_path / "b.yaml"))
    assert _run(capsys, "course", "start", *over)[0] == 0
    assert "severity: 4" in (tmp_path / "b.yaml").read_text(encoding="utf-8")


def test_start_without_a_profile_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`course start` with neither --profile nor profile flags is a usage error, and writes nothing."""
    code, _, err = _run(capsys, "course", "start", "--out", str(tmp_path / "anna.yaml"))
    assert code == 2
    assert "no profile given" in err
    assert not (tmp_path / "anna.yaml").exists()


def test_review_notes_changed_knowledge(course: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Reviewing with other knowledge than the course started with says so on stderr, and still answers."""
    extra = tmp_path / "clinic.yaml"
    extra.write_text(
        "pack: {id: clinic, version: '1'}\nplan:\n  checks:\n"
        "    - {id: clinic_check, occasion: every_session, text: Ask about sleep., sources: [werner]}\n",
        encoding="utf-8",
    )
    code, out, err = _run(capsys, "course", "review", str(course), "--knowledge", str(extra))
    assert code == 0
    assert "the knowledge has changed since this course started" in err
    assert "Ask about sleep. [clinic_check]" in out


def test_json_history_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A history named .json is written and read as JSON."""
    (tmp_path / "client.yaml").write_text(PROFILE, encoding="utf-8")
    out = tmp_path / "anna.json"
    start = ("course", "start", "--profile", str(tmp_path / "client.yaml"), "--out", str(out), "--date", "2026-03-02")
    assert _run(capsys, *start)[0] == 0
    code, _, _ = _run(
        capsys, "course", "add", str(out), "--date", "2026-03-10", "--pain-before", "5", "--pain-after", "3"
    )
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["sessions"][0]["date"] == "2026-03-10"


def _add(capsys: pytest.CaptureFixture[str], history: Path, *extra: str) -> tuple[int, str, str]:
    return _run(capsys, "course", "add", str(history), "--pain-before", "6", "--pain-after", "4", *extra)


def test_add_defaults_the_date_to_today(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --date a session is dated today, as `course start` dates the course."""
    code, out, _ = _add(capsys, course)
    today = dt.date.today().isoformat()
    assert (code, out.splitlines()[0]) == (0, f"Session 1 ({today}) added to {course}.")
    assert f"- date: {today}\n" in course.read_text(encoding="utf-8")


def test_dates_after_today_are_refused(course: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A session or a course start dated after today exits 2 and writes nothing."""
    before = course.read_bytes()
    code, _, err = _add(capsys, course, "--date", "9999-12-31")
    assert code == 2
    assert "date: 9999-12-31 is after today" in err
    assert course.read_bytes() == before
    out = tmp_path / "later.yaml"
    code, _, err = _run(
        capsys, "course", "start", "--profile", str(tmp_path / "client.yaml"), "--out", str(out), "--date", "9999-12-31"
    )
    assert code == 2
    assert "--date 9999-12-31 is after today" in err
    assert not out.exists()


def test_add_through_a_symlink_writes_the_real_file(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`course add link.yaml` adds the session to the file the link points at; the link stays a link."""
    link = course.with_name("link.yaml")
    link.symlink_to(course.name)
    assert _add(capsys, link, "--date", "2026-03-02")[0] == 0
    assert link.is_symlink()
    assert "- date: 2026-03-02\n" in course.read_text(encoding="utf-8")


def test_a_read_only_history_is_refused(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 0444 history exits 2 with the reason and stays as it was, mode and all."""
    course.chmod(0o444)
    before = course.read_bytes()
    code, out, err = _add(capsys, course, "--date", "2026-03-02")
    assert (code, out) == (2, "")
    assert err == (
        f"massage-rules course: bad history: {course}: is read-only, so it is left as it is; "
        "make it writable (chmod u+w) to add sessions\n"
    )
    assert course.read_bytes() == before
    assert stat.S_IMODE(course.stat().st_mode) == 0o444


def test_a_new_history_respects_the_umask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`course start` creates the history with the default mode less the umask, not always 0600."""
    (tmp_path / "client.yaml").write_text(PROFILE, encoding="utf-8")
    old = os.umask(0o022)
    try:
        assert (
            _run(
                capsys, "course", "start", "--profile", str(tmp_path / "client.yaml"), "--out", str(tmp_path / "h.yaml")
            )[0]
            == 0
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "h.yaml").stat().st_mode) == 0o644


def test_start_never_writes_over_the_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--out` naming the profile itself is refused, even with --force."""
    profile = tmp_path / "client.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    code, _, err = _run(capsys, "course", "start", "--profile", str(profile), "--out", str(profile), "--force")
    assert code == 2
    assert "is the file" in err
    assert profile.read_text(encoding="utf-8") == PROFILE


def test_svg_over_the_history_is_refused(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`course review h.yaml --svg h.yaml` (or a link to it) exits 2 and the history survives, even with --force."""
    before = course.read_bytes()
    link = course.with_name("chart.svg")
    link.symlink_to(course.name)
    for target in (course, link):
        for force in ((), ("--force",)):
            code, out, err = _run(capsys, "course", "review", str(course), "--svg", str(target), *force)
            assert (code, out) == (2, "")
            assert err == (
                f"massage-rules course: no chart written: {target} is the file {course} itself; name another file\n"
            )
    assert course.read_bytes() == before


@pytest.mark.parametrize("kind", ["file", "fifo", "device", "dangling"])
def test_svg_never_overwrites_without_force(
    course: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    """An existing file or dangling link needs --force; a FIFO or a device is never written (and never blocks)."""
    svg = tmp_path / "chart.svg"
    if kind == "file":
        svg.write_text("keep\n", encoding="utf-8")
    elif kind == "fifo":
        os.mkfifo(svg)
    elif kind == "dangling":
        svg.symlink_to(tmp_path / "elsewhere.svg")
    else:
        svg = Path("/dev/null")
    code, out, err = _run(capsys, "course", "review", str(course), "--svg", str(svg))
    assert (code, out) == (2, "")
    assert err.startswith(f"massage-rules course: no chart written: {svg} ")
    if kind == "file":
        assert svg.read_text(encoding="utf-8") == "keep\n"
    code, out, err = _run(capsys, "course", "review", str(course), "--svg", str(svg), "--force")
    if kind in ("file", "dangling"):
        assert code == 0
        assert (tmp_path / ("chart.svg" if kind == "file" else "elsewhere.svg")).read_text().startswith("<svg ")
        assert svg.is_symlink() == (kind == "dangling")
    else:
        assert (code, out) == (2, "")
        assert "is not a regular file (a device or a pipe); name a file" in err
