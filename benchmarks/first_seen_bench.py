"""First-seen routing: every held-out prompt routed once, after warm-up on other traffic.

    python -m benchmarks.first_seen_bench [--rounds 5] [--json FILE]

A proxy almost never sees a prompt twice, so this is the figure that matters (issue 11). Each
round builds fresh routers (ours from the already loaded artifact, so no compilation is timed),
warms both on the tests/data corpora, then routes every held-out prompt (tests/data/heldout9*/ and
../shared/corpus/dev.jsonl, minus any warm-up prompt) once with each router, alternating which goes
first. Figures are medians over rounds of each round's median and p99; ratios are ours /
reference (lower is better). Without the reference installed (``make .venv/.installed-bench``)
only our absolute figures are given.

A second measure runs a fresh process per round: the first 100 prompts routed by a router that was
only loaded (no ``warm()``), against the later ones, so lazy work landing on first requests shows.
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.timing import bench_main, goal_lines

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = sorted((ROOT / "tests" / "data").glob("heldout9*/*.jsonl")) + [ROOT.parent / "shared" / "corpus" / "dev.jsonl"]
WARMUP = sorted((ROOT / "tests" / "data").glob("*.jsonl"))
# Goals from issue 11 (ours / reference); the aim for the median is 0.5.
GOALS = {"median_ratio": 1.0, "p99_ratio": 2.0, "fresh_first100_over_later": 2.0}


def _prompts(paths) -> list[str]:
    out: list[str] = []
    for path in paths:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    prompt = json.loads(line).get("prompt")
                    if isinstance(prompt, str):
                        out.append(prompt)
    return list(dict.fromkeys(out))


def prompt_sets() -> tuple[list[str], list[str]]:
    """(warm-up prompts, held-out prompts), disjoint."""
    warm = _prompts(WARMUP)
    seen = set(warm)
    return warm, [p for p in _prompts(HELDOUT) if p not in seen]


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def one_round(make_ours, make_ref, warm: list[str], heldout: list[str], flip: bool) -> dict[str, list[float]]:
    contenders = {"ours": make_ours()}
    if make_ref is not None:
        contenders["reference"] = make_ref()
    for router in contenders.values():
        for prompt in warm:
            router.route_fast(prompt)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    order = list(contenders.items())
    clock = time.perf_counter
    gc.collect()
    gc.disable()  # a collection pass would land on whichever prompt happened to trigger it
    try:
        for i, prompt in enumerate(heldout):
            for name, router in (order if (i % 2 == 0) != flip else order[::-1]):
                fast = router.route_fast
                start = clock()
                fast(prompt)
                times[name].append(clock() - start)
    finally:
        gc.enable()
    return times


_FRESH = """
import json, statistics, sys, time
prompts = json.loads(sys.stdin.read())
from hrouter.engine import ModelRouter
router = ModelRouter.from_config()
times = []
for prompt in prompts:
    start = time.perf_counter()
    router.route_fast(prompt)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def fresh_process(heldout: list[str], rounds: int) -> dict:
    """Median per-prompt time of the first 100 prompts and of the rest, a fresh process per round."""
    first, later = [], []
    for _ in range(rounds):
        done = subprocess.run([sys.executable, "-c", _FRESH], input=json.dumps(heldout), capture_output=True,
                              text=True, check=True)
        times = json.loads(done.stdout)
        first.append(statistics.median(times[:100]))
        later.append(statistics.median(times[100:]))
    f, l = statistics.median(first), statistics.median(later)
    return {"first100_median_us": f * 1e6, "later_median_us": l * 1e6, "ratio": f / l}


def measure(rounds: int) -> dict:
    from hrouter.engine import ModelRouter
    from hrouter.engine.router import load_artifact_for, load_catalog

    catalog, artifact = load_catalog(None), load_artifact_for(None)

    def make_ours():
        return ModelRouter(catalog, artifact).warm()

    try:
        from model_router import ModelRouter as ReferenceRouter

        make_ref = ReferenceRouter.from_config
    except ImportError:
        make_ref = None
    warm, heldout = prompt_sets()
    stats: dict[str, dict[str, list[float]]] = {}
    for r in range(rounds):
        for name, samples in one_round(make_ours, make_ref, warm, heldout, flip=r % 2 == 1).items():
            s = stats.setdefault(name, {"median": [], "p99": [], "mean": []})
            s["median"].append(statistics.median(samples))
            s["p99"].append(_p99(samples))
            s["mean"].append(statistics.fmean(samples))
    results: dict = {"rounds": rounds, "warmup_prompts": len(warm), "heldout_prompts": len(heldout)}
    for name, s in stats.items():
        results[name] = {f"{k}_us": statistics.median(v) * 1e6 for k, v in s.items()}
    if "reference" in results:
        results["median_ratio"] = results["ours"]["median_us"] / results["reference"]["median_us"]
        results["p99_ratio"] = results["ours"]["p99_us"] / results["reference"]["p99_us"]
    results["fresh"] = fresh_process(heldout, rounds)
    return results


def verdicts(results: dict) -> list[tuple[str, float, float, bool]]:
    rows = []
    for name in ("median_ratio", "p99_ratio"):
        if name in results:
            rows.append((name, results[name], GOALS[name], results[name] <= GOALS[name]))
    fresh = results["fresh"]["ratio"]
    rows.append(("fresh_first100_over_later", fresh, GOALS["fresh_first100_over_later"],
                 fresh <= GOALS["fresh_first100_over_later"]))
    return rows


def report(results: dict) -> str:
    lines = [f"first-seen route_fast: {results['heldout_prompts']} held-out prompts once each, after "
             f"{results['warmup_prompts']} warm-up prompts (medians of {results['rounds']} rounds)"]
    for name in ("ours", "reference"):
        if name in results:
            r = results[name]
            lines.append(f"  {name:<10} median {r['median_us']:8.1f} us   p99 {r['p99_us']:9.1f} us   "
                         f"mean {r['mean_us']:8.1f} us")
    if "median_ratio" in results:
        lines.append(f"  ratio      median {results['median_ratio']:.2f}x   p99 {results['p99_ratio']:.2f}x  (ours / reference)")
    else:
        lines.append("  (reference hermes-router 0.5.1 not installed: absolute figures only)")
    f = results["fresh"]
    lines.append(f"  fresh process, no warm(): first 100 prompts median {f['first100_median_us']:.1f} us, "
                 f"later {f['later_median_us']:.1f} us, ratio {f['ratio']:.2f}")
    lines += goal_lines(verdicts(results))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, __doc__, measure, report, verdicts, size_flag="--rounds", default=5, minimum=1)

if __name__ == "__main__":
    sys.exit(main())
