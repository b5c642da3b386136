"""Error answers in each API's own shape, so any client shows the proxy's refusals readably.

Every error body carries the request's id (`request_id` inside the error object, and the
`x-request-id` header the middleware adds), so a user's report and the proxy's log line up.
The id comes from a context variable the middleware sets for the request: endpoints and
handlers need not pass it along.

An API other than OpenAI's registers its shape for its paths (`register_error_shape`); every
answer the proxy makes for a path under that prefix, including a 401, a 404 or an unhandled
error, then takes that shape.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any, Callable

from starlette.responses import Response

#: The id of the request being answered; set by the middleware, read by every error body.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("hrouter_request_id", default=None)

ErrorShape = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def openai_shape(message: str, type_: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "code": type_, **inner}}


def anthropic_shape(message: str, type_: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {"type": "error", "error": {"type": type_, "message": message, **inner}}


#: (path prefix, shape), longest prefix first; paths under none of them answer OpenAI's shape.
_SHAPES: list[tuple[str, ErrorShape]] = []


def register_error_shape(prefix: str, shape: ErrorShape) -> None:
    _SHAPES[:] = sorted([*(s for s in _SHAPES if s[0] != prefix), (prefix, shape)], key=lambda s: -len(s[0]))


def shape_for(path: str | None) -> ErrorShape:
    for prefix, shape in _SHAPES:
        if path and path.startswith(prefix):
            return shape
    return openai_shape


def error_body(message: str, type_: str, error_fields: dict[str, Any] | None = None, *,
               path: str | None = None, **extra: Any) -> dict[str, Any]:
    """`error_fields` go inside the `error` object (all an OpenAI SDK shows as `e.body`),
    `extra` beside it."""
    inner = dict(error_fields or {})
    request_id = current_request_id.get()
    if request_id is not None:
        inner.setdefault("request_id", request_id)
    body = shape_for(path)(message, type_, inner)
    body.update(extra)
    return body


def error_bytes(message: str, type_: str, *, path: str | None = None, **extra: Any) -> bytes:
    return json.dumps(error_body(message, type_, path=path, **extra), separators=(",", ":")).encode()


def error_response(status: int, message: str, type_: str, headers: dict[str, str] | None = None,
                   error_fields: dict[str, Any] | None = None, *, path: str | None = None, **extra: Any) -> Response:
    return Response(
        json.dumps(error_body(message, type_, error_fields, path=path, **extra), separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


async def send_error(send: Callable, status: int, message: str, type_: str, *, path: str | None = None,
                     headers: list[tuple[bytes, bytes]] = ()) -> None:
    """Answer an error from pure-ASGI code (middleware), in the shape of the request's API."""
    body = error_bytes(message, type_, path=path)
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers],
    })
    await send({"type": "http.response.body", "body": body})


def sse_error_event(message: str, type_: str) -> bytes:
    """A final server-sent event in the OpenAI error shape (the openai client raises on it)."""
    return b"data: " + json.dumps(error_body(message, type_), separators=(",", ":")).encode() + b"\n\n"
