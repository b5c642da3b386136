"""The report maths: agreement with labels, per-engine precision and recall, percentiles."""

from __future__ import annotations

import math
from collections import Counter
from typing import Iterable

import attrs


@attrs.frozen
class ClassScore:
    label: str
    precision: float | None  # None when nothing was predicted as this label
    recall: float | None  # None when no row is labelled this way
    support: int  # labelled rows with this label
    predicted: int  # rows predicted as this label


@attrs.frozen
class Agreement:
    labelled: int
    correct: int
    accuracy: float | None
    classes: tuple[ClassScore, ...]
    labels: tuple[str, ...]  # row and column order of the matrix
    matrix: tuple[tuple[int, ...], ...]  # matrix[i][j]: expected labels[i], predicted labels[j]


class ConfusionCounter:
    """Accumulates (expected, predicted) pairs one at a time, for streaming replays."""

    def __init__(self) -> None:
        self.pairs: Counter[tuple[str, str]] = Counter()

    def add(self, expected: str, predicted: str) -> None:
        self.pairs[(expected, predicted)] += 1

    def result(self) -> Agreement:
        labels = tuple(sorted({e for e, _ in self.pairs} | {p for _, p in self.pairs}))
        index = {name: i for i, name in enumerate(labels)}
        grid = [[0] * len(labels) for _ in labels]
        for (expected, predicted), n in self.pairs.items():
            grid[index[expected]][index[predicted]] += n
        total = sum(self.pairs.values())
        correct = sum(grid[i][i] for i in range(len(labels)))
        classes = []
        for i, name in enumerate(labels):
            support = sum(grid[i])
            predicted = sum(row[i] for row in grid)
            tp = grid[i][i]
            classes.append(
                ClassScore(
                    label=name,
                    precision=tp / predicted if predicted else None,
                    recall=tp / support if support else None,
                    support=support,
                    predicted=predicted,
                )
            )
        return Agreement(
            labelled=total,
            correct=correct,
            accuracy=correct / total if total else None,
            classes=tuple(classes),
            labels=labels,
            matrix=tuple(tuple(row) for row in grid),
        )


class LatencySample:
    """Keeps latencies for percentiles in bounded memory.

    Exact up to ``limit`` values; beyond that a deterministic reservoir (every k-th value, k doubling)
    keeps an even spread over the whole log, so percentiles of a 1 GB log stay representative.
    """

    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self.values: list[float] = []
        self.count = 0
        self.total = 0.0
        self.maximum: float | None = None
        self._stride = 1

    def add(self, value: float | int | None) -> None:
        if value is None or not isinstance(value, (int, float)) or math.isnan(value):
            return
        v = float(value)
        self.count += 1
        self.total += v
        self.maximum = v if self.maximum is None else max(self.maximum, v)
        if (self.count - 1) % self._stride:
            return
        self.values.append(v)
        if len(self.values) >= self.limit:
            self.values = self.values[::2]
            self._stride *= 2

    def percentiles(self, qs: Iterable[float] = (50, 90, 95, 99)) -> dict[str, float | None]:
        ordered = sorted(self.values)
        return {f"p{q:g}": percentile(ordered, q) for q in qs}

    def summary(self) -> dict[str, float | int | None]:
        out: dict[str, float | int | None] = {"count": self.count}
        out["mean"] = self.total / self.count if self.count else None
        out.update(self.percentiles())
        out["max"] = self.maximum
        return out


def percentile(ordered: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); ``ordered`` is sorted."""
    if not ordered:
        return None
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def histogram(values: list[float], bins: int = 20) -> tuple[list[float], list[int]]:
    """Edges on a log scale when the values span orders of magnitude, else linear."""
    positive = [v for v in values if v > 0]
    if not positive:
        return [0.0, 1.0], [len(values)]
    lo, hi = min(positive), max(positive)
    if hi <= lo:
        return [lo, hi if hi > lo else lo * 1.01 + 1e-9], [len(values)]
    if hi / lo > 50:
        a, b = math.log10(lo), math.log10(hi)
        edges = [10 ** (a + (b - a) * i / bins) for i in range(bins + 1)]
    else:
        edges = [lo + (hi - lo) * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for v in values:
        if v <= edges[0]:
            counts[0] += 1
            continue
        # binary search for the bin
        left, right = 0, bins - 1
        while left < right:
            mid = (left + right) // 2
            if v <= edges[mid + 1]:
                right = mid
            else:
                left = mid + 1
        counts[left] += 1
    return edges, counts
