"""Safe YAML loading that keeps line numbers and refuses what PyYAML lets slide.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and drops
every position. Knowledge authors need both: a duplicate is an error, and every
error names a line. Mappings and lists come back as :class:`MarkedDict` and
:class:`MarkedList`, which remember where each entry stood.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

try:  # the C parser is several times faster; constructors stay in Python
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

__all__ = ["MarkedDict", "MarkedList", "YamlLoadError", "load_yaml_text", "locate"]

Position = tuple[int, int]


class YamlLoadError(Exception):
    """A YAML document could not be read; carries a 1-based line and column."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class MarkedDict(dict[Any, Any]):
    """A dict that remembers the position of itself and of each key."""

    position: Position = (0, 0)
    key_positions: dict[Any, Position]


class MarkedList(list[Any]):
    """A list that remembers the position of itself and of each item."""

    position: Position = (0, 0)
    item_positions: list[Position]


def _pos(node: yaml.Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader with duplicate-key refusal and position tracking."""

    max_nodes = 200_000

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes_built = 0

    def _count(self, node: yaml.Node) -> None:
        # Aliases can make a small file expand into an enormous object (a
        # "billion laughs"); each constructed node counts, aliases included.
        self._nodes_built += 1
        if self._nodes_built > self.max_nodes:
            raise YamlLoadError(
                f"the document expands to more than {self.max_nodes} values (anchors and aliases?)",
                *_pos(node),
            )

    def construct_marked_mapping(self, node: yaml.MappingNode) -> MarkedDict:
        self._count(node)
        self.flatten_mapping(node)
        result = MarkedDict()
        result.position = _pos(node)
        result.key_positions = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlLoadError("a mapping key must be a plain value", *_pos(key_node))
            if key in result:
                first = result.key_positions[key][0]
                raise YamlLoadError(f"duplicate key '{key}' (first at line {first})", *_pos(key_node))
            result[key] = self.construct_object(value_node, deep=True)
            result.key_positions[key] = _pos(key_node)
        return result

    def construct_marked_sequence(self, node: yaml.SequenceNode) -> MarkedList:
        self._count(node)
        result = MarkedList(self.construct_object(child, deep=True) for child in node.value)
        result.position = _pos(node)
        result.item_positions = [_pos(child) for child in node.value]
        return result

    def construct_undefined(self, node: yaml.Node) -> Any:
        raise YamlLoadError(f"the tag {node.tag!r} is not allowed in knowledge files", *_pos(node))


# YAML 1.1 reads yes/no/on/off as booleans, so a key named "on" became True. Only
# true and false are booleans here, as in YAML 1.2.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_marked_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_marked_sequence)
_Loader.add_constructor(None, _Loader.construct_undefined)


def load_yaml_text(text: str) -> Any:
    """Parse one YAML document safely; raise :class:`YamlLoadError` on any failure."""
    try:
        loader = _Loader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except YamlLoadError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise YamlLoadError(f"not valid YAML: {exc.problem or exc.context}", line, column) from exc
    except yaml.YAMLError as exc:
        raise YamlLoadError(f"not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise YamlLoadError("the document is nested too deeply") from exc


def locate(data: Any, loc: Sequence[str | int]) -> Position:
    """Best position for a path into loaded data: the deepest step that has one."""
    best: Position = getattr(data, "position", (0, 0))
    node = data
    for step in loc:
        if isinstance(node, MarkedDict) and step in node:
            best = node.key_positions.get(step, best)
            node = node[step]
        elif isinstance(node, MarkedList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_positions[step]
            node = node[step]
        else:
            break
    return best
