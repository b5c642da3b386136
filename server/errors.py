"""OpenAI-style error bodies, so any OpenAI client shows the proxy's refusals readably."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


def error_body(message: str, type_: str, error_fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """`error_fields` go inside the `error` object (all an OpenAI SDK shows as `e.body`),
    `extra` beside it."""
    body: dict[str, Any] = {"error": {"message": message, "type": type_, "code": type_, **(error_fields or {})}}
    body.update(extra)
    return body


def error_response(status: int, message: str, type_: str, headers: dict[str, str] | None = None,
                   error_fields: dict[str, Any] | None = None, **extra: Any) -> Response:
    return Response(
        json.dumps(error_body(message, type_, error_fields, **extra), separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def sse_error_event(message: str, type_: str) -> bytes:
    """A final server-sent event in the OpenAI error shape (the openai client raises on it)."""
    return b"data: " + json.dumps(error_body(message, type_), separators=(",", ":")).encode() + b"\n\n"
