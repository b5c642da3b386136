"""Sending a chat request to its backend, then to the backend's fallbacks when it fails before
anything reached the client (connect error, timeout, 5xx)."""

from __future__ import annotations

import json
from typing import Any, Callable

import attrs

from hrouter.server.backends import Backend, BackendPool
from hrouter.server.overrides import apply as apply_overrides
from hrouter.server.upstream import Response, UpstreamError

# Tool-related fields a strip_tools backend must not see.
TOOL_FIELDS = ("tools", "tool_choice", "functions", "function_call", "parallel_tool_calls")


def payload_for(body: dict[str, Any], backend: Backend, api: str | None = "chat") -> bytes:
    """The body as `backend` gets it in `api` (None: no request overrides apply)."""
    out = dict(body)  # shallow: only top-level keys change
    out["model"] = backend.config.model
    if backend.config.strip_tools:
        for key in TOOL_FIELDS:
            out.pop(key, None)
    apply_overrides(out, backend.config.overrides, api)
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode()


@attrs.frozen
class Failure:
    backend: str
    kind: str  # "timeout" | "unreachable" | "status"
    detail: str


@attrs.define
class Attempts:
    response: Response | None = None
    backend: str | None = None
    failures: list[Failure] = attrs.field(factory=list)

    @property
    def fallback_used(self) -> bool:
        return bool(self.failures)

    def summary(self) -> str:
        return "; ".join(f"{f.backend}: {f.detail}" for f in self.failures)

    def timed_out(self) -> bool:
        return bool(self.failures) and self.failures[-1].kind == "timeout"


@attrs.frozen
class Target:
    """What one attempt sends to one backend: its path under the base URL, the body, and any
    headers beside the backend's own."""

    path: str
    payload: bytes
    headers: dict[str, str] = attrs.field(factory=dict)


def chat_target(body: dict[str, Any]) -> Callable[[Backend], Target]:
    return lambda backend: Target("/chat/completions", payload_for(body, backend))


async def _attempt(backend: Backend, target: Target, request_id: str, stream: bool,
                   extra: dict[str, str] | None = None) -> Response:
    headers = {"x-request-id": request_id, **target.headers}
    if extra:
        headers.update(extra)
    return await backend.upstream.request("POST", target.path, target.payload, headers, stream=stream)


async def send_with_fallbacks(
    pool: BackendPool, order: tuple[str, ...], body: dict[str, Any] | None, request_id: str, stream: bool,
    prepare: Callable[[Backend], Target] | None = None, trace: Any = None,
) -> Attempts:
    """Try each backend in `order`. On success `response` is set (open, if streaming).

    `prepare` builds each backend's request (another API's path, a translated body); without it
    `body` goes to the backend's chat completions. `trace` (tracing.RequestTrace, when
    telemetry is on) gets one client span per attempt.

    When every attempt failed, `response` holds the last 5xx answer if the last attempt got one
    (passed through), else None (the caller answers 502 or 504).
    """
    prepare = prepare or chat_target(body or {})
    result = Attempts()
    last = len(order) - 1
    for i, name in enumerate(order):
        backend = pool[name]
        target = prepare(backend)
        span = trace.attempt(i, backend, target.path) if trace is not None else None
        try:
            response = await _attempt(backend, target, request_id, stream, span.headers() if span else None)
        except UpstreamError as exc:
            result.failures.append(Failure(name, exc.kind, exc.detail))
            if span is not None:
                span.failed(exc.kind, exc.detail)
            continue
        except BaseException as exc:  # cancelled (the client left) or a bug: the span still ends
            if span is not None:
                span.failed(type(exc).__qualname__, "the attempt did not finish")
            raise
        if span is not None:
            # A stream's span lasts until its last byte (or the break that cut it off).
            open_stream = stream and not response.is_closed and response.status_code < 500
            span.answered(response.status_code, end=not open_stream)
            if open_stream:
                response.on_close = span.stream_closed
        if response.status_code >= 500:
            result.failures.append(Failure(name, "status", f"HTTP {response.status_code}"))
            if i < last:
                await response.aclose()
                continue
            if stream:
                await response.aread()
                await response.aclose()
            result.response, result.backend = response, name
            return result
        result.response, result.backend = response, name
        return result
    return result
