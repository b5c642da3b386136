"""The confirmation HTTP API, for `hrouter confirm` and for agent frameworks with their own
approval UI: list, show, approve, deny. Behind the proxy's key like every other path.

State changes only on POST, and never from another site: a browser's cross-site request carries
an Origin or Sec-Fetch-Site header that names another site, and is refused (a form on a web page
could otherwise approve through a keyless loopback proxy).
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hrouter.server.body import BodyTooLarge, ClientGone, read_body
from hrouter.server.config import is_loopback
from hrouter.server.confirmation import Rejected, base_url, record_event
from hrouter.server.errors import error_response

_VIA = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_STATUSES = ("pending", "approved", "denied", "used", "expired", "all")
_BODY_LIMIT = 4096


def rebound_host(request: Request) -> str | None:
    """Why the Host looks like DNS rebinding, or None. A proxy with neither a key nor
    allow_remote serves loopback only, so a page on another name that resolves to 127.0.0.1
    would otherwise be "same-origin" with it and could read the console and approve."""
    config = request.app.state.proxy.config
    if config.resolved_api_key() or config.proxy.allow_remote:
        return None
    host = request.url.hostname or ""
    if is_loopback(host) or host == config.proxy.host:
        return None
    return f"a request for another host name ({host[:60]!r}) to a loopback proxy without a key"


def cross_site(request: Request) -> str | None:
    """Why a state-changing request looks sent by another site, or None."""
    rebound = rebound_host(request)
    if rebound:
        return rebound
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"a cross-site request (Sec-Fetch-Site: {fetch_site[:20]})"
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") != base_url(request):
        return "a request from another origin"
    return None


APPROVER_HEADER = "x-hrouter-approver-key"


def approver_problem(request: Request) -> str | None:
    """Why this request may not approve or deny, when an approver key is configured."""
    key = request.app.state.proxy.config.confirmation.approver_key()
    if key is None:
        return None
    if hmac.compare_digest(request.headers.get(APPROVER_HEADER, "").encode(), key.encode()):
        return None
    return "approving and denying need the approver key (X-Hrouter-Approver-Key)"


def _not_found(cid: str) -> Response:
    return error_response(404, f"No confirmation {cid[:40]!r} on this instance (unknown, or dropped from its "
                          "bounded store).", "confirmation_not_found")


async def list_confirmations(request: Request) -> Response:
    state = request.app.state.proxy
    wanted = request.query_params.get("status", "pending")
    if wanted not in _STATUSES:
        return error_response(400, f"status must be one of {', '.join(_STATUSES)}", "invalid_request_error")
    service = state.confirmations
    now, base = service.clock(), base_url(request)
    rows = [r.to_dict(now, base) for r in service.store.records()]
    if wanted != "all":
        rows = [r for r in rows if r["status"] == wanted]
    return JSONResponse({"object": "list", "data": rows})


async def show_confirmation(request: Request) -> Response:
    service = request.app.state.proxy.confirmations
    cid = request.path_params["cid"]
    record = service.store.get(cid)
    if record is None:
        return _not_found(cid)
    return JSONResponse(record.to_dict(service.clock(), base_url(request)))


async def _via(request: Request) -> str | Response:
    try:
        raw = await read_body(request.scope, request.receive, _BODY_LIMIT)
    except BodyTooLarge:
        return error_response(413, "The approval body is too large.", "request_too_large")
    except ClientGone:
        return Response(status_code=499)
    if not raw.strip():
        return "api"
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return error_response(400, "Request body must be valid JSON.", "invalid_request_error")
    via = data.get("via", "api") if isinstance(data, dict) else None
    if not isinstance(via, str) or not _VIA.match(via):
        return error_response(400, "via must be a short lowercase name such as cli or console.", "invalid_request_error")
    return via


def decide(request: Request, cid: str, approve: bool, via: str) -> tuple[Any, str | None]:
    """(record, None) once decided, or (None, why not): the one path the API and the console share."""
    state = request.app.state.proxy
    try:
        record = state.confirmations.decide(cid, approve, via)
    except KeyError:
        return None, "unknown"
    except Rejected as exc:
        return None, str(exc)
    record_event(state, "confirmation_approved" if approve else "confirmation_denied", record,
                 via=via, request_id=request.scope.get("state", {}).get("request_id"))
    return record, None


async def _decide(request: Request, approve: bool) -> Response:
    why = cross_site(request)
    if why:
        return error_response(403, f"Refused {why}: approve from the console, the CLI or a server-side client.",
                              "cross_site_request")
    problem = approver_problem(request)
    if problem:
        return error_response(403, problem + ".", "approver_key_required")
    via = await _via(request)
    if isinstance(via, Response):
        return via
    cid = request.path_params["cid"]
    record, problem = decide(request, cid, approve, via)
    if problem == "unknown":
        return _not_found(cid)
    if problem:
        return error_response(409, problem, "confirmation_not_pending")
    service = request.app.state.proxy.confirmations
    return JSONResponse(record.to_dict(service.clock(), base_url(request)))


async def approve_confirmation(request: Request) -> Response:
    return await _decide(request, True)


async def deny_confirmation(request: Request) -> Response:
    return await _decide(request, False)


CONFIRM_ROUTES = [
    Route("/v1/confirmations", list_confirmations, methods=["GET"]),
    Route("/v1/confirmations/{cid}", show_confirmation, methods=["GET"]),
    Route("/v1/confirmations/{cid}/approve", approve_confirmation, methods=["POST"]),
    Route("/v1/confirmations/{cid}/deny", deny_confirmation, methods=["POST"]),
]
