"""Like-for-like variants of massage_rules on the synthetic bases: where the 10x-naive target stands and why.

    taskset -c 1 python bench/variants.py               # 1,000 and 10,000 rules, 7 rounds
    taskset -c 1 python bench/variants.py --sizes 1000 --repeats 11

``bench/run.py`` times one like-for-like column, ``ours_top5``: the compiled
index, then the very top-5 function the naive loop and zen-engine end with.
Two other ways of drawing that column were proposed, and this script races
them against it and against the naive loop, in the same rounds:

- ``unchecked``: as ``ours_top5``, but the profile is not checked against the
  vocabulary (the naive loop and zen-engine check nothing);
- ``own_ranking``: the engine's own ranking, as full answers use it (memoised
  candidates by the fired scoring rules, then the fired restrictions), cut to
  five ids, instead of the shared top-5 function.

Every variant must give the same top-5 and fired rules as the naive loop on
every profile of the first batch, or the script stops before timing anything.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import naive
import synth
from run import OursMatch, race

import massage_rules as mr
from massage_rules.engine.recommend import Resolved, _candidates, _restrict, _screen, resolve_profile, tie_findings
from massage_rules.rules.compiled import bits

Top5 = tuple[list[str], set[str]]


class Unchecked(OursMatch):
    """``ours_top5`` without the profile check: the profile's values go to the index as given."""

    def evaluate(self, profile: mr.ClientProfile) -> Top5:
        health = tie_findings(profile.health)
        assert profile.phase is not None  # the synthetic profiles give a phase, not days
        r = Resolved(
            profile,
            frozenset(profile.areas),
            profile.cause,
            profile.phase,
            profile.severity,
            None,
            frozenset(profile.goals),
            frozenset(health),
            health,
            frozenset(),
        )
        fired, _ = self.index.fire(r)
        flat = self.flat
        return naive.top5([flat[i] for i in self.bits(fired & self.rules_mask)])


class OwnRanking:
    """The engine's own ranking (memoised candidates, then the fired restrictions), cut to five ids."""

    def __init__(self, kb: mr.KnowledgeBase) -> None:
        tables = kb._tables
        self.kb = kb
        self.tables = tables
        self.index = tables.index
        self.rules_mask = tables.rules_mask
        self.scoring = tables.index.effects["score"]
        self.restricting = tables.index.effects["restrict"]
        self.ids = [rule.id for rule in kb.rules]

    def evaluate(self, profile: mr.ClientProfile) -> Top5:
        kb, tables = self.kb, self.tables
        r = resolve_profile(profile, kb)
        fired = self.index.fire(r)[0] & self.rules_mask
        scoring = fired & self.scoring
        candidates = tables.candidates.find(scoring)
        if candidates is None:
            candidates = tables.candidates.put(scoring, _candidates(scoring, kb))
        restricting = fired & self.restricting
        screen = _screen(restricting, r, kb) if restricting else None
        whole_body = kb.whole_body_areas & r.areas
        top: list[str] = []
        for candidate in candidates:
            tech = candidate[1]
            _name, lowest, highest, where, _cpt, _evidence = tables.techniques[tech]
            areas = r.areas if where is None or r.areas <= where else r.areas.intersection(where)
            if screen is not None:
                if _restrict(tech, lowest, highest, areas, whole_body, screen) is None:
                    continue
            elif not areas:
                continue
            top.append(tech)
            if len(top) == 5:
                break
        return top, set(map(self.ids.__getitem__, bits(fired)))


def _batches_of(engine: OursMatch | OwnRanking, batches: list[list[mr.ClientProfile]]) -> Callable[[int], Any]:
    """A racer for ``race``: round ``k`` evaluates batch ``k``."""
    return lambda k: [engine.evaluate(p) for p in batches[k]]


def compare(size: int, n: int, repeats: int, folder: Path) -> dict[str, Any]:
    """One base: every variant checked against the naive loop, then raced; profiles per CPU-second and ratios."""
    doc = synth.knowledge(size, seed=size)
    path = folder / f"synthetic-{size}.yaml"
    path.write_text(synth.to_yaml(doc), encoding="utf-8")
    kb = mr.load_knowledge([path], bundled=False)
    flat = synth.flat_rules(doc)
    raws = [synth.profiles(n, seed=size + 1 + k) for k in range(repeats + 2)]  # the checked batch, then one per round
    batches = [[mr.ClientProfile(**fields) for fields in raw] for raw in raws]
    loop = naive.NaiveEngine(flat)
    engines: dict[str, OursMatch | OwnRanking] = {
        "ours_top5": OursMatch(kb, flat),
        "unchecked": Unchecked(kb, flat),
        "own_ranking": OwnRanking(kb),
    }
    checked_raw, checked = raws.pop(0), batches.pop(0)
    for fields, profile in zip(checked_raw, checked, strict=True):
        expected = loop.evaluate(fields)
        for name, engine in engines.items():
            assert engine.evaluate(profile) == expected, f"{name} differs at {size} rules on {fields}"
    variants: dict[str, Callable[[int], Any]] = {name: _batches_of(engine, batches) for name, engine in engines.items()}
    variants["naive"] = lambda k: [loop.evaluate(f) for f in raws[k]]
    per_s = {name: n / cpu for name, (_wall, cpu) in race(variants, repeats).items()}
    row: dict[str, Any] = {"rules": size, "profiles": n, "repeats": repeats}
    row.update({f"{name}_per_s": round(value) for name, value in per_s.items()})
    row.update({f"{name}_over_naive": round(per_s[name] / per_s["naive"], 1) for name in engines})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    per_size = {100: 1000, 1000: 500, 10000: 100}
    folder = Path(tempfile.mkdtemp(prefix="mr-variants-"))
    try:
        rows = []
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(compare(size, per_size.get(size, 100), args.repeats, folder))
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
