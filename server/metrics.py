"""Prometheus metrics for the proxy, through prometheus_client (text exposition format 0.0.4).

A single process exposes the series it counted. Under `hrouter serve --workers N` every worker
writes its counts to files in one directory (prometheus_client's multiprocess mode, set up per
run by server/metrics_dir.py) and `/metrics` sums them, so the totals are the same whichever
worker answers the scrape.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client import values
from prometheus_client.multiprocess import MultiProcessCollector

# What generate_latest writes. (The library's CONTENT_TYPE_LATEST now names format 1.0.0.)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Routing takes microseconds, an upstream model call seconds to minutes: one bucket set each.
ROUTING_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1)
UPSTREAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

# The `_created` series (a timestamp per series) were never part of the proxy's exposition, and
# multiprocess mode cannot aggregate them anyway.
disable_created_metrics()


def multiprocess_mode() -> bool:
    """Whether this process's metrics live in files shared with the other workers.

    prometheus_client picks its value store once, when it is first imported, from
    PROMETHEUS_MULTIPROC_DIR; asking it (not the environment now) says where the counts really
    went."""
    return values.ValueClass is not values.MutexValue


class RouterMetrics:
    """The proxy's metric set: one instance per process, shared by every request.

    Each instance registers in a registry of its own, so several apps in one process (tests)
    count separately, and nothing else in the process (another library's metrics) is exposed.
    """

    def __init__(self) -> None:
        self._registry = CollectorRegistry(auto_describe=True)
        r = self._registry
        self.requests = Counter(
            "hrouter_requests_total", "Chat requests answered, by routed engine, backend and HTTP status.",
            ("engine", "backend", "status"), registry=r,
        )
        self.confirmations = Counter(
            "hrouter_confirmation_required_total", "Requests refused with 409 because they need human confirmation.",
            registry=r,
        )
        self.confirmation_outcomes = Counter(
            "hrouter_confirmations_total",
            "Human confirmations, by outcome: required (a refusal), approved, denied, forwarded "
            "(an approved request sent on), rejected (an approval that did not match, was used or expired).",
            ("outcome",), registry=r,
        )
        self.tool_hook_decisions = Counter(
            "hrouter_tool_hook_decisions_total",
            "Tool calls judged by the PreToolUse hook, by the answer (ask, deny, allow, defer).", ("decision",),
            registry=r,
        )
        self.fallbacks = Counter(
            "hrouter_fallbacks_total", "Requests answered by a fallback backend, by the backend that answered.",
            ("backend",), registry=r,
        )
        self.routing_latency = Histogram(
            "hrouter_routing_latency_seconds", "Time spent deciding the route.", buckets=ROUTING_BUCKETS, registry=r,
        )
        self.upstream_latency = Histogram(
            "hrouter_upstream_latency_seconds", "Time the backend took to answer, by backend.", ("backend",),
            buckets=UPSTREAM_BUCKETS, registry=r,
        )
        self.reloads = Counter(
            "hrouter_reloads_total", "Rule and config reloads, by result (success or failure).", ("result",),
            registry=r,
        )
        self.events_dropped = Counter(
            "hrouter_routing_events_dropped_total", "Routing events that could not be written to the log.",
            registry=r,
        )
        self.responses = Counter(
            "hrouter_http_responses_total",
            "Every answer the proxy gave (refusals and errors too), by route and HTTP status.",
            ("route", "status"), registry=r,
        )
        self._dropped_seen = 0
        self._dropped_lock = threading.Lock()
        if multiprocess_mode():
            # The files of every worker of this run, this one's included; read on each scrape.
            self._exposed = CollectorRegistry()
            MultiProcessCollector(self._exposed)
        else:
            self._exposed = self._registry

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
        self.requests.labels(engine, backend or "none", int(status)).inc()
        if int(status) == 409:
            self.confirmations.inc()
        if fallback:
            self.fallbacks.labels(backend or "none").inc()
        if route_seconds is not None:
            self.routing_latency.observe(route_seconds)
        if upstream_seconds is not None and backend:
            self.upstream_latency.labels(backend).observe(upstream_seconds)

    def observe_response(self, route: str, status: int) -> None:
        self.responses.labels(route, int(status)).inc()

    def observe_reload(self, ok: bool) -> None:
        self.reloads.labels("success" if ok else "failure").inc()

    def observe_confirmation(self, outcome: str) -> None:
        """required, approved, denied, forwarded or rejected (docs/confirmation.md)."""
        self.confirmation_outcomes.labels(outcome).inc()

    def observe_tool_hook(self, decision: str) -> None:
        self.tool_hook_decisions.labels(decision).inc()

    def set_events_dropped(self, total: int) -> None:
        """Bring the dropped-events counter up to this process's sink total (it only goes up).

        The sink counts per process, so each worker adds its own drops and the exposition sums
        them like any other counter."""
        with self._dropped_lock:
            missing = total - self._dropped_seen
            if missing > 0:
                self.events_dropped.inc(missing)
                self._dropped_seen = total

    def render(self) -> str:
        return generate_latest(self._exposed).decode("utf-8")
