"""The profile flags: ``--profile FILE`` and one flag per profile field, shared by every command that takes a profile.

``suggest``, ``massage-rules course start`` and ``massage-rules explain`` take the
same flags, so a therapist types a client the same way everywhere. Flags given
with ``--profile`` override the file's fields; a list flag given at all replaces
the file's list. Values go to the profile unchecked (a severity word, an age as
text), so that a bad one is a ``ProfileError`` naming the field and what it allows.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from massage_rules.knowledge.load import KnowledgeBase
    from massage_rules.models import ClientProfile

__all__ = ["PROFILE_FLAGS", "add_profile_flags", "profile_fields", "profile_from_args"]

# The profile fields a flag gives, by their name in the parsed arguments (the field's own name).
PROFILE_FLAGS = (
    "areas",
    "cause",
    "severity",
    "phase",
    "days_since_onset",
    "goals",
    "health",
    "conditions",
    "age",
    "cleared",
)


def add_profile_flags(parser: argparse.ArgumentParser) -> None:
    """``--profile FILE`` and one flag per field (see :data:`PROFILE_FLAGS`)."""
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="read the profile from a YAML or JSON file; flags given as well override its fields",
    )
    parser.add_argument(
        "--area",
        action="append",
        dest="areas",
        metavar="AREA",
        help="a problem area, e.g. lower_back (repeat for several)",
    )
    parser.add_argument("--cause", help="what caused it, e.g. posture, sport, fall")
    parser.add_argument("--severity", help="pain 0-10, or mild / moderate / severe")
    parser.add_argument("--phase", help="acute, subacute or chronic")
    parser.add_argument(
        "--days-since-onset", type=_days, metavar="DAYS", help="days since the problem began; the phase follows from it"
    )
    parser.add_argument(
        "--goal", action="append", dest="goals", metavar="GOAL", help="a goal, e.g. pain_relief (repeat for several)"
    )
    parser.add_argument(
        "--health",
        action="append",
        metavar="FINDING",
        help="a screening finding, optionally tied to an area: varicose_veins@calf (repeat)",
    )
    parser.add_argument(
        "--condition",
        action="append",
        dest="conditions",
        metavar="ID_OR_ICD10",
        help="a known diagnosis, by id or ICD-10-CM code (repeat)",
    )
    parser.add_argument("--age", metavar="YEARS", help="the client's age, 0-130; some red flags depend on it")
    parser.add_argument(
        "--cleared",
        action="append",
        metavar="RULE",
        help="a screening question asked and answered no, by the rule id the answer shows (repeat)",
    )


def _days(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        shown = value if len(value) <= 20 else value[:17] + "..."
        raise argparse.ArgumentTypeError(f"'{shown}' is not a whole number of days (0 to 36500)")
    return int(text)


def profile_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The profile fields the flags give (none for a flag left out)."""
    return {name: getattr(args, name) for name in PROFILE_FLAGS if getattr(args, name, None) is not None}


def profile_from_args(args: argparse.Namespace, knowledge: KnowledgeBase) -> ClientProfile | None:
    """The profile a command line gives: ``--profile FILE`` with any field flags on top; None when neither.

    Raises ``ProfileError``.
    """
    from massage_rules.engine import profile_files as _input

    fields: dict[str, Any] = {}
    if args.profile:
        fields = dict(_input.load_profile(args.profile, knowledge).model_dump(exclude_defaults=True))
    fields.update(profile_fields(args))
    return _input.parse_profile(fields, knowledge) if fields else None
