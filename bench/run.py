"""Benchmarks for massage_rules: bundled knowledge, synthetic bases against peers, start-up, loading.

    python bench/run.py                 # everything, 5 repeats, medians
    python bench/run.py --quick         # a smoke run: fewer profiles, 100 and 1,000 rules only
    python bench/run.py --startup-only  # only the start-up section (21 rounds; with --quick, 5)
    taskset -c 1 python bench/run.py    # pin to one core

zen-engine comes from the optional ``bench`` extra (``pip install -e '.[bench]'``);
without it that column is skipped. Every variant must give the same top-5 and the
same set of fired rules on every profile, or the run stops before timing anything.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import naive
import synth

import massage_rules as mr
from massage_rules.engine.resolve import resolve_profile
from massage_rules.rules.firing import fire


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn``, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def race(variants: dict[str, Callable[[int], Any]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per variant, run in turn each round so that load bursts hit all alike.

    Each variant is called with the round number and must use that round's own
    batch of profiles, so that nothing cached sees a timed profile twice. Round 0
    is a warm-up (lazy imports, code paths) and is not counted. CPU time
    (``time.process_time``, every thread of this process) is what a variant costs
    when the machine is shared; wall time is what a user waits.
    """
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(repeats + 1):
        for name, fn in variants.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            fn(round_)
            if round_:
                cpu[name].append(time.process_time() - start_cpu)
                wall[name].append(time.perf_counter() - start)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in variants}


def realistic_profiles(kb: mr.KnowledgeBase, n: int, seed: int = 7) -> list[mr.ClientProfile]:
    """Seeded profiles drawn from whatever vocabulary ``kb`` defines."""
    rnd = random.Random(seed)
    areas, goals, causes = sorted(kb.areas), sorted(kb.goals), sorted(kb.causes)
    phases, findings, conditions = sorted(kb.phases), sorted(kb.findings), sorted(kb.conditions)
    out = []
    for _ in range(n):
        fields: dict[str, Any] = {
            "areas": rnd.sample(areas, rnd.randint(1, min(3, len(areas)))),
            "cause": rnd.choice(causes) if rnd.random() < 0.85 else None,
            "severity": rnd.randint(0, 10),
            "goals": rnd.sample(goals, rnd.randint(1, min(3, len(goals)))),
        }
        if rnd.random() < 0.5:
            fields["phase"] = rnd.choice(phases)
        else:
            fields["days_since_onset"] = rnd.randint(0, 400)
        health = set()
        for _ in range(rnd.choice([0, 0, 0, 0, 1, 1, 2])):
            finding = rnd.choice(findings)
            if kb.findings[finding].local:
                finding += "@" + rnd.choice(fields["areas"])
            health.add(finding)
        fields["health"] = sorted(health)
        if conditions and rnd.random() < 0.15:
            fields["conditions"] = [rnd.choice(conditions)]
        out.append(mr.ClientProfile(**fields))
    return out


def _stream(answers: Iterable[Any]) -> None:
    """Consume answers as a streaming caller does (one at a time, none kept)."""
    collections.deque(answers, maxlen=0)


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - start_cpu


def bench_bundled(n: int, repeats: int) -> dict[str, Any]:
    """The bundled knowledge, with full answers, on profiles the engine has not seen before.

    Every timed run gets a new seeded batch, so that no cache anywhere (the
    interpreter's, the allocator's, or a memo someone adds later) is flattered:
    ``cold`` on a freshly loaded knowledge base (its index not built yet),
    ``steady`` on one that has already answered a stream of other profiles.
    """
    kb = mr.load_knowledge()
    check = realistic_profiles(kb, n)
    assert list(mr.recommend_many(check, kb)) == [mr.recommend(p, kb) for p in check]
    batches = [realistic_profiles(kb, n, seed=100 + i) for i in range(4 * repeats + 4)]
    steady_kb = mr.load_knowledge()
    _stream(mr.recommend_many(realistic_profiles(kb, 20_000, seed=8), steady_kb))
    gc.collect()
    runs: dict[str, list[tuple[float, float]]] = {}
    for round_ in range(repeats + 1):  # round 0 warms the code paths and is dropped
        fresh = [mr.load_knowledge() for _ in range(2)]
        a, b, c, d = batches[4 * round_ : 4 * round_ + 4]
        variants: dict[str, Callable[[], Any]] = {
            "cold_stream": lambda ps=a, k=fresh[0]: _stream(mr.recommend_many(ps, k)),
            "cold_kept": lambda ps=b, k=fresh[1]: list(mr.recommend_many(ps, k)),
            "steady_stream": lambda ps=c: _stream(mr.recommend_many(ps, steady_kb)),
            "steady_recommend_json": lambda ps=d: [mr.recommend(p, steady_kb).model_dump_json() for p in ps],
        }
        for name, fn in variants.items():
            took = _timed(fn)
            if round_:
                runs.setdefault(name, []).append(took)
    fired = statistics.mean(len(fire(resolve_profile(p, kb), kb).rules) for p in check)
    load_s = median_time(mr.load_knowledge, repeats)  # the knowledge cache warm, as after the first run
    was = os.environ.get("MASSAGE_RULES_NO_CACHE")
    os.environ["MASSAGE_RULES_NO_CACHE"] = "1"
    try:
        parse_s = median_time(mr.load_knowledge, repeats)  # parsing and validating every file
    finally:
        if was is None:
            del os.environ["MASSAGE_RULES_NO_CACHE"]
        else:
            os.environ["MASSAGE_RULES_NO_CACHE"] = was
    out: dict[str, Any] = {
        "knowledge": repr(kb),
        "load_knowledge_ms": round(load_s * 1e3, 1),
        "load_knowledge_no_cache_ms": round(parse_s * 1e3, 1),
        "profiles": n,
        "mean_fired_rules": round(fired, 1),
    }
    for name, took in runs.items():
        out[f"{name}_per_s_cpu"] = round(n / statistics.median(cpu for _, cpu in took))
        out[f"{name}_per_s_wall"] = round(n / statistics.median(wall for wall, _ in took))
    return out


class OursFull:
    """massage_rules as users call it: recommend_many, full answers with every reason."""

    def __init__(self, kb: mr.KnowledgeBase) -> None:
        self.kb = kb

    def run(self, profiles: list[mr.ClientProfile]) -> list[mr.Recommendation]:
        return list(mr.recommend_many(profiles, self.kb))


class OursMatch:
    """massage_rules' compiled index, then the very top-5 arithmetic the peers use (``naive.top5``).

    The like-for-like column: the same output as the naive loop and zen-engine
    (a top-5 and the fired rules), and the same code after matching, so the
    columns differ only in how they find the rules that fire. Each profile is
    still checked against the vocabulary (``resolve_profile``), as every answer is.
    """

    def __init__(self, kb: mr.KnowledgeBase, flat: list[synth.FlatRule]) -> None:
        self.kb = kb
        self.by_id = {rule.id: rule for rule in flat}

    def evaluate(self, profile: mr.ClientProfile) -> tuple[list[str], set[str]]:
        fired = fire(resolve_profile(profile, self.kb), self.kb)
        by_id = self.by_id
        return naive.top5([by_id[rule.id] for rule in fired.rules])


Engine = tuple[mr.KnowledgeBase, OursMatch]


def synthetic(
    sizes: Iterable[int],
    n_profiles: dict[int, int],
    repeats: int,
    with_zen: bool,
    keep: dict[int, Engine] | None = None,
) -> list[dict[str, Any]]:
    """One row per base size: every variant checked for agreement, then raced. ``keep`` collects the engines."""
    rows = []
    folder = Path(tempfile.mkdtemp(prefix="mr-bench-"))
    try:
        for size in sizes:
            doc = synth.knowledge(size, seed=size)
            path = folder / f"synthetic-{size}.yaml"
            path.write_text(synth.to_yaml(doc), encoding="utf-8")
            load_s = median_time(lambda p=path: mr.load_knowledge([p], bundled=False), max(1, repeats // 2))
            kb = mr.load_knowledge([path], bundled=False)
            flat = synth.flat_rules(doc)
            # A seeded batch for the check, then a new one per round, the warm-up round included (see race()):
            # a warm-up that replayed the checked batch would time what no stream of new profiles sees.
            raws = [synth.profiles(n_profiles[size], seed=size + 1 + k) for k in range(repeats + 2)]
            batches = [[mr.ClientProfile(**fields) for fields in raw] for raw in raws]
            raw, profiles = raws.pop(0), batches.pop(0)
            ours = OursFull(kb)
            match = OursMatch(kb, flat)
            loop = naive.NaiveEngine(flat)
            zen_engine = None
            if with_zen:
                import zen_table

                zen_engine = zen_table.ZenEngine(flat)
            # The check: same top-5, same fired rules, on every profile, for every variant.
            results = ours.run(profiles)
            fired_counts = []
            for fields, profile, result in zip(raw, profiles, results, strict=True):
                fired = {rule.id for rule in fire(resolve_profile(profile, kb), kb).rules}
                fired_counts.append(len(fired))
                expected = ([t.id for t in result.techniques[:5]], fired)
                assert match.evaluate(profile) == expected, f"top-5 arithmetic differs at {size} rules on {fields}"
                assert loop.evaluate(fields) == expected, f"naive loop differs at {size} rules on {fields}"
                if zen_engine is not None:
                    assert zen_engine.evaluate(fields) == expected, f"zen-engine differs at {size} rules on {fields}"
            n = len(profiles)
            row: dict[str, Any] = {
                "rules": size,
                "compiled_rules": len(kb.rules),
                "profiles": n,
                "mean_fired_rules": round(statistics.mean(fired_counts), 1),
                "load_knowledge_ms": round(load_s * 1e3, 1),
            }
            variants: dict[str, Callable[[int], Any]] = {
                "ours": lambda k: _stream(mr.recommend_many(batches[k], kb)),  # noqa: B023 - called in this iteration
                "ours_top5": lambda k: [match.evaluate(p) for p in batches[k]],  # noqa: B023
                "naive": lambda k: [loop.evaluate(f) for f in raws[k]],  # noqa: B023
            }
            if zen_engine is not None:
                z = zen_engine
                variants["zen"] = lambda k: [z.evaluate(f) for f in raws[k]]  # noqa: B023
            for name, (wall, cpu) in race(variants, repeats).items():
                row[f"{name}_per_s"] = n / cpu
                row[f"{name}_per_s_wall"] = n / wall
            rows.append(row)
            if keep is not None:
                keep[size] = (kb, match)
            print(f"  {size:>6} rules: {_fmt(row)}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def growth_same_rounds(engines: dict[int, Engine], n_profiles: dict[int, int], repeats: int) -> dict[str, float]:
    """Per-profile cost on the largest base over the smallest, both timed back to back in each round.

    The races of different sizes run minutes apart, and this machine's speed
    moves between them, so a ratio of their medians carries that swing twice.
    Here every round times both bases in turn, on seeded batches neither has
    seen, and the growth is the median of the rounds' own ratios.
    """
    small, big = min(engines), max(engines)
    batches = {
        size: [
            [mr.ClientProfile(**f) for f in synth.profiles(n_profiles[size], seed=size + 1000 + k)]
            for k in range(repeats + 1)
        ]
        for size in (small, big)
    }
    ratios: dict[str, list[float]] = {"ours": [], "ours_top5": []}
    for round_ in range(repeats + 1):  # round 0 warms up and is dropped, as in race()
        cost: dict[tuple[str, int], float] = {}
        for size in (small, big):
            kb, match = engines[size]
            ps = batches[size][round_]
            cost["ours", size] = _timed(lambda: _stream(mr.recommend_many(ps, kb)))[1] / len(ps)  # noqa: B023
            cost["ours_top5", size] = _timed(lambda: [match.evaluate(p) for p in ps])[1] / len(ps)  # noqa: B023
        if round_:
            for name, found in ratios.items():
                found.append(cost[name, big] / cost[name, small])
    return {
        "per_profile_cost_growth_same_rounds": round(statistics.median(ratios["ours"]), 1),
        "per_profile_cost_growth_top5_same_rounds": round(statistics.median(ratios["ours_top5"]), 1),
    }


def _fmt(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={round(v) if isinstance(v, float) and v > 100 else v}" for k, v in row.items())


ONE_PROFILE = ["--area", "lower_back", "--cause", "posture", "--severity", "6", "--phase", "chronic"]
ONE_PROFILE += ["--goal", "pain_relief"]
FLOOR = "import yaml, pydantic\nclass M(pydantic.BaseModel):\n    x: int\nM(x=1)\n"


def startup(runs: int) -> dict[str, Any]:
    """CPU and wall time of fresh processes: the floor, ``import massage_rules``, ``suggest`` for one profile.

    As installed: the package's bytecode is compiled first (pip does that when it
    installs a wheel; an editable install under PYTHONDONTWRITEBYTECODE would
    otherwise compile every module in every process), and the knowledge cache,
    in a folder of its own, is warmed by one run. ``suggest_no_cache`` runs with
    ``MASSAGE_RULES_NO_CACHE=1``: what the first run after an install or an edit costs.
    """
    import compileall

    compileall.compile_dir(str(Path(mr.__file__).parent), quiet=1)
    suggest = shutil.which("suggest", path=str(Path(sys.executable).parent)) or shutil.which("suggest")
    run_suggest = [suggest] if suggest else [sys.executable, "-m", "massage_rules.cli.suggest"]
    commands = {
        "floor": [sys.executable, "-c", FLOOR],
        "import_massage_rules": [sys.executable, "-c", "import massage_rules"],
        "suggest_one_profile": [*run_suggest, *ONE_PROFILE],
        "suggest_one_profile_json": [*run_suggest, *ONE_PROFILE, "--json"],
        "suggest_no_cache": [*run_suggest, *ONE_PROFILE],
    }
    cache = tempfile.mkdtemp(prefix="massage-rules-bench-cache-")
    env = dict(os.environ, MASSAGE_RULES_CACHE_DIR=cache)
    env.pop("MASSAGE_RULES_NO_CACHE", None)
    envs = dict.fromkeys(commands, env)
    envs["suggest_no_cache"] = dict(env, MASSAGE_RULES_NO_CACHE="1")
    subprocess.run(commands["suggest_one_profile"], capture_output=True, check=True, env=env)  # warms the cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so a burst of load hits every command alike
        for name, cmd in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, check=False, env=envs[name])
            times[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed: {done.stderr.decode()[-500:]}")
    out: dict[str, Any] = {"runs": runs}
    for name in commands:
        out[f"{name}_wall_ms"] = round(statistics.median(times[name]) * 1e3, 1)
        out[f"{name}_cpu_ms"] = round(statistics.median(cpu[name]) * 1e3, 1)
    for kind in ("wall", "cpu"):
        floor = out[f"floor_{kind}_ms"]
        out[f"suggest_over_floor_{kind}"] = round(out[f"suggest_one_profile_{kind}_ms"] / floor, 2)
        out[f"suggest_json_over_floor_{kind}"] = round(out[f"suggest_one_profile_json_{kind}_ms"] / floor, 2)
        out[f"suggest_no_cache_over_floor_{kind}"] = round(out[f"suggest_no_cache_{kind}_ms"] / floor, 2)
    shutil.rmtree(cache, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer profiles and repeats")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--no-zen", action="store_true", help="skip zen-engine even if installed")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    parser.add_argument("--parts", default="bundled,synthetic,startup", help="which parts to run (default: all three)")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up section (--parts startup)")
    args = parser.parse_args()
    parts = {"startup"} if args.startup_only else set(args.parts.split(","))
    repeats = 2 if args.quick else args.repeats
    sizes = [100, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    per_size = {100: 1000, 1000: 500, 10000: 100} if not args.quick else {100: 200, 1000: 100}
    try:
        import zen  # noqa: F401

        with_zen = not args.no_zen
    except ImportError:
        with_zen = False
        print("zen-engine is not installed (pip install -e '.[bench]'); skipping it", file=sys.stderr)

    report: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "repeats": repeats,
    }
    if "bundled" in parts:
        print("bundled knowledge ...", file=sys.stderr, flush=True)
        report["bundled"] = bench_bundled(500 if args.quick else 3000, repeats)
        print(f"  {_fmt(report['bundled'])}", file=sys.stderr)
    rows = []
    engines: dict[int, Engine] = {}
    n_profiles = {s: per_size.get(s, 100) for s in sizes}
    if "synthetic" in parts:
        print("synthetic rule bases ...", file=sys.stderr, flush=True)
        rows = synthetic(sizes, n_profiles, repeats, with_zen, keep=engines)
    for row in rows:
        row["ours_over_naive"] = round(row["ours_per_s"] / row["naive_per_s"], 1)
        row["ours_top5_over_naive"] = round(row["ours_top5_per_s"] / row["naive_per_s"], 1)
        if "zen_per_s" in row:
            row["ours_over_zen"] = round(row["ours_per_s"] / row["zen_per_s"], 1)
            row["ours_top5_over_zen"] = round(row["ours_top5_per_s"] / row["zen_per_s"], 1)
        for key in [k for k in row if "_per_s" in k]:
            row[key] = round(row[key])
    report["synthetic"] = rows
    by_size = {row["rules"]: row for row in rows}
    if 100 in by_size and 10000 in by_size:
        small, big = by_size[100], by_size[10000]
        report["scaling_100_to_10000"] = {
            "per_profile_cost_growth": round(small["ours_per_s"] / big["ours_per_s"], 1),
            "per_profile_cost_growth_top5": round(small["ours_top5_per_s"] / big["ours_top5_per_s"], 1),
            "fired_rules_growth": round(big["mean_fired_rules"] / small["mean_fired_rules"], 1),
            **growth_same_rounds({s: engines[s] for s in (100, 10000)}, n_profiles, repeats),
        }
        print(f"  100 to 10,000 rules: {_fmt(report['scaling_100_to_10000'])}", file=sys.stderr)
    if "startup" in parts:
        print("start-up ...", file=sys.stderr, flush=True)
        report["startup"] = startup(5 if args.quick else 21)
    report["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
