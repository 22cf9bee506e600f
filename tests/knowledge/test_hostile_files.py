"""Hostile knowledge files: each gives a KnowledgeError naming the file and line, fast, never a raw exception."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import massage_rules as mr
from massage_rules.knowledge import reading as _knowledge

TECHNIQUE = """\
techniques:
  - id: {id}
    name: Extra technique
    pressure: {{min: 1, max: 2}}
    goals: {{pain_relief: {weight}}}
    phases: {{acute: suited, subacute: suited, chronic: suited}}
    cpt: "97124"
    evidence: low
    sources: [werner]
"""


def _bomb(levels: int) -> bytes:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    return ("\n".join(lines) + "\n").encode()


CASES: list[tuple[str, bytes, str]] = [
    ("empty", b"", ":1:1: is empty"),
    ("only_comments", b"# nothing here\n", ":1:1: is empty"),
    ("list_not_mapping", b"- techniques\n- rules\n", ":1:1: must be a mapping of sections, not a list"),
    ("scalar", b"hello\n", ":1:1: must be a mapping of sections, not a str"),
    ("tabs", b"techniques:\n\t- id: x\n", ":2:1: a tab in the indentation; YAML indents with spaces only"),
    ("utf16", "format: 1\n".encode("utf-16"), ":1:1: is UTF-16 text; save it as UTF-8"),
    ("latin1", b"sources:\n  - id: caf\xe9\n", ":2:12: is not UTF-8 text (byte 0xe9)"),
    ("control_char", b"format: 1\nx: \x07\n", ":2:4: not valid YAML: character U+0007 is not allowed"),
    ("python_tag", b"x: !!python/object/apply:os.system [id]\n", ":1:4: the tag 'tag:yaml.org,2002:python/object"),
    ("custom_tag", b"x: !include other.yaml\n", ":1:4: the tag '!include' is not allowed; plain YAML only"),
    ("duplicate_key", b"format: 1\nformat: 1\n", ":2:1: duplicate key 'format' (first at line 1)"),
    ("alias_bomb", _bomb(7), ": the document expands to more than 1000000 values (anchors and aliases?)"),
    ("recursive_alias", b"x: &a [1, *a]\n", ":1:4: an alias refers to a value that contains it"),
    ("deep_flow", b"x: " + b"[" * 200 + b"]" * 200 + b"\n", ": the document is nested more than 64 levels deep"),
    ("deep_block", "".join(f"{'  ' * i}k{i}:\n" for i in range(80)).encode(), "nested more than 64 levels deep"),
    ("two_documents", b"format: 1\n---\nformat: 1\n", ":2:1: a second document ('---'); one document per file"),
    ("nan_weight", TECHNIQUE.format(id="extra", weight=".nan").encode(), ":5:5: rule 'extra': techniques.goals"),
    ("inf_weight", TECHNIQUE.format(id="extra", weight="-.inf").encode(), "must be a finite number"),
    ("overflow_weight", TECHNIQUE.format(id="extra", weight="1.0e+999").encode(), "must be a finite number"),
    (
        "id_with_capitals",
        TECHNIQUE.format(id="Swedish", weight=1).encode(),
        ":2:5: rule 'Swedish': techniques.id: 'Swedish' has capitals; ids are lower case, so write 'swedish'",
    ),
    (
        "id_look_alike",
        TECHNIQUE.format(id="swеdish", weight=1).encode(),
        ":2:5: rule 'swеdish': techniques.id: 'swеdish' holds the non-ASCII character 'е' "
        "(U+0435 CYRILLIC SMALL LETTER IE); ids use a-z, 0-9 and _ only",
    ),
    (
        "rule_id_with_spaces",
        b"rules:\n  - id: Neck Rule\n    text: x\n    when: {}\n    sources: [werner]\n",
        ":2:5: rule 'Neck Rule': rules.id: 'Neck Rule' has capitals; ids are lower case, so write 'neck_rule'",
    ),
    (
        "id_starting_with_digit",
        b"findings:\n  - {id: 9lives, name: X}\n",
        ":2:6: rule '9lives': findings.id: '9lives' is not an id: start with a-z, then a-z, 0-9 or _",
    ),
    (
        "rule_id_with_bad_character",
        b"rules:\n  - id: neck/rule\n    text: x\n    when: {}\n    sources: [werner]\n",
        "'neck/rule' is not an id: start with a-z, then a-z, 0-9, _, '.', ':' or '-'",
    ),
    (
        "id_twice",
        TECHNIQUE.format(id="swedish", weight=1).encode(),
        ":2:5: rule 'swedish': technique id 'swedish' is already defined at ",
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_file_is_a_located_knowledge_error(name: str, data: bytes, expected: str, tmp_path: Path) -> None:
    """Loading the bundled base plus this clinic file raises KnowledgeError whose first problem names it."""
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([path])
    problems = [str(p) for p in caught.value.problems if p.file == str(path)]
    assert problems, str(caught.value)
    assert any(p.startswith(str(path)) and expected in p for p in problems), problems


def test_bom_is_accepted(tmp_path: Path, kb: mr.KnowledgeBase) -> None:
    """A UTF-8 byte-order mark at the start is skipped, not an error."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(
        b"\xef\xbb\xbfpack: {id: clinic, version: '1'}\n" + TECHNIQUE.format(id="extra", weight=1).encode()
    )
    assert "extra" in mr.load_knowledge([path]).techniques


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    """A file over the limit is refused from its size, with the limit in the message."""
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(_knowledge.MAX_FILE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([path])
    assert str(caught.value) == f"{path}: is 5242881 bytes; knowledge files are limited to 5242880"


def test_directory_pipe_and_missing_file(tmp_path: Path) -> None:
    """A directory, a named pipe (which would block a read) and a missing file are each one problem."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    missing = tmp_path / "missing.yaml"
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([tmp_path, fifo, missing], bundled=False)
    assert sorted(str(p) for p in caught.value.problems) == sorted(
        [
            f"{tmp_path}: is a directory, not a knowledge file",
            f"{fifo}: is not a regular file",
            f"{missing}: cannot be read: No such file or directory",
        ]
    )


def test_many_schema_errors_are_capped(tmp_path: Path) -> None:
    """Thousands of broken entries give a bounded report that says how many there were."""
    path = tmp_path / "many.yaml"
    path.write_text("sources:\n" + "".join(f"  - {{id: s{i}}}\n" for i in range(3000)))
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge([path], bundled=False)
    assert len(caught.value.problems) == _knowledge.MAX_PROBLEMS_PER_FILE + 1
    assert f"{path}: has 6000 problems; the first 50 follow" in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (123, "<extra>: expected a list of file paths, not int"),
        (b"k.yaml", "<extra>: expected a list of file paths, not bytes"),
        ([None], "<extra>: extra[0]: expected a file path, not NoneType"),
        (["k.yaml", 3], "<extra>: extra[1]: expected a file path, not int"),
    ],
)
def test_extra_that_is_not_paths_is_a_knowledge_error(extra: object, message: str) -> None:
    """load_knowledge(extra=...) with something other than paths raises KnowledgeError, not TypeError."""
    with pytest.raises(mr.KnowledgeError) as caught:
        mr.load_knowledge(extra)  # type: ignore[arg-type]
    assert str(caught.value) == message
