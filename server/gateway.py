"""The request path of every API beside chat (Anthropic Messages, Responses, completions,
embeddings): read the body, route the conversation it carries, refuse or forward with fallbacks,
and answer in the API's own shape.

Each API brings a converter (its body as the chat-shaped messages the router reads, and as a
chat request for a backend that does not speak the API) and the translation of a chat answer
back. A backend that speaks the API natively gets the body unchanged (model replaced) and its
answer goes back unchanged, streamed or not.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Protocol

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from hrouter.server import sse
from hrouter.server.backends import Backend
from hrouter.server.dispatch import CONFIRM, choose
from hrouter.server.endpoints import OFFLOAD_BYTES, _Outcome, _upstream_headers, read_strict_json
from hrouter.server.forwarding import Target, payload_for, send_with_fallbacks
from hrouter.server.confirmation import settle_refusal
from hrouter.server.refusal import refusal_for
from hrouter.server.sessions import NO_AFFINITY, affinity
from hrouter.server.streaming import relay

log = logging.getLogger("hrouter.proxy")


class BadRequest(Exception):
    """A body the API cannot accept; answered 400 in the API's error shape."""


class ErrorShape(Protocol):
    def __call__(self, status: int, message: str, type_: str, headers: dict[str, str] | None = None,
                 error_fields: dict[str, Any] | None = None, **beside: Any) -> Response: ...


@attrs.frozen
class Api:
    #: as listed in a backend's `apis`
    name: str
    #: under a backend's base URL
    path: str
    error: ErrorShape
    sse_error: Callable[[str, str], bytes]
    #: client request headers a backend speaking the API natively also gets (lower case)
    forward_headers: tuple[str, ...] = ()


class StreamTranslator(Protocol):
    """A chat completions stream in, the API's stream out, piece by piece."""

    def feed(self, piece: bytes) -> bytes: ...
    def close(self) -> bytes: ...
    def error(self, message: str, type_: str) -> bytes: ...


@attrs.frozen
class Converted:
    """One request of an API, read for routing and for forwarding."""

    #: chat-shaped messages the router reads (and the event log records)
    messages: list[Any]
    model: Any
    stream: bool
    #: the request as chat completions for a backend that does not speak the API; None when
    #: the API cannot be translated (such a request only goes to a backend that speaks it)
    chat_body: Callable[[], dict[str, Any]] | None
    #: a chat completion (parsed JSON) as the API's answer
    from_chat: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    #: given the hook to call with the whole answer once the stream completes
    stream_from_chat: Callable[[Callable[[dict[str, Any]], None] | None], StreamTranslator] | None = None
    #: called after a successful answer with the backend's name and the whole answer in the
    #: API's shape (a stream's too, once it completed)
    on_success: Callable[[str, dict[str, Any]], None] | None = None
    #: the event of a native stream that carries the whole answer, and its key there
    final_event: tuple[str, str] | None = None
    #: a backend the conversation must go back to (e.g. the one holding previous_response_id)
    pinned_backend: str | None = None


async def read_json(request: Request, api: Api) -> tuple[dict[str, Any], int] | Response:
    """The body as a JSON object and its size in bytes, or the error answer in the API's shape."""
    return await read_strict_json(request, request.app.state.proxy.config, api.error)


def passed_headers(request: Request, api: Api) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k in api.forward_headers}


def native_headers(passed: dict[str, str], backend: Backend) -> dict[str, str]:
    """The client's API headers, except those the backend's config sets itself."""
    own = {name.lower() for name in backend.config.headers}
    return {k: v for k, v in passed.items() if k not in own}


def _route(config, router, body, convert):
    converted = convert(body)
    return converted, choose(config, router, {"model": converted.model, "messages": converted.messages})


async def serve(request: Request, api: Api, convert: Callable[[dict[str, Any]], Converted]) -> Response:
    """The whole request: `convert` raises BadRequest for a body the API cannot take."""
    state = request.app.state.proxy
    config = state.config
    request_id = request.scope["state"]["request_id"]
    started = time.perf_counter()
    read = await read_json(request, api)
    if isinstance(read, Response):
        return read
    body, size = read
    router = state.holder.router  # read once: a reload mid-request does not mix rule sets
    routed_at = time.perf_counter()
    offload = size > OFFLOAD_BYTES
    try:
        converted, choice = (await run_in_threadpool(_route, config, state.route_worker.of(router), body, convert)
                             if offload
                             else _route(config, router, body, convert))
    except BadRequest as exc:
        return api.error(400, str(exc), "invalid_request_error")
    engine = choice.engine
    outcome = _Outcome(state, choice.decision, converted.messages, choice.hints, request_id, started,
                       time.perf_counter() - routed_at, engine, request.scope, converted.model)
    if engine == CONFIRM:
        # The approval is bound to the conversation as routed (confirmation.py), in this API.
        routed_body = {"model": converted.model, "messages": converted.messages}
        settled = await settle_refusal(request, choice, router, api=api.name, body=routed_body, offload=offload)
        if settled.approved is None:
            refusal = refusal_for(settled.decision)
            fields = dict(refusal.error_fields)
            if settled.confirmation is not None:
                fields["confirmation"] = settled.confirmation
            log.info("request=%s api=%s engine=%s status=%d", request_id, api.name, engine, refusal.status)
            outcome.done(refusal.status)
            return api.error(refusal.status, refusal.message, refusal.code, headers=refusal.headers,
                             error_fields=fields, **refusal.beside)
        choice = settled.approved
        engine = choice.engine
        outcome = _Outcome(state, choice.decision, converted.messages, choice.hints, request_id, started,
                           outcome.route_s, engine, request.scope, converted.model)
    session = NO_AFFINITY if converted.pinned_backend else affinity(state, request.headers, body, choice, router)
    backend_name = converted.pinned_backend or session.backend or choice.backend
    if backend_name is None:
        outcome.done(502)
        return api.error(502, f"No backend is configured for engine {engine!r}; map it under engine_backends.",
                         "routing_backend_missing", headers={"x-routed-engine": engine}, selected_engine=engine)
    order = tuple(b for b in config.attempt_order(backend_name)
                  if converted.chat_body is not None or config.backends[b].speaks(api.name))
    if not order:
        outcome.done(502)
        return api.error(502, f"No backend for engine {engine!r} speaks {api.name}; list it under the backend's apis.",
                         "routing_backend_missing", headers={"x-routed-engine": engine}, selected_engine=engine)

    chat_body: dict[str, Any] | None = None
    if any(not config.backends[b].speaks(api.name) for b in order):
        try:
            chat_body = converted.chat_body()
        except BadRequest as exc:  # e.g. a conversation only a backend speaking the API holds
            order = tuple(b for b in order if config.backends[b].speaks(api.name))
            if not order:
                outcome.done(400)
                return api.error(400, str(exc), "invalid_request_error", headers={"x-routed-engine": engine})
    passed = passed_headers(request, api)

    def prepare(backend: Backend) -> Target:
        if backend.config.speaks(api.name):
            return Target(api.path, payload_for(body, backend, api.name), native_headers(passed, backend))
        return Target("/chat/completions", payload_for(chat_body, backend))

    sent_at = time.perf_counter()
    attempts = await send_with_fallbacks(state.pool, order, None, request_id, converted.stream, prepare,
                                         trace=request.scope["state"].get("trace"))
    response = attempts.response
    if response is None:
        last = attempts.failures[-1].backend
        headers = {"x-routed-engine": engine, "x-routed-backend": last}
        log.warning("request=%s api=%s engine=%s upstream failed: %s", request_id, api.name, engine, attempts.summary())
        status = 504 if attempts.timed_out() else 502
        outcome.done(status, last, attempts.fallback_used, time.perf_counter() - sent_at)
        if status == 504:
            return api.error(504, f"Backend timed out: {attempts.summary()}.", "upstream_timeout",
                             headers=headers, selected_engine=engine)
        return api.error(502, f"No backend could answer: {attempts.summary()}.", "upstream_unavailable",
                         headers=headers, selected_engine=engine)

    backend = attempts.backend
    native = config.backends[backend].speaks(api.name)
    headers = _upstream_headers(response, engine, backend)
    if attempts.fallback_used:
        headers["x-hrouter-fallback"] = attempts.summary()[:200]

    def finished(status: int) -> None:
        outcome.done(status, backend, attempts.fallback_used, time.perf_counter() - sent_at)

    status = response.status_code
    if status >= 400:
        content = await response.aread()
        finished(status)
        if native:
            return Response(content, status_code=status, headers=headers)
        headers.pop("content-type", None)
        return api.error(status, _upstream_message(content, status), _ERROR_TYPES.get(status, "api_error"),
                         headers=headers)
    if converted.stream and not response.is_closed:
        headers["content-type"] = "text/event-stream"
        headers["cache-control"] = "no-cache"
        hook = converted.on_success
        done = (lambda answer: hook(backend, answer)) if hook is not None else None
        broke: list[bool] = []

        def stream_finished() -> None:
            finished(status)
            if not broke:
                session.answered(backend)

        if native:
            def broken(message: str, type_: str) -> bytes:
                broke.append(True)
                return api.sse_error(message, type_)

            body_iter = relay(response, backend, request_id, stream_finished, broken)
            if done is not None and converted.final_event is not None:
                body_iter = _watched(body_iter, converted.final_event, done)
        else:
            body_iter = _translated(response, backend, request_id, stream_finished,
                                    converted.stream_from_chat(done), broke)
        return StreamingResponse(body_iter, status_code=status, headers=headers)
    finished(status)
    if native:
        answer = _json_or_none(response.content)
        if converted.on_success is not None and isinstance(answer, dict):
            converted.on_success(backend, answer)
        session.answered(backend)
        return Response(response.content, status_code=status, headers=headers)
    parsed = _json_or_none(response.content)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("choices"), list) or not parsed["choices"]:
        return api.error(502, f"Backend {backend!r} sent an answer that is not a chat completion.",
                         "upstream_protocol_error", headers={"x-routed-engine": engine, "x-routed-backend": backend})
    answer = converted.from_chat(parsed)
    if converted.on_success is not None:
        converted.on_success(backend, answer)
    session.answered(backend)
    headers["content-type"] = "application/json"
    return Response(json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode(), status_code=status,
                    headers=headers)


_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error"}


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def _upstream_message(content: bytes, status: int) -> str:
    """A chat backend's error message, for the API's own error shape."""
    parsed = _json_or_none(content)
    error = parsed.get("error") if isinstance(parsed, dict) else None
    message = error.get("message") if isinstance(error, dict) else error if isinstance(error, str) else None
    return str(message)[:2000] if message else f"Backend answered HTTP {status}."


async def _watched(pieces, final_event: tuple[str, str], done: Callable[[dict[str, Any]], None]):
    """A native stream passed through as is, read on the side for its final answer."""
    reader = sse.Reader()
    name, key = final_event
    async for piece in pieces:
        for event_name, data in reader.feed(piece):
            if event_name == name:
                answer = _json_or_none(data.encode())
                if isinstance(answer, dict) and isinstance(answer.get(key), dict):
                    done(answer[key])
        yield piece


async def _translated(response, backend: str, request_id: str, finished: Callable[[], None],
                      translator: StreamTranslator, broke: list[bool]):
    """`broke` gets an entry when the backend broke off (before `finished` is called)."""

    def on_error(message: str, type_: str) -> bytes:
        broke.append(True)
        return translator.error(message, type_)

    async for piece in relay(response, backend, request_id, finished, on_error):
        if broke:
            yield piece  # the error event, already in the API's shape; the stream ends here
            return
        out = translator.feed(piece)
        if out:
            yield out
    tail = translator.close()
    if tail:
        yield tail
