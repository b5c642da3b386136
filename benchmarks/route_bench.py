"""Router benchmarks: hrouter against the reference hermes-router 0.5.1, side by side in one process.

    python -m benchmarks.route_bench [--repeats 7] [--json FILE]

Every figure is a median of `--repeats` runs; contenders alternate within each repeat so machine
noise falls on both. Ratios are ours / reference (lower is better).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.timing import bench_main, goal_lines, interleaved_medians, once_median, process_wall_median

FIVE_PROMPTS = (
    "rewrite this text",
    "fix the repo and run tests",
    "search the web for the latest TypeScript release notes",
    "drop the production database",
    "Design a distributed task scheduler with backpressure and exactly-once delivery semantics.",
)

# Goals from issue 2: ratio ceilings (ours / reference) and absolute budgets in seconds.
GOALS = {
    "route_fast_ratio": 0.6,
    "route_ratio": 0.1,
    "route_4kb_ratio": 0.02,
    "route_1mb_seconds": 0.030,
    "linear_1mb_over_100kb": 12.0,
    "decide_process_ratio": 0.6,
    "compile_seconds": 1.0,
    "artifact_load_seconds": 0.050,
}


def four_kb_prompt() -> str:
    sentences = (
        "Please review the quarterly planning notes and summarise the open questions. ",
        "The team compared three storage engines for the ingestion service last week. ",
        "Latency targets were discussed, along with the cost of running replicas. ",
        "Some attendees asked whether the dashboard screenshots should be attached. ",
    )
    text, i = "", 0
    while len(text) < 4096:
        text += sentences[i % len(sentences)]
        i += 1
    return text[:4096]


def risky_vision_prompt(size: int) -> str:
    unit = "delete the production database and look at this screenshot of the chart "
    return (unit * (size // len(unit) + 1))[:size]


def corpus_prompts() -> list[str]:
    path = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus_extra.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["prompt"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


_FIRST_SEEN = """
import json, statistics, sys, time
prompts = json.loads(sys.stdin.read())
if sys.argv[1] == "ours":
    from hrouter.engine import ModelRouter
else:
    from model_router import ModelRouter
router = ModelRouter.from_config()
if sys.argv[1] == "ours":
    router.warm()  # compile every RE2 object up front, as the proxy does at start
router.route_fast("warm up the router")
times = []
for prompt in prompts:
    start = time.perf_counter()
    router.route_fast(prompt)
    times.append(time.perf_counter() - start)
times.sort()
print(json.dumps({"median": statistics.median(times), "p90": times[int(0.9 * len(times))], "total": sum(times)}))
"""


def first_seen(prompts: list[str]) -> dict:
    """Each router fresh in its own process, routing every prompt once: the cost a stream of
    never-seen requests pays (lazily built DFA states included; ours warmed up first, as the
    proxy does, so pattern compilation is not in the figures). Informational."""
    import subprocess

    out = {}
    for who in ("ours", "reference"):
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_SEEN, who], input=json.dumps(prompts), capture_output=True, text=True, check=True
        )
        out[who] = json.loads(done.stdout)
    return {
        "prompts": len(prompts),
        "ours_median_us": out["ours"]["median"] * 1e6,
        "ours_p90_us": out["ours"]["p90"] * 1e6,
        "reference_median_us": out["reference"]["median"] * 1e6,
        "reference_p90_us": out["reference"]["p90"] * 1e6,
        "ours_total_ms": out["ours"]["total"] * 1e3,
        "reference_total_ms": out["reference"]["total"] * 1e3,
    }


def measure(repeats: int) -> dict:
    from model_router import ModelRouter as ReferenceRouter

    from hrouter.compiler import compile_rules
    from hrouter.engine import ModelRouter
    from hrouter.engine.artifact_io import load_artifact, write_artifact

    ours = ModelRouter.from_config()
    ref = ReferenceRouter.from_config()
    results: dict = {"repeats": repeats}

    def paired(label: str, our_fn, ref_fn, number: int) -> None:
        medians = interleaved_medians({"ours": our_fn, "reference": ref_fn}, number=number, repeats=repeats)
        results[label] = {
            "ours_us": medians["ours"] * 1e6,
            "reference_us": medians["reference"] * 1e6,
            "ratio": medians["ours"] / medians["reference"],
        }

    def all_five(fn):
        return lambda: [fn(p) for p in FIVE_PROMPTS]

    paired("route_fast", all_five(ours.route_fast), all_five(ref.route_fast), number=2000)
    paired(
        "route",
        all_five(lambda p: ours.route(p, include_alternatives=False)),
        all_five(lambda p: ref.route(p, include_alternatives=False)),
        number=200,
    )
    big = four_kb_prompt()
    paired("route_4kb", lambda: ours.route(big), lambda: ref.route(big), number=20)

    corpus = corpus_prompts()
    if corpus:
        # Distinct prompts, so this is the cost a stream of new requests sees (informational).
        paired("route_fast_corpus", lambda: [ours.route_fast(p) for p in corpus],
               lambda: [ref.route_fast(p) for p in corpus], number=5)
        results["route_fast_corpus"]["prompts"] = len(corpus)
        results["first_seen"] = first_seen(corpus)

    mb, hundred_kb = risky_vision_prompt(1 << 20), risky_vision_prompt(100 << 10)
    t_mb = once_median(lambda: ours.route(mb), repeats=repeats)
    t_100 = once_median(lambda: ours.route(hundred_kb), repeats=repeats)
    results["route_1mb"] = {"seconds": t_mb, "engine": ours.route_fast(mb)}
    results["route_100kb"] = {"seconds": t_100}
    results["linear_1mb_over_100kb"] = t_mb / t_100

    rules_dir = Path(__file__).resolve().parents[1] / "rules"
    # The goal is about producing the artifact; running the expect lines is testing, reported apart.
    results["compile_seconds"] = once_median(lambda: compile_rules(rules_dir, check_expects=False), repeats=repeats)
    results["compile_with_expects_seconds"] = once_median(lambda: compile_rules(rules_dir), repeats=repeats)
    with tempfile.TemporaryDirectory() as tmp:
        artifact_path = Path(tmp) / "artifact.json"
        write_artifact(compile_rules(rules_dir), artifact_path)
        results["artifact_load_seconds"] = once_median(
            lambda: ModelRouter.from_config(rules=artifact_path), repeats=repeats
        )
        results["artifact_parse_seconds"] = once_median(lambda: load_artifact(artifact_path), repeats=repeats)

    bindir = Path(sys.executable).parent
    ours_cli, ref_cli = shutil.which("hrouter", path=str(bindir)), shutil.which("model-router", path=str(bindir))
    if ours_cli and ref_cli:
        env_prompt = "rewrite this text"
        # Warm our artifact cache first: the goal is about unchanged rules.
        os.system(f"{ours_cli} decide '{env_prompt}' > /dev/null")
        # Whole processes on a shared machine are noisy: three times the repeats, interleaved.
        walls = process_wall_median(
            {"ours": [ours_cli, "decide", env_prompt], "reference": [ref_cli, "decide", env_prompt]},
            repeats=3 * repeats,
        )
        results["decide_process"] = {
            "ours_ms": walls["ours"] * 1e3,
            "reference_ms": walls["reference"] * 1e3,
            "ratio": walls["ours"] / walls["reference"],
        }
    return results


def verdicts(results: dict) -> list[tuple[str, float, float, bool]]:
    rows = []

    def check(name: str, value: float) -> None:
        goal = GOALS[name]
        rows.append((name, value, goal, value <= goal))

    check("route_fast_ratio", results["route_fast"]["ratio"])
    check("route_ratio", results["route"]["ratio"])
    check("route_4kb_ratio", results["route_4kb"]["ratio"])
    check("route_1mb_seconds", results["route_1mb"]["seconds"])
    check("linear_1mb_over_100kb", results["linear_1mb_over_100kb"])
    if "decide_process" in results:
        check("decide_process_ratio", results["decide_process"]["ratio"])
    check("compile_seconds", results["compile_seconds"])
    check("artifact_load_seconds", results["artifact_load_seconds"])
    return rows


def report(results: dict) -> str:
    lines = [f"hrouter vs hermes-router 0.5.1 (medians of {results['repeats']} runs, ours/reference)"]
    for key in ("route_fast", "route", "route_4kb", "route_fast_corpus"):
        if key in results:
            r = results[key]
            lines.append(
                f"  {key:<18} ours {r['ours_us']:10.1f} us   reference {r['reference_us']:10.1f} us   ratio {r['ratio']:.3f}"
            )
    if "first_seen" in results:
        f = results["first_seen"]
        lines.append(
            f"  {'first-seen':<18} ours median {f['ours_median_us']:.1f} us, p90 {f['ours_p90_us']:.1f} us; "
            f"reference median {f['reference_median_us']:.1f} us, p90 {f['reference_p90_us']:.1f} us "
            f"(fresh process, ours warmed up, each of {f['prompts']} corpus prompts once; no goal)"
        )
    if "decide_process" in results:
        d = results["decide_process"]
        lines.append(
            f"  {'decide (process)':<18} ours {d['ours_ms']:10.1f} ms   reference {d['reference_ms']:10.1f} ms   ratio {d['ratio']:.3f}"
        )
    lines.append(f"  route 1 MB: {results['route_1mb']['seconds'] * 1e3:.2f} ms, 100 KB: "
                 f"{results['route_100kb']['seconds'] * 1e3:.2f} ms, ratio {results['linear_1mb_over_100kb']:.2f}")
    lines.append(f"  compile default rules: {results['compile_seconds'] * 1e3:.1f} ms "
                 f"({results['compile_with_expects_seconds'] * 1e3:.1f} ms with every expect checked); "
                 f"load artifact into a router: {results['artifact_load_seconds'] * 1e3:.1f} ms "
                 f"(JSON parse alone {results['artifact_parse_seconds'] * 1e3:.1f} ms)")
    lines += goal_lines(verdicts(results))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, __doc__, measure, report, verdicts, size_flag="--repeats", default=7, minimum=5)

if __name__ == "__main__":
    sys.exit(main())
