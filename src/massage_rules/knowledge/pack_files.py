"""What a clinic pack must say about itself, and the plan settings it replaces.

Headers: the files up to the first ``pack:`` header are the base (the bundled
knowledge: five files without a header, then ``vocabulary.yaml`` with
``core``). Every file after that is a clinic pack and needs a header of its
own; its id may not be ``core`` or the id of a bundled file, nor one another
file already uses. So the knowledge stamp names every pack, and no pack can pose
as the core.

Plan settings: a later file's ``plan.reassess``, ``plan.meaningful_change``,
``plan.status_advice`` or a setting of the dose model (``severity``,
``no_course``, ``short_block``, ``trial_margin``, ``short_course_max``) replaces
an earlier one's only with an ``overrides:`` entry ``{plan: <key>, reason: ...}``
in the same file, recorded like a rule's override. The course's safety stops are locked: ``worsening_points`` may not
rise, and the advice for the ``worsening`` and ``red_flag`` statuses may not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from massage_rules.knowledge import schema as s
from massage_rules.knowledge.packs import reason_problem, reason_where
from massage_rules.knowledge.yaml_files import locate
from massage_rules.models import OverrideStamp

if TYPE_CHECKING:
    from massage_rules.knowledge.packs import _Item, _Reporter

__all__ = ["LOCKED_STATUSES", "PLAN_SETTINGS", "RESERVED_PACK_IDS", "pack_headers", "plan_overrides"]

RESERVED_PACK_IDS = frozenset({"core"})
# The plan settings a later file replaces whole (the progress texts, then the dose model's): the schema's list.
PLAN_SETTINGS: tuple[str, ...] = get_args(s.PlanSetting)
LOCKED_STATUSES = {"worsening": "pain gets meaningfully worse", "red_flag": "a new finding needs a physician"}

_Files = Sequence[tuple[str, s.KnowledgeFile, Any]]


def pack_headers(files: _Files, checker: _Reporter, bundled: Iterable[Path]) -> tuple[tuple[str, str], ...]:
    """The (id, version) of every pack, in load order; a missing, reserved or reused header is an error."""
    bundled_names = {str(path) for path in bundled}
    reserved = set(RESERVED_PACK_IDS)
    reserved.update(m.pack.id for name, m, _ in files if name in bundled_names and m.pack is not None)
    packs: list[tuple[str, str]] = []
    used: dict[str, str] = {}
    base_done = False
    for name, model, data in files:
        header = model.pack
        if header is None:
            if base_done:
                checker.error(
                    (name, *locate(data, ())),
                    "has no 'pack: {id, version}' header; a clinic pack must name itself and its version, "
                    "so that every answer can name it",
                )
            continue
        where = (name, *locate(data, ("pack", "id")))
        if base_done and header.id in reserved:
            checker.error(
                where, f"pack id '{header.id}' is reserved for the bundled knowledge; give the pack its own id"
            )
        elif header.id in used:
            checker.error(
                where, f"pack id '{header.id}' is already used by {used[header.id]}; give each pack its own id"
            )
        else:
            used[header.id] = f"{name}:{where[1]}"
            packs.append((header.id, header.version))
        base_done = True
    return tuple(packs)


def plan_overrides(
    files: _Files, items: Iterable[_Item], checker: _Reporter, pack_of: Mapping[str, str | None]
) -> tuple[OverrideStamp, ...]:
    """A stamp for each plan setting a file replaces; a silent, locked or thinly argued replacement is an error."""
    declared: dict[tuple[str, str], _Item] = {}
    for item in items:
        setting = item.value.plan
        if setting is None:
            continue
        if (item.file, setting) in declared:
            first = declared[(item.file, setting)].where()
            checker.error(
                item.where(), f"a second override of plan.{setting} (first at {first[0]}:{first[1]})", f"plan.{setting}"
            )
            continue
        declared[(item.file, setting)] = item
    stamps: list[OverrideStamp] = []
    answered: set[tuple[str, str]] = set()
    for setting in PLAN_SETTINGS:
        before: tuple[str, Any] | None = None  # where the setting in force was given, and its value
        for name, model, data in files:
            value = getattr(model.plan, setting)
            if value is None:
                continue
            where = (name, *locate(data, ("plan", setting)))
            if before is not None:
                answered.add((name, setting))
                stamp = _replacement(setting, before, value, where, data, declared.get((name, setting)), checker)
                if stamp is not None:
                    stamps.append(stamp.model_copy(update={"pack": pack_of.get(name)}))
            before = (f"{name}:{where[1]}", value)
    for (name, setting), item in declared.items():
        if (name, setting) in answered:
            continue
        model = next(m for n, m, _ in files if n == name)
        if getattr(model.plan, setting) is None:
            problem = f"overrides plan.{setting}, but this file gives no plan.{setting} to replace it with"
        else:
            problem = f"overrides plan.{setting}, but no earlier file gives one; drop the override"
        checker.error(item.where(), problem, f"plan.{setting}")
    return tuple(stamps)


def _replacement(
    setting: str,
    before: tuple[str, Any],
    value: Any,
    where: tuple[str, int, int],
    data: Any,
    item: _Item | None,
    checker: _Reporter,
) -> OverrideStamp | None:
    """Check one replacement of a plan setting; its stamp (pack filled in by the caller), or None after a problem."""
    origin, old = before
    owner = f"plan.{setting}"
    if item is None:
        checker.error(
            where,
            f"replaces plan.{setting} from {origin}; say so with an 'overrides:' entry "
            f"{{plan: {setting}, reason: ...}}, so that every answer records it",
            owner,
        )
        return None
    ok = True
    if setting == "meaningful_change" and value.worsening_points > old.worsening_points:
        checker.error(
            (where[0], *locate(data, ("plan", setting, "worsening_points"))),
            f"plan.meaningful_change.worsening_points is locked against weakening: {value.worsening_points} is "
            f"above the {old.worsening_points} of {origin}, so a course that gets worse would stop later; "
            "a pack may only lower it",
            owner,
        )
        ok = False
    if setting == "status_advice":
        for status, when in LOCKED_STATUSES.items():
            if getattr(value, status).text != getattr(old, status).text:
                checker.error(
                    (where[0], *locate(data, ("plan", setting, status))),
                    f"plan.status_advice.{status} is locked: what to do when {when} stays as {origin} says; "
                    "a pack may replace only the advice for on_track, ahead and not_responding",
                    owner,
                )
                ok = False
    thin = reason_problem(item.value.reason)
    if thin is not None:
        checker.error(reason_where(item), f"replacing plan.{setting} {thin}", owner)
        ok = False
    if not ok:
        return None
    checker.warn(where, f"replaces plan.{setting} from {origin}; every answer records the override", owner)
    return OverrideStamp(rule=owner, action="replace", reason=item.value.reason, pack=None)
