"""Prometheus metrics for the proxy, in the text exposition format (version 0.0.4).

Counters and histograms are small enough to own here rather than add a dependency. Values are
per process: with several workers each one exposes its own series, as the Prometheus client
library does without its multiprocess mode; scrape each worker, or sum in queries.
"""

from __future__ import annotations

import math
import threading
from typing import Iterable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Routing takes microseconds, an upstream model call seconds to minutes: one bucket set each.
ROUTING_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1)
UPSTREAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [f'{n}="{_escape_label(v)}"' for n, v in zip(names, values)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class _Metric:
    kind = ""

    def __init__(self, name: str, help_text: str, labels: Iterable[str] = ()):
        self.name = name
        self.help = help_text
        self.label_names = tuple(labels)
        self._lock = threading.Lock()

    def _key(self, values: tuple[object, ...]) -> tuple[str, ...]:
        if len(values) != len(self.label_names):
            raise ValueError(f"{self.name}: expected labels {self.label_names}, got {len(values)} values")
        return tuple("" if v is None else str(v) for v in values)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: Iterable[str] = ()):
        if not name.endswith("_total"):
            raise ValueError(f"counter {name!r}: counter names end in _total")
        super().__init__(name, help_text, labels)
        self._values: dict[tuple[str, ...], float] = {}

    def inc(self, *labels: object, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError(f"{self.name}: a counter only goes up")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, *labels: object) -> float:
        return self._values.get(self._key(labels), 0.0)

    def render(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        if not items and not self.label_names:
            items = [((), 0.0)]
        return self.header() + [f"{self.name}{_labels(self.label_names, k)} {_number(v)}" for k, v in items]


class Histogram(_Metric):
    kind = "histogram"

    def __init__(self, name: str, help_text: str, buckets: Iterable[float], labels: Iterable[str] = ()):
        super().__init__(name, help_text, labels)
        bounds = sorted(float(b) for b in buckets)
        if not bounds or len(set(bounds)) != len(bounds):
            raise ValueError(f"{self.name}: buckets must be distinct and non-empty")
        self.bounds = tuple(b for b in bounds if not math.isinf(b))
        # per label set: [count per finite bucket (not cumulative)..., count, sum]
        self._series: dict[tuple[str, ...], list[float]] = {}

    def observe(self, value: float, *labels: object) -> None:
        key = self._key(labels)
        with self._lock:
            series = self._series.setdefault(key, [0.0] * (len(self.bounds) + 2))
            for i, bound in enumerate(self.bounds):
                if value <= bound:
                    series[i] += 1
                    break
            series[-2] += 1
            series[-1] += value

    def count(self, *labels: object) -> int:
        series = self._series.get(self._key(labels))
        return int(series[-2]) if series else 0

    def render(self) -> list[str]:
        with self._lock:
            items = sorted((k, list(v)) for k, v in self._series.items())
        if not items and not self.label_names:
            items = [((), [0.0] * (len(self.bounds) + 2))]
        lines = self.header()
        for key, series in items:
            running = 0.0
            for bound, n in zip(self.bounds, series):
                running += n
                le = f'le="{_number(bound)}"'
                lines.append(f"{self.name}_bucket{_labels(self.label_names, key, le)} {_number(running)}")
            inf = _labels(self.label_names, key, 'le="+Inf"')
            lines.append(f"{self.name}_bucket{inf} {_number(series[-2])}")
            lines.append(f"{self.name}_sum{_labels(self.label_names, key)} {_number(series[-1])}")
            lines.append(f"{self.name}_count{_labels(self.label_names, key)} {_number(series[-2])}")
        return lines


class RouterMetrics:
    """The proxy's metric set: one instance per process, shared by every request."""

    def __init__(self) -> None:
        self.requests = Counter(
            "hrouter_requests_total", "Chat requests answered, by routed engine, backend and HTTP status.",
            ("engine", "backend", "status"),
        )
        self.confirmations = Counter(
            "hrouter_confirmation_required_total", "Requests refused with 409 because they need human confirmation."
        )
        self.confirmation_outcomes = Counter(
            "hrouter_confirmations_total",
            "Human confirmations, by outcome: required (a refusal), approved, denied, forwarded "
            "(an approved request sent on), rejected (an approval that did not match, was used or expired).",
            ("outcome",),
        )
        self.tool_hook_decisions = Counter(
            "hrouter_tool_hook_decisions_total",
            "Tool calls judged by the PreToolUse hook, by the answer (ask, deny, allow, defer).", ("decision",),
        )
        self.fallbacks = Counter(
            "hrouter_fallbacks_total", "Requests answered by a fallback backend, by the backend that answered.",
            ("backend",),
        )
        self.routing_latency = Histogram(
            "hrouter_routing_latency_seconds", "Time spent deciding the route.", ROUTING_BUCKETS
        )
        self.upstream_latency = Histogram(
            "hrouter_upstream_latency_seconds", "Time the backend took to answer, by backend.", UPSTREAM_BUCKETS,
            ("backend",),
        )
        self.reloads = Counter(
            "hrouter_reloads_total", "Rule and config reloads, by result (success or failure).", ("result",)
        )
        self.events_dropped = Counter(
            "hrouter_routing_events_dropped_total", "Routing events that could not be written to the log."
        )
        self.responses = Counter(
            "hrouter_http_responses_total", "Every answer the proxy gave (refusals and errors too), by route and HTTP status.",
            ("route", "status"),
        )
        self._all = (
            self.responses, self.requests, self.confirmations, self.confirmation_outcomes, self.tool_hook_decisions, self.fallbacks, self.routing_latency,
            self.upstream_latency, self.reloads, self.events_dropped,
        )

    def observe_request(
        self,
        engine: str,
        backend: str | None,
        status: int,
        route_seconds: float | None = None,
        upstream_seconds: float | None = None,
        fallback: bool = False,
    ) -> None:
        """Record one answered chat request (``backend`` None when nothing was forwarded, e.g. 409)."""
        self.requests.inc(engine, backend or "none", int(status))
        if int(status) == 409:
            self.confirmations.inc()
        if fallback:
            self.fallbacks.inc(backend or "none")
        if route_seconds is not None:
            self.routing_latency.observe(route_seconds)
        if upstream_seconds is not None and backend:
            self.upstream_latency.observe(upstream_seconds, backend)

    def observe_response(self, route: str, status: int) -> None:
        self.responses.inc(route, int(status))

    def observe_reload(self, ok: bool) -> None:
        self.reloads.inc("success" if ok else "failure")

    def set_events_dropped(self, total: int) -> None:
        """Bring the dropped-events counter up to the sink's running total (it only goes up)."""
        missing = total - self.events_dropped.value()
        if missing > 0:
            self.events_dropped.inc(amount=missing)

    def render(self) -> str:
        lines: list[str] = []
        for metric in self._all:
            lines.extend(metric.render())
        return "\n".join(lines) + "\n"
