"""The approval console at /confirm: the requests waiting for a human, what each would do and
why it was stopped, with approve and deny buttons.

A browser cannot send the proxy's bearer key, so the page does its own authentication: when the
proxy has a key, the page asks for it once and keeps an HttpOnly, SameSite=Strict session
cookie (a MAC of the key under the confirmation secret, so it is worthless elsewhere). Against
cross-site requests: nothing changes on GET; every POST must come from this origin
(Origin/Sec-Fetch-Site) and carry the page's CSRF token; the Content-Security-Policy allows no
script at all, only the page's own style, forms posting back here, and no framing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from importlib import resources
from string import Template
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from hrouter.server.body import BodyTooLarge, ClientGone, read_body
from hrouter.server.confirm_api import cross_site, decide, rebound_host
from hrouter.server.confirmation import base_url

PATH = "/confirm"
COOKIE = "hrouter_console"
_FORM_LIMIT = 4096
_SHOWN_DECIDED = 20
_TEMPLATE_TEXT = resources.files("hrouter.server").joinpath("console.html").read_text(encoding="utf-8")
_TEMPLATE = Template(_TEMPLATE_TEXT)
_STYLE = re.search(r"<style>(.*?)</style>", _TEMPLATE_TEXT, re.S).group(1)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
HEADERS = {
    "content-security-policy": (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    # not no-referrer: Chromium then sends "Origin: null" with the page's own forms
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def _key(request: Request) -> str | None:
    """The key the console asks for: the approver key when there is one, else the proxy's."""
    config = request.app.state.proxy.config
    return config.confirmation.approver_key() or config.resolved_api_key()


def _session(request: Request) -> str | None:
    """The session this browser proved (the cookie or the bearer key), "" when the proxy has no
    key, None when it has one and the request does not carry it."""
    key = _key(request)
    if not key:
        return ""
    signer = request.app.state.proxy.confirmations.signer
    expected = signer.tag("console-session", key)
    if hmac.compare_digest(request.headers.get("authorization", "").encode(), f"Bearer {key}".encode()):
        return expected
    cookie = request.cookies.get(COOKIE, "")
    return expected if hmac.compare_digest(cookie.encode(), expected.encode()) else None


def _csrf(request: Request, session: str) -> str:
    return request.app.state.proxy.confirmations.signer.tag("console-csrf", session)


def _page(body: str, notice: str = "", status: int = 200) -> Response:
    notice_html = f'<p class="notice" role="status">{html.escape(notice)}</p>' if notice else ""
    return HTMLResponse(_TEMPLATE.substitute(body=body, notice=notice_html), status_code=status, headers=HEADERS)


def _login(notice: str = "", status: int = 200) -> Response:
    form = (f'<form method="post" action="{PATH}"><input type="hidden" name="action" value="login">'
            '<label>Key <input type="password" name="key" autocomplete="current-password" required></label> '
            '<button type="submit">Open the console</button></form>')
    return _page(form, notice, status)


def _row(record, now: float, token: str) -> str:
    data = record.to_dict(now, "")
    s = data["summary"]
    e = html.escape
    what = [f"<dt>Latest message</dt><dd>{e(s['latest_user_message']) or '<em>no text</em>'}</dd>",
            f"<dt>Model asked</dt><dd><code>{e(s['model'] or '-')}</code>, {s['messages']} message(s)"
            f"{', streamed' if s['stream'] else ''}</dd>"]
    if s["proposed_tool_calls"]:
        what.append(f"<dt>Tool calls</dt><dd>{e(', '.join(s['proposed_tool_calls']))}</dd>")
    if s["tools"]:
        what.append(f"<dt>Tools offered</dt><dd>{e(', '.join(s['tools']))}</dd>")
    buttons = ""
    if data["status"] == "pending":
        buttons = "".join(
            f'<form method="post" action="{PATH}"><input type="hidden" name="action" value="{verb}">'
            f'<input type="hidden" name="id" value="{e(record.id)}"><input type="hidden" name="csrf" value="{e(token)}">'
            f'<button type="submit" class="{verb}" id="{verb}-{e(record.id)}">{verb.capitalize()}</button></form>'
            for verb in ("approve", "deny"))
    return (f'<article id="{e(record.id)}" class="{"pending" if data["status"] == "pending" else "decided"}">'
            f'<span class="family">{e(data["family"])}</span> <code>{e(record.id)}</code>'
            f'<span class="status">{e(data["status"])}</span>'
            f'<dl><dt>Why stopped</dt><dd>{e("; ".join(data["reasons"]))}</dd>'
            f'<dt>Rules</dt><dd>{e(", ".join(data["fired_rules"]))}</dd>{"".join(what)}'
            f'<dt>Expires</dt><dd>{e(data["expires_at"])}</dd></dl>{buttons}</article>')


def _listing(request: Request, session: str, notice: str = "") -> Response:
    service = request.app.state.proxy.confirmations
    now, token = service.clock(), _csrf(request, session)
    records = service.store.records()
    pending = [r for r in records if r.state(now) == "pending"]
    decided = [r for r in records if r.state(now) != "pending"][:_SHOWN_DECIDED]
    body = "".join(_row(r, now, token) for r in pending) or '<p class="empty" id="none-pending">Nothing is waiting.</p>'
    if decided:
        body += "<h2>Recently decided</h2>" + "".join(_row(r, now, token) for r in decided)
    return _page(body, notice)


async def console_page(request: Request) -> Response:
    rebound = rebound_host(request)
    if rebound:
        return _page(f"<p>Refused {html.escape(rebound)}.</p>", status=403)
    session = _session(request)
    if session is None:
        return _login()
    done = request.query_params.get("done")
    notice = {"approved": "Approved: the agent's identical resend is forwarded once.",
              "denied": "Denied: a resend is refused again."}.get(done or "", "")
    return _listing(request, session, notice)


async def console_post(request: Request) -> Response:
    why = cross_site(request)
    if why:
        return _page(f"<p>Refused {html.escape(why)}.</p>", status=403)
    try:
        raw = await read_body(request.scope, request.receive, _FORM_LIMIT)
    except BodyTooLarge:
        return _page("<p>The form is too large.</p>", status=413)
    except ClientGone:
        return Response(status_code=499)
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), max_num_fields=8).items()}
    if form.get("action") == "login":
        key = _key(request)
        if not key or not hmac.compare_digest(form.get("key", "").encode(), key.encode()):
            return _login("That is not the key.", 403)
        response = RedirectResponse(PATH, status_code=303, headers=HEADERS)
        response.set_cookie(COOKIE, request.app.state.proxy.confirmations.signer.tag("console-session", key),
                            httponly=True, samesite="strict", path=PATH,
                            secure=base_url(request).startswith("https:"))
        return response
    session = _session(request)
    if session is None:
        return _login("Sign in first.", 401)
    if not hmac.compare_digest(form.get("csrf", "").encode(), _csrf(request, session).encode()):
        return _page("<p>The form is stale or was not sent from this page: reload the console.</p>", status=403)
    action, cid = form.get("action"), form.get("id", "")
    if action not in ("approve", "deny"):
        return _page("<p>Unknown action.</p>", status=400)
    record, problem = decide(request, cid, action == "approve", "console")
    if problem:
        return _listing(request, session, f"Not {action}d: {'no such confirmation' if problem == 'unknown' else problem}.")
    # POST, redirect, GET: a reload of the page never repeats the decision.
    return RedirectResponse(f"{PATH}?done={action}d", status_code=303, headers=HEADERS)


CONSOLE_ROUTES = [
    Route(PATH, console_page, methods=["GET"]),
    Route(PATH, console_post, methods=["POST"]),
]
