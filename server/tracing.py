"""OpenTelemetry spans of routing (docs/telemetry.md): one SERVER span per model API request and
one CLIENT span per upstream attempt, named and attributed as the semantic conventions pinned
in telemetry.py say (GenAI for the model call, HTTP for the transport), plus hrouter.* for the
decision. Imported only when telemetry is on (server/telemetry.py decides).

What a span may carry is decided here, in one place: names, routes, rule ids, status codes,
addresses. Never a message, a prompt, a header value or a key; exceptions are recorded by type
only, since their messages may quote the request.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hrouter.server.config import TelemetryConfig
from hrouter.server.telemetry import SCHEMA_URL, Export

CONFIRM = "human_confirm"
#: the model APIs traced, with the GenAI operation and the provider whose API the client speaks
#: to the proxy; /health, /metrics and the console stay out (a balancer's probes are no traffic)
TRACED_PATHS = {
    "/v1/chat/completions": ("chat", "openai"),
    "/chat/completions": ("chat", "openai"),
    "/v1/responses": ("chat", "openai"),
    "/v1/messages": ("chat", "anthropic"),
    "/v1/completions": ("text_completion", "openai"),
    "/v1/embeddings": ("embeddings", "openai"),
}
#: the same for what an attempt sends, by its path under the backend's base URL
_UPSTREAM_OPERATIONS = {
    "/chat/completions": ("chat", "openai"),
    "/responses": ("chat", "openai"),
    "/messages": ("chat", "anthropic"),
    "/completions": ("text_completion", "openai"),
    "/embeddings": ("embeddings", "openai"),
}
#: the W3C trace context headers read from a client; nothing else of its headers is looked at
_CONTEXT_HEADERS = (b"traceparent", b"tracestate", b"baggage")


def _bounded(value: Any) -> str | None:
    """A client-chosen name (the request's `model`) as it may go on a span: printable ASCII, at
    most 100 characters."""
    if not isinstance(value, str) or not value:
        return None
    return "".join(c for c in value if c.isprintable() and c.isascii())[:100] or None


class Tracing:
    """The tracer provider of one proxy app, exporting in batches from a background thread
    (ending a span only queues it; the request path never waits on the collector)."""

    def __init__(self, config: TelemetryConfig, export: Export):
        from hrouter import __version__

        resource = Resource.create({
            "service.name": config.service_name or os.environ.get("OTEL_SERVICE_NAME") or "hrouter",
            "service.version": __version__,
            # each process of a fleet is its own instance (the conventions ask for a UUID)
            "service.instance.id": str(uuid.uuid4()),
            "host.name": socket.gethostname(),
        })
        self.export = export
        self.provider = TracerProvider(resource=resource)
        exporter = OTLPSpanExporter(endpoint=export.traces_url, timeout=config.export_timeout_seconds)
        self.provider.add_span_processor(BatchSpanProcessor(
            exporter, schedule_delay_millis=config.export_delay_seconds * 1000,
            export_timeout_millis=config.export_timeout_seconds * 1000))
        self.tracer = self.provider.get_tracer("hrouter", __version__, schema_url=SCHEMA_URL)

    def request(self, scope: Scope) -> "RequestTrace | None":
        known = TRACED_PATHS.get(scope["path"])
        return RequestTrace(self.tracer, scope, *known) if known else None

    def middleware(self) -> Middleware:
        return Middleware(TracingMiddleware, tracing=self)

    def shutdown(self) -> None:
        """Send what is queued, then stop (blocking: call it off the event loop)."""
        self.provider.shutdown()


class RequestTrace:
    """The server span of one request, kept in the request's scope state as "trace"."""

    __slots__ = ("_tracer", "span", "_context", "_operation", "_status")

    def __init__(self, tracer: Any, scope: Scope, operation: str, provider: str):
        carrier = {name.decode("latin-1"): value.decode("latin-1")
                   for name, value in scope["headers"] if name in _CONTEXT_HEADERS}
        # An agent that traces its own work (traceparent) sees the proxy's span under its own.
        parent = propagate.extract(carrier)
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": provider,
            "http.request.method": scope["method"],
            "http.route": scope["path"],
            "url.path": scope["path"],
            "url.scheme": scope.get("scheme", "http"),
            "network.protocol.version": scope.get("http_version", "1.1"),
            "hrouter.request.id": scope["state"]["request_id"],
        }
        if scope.get("server"):
            attributes["server.address"], attributes["server.port"] = scope["server"][0], scope["server"][1]
        if scope.get("client"):
            attributes["client.address"] = scope["client"][0]
        self._tracer = tracer
        self._operation = operation
        self._status: int | None = None
        self.span = tracer.start_span(operation, context=parent, kind=SpanKind.SERVER, attributes=attributes,
                                      record_exception=False, set_status_on_exception=False)
        self._context = trace.set_span_in_context(self.span, parent)

    def routed(self, *, model: Any, decision: Any, engine: str, backend: str | None, backend_model: str | None,
               status: int, fallback: bool, confirmation_id: str | None) -> None:
        """The decision, once the request's outcome is known (from endpoints._Outcome.done)."""
        span = self.span
        requested = _bounded(model)
        if requested:
            span.update_name(f"{self._operation} {requested}")
            span.set_attribute("gen_ai.request.model", requested)
        if decision is not None:
            span.set_attribute("hrouter.route", str(decision.selected_target))
            span.set_attribute("hrouter.fired_rules", [str(f.rule) for f in decision.fired_rules])
        span.set_attribute("hrouter.engine", engine)
        span.set_attribute("hrouter.refused", engine == CONFIRM and status == 409)
        span.set_attribute("hrouter.fallback", fallback)
        if backend:
            span.set_attribute("hrouter.backend", backend)
        if backend_model:
            span.set_attribute("hrouter.backend.model", backend_model)
        if confirmation_id:
            span.set_attribute("hrouter.confirmation.id", confirmation_id)

    def answered(self, status: int) -> None:
        self._status = status
        self.span.set_attribute("http.response.status_code", status)
        if status >= 500:  # a 4xx is the client's doing: not an error of the server span
            self.span.set_attribute("error.type", str(status))
            self.span.set_status(Status(StatusCode.ERROR))

    def crashed(self, exc: BaseException) -> None:
        self.span.set_attribute("error.type", type(exc).__qualname__)
        self.span.set_status(Status(StatusCode.ERROR))
        if self._status is None:
            self.span.set_attribute("http.response.status_code", 500)

    def end(self) -> None:
        self.span.end()

    def attempt(self, index: int, backend: Any, path: str) -> "Attempt":
        return Attempt(self._tracer, self._context, index, backend, path)


class Attempt:
    """The client span of one upstream attempt; ended by `answered` or `failed`, or, for a
    stream, when the stream ends (`stream_closed`)."""

    __slots__ = ("span", "_context")

    def __init__(self, tracer: Any, parent: Any, index: int, backend: Any, path: str):
        operation, provider = _UPSTREAM_OPERATIONS.get(path, ("chat", "openai"))
        pool = backend.upstream
        host = f"[{pool.host}]" if ":" in pool.host else pool.host
        model = backend.config.model
        self.span = tracer.start_span(f"{operation} {model}", context=parent, kind=SpanKind.CLIENT, attributes={
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "http.request.method": "POST",
            "server.address": pool.host,
            "server.port": pool.port,
            # built from the parsed base URL, so credentials written into it never show
            "url.full": f"{pool.scheme}://{host}:{pool.port}{pool.url(path)}",
            "hrouter.backend": backend.name,
            "hrouter.attempt": index,
        }, record_exception=False, set_status_on_exception=False)
        self._context = trace.set_span_in_context(self.span, parent)

    def headers(self) -> dict[str, str]:
        """traceparent (and whatever OTEL_PROPAGATORS adds) for the backend, so a model server
        that traces shows its work under this attempt."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=self._context)
        return carrier

    def answered(self, status: int, end: bool = True) -> None:
        self.span.set_attribute("http.response.status_code", status)
        if status >= 400:
            self.span.set_attribute("error.type", str(status))
            self.span.set_status(Status(StatusCode.ERROR))
        if end:
            self.span.end()

    def failed(self, kind: str, detail: str) -> None:
        """No usable answer: `kind` is upstream.UpstreamError's (timeout, unreachable, protocol);
        `detail` is the proxy's own sentence about the connection, never the backend's body."""
        self.span.set_attribute("error.type", kind)
        self.span.set_status(Status(StatusCode.ERROR, detail))
        self.span.end()

    def stream_closed(self, failure: tuple[str, str] | None) -> None:
        if failure is not None:
            self.failed(*failure)
        else:
            self.span.end()


class TracingMiddleware:
    """Opens each model API request's server span and ends it when the answer is sent (a
    stream's last event included). Installed only when telemetry is on."""

    def __init__(self, app: ASGIApp, tracing: Tracing):
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = self.tracing.request(scope) if scope["type"] == "http" else None
        if request is None:
            await self.app(scope, receive, send)
            return
        scope["state"]["trace"] = request

        async def send_traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                request.answered(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_traced)
        except Exception as exc:
            request.crashed(exc)
            raise
        finally:
            request.end()
