"""Unknown paths and methods answer 404 and 405 in the error shape of the API the path belongs
to (Anthropic's under /v1/messages, OpenAI's elsewhere): JSON an SDK can read, never plain text."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hrouter.server.api_messages import anthropic_error
from hrouter.server.errors import error_response

_TYPES = {404: "not_found", 405: "method_not_allowed"}
_ANTHROPIC_TYPES = {404: "not_found_error", 405: "invalid_request_error"}


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if status == 405:
        message = f"{request.method} is not allowed on {request.url.path}; allowed: {headers.get('allow', 'none')}."
    elif status == 404:
        message = f"No such endpoint: {request.method} {request.url.path}."
    else:
        message = str(getattr(exc, "detail", "")) or "Request failed."
    if request.url.path.startswith("/v1/messages"):
        return anthropic_error(status, message, _ANTHROPIC_TYPES.get(status, "invalid_request_error"), headers=headers)
    return error_response(status, message, _TYPES.get(status, "invalid_request_error"), headers=headers,
                          path=request.url.path)
