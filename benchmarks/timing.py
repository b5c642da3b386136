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
