"""The proxy's outer ASGI layers: request ids and error answers for everything, bearer auth.

`ProxyMiddleware` wraps the whole app: every response gets an `x-request-id`, every answer is
counted in `/metrics` by route and status and logged when it is an error, and an exception no
handler caught still answers JSON in the API's error shape (never a plain-text 500), recorded
as an error event. `BearerAuth` checks the key when one is configured.
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hrouter.server.errors import current_request_id, send_error

log = logging.getLogger("hrouter.proxy")

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


def header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return value
    return None


def _proxy_state(scope: Scope):
    app = scope.get("app")
    return getattr(getattr(app, "state", None), "proxy", None)


class ProxyMiddleware:
    def __init__(self, app: ASGIApp, routes: frozenset[str] = frozenset()):
        self.app = app
        # Metric labels name known routes only: a scanner probing random paths must not
        # create a series per path.
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode())
        token = current_request_id.set(request_id)
        answered: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), id_header]
                answered.append(message["status"])
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # noqa: BLE001 - every failure answers JSON, never a traceback
            error = exc
            if not answered:
                await send_error(send_with_id, 500, f"Internal error while handling the request ({type(exc).__name__}).",
                                 "internal_error", path=scope["path"])
        finally:
            current_request_id.reset(token)
        status = answered[0] if answered else 500
        self._observe(scope, request_id, status, error)

    def _observe(self, scope: Scope, request_id: str, status: int, error: BaseException | None) -> None:
        route = scope["path"] if scope["path"] in self.routes else "other"
        proxy = _proxy_state(scope)
        if proxy is not None:
            proxy.metrics.observe_response(route, status)
        if error is not None:
            # The type only: an exception's message may quote the request.
            log.error("request=%s %s %s status=%d unhandled %s", request_id, scope["method"], route, status,
                      type(error).__name__)
        elif status >= 400:
            log.info("request=%s %s %s status=%d", request_id, scope["method"], route, status)
        if status >= 400 and proxy is not None and not scope["state"].get("recorded"):
            # Answers the chat endpoint did not record itself (refused before routing, or failed).
            proxy.sink.emit({"event": "error", "request_id": request_id, "time": _now(), "method": scope["method"],
                             "route": route, "status": status,
                             **({"error": type(error).__name__} if error is not None else {})})


def _now() -> str:
    from hrouter.server.events import utc_now

    return utc_now()


def _bearer_token(value: bytes) -> bytes | None:
    """The credentials of an `Authorization: Bearer <token>` header; the scheme is
    case-insensitive (RFC 7235 section 2.1)."""
    scheme, _, token = value.strip().partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    return token.strip()


class BearerAuth:
    def __init__(self, app: ASGIApp, api_key: str | None):
        self.app = app
        self.api_key = api_key or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.api_key is None or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if not authorized(scope, self.api_key):
            await send_error(send, 401, "Missing or invalid bearer token: send Authorization: Bearer <key>.",
                             "authentication_error", path=scope["path"], headers=[(b"www-authenticate", b"Bearer")])
            return
        await self.app(scope, receive, send)


def authorized(scope: Scope, api_key: str | None) -> bool:
    """Whether the request carries the key (always true when none is set)."""
    if not api_key:
        return True
    token = _bearer_token(header(scope, b"authorization") or b"")
    return token is not None and hmac.compare_digest(token, api_key.encode())
