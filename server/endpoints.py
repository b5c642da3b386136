"""The proxy's endpoints: chat completions, models, health, metrics."""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from hrouter.server.body import BodyTooLarge, BodyTooSlow, ClientGone, read_body
from hrouter.server.chat_checks import BodyRefused, parse_chat_body
from hrouter.server.dispatch import CONFIRM, choose, confirmation_details, unavailable_details, unknown_model
from hrouter.server.approvals import DOCS, HEADER
from hrouter.server.confirmation import settle_refusal
from hrouter.server.errors import error_response, sse_error_event
from hrouter.server.forwarding import send_with_fallbacks
from hrouter.server.metrics import CONTENT_TYPE
from hrouter.server.middleware import authorized
from hrouter.server.request_shape import shape_problem
from hrouter.server.sessions import affinity
from hrouter.server.streaming import relay

log = logging.getLogger("hrouter.proxy")

# Upstream headers worth keeping; hop-by-hop and length headers are the server's business.
_PASS_HEADERS = ("content-type", "content-encoding", "retry-after")
#: Bodies larger than this are parsed in a worker thread and routed in the routing worker process
#: (route_worker.py): a long, varied prompt can take seconds to route, mostly holding the GIL,
#: and must not stall other requests. Smaller ones route in well under a millisecond, less than
#: a hop to another process costs.
OFFLOAD_BYTES = 32 * 1024


async def read_strict_json(request: Request, config: Any, error: Callable[..., Response]) -> tuple[dict[str, Any], int] | Response:
    """The request body read within the configured size and time, then parsed strictly
    (``parse_chat_body``); or the answer in ``error``'s API shape. Every JSON endpoint reads
    through here, so all of them refuse the same bodies."""
    try:
        raw = await read_body(request.scope, request.receive, config.proxy.max_body_bytes,
                              config.proxy.body_timeout_seconds)
    except BodyTooSlow:
        return error(408, f"The request body did not arrive within proxy.body_timeout_seconds "
                     f"({config.proxy.body_timeout_seconds:g} s).", "request_timeout", headers={"connection": "close"})
    except BodyTooLarge:
        return error(413, f"Request body is larger than proxy.max_body_bytes ({config.proxy.max_body_bytes} bytes).",
                     "request_too_large", headers={"connection": "close"})
    except ClientGone:
        return Response(status_code=499)
    try:
        body = (await run_in_threadpool(parse_chat_body, raw, config.proxy) if len(raw) > OFFLOAD_BYTES
                else parse_chat_body(raw, config.proxy))
    except BodyRefused as exc:
        return error(400, str(exc), "invalid_request_error", error_fields=exc.fields())
    return body, len(raw)
#: A refusal is final: the same request gets the same answer (the router is deterministic), so
#: clients must not retry it; the OpenAI SDKs otherwise retry every 409.
_REFUSAL_HEADERS = {"x-routed-engine": CONFIRM, "x-should-retry": "false"}
#: the API name an approval of a chat completion is bound to (with the body's hash)
API_CHAT = "chat.completions"


def _upstream_headers(response, engine: str, backend: str) -> dict[str, str]:
    headers = {"x-routed-engine": engine, "x-routed-backend": backend}
    for name in _PASS_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            headers[name] = value
    return headers


class _Outcome:
    """What one chat request did, for the event log and the metrics (never the prompt itself)."""

    __slots__ = ("state", "decision", "messages", "hints", "request_id", "started", "route_s", "engine", "scope",
                 "model")

    def __init__(self, state, decision, messages, hints, request_id, started, route_s, engine, scope, model=None):
        self.state, self.decision, self.messages, self.hints = state, decision, messages, hints
        self.request_id, self.started, self.route_s, self.engine = request_id, started, route_s, engine
        self.scope, self.model = scope, model

    def done(self, status: int, backend: str | None = None, fallback: bool = False,
             upstream_s: float | None = None) -> None:
        state = self.state
        self.scope["state"]["recorded"] = True  # the middleware need not log it as an error event
        state.metrics.observe_request(self.engine, backend, status, self.route_s, upstream_s, fallback=fallback)
        trace = self.scope["state"].get("trace")  # only when telemetry is on (tracing.py)
        if trace is not None:
            trace.routed(model=self.model, decision=self.decision, engine=self.engine, backend=backend,
                         backend_model=state.config.backends[backend].model if backend else None, status=status,
                         fallback=fallback, confirmation_id=self.scope["state"].get("confirmation_id"))
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
    read = await read_strict_json(request, config, error_response)
    if isinstance(read, Response):
        return read
    body, size = read
    offload = size > OFFLOAD_BYTES
    problem = shape_problem(body)
    if problem:
        return error_response(400, problem, "invalid_request_error", headers={"x-should-retry": "false"})

    router = state.holder.router  # read once: a reload mid-request does not mix rule sets
    unknown = unknown_model(config, router, body.get("model"))
    if unknown and config.proxy.unknown_models == "refuse":
        return error_response(
            404, f"The model {unknown!r} is not served here: use " + " or ".join(config.proxy.model_ids)
            + " (routed), an engine or a backend name.", "model_not_found", headers={"x-should-retry": "false"})
    routed_at = time.perf_counter()
    choice = (await run_in_threadpool(choose, config, state.route_worker.of(router), body) if offload
              else choose(config, router, body))
    engine = choice.engine
    outcome = _Outcome(state, choice.decision, body.get("messages"), choice.hints, request_id, started,
                       time.perf_counter() - routed_at, engine, request.scope, body.get("model"))
    unavailable = unavailable_details(choice.decision) if engine == CONFIRM else None
    if unavailable:
        why = "; ".join(f"{r['engine']}: {r['reason']}" for r in unavailable["rejected_engines"]) or "none configured"
        log.warning("request=%s no engine for target %s: %s", request_id, unavailable["target"], why)
        outcome.done(503)
        return error_response(
            503, f"No engine can serve this request (target {unavailable['target']!r}): {why}.",
            "engine_unavailable", headers={"x-routed-engine": CONFIRM}, error_fields=unavailable,
            selected_engine=engine,
        )
    if engine == CONFIRM:
        settled = await settle_refusal(request, choice, router, api=API_CHAT, body=body, offload=offload)
        if settled.approved is None:
            return _refused(outcome, request_id, settled.decision, settled.confirmation)
        approved = settled.approved
        choice, engine = approved, approved.engine
        outcome = _Outcome(state, choice.decision, body.get("messages"), choice.hints, request_id, started,
                           outcome.route_s, engine, request.scope, body.get("model"))
    if choice.backend is None:
        outcome.done(502)
        return error_response(
            502, f"No backend is configured for engine {engine!r}; map it under engine_backends.",
            "routing_backend_missing", headers={"x-routed-engine": engine}, selected_engine=engine,
        )

    stream = body.get("stream") is True  # a non-boolean stream was refused by parse_chat_body
    session = affinity(state, request.headers, body, choice, router)
    sent_at = time.perf_counter()
    attempts = await send_with_fallbacks(state.pool, config.attempt_order(session.backend or choice.backend), body,
                                         request_id, stream, trace=request.scope["state"].get("trace"))
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
    if unknown:
        headers["x-hrouter-unknown-model"] = unknown  # routed as if it said "hrouter"
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


def _refused(outcome: _Outcome, request_id: str, decision: Any, confirmation: dict[str, Any] | None) -> Response:
    """The 409 of a request that needs a human: final (no SDK retries), with its reasons and the
    confirmation a human approves (None when the rules refuse it even once approved)."""
    log.info("request=%s engine=%s status=409", request_id, CONFIRM)
    outcome.done(409)
    in_error, beside = confirmation_details(decision)
    if confirmation is None:
        message = ("The rules refuse this request even when a human approves it (no catalog switch "
                   f"turns the rule off); see {DOCS}.")
    else:
        in_error["confirmation"] = confirmation
        message = (f"Human confirmation is required before this request can be forwarded: approve "
                   f"{confirmation['id']} at {confirmation['console_url']} (or POST {confirmation['approve_url']}), "
                   f"then resend the identical request with the header {HEADER}: {confirmation['id']}. See {DOCS}.")
        if confirmation.get("rejected_approval"):
            message = f"The approval sent was not accepted: {confirmation['rejected_approval']}. " + message
    return error_response(409, message, "human_confirmation_required", headers=_REFUSAL_HEADERS,
                          error_fields=in_error, selected_engine=CONFIRM, **beside)


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
    status = "ok" if all_ok and not rules["reload_error"] else "degraded"
    strict = request.query_params.get("strict", "") not in ("", "0", "false")
    code = 503 if strict and not all_ok else 200
    if not authorized(request.scope, state.config.resolved_api_key()):
        # Open for load balancers, but what is behind the status (backends, paths, errors) is
        # for the key holder.
        return JSONResponse({"status": status}, status_code=code)
    body: dict[str, Any] = {
        "status": status,
        "backends": backends,
        "engine_backends": dict(state.config.engine_backends),
        "rules": rules,
        "observability": state.sink.status(),
        "confirmation": state.confirmations.status(),
        "proxy_config": state.config.source,
        # which process answered: with --workers each one serves (and reloads) its own router
        "worker_pid": os.getpid(),
    }
    return JSONResponse(body, status_code=code)


async def metrics(request: Request) -> Response:
    state = request.app.state.proxy
    state.metrics.set_events_dropped(state.sink.status()["dropped"])
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)
