"""Escaping for the outputs: knowledge text is plain text, and each output says so in its own format.

The loader refuses control characters and any URL that is not a web address
(``knowledge.plain_text``, ``knowledge.schema``); these are the second line: a
text that reaches Markdown (the handout, a CDS Hooks card's detail, a FHIR
annotation) is escaped so that it shows as written, never as markup, and a link
is written only for an ``https:``/``http:`` address.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from massage_rules.models import OverrideStamp

__all__ = ["EFFECT_WORDS", "effects_in_words", "markdown", "terminal", "web_url"]

EFFECT_WORDS = {
    "refer_urgent": "an urgent referral to a physician",
    "refer_routine": "a referral to a physician",
    "no_massage": "no massage for now",
    "forbid": "techniques ruled out",
    "cap_pressure": "a pressure limit",
    "allow_only": "only some techniques allowed",
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # inline markup: code, emphasis, links, tables
_BLOCK_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))")  # what would open a heading or a list at a line's start
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_UNSHOWABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # all but the line break
_URL_UNSAFE = re.compile(r"[\s<>\"'`\\{}|^]")


def markdown(text: str) -> str:
    """``text`` as Markdown that renders exactly as ``text``: no HTML, links, emphasis or code from it.

    HTML's ``&``, ``<`` and ``>`` become entities (Markdown shows them as the
    characters); the punctuation of inline Markdown gets a backslash, and so does
    a mark that would open a heading or a list at the start; a line break becomes
    a space, so no text can start a block of its own.
    """
    text = " ".join(terminal(text).split("\n"))
    text = "".join(_HTML_SPECIAL.get(char, char) for char in text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    found = _BLOCK_START.match(text)
    if found is None:
        return text
    if found.group(2).isdigit():  # "1." opens a list: escape the dot
        end = found.end()
        return text[:end] + "\\" + text[end:]
    return text[: found.start(2)] + "\\" + text[found.start(2) :]


def terminal(text: str) -> str:
    """``text`` with every control character but the line break shown as U+FFFD, for a terminal or a file."""
    return _UNSHOWABLE.sub("\ufffd", text)


def web_url(url: str | None) -> str | None:
    """``url`` when it is a plain ``https:`` or ``http:`` address that is safe to link; otherwise None."""
    if not url or _URL_UNSAFE.search(url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("https", "http") and parts.netloc else None


def effects_in_words(override: OverrideStamp) -> str:
    """What the switched-off rule would have done, in words: ``techniques ruled out and a pressure limit``."""
    return " and ".join(EFFECT_WORDS[effect] for effect in override.effects) or "a safety restriction"
