"""`POST /v1/messages` and `POST /v1/messages/count_tokens`: the Anthropic Messages API (Claude
Code's), routed like chat, answered and refused in Anthropic's own shapes."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hrouter.server import sse
from hrouter.server.dispatch import CONFIRM, choose
from hrouter.server.forwarding import Target, payload_for, send_with_fallbacks
from hrouter.server.gateway import Api, BadRequest, Converted, native_headers, passed_headers, read_json, serve
from hrouter.server.translate_messages import (
    MessagesStream,
    chat_request,
    error_body,
    estimate_tokens,
    message_from_chat,
    routing_messages,
)


def anthropic_error(status: int, message: str, type_: str, headers: dict[str, str] | None = None,
                    error_fields: dict[str, Any] | None = None, **beside: Any) -> Response:
    return Response(json.dumps(error_body(message, type_, error_fields, **beside), separators=(",", ":")).encode(),
                    status_code=status, media_type="application/json", headers=headers)


def _sse_error(message: str, type_: str) -> bytes:
    return sse.event("error", error_body(message, type_))


MESSAGES = Api("messages", "/messages", anthropic_error, _sse_error,
               forward_headers=("anthropic-version", "anthropic-beta"))


def _convert(body: dict[str, Any]) -> Converted:
    messages = routing_messages(body)
    return Converted(messages, body.get("model"), body.get("stream") is True, lambda: chat_request(body),
                     message_from_chat, lambda done: MessagesStream())


async def messages(request: Request) -> Response:
    return await serve(request, MESSAGES, _convert)


async def count_tokens(request: Request) -> Response:
    """Forwarded to the routed backend when it speaks Messages; counted locally otherwise, and
    always locally for a prompt that needs confirmation (counting is no action, but the prompt
    is still never forwarded)."""
    read = await read_json(request, MESSAGES)
    if isinstance(read, Response):
        return read
    body, _ = read
    state = request.app.state.proxy
    try:
        routing = routing_messages(body)
    except BadRequest as exc:
        return anthropic_error(400, str(exc), "invalid_request_error")
    choice = choose(state.config, state.holder.router, {"model": body.get("model"), "messages": routing})
    headers = {"x-routed-engine": choice.engine}
    backend = choice.backend if choice.engine != CONFIRM else None
    if backend is not None and state.config.backends[backend].speaks("messages"):
        passed = passed_headers(request, MESSAGES)
        attempts = await send_with_fallbacks(
            state.pool, (backend,), None, request.scope["state"]["request_id"], False,
            lambda b: Target("/messages/count_tokens", payload_for(body, b, None), native_headers(passed, b)))
        if attempts.response is not None and attempts.response.status_code == 200:
            return Response(attempts.response.content, media_type="application/json",
                            headers={**headers, "x-routed-backend": backend})
    return JSONResponse({"input_tokens": estimate_tokens(body)}, headers={**headers, "x-hrouter-estimate": "true"})
