"""One pure-ASGI middleware: request ids on every response, bearer auth when a key is set."""

from __future__ import annotations

import hmac
import json
import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hrouter.server.errors import error_body

_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")
#: /confirm is the approval console: a browser cannot send the bearer key, so the page checks
#: the key itself (server/console.py).
OPEN_PATHS = frozenset({"/health", "/confirm"})


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _SAFE_ID.match(value):
            # A caller's id is kept so its logs and ours line up; anything odd is replaced.
            return value.decode()
    return uuid.uuid4().hex


class ProxyMiddleware:
    def __init__(self, app: ASGIApp, api_key: str | None):
        self.app = app
        self.expected = f"Bearer {api_key}".encode() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode())

        if self.expected is not None and scope["path"] not in OPEN_PATHS:
            given = b""
            for name, value in scope["headers"]:
                if name == b"authorization":
                    given = value
                    break
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps(
                    error_body("Missing or invalid bearer token: send Authorization: Bearer <key>.", "authentication_error")
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"www-authenticate", b"Bearer"),
                            id_header,
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        await self.app(scope, receive, send_with_id)
