"""Refusing what a local proxy should never serve: drive-by requests from web pages, DNS
rebinding, non-JSON bodies on JSON endpoints, and requests whose framing two servers could read
differently.

Local agents (curl, SDKs, coding agents) send no `Origin` header and address the proxy by the
host it is bound to, so the defaults cost them nothing:

- A request with an `Origin` header (every browser sends one on a cross-origin POST), or a
  browser's `Sec-Fetch-Site: cross-site`, is refused with 403 unless the origin is listed in
  `proxy.allowed_origins`; a listed origin gets CORS headers and its preflight answered.
- `Host` must name the proxy: an IP literal, `localhost`, `proxy.host`, or a name in
  `proxy.allowed_hosts` (`"*"` allows any). A DNS-rebinding page reaches the proxy under its
  own domain name, which is none of these.
- A POST must say `Content-Type: application/json` (or `+json`): `text/plain` and form types
  are what a page may send without a CORS preflight.
- The confirmation console (`/confirm`, console.py) is a page for the user's own browser: it
  checks same origin, a CSRF token and its session itself, so only the Host and framing checks
  apply there; an approve or deny call of the HTTP API may come without a body.
- `Content-Length` together with `Transfer-Encoding` is refused (RFC 9112 section 6.3): a
  backend or a front proxy could take the other length and read a different request.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from hrouter.server.errors import send_error
from hrouter.server.middleware import header

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})
_CORS_METHODS = b"GET, POST, OPTIONS"
_CORS_HEADERS = b"authorization, content-type, x-request-id"
_CROSS_SITE = frozenset({b"cross-site", b"same-site"})
_CONSOLE = "/confirm"  # console.PATH: the page checks same origin itself


def _bodiless(scope: Scope) -> bool:
    length = header(scope, b"content-length")
    return header(scope, b"transfer-encoding") is None and (length is None or length.strip() == b"0")


def _hostname(value: bytes) -> str:
    """The host of a Host header, lowercased, without its port ("[::1]:8082" -> "::1")."""
    text = value.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text[1:].partition("]")[0]
    if text.count(":") == 1:
        text = text.partition(":")[0]
    return text.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def is_json_type(value: bytes | None) -> bool:
    if not value:
        return False
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


class BrowserGuard:
    def __init__(self, app: ASGIApp, *, bound_host: str, allowed_hosts: tuple[str, ...] = (),
                 allowed_origins: tuple[str, ...] = ()):
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.hosts = frozenset({_hostname(h.encode()) for h in (*allowed_hosts, bound_host) if h != "*"}) | _LOCAL_NAMES
        self.origins = frozenset(o.rstrip("/").lower() for o in allowed_origins)

    def host_allowed(self, value: bytes | None) -> bool:
        if value is None or self.any_host:
            return True  # HTTP/1.0 without Host: no browser sends that
        name = _hostname(value)
        return name in self.hosts or _is_ip(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if header(scope, b"content-length") is not None and header(scope, b"transfer-encoding") is not None:
            await send_error(send, 400, "Send Content-Length or Transfer-Encoding, not both.", "invalid_request_error",
                             path=path, headers=[(b"connection", b"close")])
            return
        if not self.host_allowed(header(scope, b"host")):
            await send_error(send, 421, "This Host is not served here; list it under proxy.allowed_hosts.",
                             "host_not_allowed", path=path)
            return
        if path == _CONSOLE:
            await self.app(scope, receive, send)
            return
        origin = header(scope, b"origin")
        allowed_origin = origin is not None and origin.decode("latin-1").rstrip("/").lower() in self.origins
        if not allowed_origin and (origin is not None or header(scope, b"sec-fetch-site") in _CROSS_SITE):
            await send_error(send, 403, "Requests from web pages are refused unless their origin is listed "
                             "under proxy.allowed_origins.", "origin_not_allowed", path=path)
            return
        if allowed_origin and scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": [
                *self._cors(origin), (b"access-control-allow-methods", _CORS_METHODS),
                (b"access-control-allow-headers", _CORS_HEADERS), (b"access-control-max-age", b"600")]})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["method"] == "POST" and not is_json_type(header(scope, b"content-type")) and not (
                path.startswith("/v1/confirmations/") and _bodiless(scope)):
            await send_error(send, 415, "Send the body as JSON with Content-Type: application/json.",
                             "unsupported_media_type", path=path)
            return
        if not allowed_origin:
            await self.app(scope, receive, send)
            return
        cors = self._cors(origin)

        async def send_with_cors(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *cors]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    def _cors(origin: bytes) -> list[tuple[bytes, bytes]]:
        return [(b"access-control-allow-origin", origin), (b"vary", b"origin"),
                (b"access-control-expose-headers", b"x-request-id, x-routed-engine, x-routed-backend")]
