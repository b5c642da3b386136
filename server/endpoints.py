"""The proxy's three endpoints: chat completions, models, health."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from hrouter.server.body import BodyTooLarge, ClientGone, read_body
from hrouter.server.dispatch import CONFIRM, choose, confirmation_details
from hrouter.server.errors import error_response
from hrouter.server.forwarding import send_with_fallbacks
from hrouter.server.streaming import relay

log = logging.getLogger("hrouter.proxy")

# Upstream headers worth keeping; hop-by-hop and length headers are the server's business.
_PASS_HEADERS = ("content-type", "content-encoding", "retry-after")


def _upstream_headers(response, engine: str, backend: str) -> dict[str, str]:
    headers = {"x-routed-engine": engine, "x-routed-backend": backend}
    for name in _PASS_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            headers[name] = value
    return headers


async def chat_completions(request: Request) -> Response:
    state = request.app.state.proxy
    config = state.config
    request_id = request.scope["state"]["request_id"]
    try:
        raw = await read_body(request.scope, request.receive, config.proxy.max_body_bytes)
    except BodyTooLarge:
        return error_response(
            413, f"Request body is larger than proxy.max_body_bytes ({config.proxy.max_body_bytes} bytes).",
            "request_too_large", headers={"connection": "close"},
        )
    except ClientGone:
        return Response(status_code=499)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return error_response(400, "Request body must be valid JSON.", "invalid_request_error")
    if not isinstance(body, dict):
        return error_response(400, "Request body must be a JSON object.", "invalid_request_error")

    router = state.holder.router  # read once: a reload mid-request does not mix rule sets
    choice = choose(config, router, body)
    engine = choice.engine
    if engine == CONFIRM:
        log.info("request=%s engine=%s status=409", request_id, engine)
        return error_response(
            409, "Human confirmation is required before this request can be forwarded.",
            "human_confirmation_required", headers={"x-routed-engine": engine},
            selected_engine=engine, **confirmation_details(router, body, choice.hints),
        )
    if choice.backend is None:
        return error_response(
            502, f"No backend is configured for engine {engine!r}; map it under engine_backends.",
            "routing_backend_missing", headers={"x-routed-engine": engine}, selected_engine=engine,
        )

    stream = body.get("stream") is True
    started = time.perf_counter()
    attempts = await send_with_fallbacks(state.pool, config.attempt_order(choice.backend), body, request_id, stream)
    response = attempts.response
    if response is None:
        headers = {"x-routed-engine": engine, "x-routed-backend": attempts.failures[-1].backend}
        log.warning("request=%s engine=%s upstream failed: %s", request_id, engine, attempts.summary())
        if attempts.timed_out():
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
            await response.aclose()
            return Response(content, status_code=response.status_code, headers=headers)
        headers.setdefault("content-type", "text/event-stream")
        headers["cache-control"] = "no-cache"
        return StreamingResponse(relay(response, backend, request_id), status_code=response.status_code, headers=headers)
    log.debug("request=%s engine=%s backend=%s status=%s ms=%.2f", request_id, engine, backend,
              response.status_code, (time.perf_counter() - started) * 1000)
    return Response(response.content, status_code=response.status_code, headers=headers)


async def list_models(request: Request) -> Response:
    state = request.app.state.proxy
    config = state.config
    ids = list(config.proxy.model_ids)
    engines = getattr(getattr(state.holder.router, "catalog", None), "engines", None)
    for engine in config.engine_backends:
        if (engines is None or engine in engines) and engine not in ids:
            ids.append(engine)
    created = state.started_at
    return JSONResponse(
        {"object": "list", "data": [{"id": i, "object": "model", "created": created, "owned_by": "hrouter"} for i in ids]}
    )


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
        "proxy_config": state.config.source,
    }
    strict = request.query_params.get("strict", "") not in ("", "0", "false")
    return JSONResponse(body, status_code=503 if strict and not all_ok else 200)
