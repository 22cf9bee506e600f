"""The workload that ``bench/instructions.sh`` counts under callgrind: new profiles after a warm-up.

    python bench/instructions.py WHAT [N]

WHAT is ``bundled`` (full answers on the bundled knowledge), ``bundled-floor``
(on the same profiles, only what no answer can skip: the profile checked, the
index fired, and one answer object built from parts made beforehand), or ``full:SIZE``,
``match:SIZE``, ``naive:SIZE`` or ``zen:SIZE`` on a synthetic base of SIZE
rules (full answers, the like-for-like match, the naive loop, zen-engine).
Only the N counted profiles (default 300) run with callgrind's instrumentation
on: the script switches it on and off around them with ``callgrind_control``,
so loading and the warm-up cost nothing. Garbage collection stays on unless
NOGC=1 is set.
"""

from __future__ import annotations

import collections
import gc
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import naive
import run
import synth

import massage_rules as mr


def workload(what: str, n: int) -> tuple[Callable[[list[Any]], Any], list[Any], list[Any]]:
    """What to run, the warm-up profiles (the engine's memo tables as in a long batch), the counted ones."""
    if what in ("bundled", "bundled-floor"):
        kb = mr.load_knowledge()
        full = lambda ps: collections.deque(mr.recommend_many(ps, kb), maxlen=0)  # noqa: E731
        warm, counted = run.realistic_profiles(kb, 3000, seed=8), run.realistic_profiles(kb, n, seed=100)
        return (full if what == "bundled" else floor(kb, full, warm)), warm, counted
    kind, _, size_text = what.partition(":")
    size = int(size_text)
    doc = synth.knowledge(size, seed=size)
    flat = synth.flat_rules(doc)
    raw_warm, raw_counted = synth.profiles(500, seed=size + 1), synth.profiles(n, seed=size + 2)
    if kind == "naive":
        loop = naive.NaiveEngine(flat)
        return (lambda ps: [loop.evaluate(p) for p in ps]), raw_warm, raw_counted
    if kind == "zen":
        import zen_table

        table = zen_table.ZenEngine(flat)
        return (lambda ps: [table.evaluate(p) for p in ps]), raw_warm, raw_counted
    path = Path(tempfile.mkdtemp(prefix="mr-count-")) / "synthetic.yaml"
    path.write_text(synth.to_yaml(doc), encoding="utf-8")
    kb = mr.load_knowledge([path], bundled=False)
    warm = [mr.ClientProfile(**fields) for fields in raw_warm]
    counted = [mr.ClientProfile(**fields) for fields in raw_counted]
    if kind == "full":
        return (lambda ps: collections.deque(mr.recommend_many(ps, kb), maxlen=0)), warm, counted
    if kind == "match":
        match = run.OursMatch(kb, flat)
        return (lambda ps: [match.evaluate(p) for p in ps]), warm, counted
    known = "bundled, bundled-floor, full:SIZE, match:SIZE, naive:SIZE or zen:SIZE"
    raise SystemExit(f"unknown workload {what!r}: {known}")


def floor(kb: mr.KnowledgeBase, full: Callable[[list[Any]], Any], warm: list[Any]) -> Callable[[list[Any]], Any]:
    """Per profile, the part of an answer no design that keeps today's answers can skip.

    The profile is checked against the vocabulary, the index fires, and one
    ``Recommendation`` is built around the profile from parts of an earlier
    answer: no screening, ranking, plan or sources.
    """
    from massage_rules.engine.recommend import resolve_profile
    from massage_rules.rules.compiled import trusted_dict

    full(warm)
    parts = dict(next(iter(mr.recommend_many(warm[:1], kb))).__dict__)
    index = kb._tables.index

    def go(profiles: list[Any]) -> None:
        for profile in profiles:
            resolved = resolve_profile(profile, kb)
            index.fire(resolved)
            trusted_dict(mr.Recommendation, {**parts, "profile": resolved.profile})

    return go


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "bundled"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    go, warm, counted = workload(what, n)
    go(warm)
    gc.collect()
    if os.environ.get("NOGC"):
        gc.disable()
    switch = ["callgrind_control", "-i"]
    subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)
    go(counted)
    subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)


if __name__ == "__main__":
    main()
