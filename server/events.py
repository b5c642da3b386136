"""Routing events: the event model, and the JSONL sink the proxy and `hrouter decide --log` write.

One JSON line per routed request. Privacy is decided in ``redact.py``: an event carries the prompt's
hash and measures, and prompt text only as the capture mode allows.

Writing never happens on the caller's thread: ``EventSink.emit`` puts the event on a bounded queue
and returns; one background thread serialises and appends. Failures (unwritable path, full disk)
are recorded in ``status()`` and the events dropped and counted; nothing raises into a request.

Several worker processes may share one log file (``jsonl_appender.py`` says how lines never
interleave and rotation stays safe). One file for all workers, instead of one per process,
keeps replay and feedback simple: one path, one history.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import os
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Mapping

import attrs

from hrouter.server.home import hrouter_home
from hrouter.server.jsonl_appender import DEFAULT_BACKUPS, DEFAULT_MAX_BYTES, JsonlAppender
from hrouter.server.redact import CAPTURE_REDACTED, capture_mode, prompt_fields

SCHEMA_VERSION = 1
_BATCH = 256


def utc_now() -> str:
    return utc_iso(time.time())


def utc_iso(seconds: float) -> str:
    """A Unix time as UTC ISO 8601 with milliseconds and `Z`, the one timestamp format of events and /health."""
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_request_id() -> str:
    return f"req-{uuid.uuid4().hex[:20]}"


def default_events_path() -> Path:
    return hrouter_home() / "logs" / "routing-events.jsonl"


@attrs.frozen
class RoutingEvent:
    request_id: str
    time: str
    prompt_sha256: str
    prompt_chars: int
    estimated_tokens: int
    selected_engine: str
    selected_target: str | None = None
    scores: dict[str, int] = attrs.field(factory=dict)
    fired_rules: tuple[str, ...] = ()
    flags: dict[str, bool] = attrs.field(factory=dict)
    backend: str | None = None
    backend_model: str | None = None
    fallback_used: bool = False
    status: int | None = None  # the HTTP status answered to the client
    route_ms: float | None = None
    upstream_ms: float | None = None
    total_ms: float | None = None
    artifact_hash: str | None = None
    hints: dict[str, Any] | None = None  # routing hints, so replay routes the same request
    source: str = "proxy"  # "proxy" or "cli"
    prompt_preview: str | None = None  # redacted_preview and full modes only
    prompt: Any = None  # full mode only: the routed input (text, or messages without attachment bytes)
    event: str = "route"
    schema: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self, recurse=False)
        data["fired_rules"] = list(self.fired_rules)
        return {k: v for k, v in data.items() if v is not None}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), default=str)

    @classmethod
    def build(
        cls,
        *,
        prompt: Any,
        decision: Any,
        capture: str,
        request_id: str | None = None,
        backend: str | None = None,
        backend_model: str | None = None,
        fallback_used: bool = False,
        status: int | None = None,
        route_seconds: float | None = None,
        upstream_seconds: float | None = None,
        total_seconds: float | None = None,
        hints: Mapping[str, Any] | None = None,
        source: str = "proxy",
        time: str | None = None,
    ) -> "RoutingEvent":
        """An event from the routed input and the engine's decision (a RoutingDecision or its dict).

        ``capture`` must already be resolved (``redact.capture_mode``); it alone decides what
        prompt text the event carries.
        """
        d = decision_fields(decision)
        # Either kind of fallback counts: the engine resolver's (a disabled or unfit engine) or
        # the proxy's (a backend that failed and was retried on its fallback).
        fallback_used = bool(fallback_used or d.pop("fallback_used"))
        return cls(
            request_id=request_id or new_request_id(),
            time=time or utc_now(),
            backend=backend,
            backend_model=backend_model,
            fallback_used=fallback_used,
            status=status,
            route_ms=_ms(route_seconds),
            upstream_ms=_ms(upstream_seconds),
            total_ms=_ms(total_seconds),
            hints=_plain_hints(hints),
            source=source,
            **d,
            **prompt_fields(prompt, capture),
        )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


def _plain_hints(hints: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not hints:
        return None
    if not isinstance(hints, Mapping):
        hints = attrs.asdict(hints) if attrs.has(type(hints)) else dict(vars(hints))
    plain = {k: list(v) if isinstance(v, (tuple, set, frozenset)) else v for k, v in hints.items()}
    return {k: v for k, v in plain.items() if v not in (None, False, [], ())} or None


def decision_fields(decision: Any) -> dict[str, Any]:
    """The event fields taken from a decision; tolerant of the receipt's exact shape."""
    data = decision.to_dict() if hasattr(decision, "to_dict") else dict(decision or {})
    scores = dict(data.get("scores") or {})
    for name in ("complexity", "risk", "confidence"):
        if f"{name}_score" in data:
            scores[name] = data[f"{name}_score"]
    flags = {k: bool(v) for k, v in (data.get("flags") or {}).items()}
    flags.update({k: bool(v) for k, v in data.items() if k.startswith("requires_") and isinstance(v, bool)})
    fired = []
    for rule in data.get("fired_rules") or ():
        if isinstance(rule, str):
            fired.append(rule)
        elif isinstance(rule, Mapping):
            rid = rule.get("id") or rule.get("rule") or rule.get("rule_id")
            if rid:
                fired.append(str(rid))
    return {
        "selected_engine": str(data.get("selected_engine") or "human_confirm"),
        "selected_target": data.get("selected_target") or data.get("target"),
        "scores": scores,
        "flags": flags,
        "fired_rules": tuple(fired),
        "artifact_hash": data.get("artifact_hash") or None,
        "fallback_used": bool(data.get("fallback_used")),
    }


def lifecycle_event(event: str, **fields: Any) -> dict[str, Any]:
    """A non-route event for the same log (a confirmation required, approved, denied, used):
    named fields only, never prompt text. Replay and feedback read only ``route`` events."""
    return {"event": event, "time": utc_now(), "schema": SCHEMA_VERSION,
            **{k: v for k, v in fields.items() if v is not None}}


_STOP = object()


@attrs.frozen
class _Pending:
    """An event to build on the writer thread: hashing, redaction and the receipt stay off the loop."""

    prompt: Any
    decision: Any
    router: Any
    engine: str | None
    fields: dict[str, Any]
    time: str

    def build(self, capture: str) -> RoutingEvent:
        decision = self.decision
        if decision is None and self.router is not None:
            try:
                decision = self.router.route(self.prompt, self.fields.get("hints"), include_alternatives=False)
            except Exception:  # noqa: BLE001 - the event is still worth writing without a receipt
                decision = None
        if decision is None:
            decision = {"selected_engine": self.engine}
        return RoutingEvent.build(prompt=self.prompt, decision=decision, capture=capture, time=self.time, **self.fields)


class EventSink:
    """Non-blocking event logging: ``emit`` queues, a background thread appends."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        backups: int = DEFAULT_BACKUPS,
        prompt_capture: str = CAPTURE_REDACTED,
        enabled: bool = True,
        queue_size: int = 10_000,
    ):
        self.enabled = bool(enabled and path)
        self.capture = capture_mode(prompt_capture)
        self._appender = JsonlAppender(path or os.devnull, max_bytes, backups)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, queue_size))
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._pid = os.getpid()
        self.written = 0
        self.dropped = 0
        self._error: str | None = None

    @classmethod
    def from_config(cls, cfg: Any) -> "EventSink":
        """From the proxy's observability section (an attrs object or a mapping)."""
        get = cfg.get if isinstance(cfg, Mapping) else (lambda k, d=None: getattr(cfg, k, d))
        return cls(
            get("log_path") or str(default_events_path()),
            max_bytes=int(get("max_bytes", DEFAULT_MAX_BYTES) or 0),
            backups=int(get("backups", DEFAULT_BACKUPS) or 0),
            prompt_capture=get("prompt_capture", CAPTURE_REDACTED) or CAPTURE_REDACTED,
            enabled=bool(get("enabled", False)),
        )

    def _after_fork(self) -> None:
        """A sink built before a fork (e.g. by a pre-forking server) starts afresh in the child:
        threads do not survive fork, and events queued in the parent are the parent's to write."""
        self._pid = os.getpid()
        self._queue = queue.Queue(maxsize=self._queue.maxsize)
        self._thread = None
        self._start_lock = threading.Lock()
        self.written = self.dropped = 0
        self._error = None

    @property
    def path(self) -> Path:
        return self._appender.path

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None and self.enabled and not self._closed:
                self._thread = threading.Thread(target=self._run, name="hrouter-events", daemon=True)
                self._thread.start()

    def emit(self, event: Any) -> bool:
        """Queue one event; never blocks and never raises. False when the event was dropped."""
        if not self.enabled or self._closed:
            return False
        if self._pid != os.getpid():
            self._after_fork()
        if self._thread is None:
            self.start()
        try:
            self._queue.put_nowait(event)
            return True
        except queue.Full:
            self.dropped += 1
            self._fail("event queue full (the log cannot keep up)")
            return False

    def record(
        self,
        *,
        prompt: Any,
        decision: Any = None,
        router: Any = None,
        engine: str | None = None,
        **fields: Any,
    ) -> bool:
        """Queue an event built later on the writer thread; never blocks and never raises.

        Pass the receipt as ``decision`` (the proxy passes the one its request was routed by), or
        the ``router`` that routed the request (its ``route`` is then called on the writer thread)
        and the ``engine`` it chose, used if no receipt can be built. ``fields`` are the other
        keyword arguments of ``RoutingEvent.build`` (request_id, backend, status, hints, the
        latencies...). ``prompt`` must not be mutated afterwards.
        """
        return self.emit(_Pending(prompt, decision, router, engine, fields, utc_now()))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been handled (written or dropped)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def close(self, timeout: float = 10.0) -> None:
        """Flush what is queued, stop the thread, close the file. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
        self._appender.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def status(self) -> dict[str, Any]:
        return {
            "ok": self._error is None,
            "warning": self._error,
            "enabled": self.enabled,
            "path": str(self.path) if self.enabled else None,
            "prompt_capture": self.capture,
            "written": self.written,
            "dropped": self.dropped,
        }

    def _fail(self, reason: str) -> None:
        self._error = f"routing events not written: {reason}; {self.dropped} event(s) dropped"

    def _run(self) -> None:
        stop = False
        while not stop:
            batch = [self._queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            events = [e for e in batch if e is not _STOP]
            stop = len(events) != len(batch)
            try:
                self._write(events)
            finally:
                for _ in batch:
                    self._queue.task_done()
        # Anything queued after the stop marker (emit racing close) is written too.
        leftovers = []
        while True:
            try:
                leftovers.append(self._queue.get_nowait())
                self._queue.task_done()
            except queue.Empty:
                break
        self._write([e for e in leftovers if e is not _STOP])

    def _write(self, events: list[Any]) -> None:
        lines = []
        for event in events:
            try:
                lines.append(self._line(event))
            except Exception as exc:  # noqa: BLE001 - one malformed event must not cost the batch
                self.dropped += 1
                self._fail(f"an event could not be serialised ({type(exc).__name__})")
        if not lines:
            return
        try:
            self._appender.append("".join(lines).encode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - logging must never take the proxy down
            self.dropped += len(lines)
            self._appender.close()
            self._fail(f"{self.path}: {getattr(exc, 'strerror', None) or exc}")
            return
        self.written += len(lines)
        if len(lines) == len(events):
            self._error = None

    def _line(self, event: Any) -> str:
        if isinstance(event, _Pending):
            event = event.build(self.capture)
        if isinstance(event, RoutingEvent):
            return event.to_json() + "\n"
        return _dump(event) + "\n"


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"), default=str)


def log_decision(
    path: str | os.PathLike[str] | None,
    prompt: Any,
    decision: Any,
    *,
    prompt_capture: str = CAPTURE_REDACTED,
    route_seconds: float | None = None,
    hints: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> str | None:
    """Append one event for a CLI decision (``hrouter decide --log FILE``), synchronously.

    Returns None on success, or a one-line warning for stderr; never raises for I/O problems.
    """
    target = Path(path) if path else default_events_path()
    event = RoutingEvent.build(
        prompt=prompt,
        decision=decision,
        capture=capture_mode(prompt_capture),
        request_id=request_id,
        route_seconds=route_seconds,
        total_seconds=route_seconds,
        hints=hints,
        source="cli",
    )
    appender = JsonlAppender(target)
    try:
        appender.append((event.to_json() + "\n").encode("utf-8"))
    except OSError as exc:
        return f"hrouter: could not write the routing event to {target}: {exc.strerror or exc}"
    finally:
        appender.close()
    return None
