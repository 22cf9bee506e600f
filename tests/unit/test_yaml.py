"""The safe YAML loader: plain data in, positions kept, anything risky refused with a line."""

from __future__ import annotations

import pytest

from massage_rules.knowledge.yaml_files import MAX_DEPTH, MAX_VALUES, MarkedDict, YamlLoadError, load_yaml_text, locate


def refused(text: str) -> YamlLoadError:
    """The error loading ``text`` raises."""
    with pytest.raises(YamlLoadError) as caught:
        load_yaml_text(text)
    return caught.value


def test_plain_data_keeps_positions() -> None:
    """Mappings and lists remember where each entry stood, for located errors."""
    data = load_yaml_text("a: 1\nb:\n  - x\n  - {c: 2}\n")
    assert data == {"a": 1, "b": ["x", {"c": 2}]}
    assert isinstance(data, MarkedDict)
    assert locate(data, ("b", 1, "c")) == (4, 6)


def test_only_true_and_false_are_booleans() -> None:
    """YAML 1.1's yes/no/on/off stay strings, as in YAML 1.2."""
    assert load_yaml_text("on: yes\noff: No\nt: true\nf: False\n") == {"on": "yes", "off": "No", "t": True, "f": False}


def test_merge_keys_and_modest_aliases_work() -> None:
    """Anchors, aliases and merge keys within the budget load normally."""
    data = load_yaml_text("base: &b {x: 1}\nuse: {<<: *b, y: 2}\nlist: &l [1, 2]\nagain: *l\n")
    assert data["use"] == {"x": 1, "y": 2}
    assert data["again"] == [1, 2]


def test_nesting_at_the_limit_loads() -> None:
    """A document exactly MAX_DEPTH deep loads; one level more is refused."""
    assert load_yaml_text("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)) is not None
    error = refused("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert error.message == f"the document is nested more than {MAX_DEPTH} levels deep"


def test_alias_expansion_is_counted() -> None:
    """Aliases count as their full expansion, so a small file cannot stand for a huge one."""
    lines = ["a0: &a0 [" + ", ".join(["x"] * 100) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 100) + "]" for i in range(1, 3)]
    error = refused("\n".join(lines))
    assert error.message == f"the document expands to more than {MAX_VALUES} values (anchors and aliases?)"
    assert error.line == 3


def test_too_many_plain_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document without aliases is held to the same value budget (lowered here, so the test stays quick)."""
    from massage_rules.knowledge import yaml_files as _yaml

    monkeypatch.setattr(_yaml, "MAX_VALUES", 1_000)
    error = refused("[" + "1, " * 1_000 + "1]")
    assert error.message == "the document expands to more than 1000 values"
    assert error.line == 1


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", 4, "duplicate key 'c' (first at line 3)"),
        ("? [1]\n: 2\n", 1, "a mapping key must be a plain value"),
        ("a: !!set {x}\n", 1, "the tag 'tag:yaml.org,2002:set' is not allowed; plain YAML only"),
        ("a: !!binary aGk=\n", 1, "the tag 'tag:yaml.org,2002:binary' is not allowed; plain YAML only"),
        ("a: !!python/name:os.system\n", 1, "the tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"),
        ("a: 1\n  b: 2\n", 2, "not valid YAML: mapping values are not allowed in this context"),
        ("a: [1, 2\n", 2, "not valid YAML: did not find expected ',' or ']'"),
        ("a: *nowhere\n", 1, "not valid YAML: found undefined alias"),
        ("a:\n\t- 1\n", 2, "a tab in the indentation; YAML indents with spaces only"),
        ("a: 1\nb: \x00\n", 2, "not valid YAML: character U+0000 is not allowed"),
        ("a: &r {b: *r}\n", 1, "an alias refers to a value that contains it"),
        ("---\na: 1\n---\nb: 2\n", 3, "a second document ('---'); one document per file"),
        ("a: 1\nb: " + "9" * 5000 + "\n", 2, "the value '9999999999999999999999999999999999999...' cannot be read"),
        ("a: [1, 2001-13-45]\n", 1, "the value '2001-13-45' cannot be read: month must be in 1..12"),
    ],
)
def test_refusals_name_the_line(text: str, line: int, message: str) -> None:
    """Every refusal carries the 1-based line it happened on."""
    error = refused(text)
    assert error.line == line
    assert error.message.startswith(message), error.message


def test_tabs_inside_values_are_fine() -> None:
    """A tab inside a quoted value is content, not indentation."""
    assert load_yaml_text('a: "x\\ty"\nb: "p\tq"\n') == {"a": "x\ty", "b": "p\tq"}
