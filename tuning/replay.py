"""Replay: re-route logged traffic under a rule set and measure it against labels and the log.

One streaming pass over the events file (and nothing else held per row but counters and a bounded
list of examples), so a 1 GB log replays in bounded memory. Rows without a captured prompt cannot
be re-routed but still count for the route distribution, latency and the logged router's agreement
with labels.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, Callable

import attrs

from hrouter.tuning.feedback import Label
from hrouter.tuning.jsonl import ProgressFn, ReadStats, iter_jsonl
from hrouter.tuning.routing import Router, hints_from, prompt_of, route_engine
from hrouter.tuning.stats import Agreement, ConfusionCounter, LatencySample, histogram

MAX_EXAMPLES = 5  # per changed-decision group
MAX_MISROUTES = 200
LATENCY_FIELDS = ("route_ms", "upstream_ms", "total_ms")


@attrs.frozen
class Example:
    request_id: str
    preview: str | None


@attrs.frozen
class ChangeGroup:
    old: str
    new: str
    count: int
    examples: tuple[Example, ...]


@attrs.frozen
class Misroute:
    request_id: str
    expected: str
    logged: str
    replayed: str | None  # None: no prompt captured, judged on the logged decision
    preview: str | None
    notes: str | None


@attrs.frozen
class LatencyHistogram:
    field: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]


@attrs.frozen
class ReplayReport:
    events_file: str
    rules: str
    rows: int
    bad_lines: int
    replayed: int
    without_prompt: int
    route_errors: int
    labels: int
    labels_not_in_log: int
    agreement: Agreement  # replayed decisions vs labels
    logged_agreement: Agreement  # logged decisions vs labels (every labelled row)
    changed: int
    changes: tuple[ChangeGroup, ...]
    distribution_logged: dict[str, int]
    distribution_replayed: dict[str, int]
    latency_ms: dict[str, dict[str, float | int | None]]
    latency_histogram: LatencyHistogram | None
    misroutes: tuple[Misroute, ...]
    misroutes_total: int

    def without_prompt_hint(self) -> str | None:
        """What to change when events could not be re-routed for want of their prompt."""
        if not self.without_prompt:
            return None
        return (f"{self.without_prompt} of {self.rows} events have no prompt to re-route: the proxy logged them with "
                "observability.prompt_capture off or redacted_preview. Replay needs `full` (or serve with "
                "HROUTER_LOG_PROMPTS=1 for a calibration run; delete that log afterwards).")


def replay(
    events_path: str | os.PathLike[str],
    router: Router | None,
    labels: dict[str, Label] | None = None,
    *,
    rules_name: str = "default rules",
    progress: ProgressFn | None = None,
    route: Callable[[Router, Any, Any], Any] = route_engine,
) -> ReplayReport:
    """Stream ``events_path`` once; ``router`` None only summarises the log (no re-routing)."""
    labels = labels or {}
    stats = ReadStats()
    seen_labels: set[str] = set()
    new_vs_label, old_vs_label = ConfusionCounter(), ConfusionCounter()
    changes: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[Example]] = {}
    dist_logged: Counter[str] = Counter()
    dist_replayed: Counter[str] = Counter()
    latency = {name: LatencySample() for name in LATENCY_FIELDS}
    misroutes: list[Misroute] = []
    misroutes_total = replayed = without_prompt = route_errors = 0

    for row in iter_jsonl(events_path, stats, progress):
        if row.get("event", "route") != "route":
            continue
        logged = str(row.get("selected_engine") or "unknown")
        rid = str(row.get("request_id") or "")
        dist_logged[logged] += 1
        for name in LATENCY_FIELDS:
            latency[name].add(row.get(name))

        new: str | None = None
        prompt = prompt_of(row)
        if prompt is None:
            without_prompt += 1
        elif router is not None:
            try:
                new = route(router, prompt, hints_from(row)).engine
            except Exception:  # noqa: BLE001 - one bad row must not end a long replay
                route_errors += 1
            else:
                replayed += 1
                dist_replayed[new] += 1
                if new != logged:
                    changes[(logged, new)] += 1
                    bucket = examples.setdefault((logged, new), [])
                    if len(bucket) < MAX_EXAMPLES:
                        bucket.append(Example(rid, row.get("prompt_preview")))

        label = labels.get(rid)
        if label is None:
            continue
        seen_labels.add(rid)
        expected = label.expected_engine
        old_vs_label.add(expected, logged)
        if new is not None:
            new_vs_label.add(expected, new)
        judged = new if new is not None else logged
        if judged != expected:
            misroutes_total += 1
            if len(misroutes) < MAX_MISROUTES:
                misroutes.append(Misroute(rid, expected, logged, new, row.get("prompt_preview"), label.notes))

    hist = None
    if latency["total_ms"].values:
        edges, counts = histogram(latency["total_ms"].values)
        hist = LatencyHistogram("total_ms", tuple(edges), tuple(counts))
    groups = tuple(
        ChangeGroup(old, new, n, tuple(examples.get((old, new), ())))
        for (old, new), n in sorted(changes.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return ReplayReport(
        events_file=str(events_path),
        rules=rules_name,
        rows=sum(dist_logged.values()),
        bad_lines=stats.bad_lines,
        replayed=replayed,
        without_prompt=without_prompt,
        route_errors=route_errors,
        labels=len(labels),
        labels_not_in_log=len(set(labels) - seen_labels),
        agreement=new_vs_label.result(),
        logged_agreement=old_vs_label.result(),
        changed=sum(changes.values()),
        changes=groups,
        distribution_logged=dict(dist_logged.most_common()),
        distribution_replayed=dict(dist_replayed.most_common()),
        latency_ms={name: sample.summary() for name, sample in latency.items()},
        latency_histogram=hist,
        misroutes=tuple(misroutes),
        misroutes_total=misroutes_total,
    )
