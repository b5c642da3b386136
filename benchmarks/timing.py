"""Timing helpers shared by the benchmarks: medians of repeats, measured side by side."""

from __future__ import annotations

import statistics
import subprocess
import time
import timeit
from typing import Callable


def per_call_median(fn: Callable[[], object], *, number: int, repeats: int = 7) -> float:
    """Median over `repeats` runs of the mean seconds per call in a run of `number` calls."""
    fn()  # warm caches that a long-running process would have warm
    runs = timeit.repeat(fn, number=number, repeat=repeats)
    return statistics.median(run / number for run in runs)


def once_median(fn: Callable[[], object], *, repeats: int = 7) -> float:
    """Median seconds of single calls: for work too slow to loop many times."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def interleaved_medians(
    fns: dict[str, Callable[[], object]], *, number: int, repeats: int = 7
) -> dict[str, float]:
    """Per-call medians for several contenders, alternating them so that machine noise hits all."""
    for fn in fns.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(timeit.timeit(fn, number=number) / number)
    return {name: statistics.median(values) for name, values in samples.items()}


def process_wall_median(argvs: dict[str, list[str]], *, repeats: int = 7) -> dict[str, float]:
    """Median wall time of whole processes, alternating contenders."""
    samples: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(repeats):
        for name, argv in argvs.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def goal_lines(verdicts) -> list[str]:
    """The "goals:" block every benchmark ends its report with: (name, value, goal, ok) rows."""
    return ["goals:"] + [f"  {'PASS' if ok else 'MISS'} {name}: {value:.4g} (goal <= {goal:g})"
                         for name, value, goal, ok in verdicts]


def bench_main(argv, doc: str, measure: Callable, report: Callable, verdicts: Callable, *,
               size_flag: str, default: int, minimum: int = 1) -> int:
    """One command line for every benchmark: a size flag, `--json FILE`, the report, exit 1 on a
    missed goal."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(size_flag, type=int, default=default, dest="size")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = measure(max(minimum, args.size))
    print(report(results))
    print(f"(took {time.perf_counter() - started:.1f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if all(ok for *_, ok in verdicts(results)) else 1
