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

__all__ = ["MarkedDict", "MarkedList", "Skeleton", "YamlLoadError", "load_yaml_text", "locate"]

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

    def construct_marked_mapping(self, node: yaml.MappingNode) -> MarkedDict:
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
        result = MarkedList(self.construct_object(child, deep=True) for child in node.value)
        result.position = _pos(node)
        result.item_positions = [_pos(child) for child in node.value]
        return result

    def construct_undefined(self, node: yaml.Node) -> Any:
        raise YamlLoadError(f"the tag {node.tag!r} is not allowed; plain YAML only", *_pos(node))


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
# Standard but not plain data: nothing in these files needs sets, binary or ordered pairs.
for _tag in ("set", "binary", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _Loader.construct_undefined)


MAX_VALUES = 1_000_000  # a 10,000-rule base holds about 300,000; aliases count as their expansion
MAX_DEPTH = 64


def _check_graph(root: yaml.Node) -> None:
    """Refuse a node graph that is too deep or expands (through aliases) to too many values.

    PyYAML builds an alias as a shared reference, so an alias bomb loads in
    microseconds and explodes later, in whatever walks the result. A quick walk
    covers the usual document without shared collections; one with them gets
    the exact count, as if every alias were expanded.
    """
    count = 0
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:  # a collection reached twice: an alias; count it properly
            _check_expansion(root)
            return
        seen.add(id(node))
        count += 1
        if depth > MAX_DEPTH:
            raise YamlLoadError(f"the document is nested more than {MAX_DEPTH} levels deep", *_pos(node))
        children = node.value if isinstance(node, yaml.SequenceNode) else [p for pair in node.value for p in pair]
        for child in children:
            if isinstance(child, yaml.ScalarNode):
                count += 1
            else:
                stack.append((child, depth + 1))
    if count > MAX_VALUES:
        raise YamlLoadError(f"the document expands to more than {MAX_VALUES} values", *_pos(root))


def _check_expansion(root: yaml.Node) -> None:
    """Exact expanded size and depth of a graph with shared nodes, each node visited once (memo)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_VALUES:
                raise YamlLoadError(
                    f"the document expands to more than {MAX_VALUES} values (anchors and aliases?)", *_pos(node)
                )
            if depth[key] > MAX_DEPTH:
                raise YamlLoadError(f"the document is nested more than {MAX_DEPTH} levels deep", *_pos(node))
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlLoadError("an alias refers to a value that contains it", *_pos(node))
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in size)


def _unreadable_scalar(root: yaml.Node, exc: Exception) -> YamlLoadError:
    """Find the scalar that failed to construct (a 5,000-digit int, 2001-13-45) and say where it is."""
    probe = _Loader("")
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                probe.construct_object(node)
            except (ValueError, OverflowError) as error:
                text = str(node.value)
                shown = text if len(text) <= 40 else text[:37] + "..."
                reason = str(error).split(";")[0].split(":")[0]
                return YamlLoadError(f"the value '{shown}' cannot be read: {reason}", *_pos(node))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend(reversed([part for pair in node.value for part in pair]))
    return YamlLoadError(f"a value cannot be read: {exc}")


def _reader_position(text: str, position: int) -> Position:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _tab_in_indent(text: str, line: int) -> bool:
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return False
    row = lines[line - 1]
    return "\t" in row[: len(row) - len(row.lstrip(" \t"))]


def load_yaml_text(text: str) -> Any:
    """Parse one YAML document safely; raise :class:`YamlLoadError` on any failure.

    Refused, each with a line: tags other than the standard ones, duplicate
    keys, documents nested more than :data:`MAX_DEPTH` deep or expanding to
    more than :data:`MAX_VALUES` values, recursive aliases, tabs used for
    indentation, control characters, and more than one document.
    """
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if not isinstance(node, yaml.ScalarNode):
                _check_graph(node)
            try:
                return loader.construct_document(node)
            except (ValueError, OverflowError) as exc:  # a scalar Python cannot hold
                raise _unreadable_scalar(node, exc) from exc
        finally:
            loader.dispose()
    except YamlLoadError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        if _tab_in_indent(text, line):
            raise YamlLoadError("a tab in the indentation; YAML indents with spaces only", line, column) from exc
        problem = exc.problem or exc.context
        if problem and "nesting depth" in problem:
            problem = f"the document is nested more than {MAX_DEPTH} levels deep"
            raise YamlLoadError(problem, line, column) from exc
        if problem and "another document" in problem:
            raise YamlLoadError("a second document ('---'); one document per file", line, column) from exc
        raise YamlLoadError(f"not valid YAML: {problem}", line, column) from exc
    except yaml.reader.ReaderError as exc:
        line, column = _reader_position(text, exc.position)
        raise YamlLoadError(f"not valid YAML: character U+{exc.character:04X} is not allowed", line, column) from exc
    except yaml.YAMLError as exc:
        raise YamlLoadError(f"not valid YAML: {exc}") from exc
    except RecursionError as exc:  # pragma: no cover - the depth check comes first
        raise YamlLoadError(f"the document is nested more than {MAX_DEPTH} levels deep") from exc


class Skeleton:
    """Where each entry of a loaded document stood, without the values; :func:`locate` reads it like the data.

    Plain JSON-ready data, so that the knowledge cache can keep it. A node is a
    position packed into one int (``line << 32 | column``) for a scalar, and
    ``[position, children]`` for a collection: a dict of key -> node for a
    mapping, a list of nodes for a sequence.
    """

    __slots__ = ("root",)

    def __init__(self, root: Any) -> None:
        self.root = root

    @classmethod
    def of(cls, data: Any) -> Skeleton:
        """The skeleton of data from :func:`load_yaml_text`; raises ``TypeError`` for a key that is not a string."""
        return cls(_skeleton_node(data, getattr(data, "position", (0, 0))))

    def locate(self, loc: Sequence[str | int]) -> Position:
        """Best position for a path: the deepest step that has one, exactly as for the loaded data."""
        node = self.root
        for step in loc:
            if isinstance(node, int):
                break
            children = node[1]
            if isinstance(children, dict):
                if not isinstance(step, str) or step not in children:
                    break
            elif not isinstance(step, int) or not 0 <= step < len(children):
                break
            node = children[step]
        packed = node if isinstance(node, int) else node[0]
        return packed >> 32, packed & 0xFFFFFFFF


def _pack(position: Position) -> int:
    line, column = position
    if not (0 <= line < 1 << 32 and 0 <= column < 1 << 32):
        raise TypeError(f"a position {position} too large to pack")
    return line << 32 | column


def _skeleton_node(value: Any, position: Position) -> Any:
    if isinstance(value, MarkedDict):
        children: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"a mapping key {key!r} that is not a string")
            children[key] = _skeleton_node(item, value.key_positions[key])
        return [_pack(position), children]
    if isinstance(value, MarkedList):
        pairs = zip(value, value.item_positions, strict=True)
        return [_pack(position), [_skeleton_node(item, pos) for item, pos in pairs]]
    if isinstance(value, dict | list):
        raise TypeError("a collection without positions")
    return _pack(position)


def locate(data: Any, loc: Sequence[str | int]) -> Position:
    """Best position for a path into loaded data: the deepest step that has one."""
    if isinstance(data, Skeleton):
        return data.locate(loc)
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
