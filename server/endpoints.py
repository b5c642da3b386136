"""The proxy's endpoints: chat completions, models, health, metrics."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from hrouter.server.body import BodyTooLarge, ClientGone, read_body
from hrouter.server.dispatch import CONFIRM, choose
from hrouter.server.errors import error_response, sse_error_event
from hrouter.server.forwarding import send_with_fallbacks
from hrouter.server.metrics import CONTENT_TYPE
from hrouter.server.refusal import refusal_for
from hrouter.server.sessions import affinity
from hrouter.server.streaming import relay

log = logging.getLogger("hrouter.proxy")

# Upstream headers worth keeping; hop-by-hop and length headers are the server's business.
_PASS_HEADERS = ("content-type", "content-encoding", "retry-after")
#: Bodies larger than this are parsed and routed in a worker thread: a long, varied prompt can
#: take seconds to scan the first time (RE2 releases the GIL meanwhile), and must not stall
#: other requests. Smaller ones route in well under a millisecond, less than a thread hop costs.
OFFLOAD_BYTES = 32 * 1024


def _upstream_headers(response, engine: str, backend: str) -> dict[str, str]:
    headers = {"x-routed-engine": engine, "x-routed-backend": backend}
    for name in _PASS_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            headers[name] = value
    return headers


class _Outcome:
    """What one chat request did, for the event log and the metrics (never the prompt itself)."""

    __slots__ = ("state", "decision", "messages", "hints", "request_id", "started", "route_s", "engine")

    def __init__(self, state, decision, messages, hints, request_id, started, route_s, engine):
        self.state, self.decision, self.messages, self.hints = state, decision, messages, hints
        self.request_id, self.started, self.route_s, self.engine = request_id, started, route_s, engine

    def done(self, status: int, backend: str | None = None, fallback: bool = False,
             upstream_s: float | None = None) -> None:
        state = self.state
        state.metrics.observe_request(self.engine, backend, status, self.route_s, upstream_s, fallback=fallback)
        if state.sink.enabled:
            # The request's own receipt: the sink never routes the prompt again.
            state.sink.record(
                prompt=self.messages, decision=self.decision, engine=self.engine, request_id=self.request_id,
                backend=backend, backend_model=state.config.backends[backend].model if backend else None,
                fallback_used=fallback, status=status, hints=self.hints, route_seconds=self.route_s,
                upstream_seconds=upstream_s, total_seconds=time.perf_counter() - self.started,
            )


async def chat_completions(request: Request) -> Response:
    state = request.app.state.proxy
    config = state.config
    request_id = request.scope["state"]["request_id"]
    started = time.perf_counter()
    try:
        raw = await read_body(request.scope, request.receive, config.proxy.max_body_bytes)
    except BodyTooLarge:
        return error_response(
            413, f"Request body is larger than proxy.max_body_bytes ({config.proxy.max_body_bytes} bytes).",
            "request_too_large", headers={"connection": "close"},
        )
    except ClientGone:
        return Response(status_code=499)
    offload = len(raw) > OFFLOAD_BYTES
    try:
        body = await run_in_threadpool(json.loads, raw) if offload else json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return error_response(400, "Request body must be valid JSON.", "invalid_request_error")
    if not isinstance(body, dict):
        return error_response(400, "Request body must be a JSON object.", "invalid_request_error")

    router = state.holder.router  # read once: a reload mid-request does not mix rule sets
    routed_at = time.perf_counter()
    choice = await run_in_threadpool(choose, config, router, body) if offload else choose(config, router, body)
    engine = choice.engine
    outcome = _Outcome(state, choice.decision, body.get("messages"), choice.hints, request_id, started,
                       time.perf_counter() - routed_at, engine)
    if engine == CONFIRM:
        refusal = refusal_for(choice.decision)
        log.info("request=%s engine=%s status=%d", request_id, engine, refusal.status)
        outcome.done(refusal.status)
        return error_response(refusal.status, refusal.message, refusal.code, headers=refusal.headers,
                              error_fields=refusal.error_fields, **refusal.beside)
    if choice.backend is None:
        outcome.done(502)
        return error_response(
            502, f"No backend is configured for engine {engine!r}; map it under engine_backends.",
            "routing_backend_missing", headers={"x-routed-engine": engine}, selected_engine=engine,
        )

    stream = body.get("stream") is True
    session = affinity(state, request.headers, body, choice, router)
    sent_at = time.perf_counter()
    attempts = await send_with_fallbacks(state.pool, config.attempt_order(session.backend or choice.backend), body,
                                         request_id, stream)
    response = attempts.response
    if response is None:
        last = attempts.failures[-1].backend
        headers = {"x-routed-engine": engine, "x-routed-backend": last}
        log.warning("request=%s engine=%s upstream failed: %s", request_id, engine, attempts.summary())
        status = 504 if attempts.timed_out() else 502
        outcome.done(status, last, attempts.fallback_used, time.perf_counter() - sent_at)
        if status == 504:
            return error_response(504, f"Backend timed out: {attempts.summary()}.", "upstream_timeout",
                                  headers=headers, selected_engine=engine)
        return error_response(502, f"No backend could answer: {attempts.summary()}.", "upstream_unavailable",
                              headers=headers, selected_engine=engine)

    backend = attempts.backend
    headers = _upstream_headers(response, engine, backend)
    if attempts.fallback_used:
        headers["x-hrouter-fallback"] = attempts.summary()[:200]
    if stream and not response.is_closed:
        if response.status_code >= 400:
            # An error answer, not a stream: pass the upstream body through whole.
            content = await response.aread()
            outcome.done(response.status_code, backend, attempts.fallback_used, time.perf_counter() - sent_at)
            return Response(content, status_code=response.status_code, headers=headers)
        headers.setdefault("content-type", "text/event-stream")
        headers["cache-control"] = "no-cache"
        status = response.status_code

        broke: list[bool] = []

        def finished() -> None:
            outcome.done(status, backend, attempts.fallback_used, time.perf_counter() - sent_at)
            if not broke:
                session.answered(backend)

        def broken(message: str, type_: str) -> bytes:
            broke.append(True)
            return sse_error_event(message, type_)

        return StreamingResponse(relay(response, backend, request_id, finished, broken), status_code=status,
                                 headers=headers)
    outcome.done(response.status_code, backend, attempts.fallback_used, time.perf_counter() - sent_at)
    if response.status_code < 400:
        session.answered(backend)
    return Response(response.content, status_code=response.status_code, headers=headers)


def _model_ids(state) -> list[str]:
    config = state.config
    ids = list(config.proxy.model_ids)
    engines = getattr(getattr(state.holder.router, "catalog", None), "engines", None)
    for engine in config.engine_backends:
        if (engines is None or engine in engines) and engine not in ids:
            ids.append(engine)
    return ids


def _model(state, model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": state.started_at, "owned_by": "hrouter"}


async def list_models(request: Request) -> Response:
    state = request.app.state.proxy
    return JSONResponse({"object": "list", "data": [_model(state, i) for i in _model_ids(state)]})


async def get_model(request: Request) -> Response:
    state = request.app.state.proxy
    model_id = request.path_params["model_id"]
    if model_id not in _model_ids(state):
        return error_response(404, f"The model {model_id!r} does not exist; GET /v1/models lists the models.",
                              "model_not_found")
    return JSONResponse(_model(state, model_id))


async def health(request: Request) -> Response:
    state = request.app.state.proxy
    backends = await state.health.results(state.pool.backends)
    all_ok = all(r["ok"] for r in backends.values())
    rules = state.holder.status()
    body: dict[str, Any] = {
        "status": "ok" if all_ok and not rules["reload_error"] else "degraded",
        "backends": backends,
        "engine_backends": dict(state.config.engine_backends),
        "rules": rules,
        "observability": state.sink.status(),
        "proxy_config": state.config.source,
    }
    strict = request.query_params.get("strict", "") not in ("", "0", "false")
    return JSONResponse(body, status_code=503 if strict and not all_ok else 200)


async def metrics(request: Request) -> Response:
    state = request.app.state.proxy
    state.metrics.set_events_dropped(state.sink.status()["dropped"])
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)
