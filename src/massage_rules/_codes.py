"""Billing and diagnosis codes: ICD-10-CM shape and hierarchy, CPT units under the 8-minute rule.

Only the *structure* of the code systems lives here (how a code is written,
that a longer code refines a shorter one, that a 7th character names the
encounter); which codes mean what, and the unit thresholds, live in the
knowledge files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "ICD10CM_PATTERN",
    "IcdMatch",
    "billable_units",
    "is_icd10_code",
    "looks_like_icd10",
    "normalise_icd10",
    "resolve_icd10",
]

# A letter, a digit, a digit or letter (the category), then a dot and up to four characters.
ICD10CM_PATTERN = r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"
_CODE = re.compile(ICD10CM_PATTERN)
_CODE_LIKE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z.]*$")
_UNDOTTED = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{1,4}$")
SHAPE_HINT = "a letter, a digit, a digit or letter, then optionally a dot and 1-4 letters or digits, e.g. M54.50"


def is_icd10_code(value: str) -> bool:
    """True for a well-formed ICD-10-CM code in its dotted form (``M54.50``)."""
    return bool(_CODE.match(value))


def looks_like_icd10(value: str) -> bool:
    """True when ``value`` is meant as a code (a letter then a digit, no spaces or underscores), not an id."""
    return bool(_CODE_LIKE.match(value.strip()))


def normalise_icd10(value: str) -> str:
    """Upper-case a code and add its dot (``m5450`` -> ``M54.50``); raise ValueError if malformed."""
    code = value.strip().upper()
    if _UNDOTTED.match(code):  # claim forms (X12 837) write codes without the dot
        code = f"{code[:3]}.{code[3:]}"
    if not _CODE.match(code):
        raise ValueError(f"'{value}' is not a well-formed ICD-10-CM code ({SHAPE_HINT})")
    return code


def _stem(code: str) -> str:
    """The code without its dot, its 7th-character extension and the X placeholders before it."""
    bare = code.replace(".", "")
    if len(bare) == 7:  # the 7th character only names the encounter (initial, subsequent, sequela)
        bare = bare[:6].rstrip("X")
    return bare


class IcdMatch:
    """How a client's code found a complaint: exactly, through a broader known code, or not at all."""

    __slots__ = ("close", "condition", "via")

    def __init__(self, condition: str | None, via: str | None, close: tuple[str, ...] = ()) -> None:
        self.condition = condition
        self.via = via  # the knowledge's code that matched
        self.close = close  # known codes worth suggesting when nothing matched

    def __repr__(self) -> str:
        return f"IcdMatch({self.condition!r}, via={self.via!r}, close={self.close!r})"


def resolve_icd10(code: str, index: Mapping[str, str]) -> IcdMatch:
    """Find the complaint for ``code``: the exact code, else the longest known code it refines.

    ICD-10-CM is a hierarchy: ``M54.59`` refines ``M54.5``, and ``S93.401D`` (a
    later visit) is the same injury as ``S93.401A``. A code broader than every
    known one (``M54``) or a sibling (``M54.2`` beside ``M54.50``) matches
    nothing, because it may name a different problem; ``close`` then lists the
    known codes of the same category.
    """
    if code in index:
        return IcdMatch(index[code], code)
    stem = _stem(code)
    best: list[str] = []
    best_length = 0
    for known in index:
        known_stem = _stem(known)
        if stem.startswith(known_stem):
            if len(known_stem) > best_length:
                best, best_length = [known], len(known_stem)
            elif len(known_stem) == best_length:
                best.append(known)
    conditions = {index[k] for k in best}
    if len(conditions) == 1:
        return IcdMatch(conditions.pop(), sorted(best)[0])
    category = code[:3]
    close = tuple(sorted(k for k in index if k.startswith(category))) or tuple(sorted(best))
    return IcdMatch(None, None, close)


def billable_units(minutes: int, unit_minutes: int, min_minutes: int) -> int:
    """Units for ``minutes`` of timed care: one per whole unit, one more for a remainder of ``min_minutes`` or more.

    With 15-minute units and an 8-minute threshold this is the CMS table:
    8-22 minutes bill 1 unit, 23-37 bill 2, 38-52 bill 3, 53-67 bill 4.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    whole, remainder = divmod(minutes, unit_minutes)
    return whole + (1 if remainder >= min_minutes else 0)
