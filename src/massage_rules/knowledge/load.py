"""Load knowledge files into an immutable :class:`KnowledgeBase`: the bundled files, plus a clinic's own.

All the work happens here, once per base: reading, validation, cross-checks and
compiling techniques, complaints and rules into :class:`CompiledRule` objects,
so that answering a profile only evaluates rules.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from massage_rules.errors import KnowledgeError, Problem
from massage_rules.knowledge import schema as s
from massage_rules.knowledge.base import KnowledgeBase
from massage_rules.knowledge.cache import CacheStore
from massage_rules.knowledge.checker import Checker
from massage_rules.knowledge.compile import compile_knowledge
from massage_rules.knowledge.reading import bundled_knowledge_paths, read_file
from massage_rules.knowledge.rule import CompiledRule

__all__ = [
    "CompiledRule",
    "KnowledgeBase",
    "bundled_knowledge_paths",
    "check_paths",
    "default_knowledge",
    "load_knowledge",
]


def load_knowledge(extra: Sequence[str | Path] = (), *, bundled: bool = True) -> KnowledgeBase:
    """Load, check and compile knowledge: the bundled base plus any clinic files in ``extra``.

    Raises :class:`~massage_rules.KnowledgeError` listing every problem, worst first.
    """
    if isinstance(extra, str | os.PathLike):
        extra = [extra]
    if not isinstance(extra, Iterable) or isinstance(extra, bytes):
        raise KnowledgeError(
            [Problem(0, "<extra>", 0, 0, f"expected a list of file paths, not {type(extra).__name__}")]
        )
    extra = list(extra)
    for i, item in enumerate(extra):
        if not isinstance(item, str | os.PathLike):
            problem = f"extra[{i}]: expected a file path, not {type(item).__name__}"
            raise KnowledgeError([Problem(0, "<extra>", 0, 0, problem)])
    own = bundled_knowledge_paths() if bundled else ()
    paths = [*own, *(Path(p) for p in extra)]
    if not paths:
        raise KnowledgeError([Problem(0, "<none>", 0, 0, "no knowledge files to load")])
    return _load_paths(tuple(paths), cached=len(own))


@functools.lru_cache(maxsize=1)
def default_knowledge() -> KnowledgeBase:
    """The bundled knowledge, loaded once per process (it is immutable, so sharing is safe)."""
    return load_knowledge()


def check_paths(paths: Sequence[Path]) -> tuple[KnowledgeBase | None, tuple[Problem, ...]]:
    """Load ``paths`` and return the base (None when broken) with every problem, warnings included, worst first."""
    checker = Checker()
    try:
        base = _load_paths(tuple(paths), checker)
    except KnowledgeError as exc:
        return None, exc.problems
    return base, tuple(sorted(checker.problems))


def _load_paths(paths: tuple[Path, ...], checker: Checker | None = None, cached: int = 0) -> KnowledgeBase:
    """Load ``paths``; the first ``cached`` of them (the bundled files) may come from the cache (see ``_cache``)."""
    with _gc_paused():
        return _load_paths_now(paths, checker, cached)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while loading.

    Loading allocates tens of thousands of small containers that are freed by
    reference counting; the collector, triggered by the count alone, walks every
    live object again and again (about a third of the bundled base's load time).
    Re-enabled afterwards unless it was off already.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_paths_now(paths: tuple[Path, ...], checker: Checker | None, cached: int) -> KnowledgeBase:
    checker = checker if checker is not None else Checker()
    files: list[tuple[str, s.KnowledgeFile, Any]] = []
    digest = hashlib.sha256()
    cache = CacheStore.open() if cached else None
    for i, path in enumerate(paths):
        read = read_file(path, checker, cache if i < cached else None)
        if read is None:
            continue
        model, data, raw = read
        files.append((str(path), model, data))
        digest.update(len(raw).to_bytes(8, "big"))
        digest.update(raw)
    if cache is not None:
        cache.save()
    if checker.problems:
        raise KnowledgeError(checker.problems)
    base = compile_knowledge(files, checker, digest.hexdigest())
    if any(p.severity_rank == 0 for p in checker.problems):
        raise KnowledgeError(checker.problems)
    return base
