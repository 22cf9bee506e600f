"""The docs run: every Python example, command line and knowledge snippet in docs/ and README.md is checked."""

from __future__ import annotations

import argparse
import ast
import functools
import io
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from massage_rules.cli import admin as _admin, suggest as _cli
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.load import bundled_knowledge_paths, load_knowledge
from massage_rules.knowledge.yaml_files import load_yaml_text

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
NOT_RUN = "# docs: not run"  # first line of a Python block that needs files or services the suite lacks


def _blocks(path: Path, language: str) -> list[tuple[int, str]]:
    """The fenced blocks of one language in a page, each with the line its code starts on."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(2)) + 1, m.group(2)) for m in FENCE.finditer(text) if m.group(1) == language]


def _pages_with(language: str) -> list[Path]:
    return [p for p in PAGES if _blocks(p, language)]


def _python_blocks() -> list[tuple[Path, int, str]]:
    return [(page, line, code) for page in PAGES for line, code in _blocks(page, "python")]


def test_few_examples_opt_out() -> None:
    """Opting out stays rare: at most one Python block in ten."""
    blocks = [code for _, _, code in _python_blocks()]
    skipped = [code for code in blocks if code.lstrip().startswith(NOT_RUN)]
    assert len(skipped) * 10 <= len(blocks)


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


@pytest.mark.parametrize("page", _pages_with("python"), ids=lambda p: p.name)
def test_each_python_block_imports_what_it_uses(page: Path) -> None:
    """A block copied on its own runs as far as imports go: it imports every module and name it uses."""
    blocks = [ast.parse(code) for _, code in _blocks(page, "python")]
    on_page = set().union(*(_imported(tree) for tree in blocks))
    missing = []
    for (line, _), tree in zip(_blocks(page, "python"), blocks, strict=True):
        names = [node for node in ast.walk(tree) if isinstance(node, ast.Name)]
        used = {node.id for node in names if isinstance(node.ctx, ast.Load)}
        assigned = {node.id for node in names if isinstance(node.ctx, ast.Store)}
        missing += [f"line {line}: {name}" for name in sorted((used & on_page) - _imported(tree) - assigned)]
    assert missing == []


# Shell examples: the lines of ``console`` and ``sh`` blocks (with or without a leading "$ "). Commands of
# suggest and massage-rules run, in page order with the page's Python blocks, in one folder holding the files
# the examples name; a trailing comment "exit N" says the example exits N on purpose. Other programs are
# setup or developer tools, named here with why they are not run.
SHELL = ("console", "sh")
NOT_RUN_PROGRAMS = {
    "python3 -m venv": "creates a virtual environment",
    ".": "activates a virtual environment",
    "pip": "installs packages",
    "python -m pytest": "runs this very test suite",
    "ruff": "a developer's linter, run by CI",
    "mypy": "a developer's type checker, run by CI",
    "lint-imports": "a developer's import checker, run by CI",
    "python bench/run.py": "the benchmark, minutes long",
    "python bench/variants.py": "a benchmark, minutes long",
    "sh bench/instructions.sh": "the instruction-count benchmark (valgrind)",
    "taskset": "pins a benchmark to one core",
}
EXIT = re.compile(r"#.*\bexit (\d+)\b")
CLIENT = "areas: [lower_back]\ncause: posture\nseverity: 6\nphase: chronic\ngoals: [pain_relief, mobility]\n"
CLINIC = """\
format: 1
pack: {id: clinic, version: "1"}
rules:
  - id: clinic_desk_workers
    text: Our desk workers do well with Swedish massage for the upper back.
    when: {areas: [upper_back], causes: [posture]}
    score: {swedish: 1}
    sources: [cherkin11]
"""  # it names only what the bundled base and the small test base (own_base.yaml) both define
FILES = {
    "client.yaml": CLIENT,
    "clinic.yaml": CLINIC,
    "clients.csv": "client_id,areas,severity,phase,goals\nc-001,lower_back,6,chronic,pain_relief\n"
    "c-002,neck,3,acute,relaxation\n",
    "patients.csv": "patient_no,areas,severity,phase,goals\np-17,lower_back,6,chronic,pain_relief\n",
    "clients.jsonl": '{"id": "c-001", "areas": ["neck"], "severity": 3, "phase": "chronic", "goals": ["relaxation"]}\n',
}
SMALL_BASE = sorted((ROOT / "tests" / "knowledge" / "base").glob("*.yaml"))


@functools.cache
def _own_base() -> str:
    """The small test base as one file, for the examples that check or verify "a base of its own"."""
    merged: dict[str, Any] = {}
    for path in SMALL_BASE:
        for key, value in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict) and key in ("vocabulary", "plan"):
                for part, items in value.items():
                    if isinstance(items, list):
                        merged.setdefault(key, {}).setdefault(part, []).extend(items)
                    else:
                        merged.setdefault(key, {})[part] = items
            else:
                merged.setdefault(key, value)
    return yaml.safe_dump(merged, sort_keys=False, allow_unicode=True)


def _commands(block: str) -> list[str]:
    """The command lines of a shell block, continuation lines joined."""
    lines: list[str] = []
    for raw in block.splitlines():
        text = raw.removeprefix("$ ")
        if lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1] + " " + text.strip()
        elif raw.startswith("$ ") or (raw.strip() and not raw.startswith((" ", "#"))):
            lines.append(text)
    return lines


def _program(words: list[str]) -> str:
    """What runs: ``suggest``, ``massage-rules``, or the key of NOT_RUN_PROGRAMS it falls under."""
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value before the command
        words = words[1:]
    if words[:3] == ["python", "-m", "massage_rules"]:
        return "massage-rules"
    for key in NOT_RUN_PROGRAMS:
        if words[: len(key.split())] == key.split():
            return key
    return words[0] if words else ""


def _run(line: str, where: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run one example line: `a && b`, `cat F | cmd`, `cmd > F`, `cmd < F`; check its exit code and output."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars="|&<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = list(lexer)
    found = EXIT.search(line)
    expected = int(found.group(1)) if found else 0
    commands: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            commands.append([])
        else:
            commands[-1].append(word)
    for command in commands:
        stdin = out_file = None
        if "|" in command:
            feed, command = command[: command.index("|")], command[command.index("|") + 1 :]
            assert feed[:1] == ["cat"], f"{where}: only `cat FILE | ...` pipes can be checked"
            assert len(feed) == 2, f"{where}: only `cat FILE | ...` pipes can be checked"
            stdin = feed[1]
        if "<" in command:
            stdin = command[command.index("<") + 1]
            command = command[: command.index("<")]
        if ">" in command:
            out_file = command[command.index(">") + 1]
            command = command[: command.index(">")]
        program = _program(command)
        if program in NOT_RUN_PROGRAMS:
            continue
        mains = {"suggest": (_cli.main, 1), "massage-rules": (_admin.main, 3 if command[0] == "python" else 1)}
        assert program in mains, f"{where}: `{program}` is neither run here nor in NOT_RUN_PROGRAMS"
        assert "..." not in command, f"{where}: a placeholder (...) cannot run; write a real example"
        entry, skip = mains[program]
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(Path(stdin).read_bytes())))
        try:
            code = _cli.guarded(program, entry, command[skip:])
        except SystemExit as done:  # --help, --version and usage errors leave through argparse
            code = int(done.code or 0)
        out, err = capsys.readouterr()
        assert code == expected, f"{where}: `{line}` exited {code}, not {expected}: {err}"
        if out_file is not None:
            Path(out_file).write_text(out, encoding="utf-8")
        assert out or err or code, f"{where}: `{line}` printed nothing"


def _small_verify(real: Any, small: Any) -> Any:
    """verify, with the walk of a base that holds the bundled files replaced by the small test base's walk."""
    bundled = {str(path) for path in bundled_knowledge_paths()}

    def verify(kb: Any, **options: Any) -> Any:
        return real(small if bundled & set(kb.files) else kb, **options)

    return verify


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A page's Python blocks and shell examples run in order, in one folder, each command with its exit code.

    The folder holds the files the examples name (client.yaml, clinic.yaml, clients.csv, ...). verify's walk
    of the bundled base takes minutes and has its own test (tests/knowledge/test_verify_bundled.py); here a
    verify of the bundled base walks the small test base instead, so its flags and report still run.
    """
    import massage_rules.authoring.verify as verify_module

    monkeypatch.chdir(tmp_path)
    for name, text in {**FILES, "own_base.yaml": _own_base()}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    small = load_knowledge([str(p) for p in SMALL_BASE], bundled=False)
    monkeypatch.setattr(verify_module, "verify_knowledge", _small_verify(verify_module.verify_knowledge, small))
    namespace: dict[str, Any] = {"__name__": f"docs.{page.stem}"}
    text = page.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        language, code = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start(2)) + 1
        if language == "python" and not code.lstrip().startswith(NOT_RUN):
            # Pad with blank lines so a traceback points at the line in the Markdown page.
            exec(compile("\n" * (line - 1) + code, str(page), "exec"), namespace)
        elif language in SHELL:
            for command in _commands(code):
                _run(command, f"{page.name}:{line}", capsys, monkeypatch)


KNOWLEDGE_PAGE = ROOT / "docs" / "knowledge-format.md"


@pytest.mark.parametrize(("line", "snippet"), _blocks(KNOWLEDGE_PAGE, "yaml"), ids=lambda v: str(v)[:20])
def test_knowledge_format_snippets_have_the_right_shape(line: int, snippet: str) -> None:
    """Every YAML snippet on the knowledge-format page is a valid knowledge file, as far as shape goes."""
    s.KnowledgeFile.model_validate(load_yaml_text(snippet))


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for info in model.model_fields.values():
        stack: list[Any] = [info.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names |= _field_names(annotation, seen)
            stack.extend(getattr(annotation, "__args__", ()))
    return names


def test_knowledge_format_page_names_every_key() -> None:
    """Every key of every knowledge-file model appears, in backticks, on the knowledge-format page."""
    text = KNOWLEDGE_PAGE.read_text(encoding="utf-8")
    missing = sorted(name for name in _field_names(s.KnowledgeFile, set()) if f"`{name}`" not in text)
    assert missing == [], f"document these keys in docs/knowledge-format.md: {missing}"


# Pages other issues write; until they land, links to them may dangle.
PAGES_FROM_OTHER_ISSUES = {"authoring.md", "errors.md", "performance.md", "plan-and-progress.md", "sources.md"}
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {_slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    """Every relative link in the docs points at a file that exists, and at a heading that exists."""
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists():
            if resolved.name not in PAGES_FROM_OTHER_ISSUES:
                broken.append(target)
            continue
        if anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(target)
    assert broken == []


def _parsers(parser: argparse.ArgumentParser, name: str) -> dict[str, argparse.ArgumentParser]:
    """A parser and every subcommand's parser under it, by their command lines."""
    found = {name: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                found.update(_parsers(subparser, f"{name} {sub}"))
    return found


CLI_PAGE = ROOT / "docs" / "cli.md"


def test_the_cli_page_documents_every_flag_and_exit_code() -> None:
    """docs/cli.md names every option of suggest and of each massage-rules subcommand, and every exit code."""
    text = CLI_PAGE.read_text(encoding="utf-8")
    parsers = {**_parsers(_cli.build_parser(), "suggest"), **_parsers(_admin.build_parser(), "massage-rules")}
    missing = [
        f"{command} {flag}"
        for command, parser in parsers.items()
        for action in parser._actions
        for flag in action.option_strings
        if flag.startswith("--") and f"`{flag}" not in text
    ]
    assert missing == []
    assert [
        name for name in parsers if name.startswith("massage-rules ") and f"`{name.split(' ', 1)[1]}" not in text
    ] == []
    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", text, re.MULTILINE)}
    assert codes == {0, 1, 2, 3, 4, 130, 141}


OUTPUT = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _shown_outputs() -> list[tuple[str, str, str]]:
    """Each ```text output``` block with the last command of the shell block before it."""
    found = []
    for page in PAGES:
        command = None
        for match in OUTPUT.finditer(page.read_text(encoding="utf-8")):
            language, info, body = match.groups()
            if language in SHELL:
                command = _commands(body)[-1]
            elif language == "text" and info.strip() == "output":
                assert command is not None, f"{page.name}: an output block with no command before it"
                found.append((page.name, command, body))
    return found


@pytest.mark.parametrize(("page", "command", "shown"), _shown_outputs(), ids=lambda v: str(v)[:20])
def test_shown_output_is_the_real_output(
    page: str, command: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output shown on a page (a ```text output``` block) is exactly what its command prints today."""
    program, *argv = shlex.split(command, comments=True)
    assert program == "suggest"
    assert _cli.main(argv) == 0
    assert capsys.readouterr().out == shown


COMMAND = re.compile(r"^(\$ )?(suggest|massage-rules)\s+(?!\S*:)", re.MULTILINE)


def test_commands_sit_in_blocks_that_run() -> None:
    """A command line of suggest or massage-rules is never in an unlabelled block, where nothing would run it."""
    stray = [
        f"{page.name}: {found.group(0)}"
        for page in PAGES
        for match in OUTPUT.finditer(page.read_text(encoding="utf-8"))
        if match.group(1) == ""
        for found in COMMAND.finditer(match.group(3))
    ]
    assert stray == []
