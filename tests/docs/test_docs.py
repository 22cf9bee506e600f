"""The docs run: every Python example, command line and knowledge snippet in docs/ and README.md is checked."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from massage_rules.cli import admin as _admin
from massage_rules.cli import suggest as _cli
from massage_rules.knowledge import schema as s
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


@pytest.mark.parametrize("page", _pages_with("python"), ids=lambda p: p.name)
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page's Python blocks run in order, sharing one namespace, in an empty folder."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": f"docs.{page.stem}"}
    for line, code in _blocks(page, "python"):
        if code.lstrip().startswith(NOT_RUN):
            continue
        # Pad with blank lines so a traceback points at the line in the Markdown page.
        exec(compile("\n" * (line - 1) + code, str(page), "exec"), namespace)


def test_few_examples_opt_out() -> None:
    """Opting out stays rare: at most one Python block in ten."""
    blocks = [code for page in PAGES for _, code in _blocks(page, "python")]
    skipped = [code for code in blocks if code.lstrip().startswith(NOT_RUN)]
    assert len(skipped) * 10 <= len(blocks)


def _commands() -> list[tuple[str, str]]:
    found = []
    for page in _pages_with("console"):
        for line, block in _blocks(page, "console"):
            for offset, text in enumerate(block.splitlines()):
                if text.startswith("$ "):
                    found.append((f"{page.name}:{line + offset}", text[2:]))
    return found


@pytest.mark.parametrize(("where", "command"), _commands(), ids=[w for w, _ in _commands()])
def test_console_examples_exit_zero(where: str, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every `$ suggest ...` and `$ massage-rules ...` line in the docs runs and exits 0."""
    program, *argv = shlex.split(command)
    mains = {"suggest": _cli.main, "massage-rules": _admin.main}
    assert program in mains, f"{where}: only suggest and massage-rules examples can be checked"
    assert mains[program](argv) == 0, capsys.readouterr().err
    assert capsys.readouterr().out


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
