"""suggest under hostile input: one line on stderr, the documented exit code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from massage_rules.cli import suggest as _cli

GOOD = ["--area", "lower_back", "--severity", "6", "--phase", "chronic", "--goal", "pain_relief"]
RUN = [sys.executable, "-c", "from massage_rules.cli.suggest import run; run()"]


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Call suggest in-process; return the exit code, stdout and stderr."""
    try:
        code = _cli.guarded("suggest", _cli.main, argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "suggest: error: unrecognized arguments: --bogus (see suggest --help)"),
        (["--area"], "suggest: error: argument --area: expected one argument (see suggest --help)"),
        (
            ["--days-since-onset", "-3", *GOOD],
            "suggest: error: argument --days-since-onset: '-3' is not a whole number of days (0 to 36500) "
            "(see suggest --help)",
        ),
        (
            ["--days-since-onset", "three", *GOOD],
            "suggest: error: argument --days-since-onset: 'three' is not a whole number of days (0 to 36500) "
            "(see suggest --help)",
        ),
        ([], "suggest: no profile given: use --area, --severity, --phase, --goal ... or --profile FILE"),
        ([*GOOD, "--severity", "11"], "suggest: bad profile: severity: must be from 0 to 10, not 11"),
        ([*GOOD, "--severity", "1e9"], "suggest: bad profile: severity: '1e9' is neither a 0-10 pain score"),
        ([*GOOD, "--area", "lowerback"], "suggest: bad profile: areas[1]: 'lowerback' is not a known body area"),
        ([*GOOD, "--health", "@calf"], "suggest: bad profile: health[0]: '@calf' names no finding before '@'"),
        ([*GOOD, "--area", "n\udcffck"], "suggest: bad profile: areas[1]: 'n\\udcffck' holds U+DCFF"),
        ([*GOOD, "--area", "x" * 5000], "suggest: bad profile: areas[1]: is 5000 characters long; at most 200"),
        (
            ["--days-since-onset", "²", *GOOD],
            "suggest: error: argument --days-since-onset: '²' is not a whole number of days (0 to 36500)",
        ),
        (["\n"], "suggest: error: unrecognized arguments: \\n (see suggest --help)"),
        ([*GOOD, "--cause", "a\nb\x1b[2J"], "suggest: bad profile: cause: 'a_b\\x1b[2j' is not a known cause"),
        ([*GOOD, "--profile", "/nonexistent/p.yaml"], "suggest: bad profile: profile: '/nonexistent/p.yaml' cannot"),
        ([*GOOD, "--knowledge", "/nonexistent/k.yaml"], "suggest: broken knowledge: /nonexistent/k.yaml: cannot"),
    ],
)
def test_bad_arguments_give_one_line_and_code(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad argument prints one stderr line starting with the expected message."""
    code, out, err = run_main(argv, capsys)
    expected = 1 if "broken knowledge" in message else 2
    assert (code, out) == (expected, "")
    assert err.count("\n") == 1
    assert err.startswith(message), err


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("name", "data", "tail"),
    [
        ("p.yaml", b"", "is empty"),
        ("p.yaml", b"- a\n", "must hold a mapping of profile fields"),
        ("p.yaml", b"areas: [neck]\nareas: [calf]\n", ", line 2: duplicate key 'areas' (first at line 1)"),
        ("p.yaml", b"areas:\n\t- neck\n", ", line 2: a tab in the indentation; YAML indents with spaces only"),
        ("p.yaml", b"areas: !!python/object/apply:os.system [id]\n", "is not allowed; plain YAML only"),
        (
            "p.yaml",
            b"a: &a [x, x]\n"
            + b"".join(
                b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((98 + i,) * 2 + (97 + i,) * 10)
                for i in range(8)
            ),
            "(anchors and aliases?)",
        ),
        ("p.yaml", b"\xff\xfea\x00", "is UTF-16 text; save it as UTF-8"),
        ("p.yaml", b"areas: [caf\xe9]\n", ", line 1: is not UTF-8 text"),
        ("p.json", b'{"areas": ["neck"], "areas": ["calf"]}', ": duplicate key 'areas'"),
        ("p.json", b"[" * 100_000, ": the document is nested too deeply"),
        ("p.json", b'{"severity": ' + b"9" * 5000 + b"}", ": not valid JSON: Exceeds the limit"),
        ("p.json", b'{"areas": ', ", line 1: not valid JSON: Expecting value"),
        ("p.json", b"#" * (1024 * 1024 + 1), "is larger than 1048576 bytes"),
    ],
)
def test_bad_profile_files_give_one_line_and_code_2(
    name: str, data: bytes, tail: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken profile file is a one-line 'bad profile' error naming the file, exit 2."""
    path = _write(tmp_path / name, data)
    code, out, err = run_main(["--profile", path], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"suggest: bad profile: profile: '{path}'")
    assert tail in err


def test_profile_that_is_a_directory_or_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory or a named pipe given as a profile is refused at once, without blocking on a read."""
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    for path, tail in ((tmp_path, "is a directory, not a profile file"), (fifo, "is not a regular file")):
        code, _, err = run_main(["--profile", str(path)], capsys)
        assert code == 2
        assert err == f"suggest: bad profile: profile: '{path}' {tail}\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A profile the user may not read is a one-line error, exit 2."""
    path = tmp_path / "p.yaml"
    path.write_text("areas: [neck]\n")
    path.chmod(0)
    code, _, err = run_main(["--profile", str(path)], capsys)
    assert code == 2
    assert err == f"suggest: bad profile: profile: '{path}' cannot be read: Permission denied\n"


def test_knowledge_that_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A directory given as a knowledge file is broken knowledge, exit 1."""
    code, _, err = run_main(["--knowledge", str(tmp_path), *GOOD], capsys)
    assert code == 1
    assert err == f"suggest: broken knowledge: {tmp_path}: is a directory, not a knowledge file\n"


def test_many_knowledge_problems_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Several knowledge problems print the worst one and a count, on one line, exit 1."""
    path = tmp_path / "k.yaml"
    path.write_text("sources:\n  - {id: a}\n  - {id: b}\n")
    code, _, err = run_main(["--knowledge", str(path), *GOOD], capsys)
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith(f"suggest: broken knowledge: {path}:2:5: rule 'a': sources.citation: is required (and ")
    assert err.endswith(" more problems; load_knowledge() lists them all)\n")


def test_internal_error_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected exception prints one line with a hint and exits 3, not a traceback."""

    def broken(profile: object, knowledge: object) -> object:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("massage_rules.engine.recommend.recommend", broken)
    monkeypatch.delenv(_cli.DEBUG_ENV, raising=False)
    code, out, err = run_main(GOOD, capsys)
    assert (code, out) == (3, "")
    assert err == (
        "suggest: internal error: RuntimeError: boom (a bug; please report it, "
        "and set MASSAGE_RULES_DEBUG=1 to see the traceback)\n"
    )


def test_debug_env_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """With MASSAGE_RULES_DEBUG=1 the unexpected exception propagates, for a traceback."""

    def broken(profile: object, knowledge: object) -> object:
        raise KeyError("boom")

    monkeypatch.setattr("massage_rules.engine.recommend.recommend", broken)
    monkeypatch.setenv(_cli.DEBUG_ENV, "1")
    with pytest.raises(KeyError, match="boom"):
        _cli.guarded("suggest", _cli.main, GOOD)


def test_keyboard_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C prints one line and exits 130."""

    def interrupted(argv: object) -> int:
        raise KeyboardInterrupt

    assert _cli.guarded("suggest", interrupted) == 130
    assert capsys.readouterr().err == "suggest: interrupted\n"


@pytest.mark.slow
def test_closed_pipe_full_disk_and_closed_stdout_in_a_real_process() -> None:
    """`| head -1` exits 0 quietly; a full disk or closed stdout is one line and exit 4; never a traceback."""
    head = subprocess.run(
        f"{subprocess.list2cmdline(RUN + GOOD)} | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        check=False,
    )
    assert (head.returncode, head.stderr) == (0, "")
    full = subprocess.run(
        f"{subprocess.list2cmdline(RUN + GOOD)} >/dev/full", shell=True, capture_output=True, text=True, check=False
    )
    assert (full.returncode, full.stderr) == (4, "suggest: cannot write to standard output: No space left on device\n")
    closed = subprocess.run(
        f"{subprocess.list2cmdline(RUN + GOOD)} >&-", shell=True, capture_output=True, text=True, check=False
    )
    assert (closed.returncode, closed.stderr) == (4, "suggest: cannot write to standard output: it is closed\n")


@pytest.mark.slow
def test_massage_rules_command_has_the_same_guard(tmp_path: Path) -> None:
    """massage-rules turns an unexpected exception into one line and exit 3 too, in a real process."""
    script = (
        "import massage_rules.cli.admin as a\n"
        "def boom(argv=None):\n"
        "    raise RuntimeError('boom')\n"
        "a.main = boom\n"
        "a.run()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != _cli.DEBUG_ENV}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 3
    assert done.stderr == (
        "massage-rules: internal error: RuntimeError: boom "
        "(a bug; please report it, and set MASSAGE_RULES_DEBUG=1 to see the traceback)\n"
    )
