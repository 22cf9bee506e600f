"""Knowledge text is plain text: find the control characters a loaded file holds, with their lines.

Every text in a knowledge file (a rule's text, a note, an override's reason, a
citation) reaches a therapist's terminal, a client's handout and an EHR. The
YAML reader refuses raw control characters, but a double-quoted YAML string
can still spell them as escapes (``"\\e[2K"``, ``"\\r"``, ``"\\u202e"``). These are
refused here, after parsing and before the shape is checked (so no message ever
echoes one): every C0 control (line breaks and tabs included: a text is one
line; fold long ones with ``>``), DEL, every C1 control, and the bidirectional
embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can make
a text read differently from what it says.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from massage_rules.knowledge.yaml_files import MarkedDict, MarkedList

__all__ = ["FORBIDDEN", "control_characters", "describe"]

FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def describe(char: str) -> str:
    """``U+001B (a control character)`` or ``U+202E RIGHT-TO-LEFT OVERRIDE (a bidirectional control)``."""
    code = f"U+{ord(char):04X}"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"{code} {unicodedata.name(char)} (a bidirectional control)"
    kind = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", "\x1b": "escape"}.get(char)
    return f"{code} ({kind or 'a control character'})"


def control_characters(data: Any) -> Iterator[tuple[int, int, str]]:
    """(line, column, message) for each key or text in ``data`` that holds a refused character; one per text.

    ``data`` is what :func:`~massage_rules.knowledge.yaml_files.load_yaml_text`
    returned; the place is the key (or list item) that holds the text.
    """
    stack: list[tuple[Any, tuple[int, int], tuple[str | int, ...]]] = [(data, getattr(data, "position", (1, 1)), ())]
    while stack:
        node, position, path = stack.pop()
        if isinstance(node, MarkedDict):
            children = []
            for key, value in node.items():
                where = node.key_positions.get(key, position)
                if isinstance(key, str) and FORBIDDEN.search(key):
                    yield (*where, _message(path, key, "a key"))
                    continue
                children.append((value, where, (*path, str(key))))
            stack.extend(reversed(children))
        elif isinstance(node, MarkedList):
            items = zip(node, node.item_positions, strict=True)
            stack.extend(reversed([(value, where, (*path, i)) for i, (value, where) in enumerate(items)]))
        elif isinstance(node, str) and FORBIDDEN.search(node):
            yield (*position, _message(path, node, "the text"))


def _message(path: tuple[str | int, ...], text: str, what: str) -> str:
    found = FORBIDDEN.search(text)
    assert found is not None
    place = ".".join(str(step) for step in path if not isinstance(step, int)) or "file"
    return (
        f"{place}: {what} holds {describe(found.group())}; knowledge text is plain text "
        "(no control characters, line breaks, tabs or bidirectional overrides)"
    )
