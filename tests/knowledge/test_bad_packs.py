"""Each broken pack in tests/knowledge/bad/ gives exactly the message its first line expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from massage_rules import check_knowledge, load_knowledge
from massage_rules.authoring.check import format_problem
from massage_rules.errors import KnowledgeError

HERE = Path(__file__).parent
BASE = sorted((HERE / "base").glob("*.yaml"))  # a frozen copy of the core knowledge, so messages stay exact
BAD = sorted((HERE / "bad").glob("*.yaml"))


def _expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: ")
    text = first.removeprefix("# expect: ").replace("{base}", str(HERE / "base")).replace("{here}", str(path))
    return f"{path}:{text}"


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_pack_message(path: Path) -> None:
    """check reports the one planted problem at its file:line:column with the exact message."""
    report = check_knowledge([path], base=BASE)
    lines = [format_problem(p) for p in report.problems if p.file == str(path)]
    assert lines == [_expected(path)]
    assert report.ok == ("warning" in lines[0])


@pytest.mark.parametrize("path", [p for p in BAD if "warning" not in _expected(p)], ids=lambda p: p.stem)
def test_bad_pack_refused_by_load(path: Path) -> None:
    """load_knowledge refuses every pack with an error, naming the same place first."""
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([*BASE, path], bundled=False)
    first = caught.value.problems[0]
    line = int(path.read_text(encoding="utf-8").split("# expect: ", 1)[1].split(":", 1)[0])
    assert (first.file, first.line) == (str(path), line)
