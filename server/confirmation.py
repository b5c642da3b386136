"""Human confirmation of a refused request: the confirmation object every refusal carries, the
signed approvals that let the same request through once, and the small store behind the listing.

An approval is an HMAC under the server's secret over the confirmation id, the hash of the
canonical request (which API, and its JSON body with sorted keys) and the approval's expiry.
Any instance that holds the same secret verifies it by recomputing that hash from the resent
body: no store is shared, and a different body, a changed expiry or another id fails the check.

The store (pending, approved and denied confirmations for the listing, and the approvals already
used) lives in this process and is bounded. Single use is enforced per process: with several
instances, an approval token could be used once on each of them before it expires, for the
identical request only. docs/confirmation.md says so, and how to share the secret.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Mapping

import attrs

from hrouter.server.config import ConfirmationConfig
from hrouter.server.redact import latest_user_text, preview

log = logging.getLogger("hrouter.proxy")

FAMILIES = ("destructive", "send", "purchase", "deploy", "calendar", "external")
#: a refusal no family rule explains (an empty prompt, an ambiguous order, a routing error)
UNCLASSIFIED = "unclassified"
#: Families by the catalog switch that turns a safety rule off; a rule named for a family
#: (``deploy``, ``approve_calendar``) gives that family, so a rule set that splits the
#: high-impact rule gets the finer family without a change here.
_FAMILY_OF_SWITCH = {
    "allow_destructive_actions": "destructive",
    "allow_send_actions": "send",
    "allow_purchase_actions": "purchase",
    "allow_high_impact_external_actions": "external",
}
HEADER = "X-Hrouter-Confirmation"
DOCS = "docs/confirmation.md"
TOKEN_PREFIX = "hrc1"
_SUMMARY_LIST = 8


def utc_iso(seconds: float) -> str:
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def request_sha256(api: str, body: Any) -> str:
    """The hash an approval is bound to: the API and the body as canonical JSON."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{api}\n{canonical}".encode("utf-8", "surrogatepass")).hexdigest()


def families_of(fired_rules: Any, safety_rules: Mapping[str, str | None]) -> tuple[str, ...]:
    """The action families of the safety rules that fired, first fired first."""
    found: list[str] = []
    for fired in fired_rules:
        rule = getattr(fired, "rule", fired)
        if rule not in safety_rules:
            continue
        bare = rule.removeprefix("approve_")
        family = bare if bare in FAMILIES else _FAMILY_OF_SWITCH.get(safety_rules[rule] or "")
        if family and family not in found:
            found.append(family)
    return tuple(found) or (UNCLASSIFIED,)


def _short(value: Any, limit: int = 64) -> str:
    return preview(value if isinstance(value, str) else "", limit)


def summary_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """What would be forwarded, for the human deciding: never the raw prompt, only a redacted
    preview of the latest user message and the names of the tools involved."""
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    tools = []
    for tool in body.get("tools") if isinstance(body.get("tools"), list) else ():
        function = tool.get("function") if isinstance(tool, Mapping) else None
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(name, str):
            tools.append(_short(name))
    calls = []
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "assistant":
            for call in message.get("tool_calls") if isinstance(message.get("tool_calls"), list) else ():
                function = call.get("function") if isinstance(call, Mapping) else None
                if isinstance(function, Mapping):
                    calls.append(f"{_short(function.get('name'))}({_short(function.get('arguments'), 80)})")
            break
    return {
        "model": _short(body.get("model")),
        "messages": len(messages),
        "latest_user_message": preview(latest_user_text(messages)),
        "tools": tools[:_SUMMARY_LIST],
        "proposed_tool_calls": calls[:_SUMMARY_LIST],
        "stream": body.get("stream") is True,
    }


class Rejected(Exception):
    """An approval that does not let this request through; the message says why."""


class Signer:
    """Approval tokens: ``hrc1.<id>.<expires>.<mac>``, the MAC over id, request hash and expiry."""

    def __init__(self, secret: str):
        self._key = hashlib.sha256(b"hrouter confirmation\n" + secret.encode()).digest()

    def _mac(self, label: str, *parts: object) -> str:
        message = "|".join([label, *map(str, parts)]).encode()
        return base64.urlsafe_b64encode(hmac.new(self._key, message, hashlib.sha256).digest()).rstrip(b"=").decode()

    def token(self, cid: str, body_sha256: str, expires: int) -> str:
        return f"{TOKEN_PREFIX}.{cid}.{expires}.{self._mac(TOKEN_PREFIX, cid, body_sha256, expires)}"

    def verify(self, token: str, body_sha256: str, now: float) -> tuple[str, int]:
        """(id, expiry) of a token valid for this request; Rejected otherwise."""
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != TOKEN_PREFIX or not parts[2].isdigit():
            raise Rejected("the confirmation header is neither a confirmation id nor an approval token")
        _, cid, expires, mac = parts
        if not hmac.compare_digest(mac, self._mac(TOKEN_PREFIX, cid, body_sha256, expires)):
            raise Rejected("the approval does not match this request (a different body, or a token this "
                           "server did not sign)")
        if int(expires) <= now:
            raise Rejected("the approval has expired")
        return cid, int(expires)

    def tag(self, label: str, value: str = "") -> str:
        """A value only this secret can produce (console CSRF tokens and session cookies)."""
        return self._mac(label, value)


@attrs.frozen
class Record:
    id: str
    api: str
    body_sha256: str
    created: float
    expires: float
    families: tuple[str, ...]
    reasons: tuple[str, ...]
    fired_rules: tuple[str, ...]
    summary: dict[str, Any]
    request_id: str
    status: str = "pending"  # pending, approved, denied, used
    decided_at: float | None = None
    decided_via: str | None = None
    token: str | None = None
    approval_expires: float | None = None

    def state(self, now: float) -> str:
        if self.status == "pending" and self.expires <= now:
            return "expired"
        if self.status == "approved" and (self.approval_expires or 0) <= now:
            return "expired"
        return self.status

    def to_dict(self, now: float, base_url: str, for_human: bool = True) -> dict[str, Any]:
        """``for_human`` False (the refusal itself): the summary without the message preview
        and the proposed calls' arguments, so a refusal never echoes the prompt back."""
        status = self.state(now)
        summary = self.summary if for_human else {
            **{k: v for k, v in self.summary.items() if k not in ("latest_user_message", "proposed_tool_calls")},
            "proposed_tool_calls": [c.split("(", 1)[0] for c in self.summary["proposed_tool_calls"]],
        }
        data = {
            "id": self.id,
            "status": status,
            "family": self.families[0],
            "families": list(self.families),
            "reasons": list(self.reasons),
            "fired_rules": list(self.fired_rules),
            "summary": summary,
            "api": self.api,
            "request_sha256": self.body_sha256,
            "request_id": self.request_id,
            "created_at": utc_iso(self.created),
            "expires_at": utc_iso(self.approval_expires or self.expires),
            "console_url": f"{base_url}/confirm",
            "approve_url": f"{base_url}/v1/confirmations/{self.id}/approve",
            "deny_url": f"{base_url}/v1/confirmations/{self.id}/deny",
            "status_url": f"{base_url}/v1/confirmations/{self.id}",
            "resend_header": HEADER,
            "docs": DOCS,
        }
        if self.decided_at is not None:
            data["decided_at"], data["decided_via"] = utc_iso(self.decided_at), self.decided_via
        if status == "approved":
            data["approval_token"] = self.token
        return data


class Store:
    """Confirmations by id, newest last, at most ``limit`` of them; and the approvals used."""

    def __init__(self, limit: int):
        self.limit = limit
        self._records: OrderedDict[str, Record] = OrderedDict()
        self._by_request: dict[tuple[str, str], str] = {}
        self._used: OrderedDict[str, float] = OrderedDict()  # id -> approval expiry
        self._lock = threading.Lock()

    def add(self, record: Record) -> None:
        with self._lock:
            self._records[record.id] = record
            self._by_request[(record.api, record.body_sha256)] = record.id
            while len(self._records) > self.limit:
                _, old = self._records.popitem(last=False)
                if self._by_request.get((old.api, old.body_sha256)) == old.id:
                    del self._by_request[(old.api, old.body_sha256)]

    def get(self, cid: str) -> Record | None:
        return self._records.get(cid)

    def for_request(self, api: str, body_sha256: str) -> Record | None:
        cid = self._by_request.get((api, body_sha256))
        return self._records.get(cid) if cid else None

    def records(self) -> list[Record]:
        with self._lock:
            return list(reversed(self._records.values()))

    def use(self, cid: str, expires: float, now: float) -> None:
        """Record an approval as used; Rejected when it was, or when too many unexpired
        approvals are remembered to take one more (fail closed rather than forget one)."""
        with self._lock:
            if cid in self._used:
                raise Rejected("the approval was already used: a request is forwarded once per approval")
            if len(self._used) >= self.limit:
                for old in [k for k, exp in self._used.items() if exp <= now]:
                    del self._used[old]
                if len(self._used) >= self.limit:
                    raise Rejected("too many unexpired approvals are in use; try again when some expire")
            self._used[cid] = expires
            record = self._records.get(cid)
            if record is not None:
                self._records[cid] = attrs.evolve(record, status="used")

    def transition(self, cid: str, now: float, **changes: Any) -> Record:
        """Replace a pending confirmation by its decided self, atomically: KeyError if
        unknown, Rejected if no longer pending (decided once, even by racing callers)."""
        with self._lock:
            record = self._records.get(cid)
            if record is None:
                raise KeyError(cid)
            state = record.state(now)
            if state != "pending":
                raise Rejected(f"confirmation {cid} is {state}, not pending")
            record = self._records[cid] = attrs.evolve(record, **changes)
            return record


def load_secret(cfg: ConfirmationConfig, environ: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """(secret, whether it came from the environment)."""
    env = os.environ if environ is None else environ
    secret = env.get(cfg.secret_env) if cfg.secret_env else None
    if secret:
        return secret, True
    log.warning("confirmation: %s is not set; approvals are signed with a secret generated for this process "
                "(pid %d), so no other process accepts them (%s says how to share one)",
                cfg.secret_env or "confirmation.secret_env", os.getpid(), DOCS)
    return secrets.token_urlsafe(32), False


@attrs.frozen
class Redeemed:
    record: Record | None
    cid: str


class Confirmations:
    """The proxy's confirmation service: one per process (per app)."""

    def __init__(self, cfg: ConfirmationConfig, clock: Callable[[], float] = time.time,
                 environ: Mapping[str, str] | None = None):
        self.cfg = cfg
        self.clock = clock
        secret, self.shared_secret = load_secret(cfg, environ)
        self.signer = Signer(secret)
        self.store = Store(cfg.max_pending)
        self._approving: tuple[Any, Any] | None = None  # (router, its approval router)
        self._safety: tuple[str, dict[str, str | None]] | None = None

    def status(self) -> dict[str, Any]:
        """For /health: whether approvals are portable, and how many wait."""
        now = self.clock()
        return {"secret_from_env": self.shared_secret, "ttl_seconds": self.cfg.ttl_seconds,
                "pending": sum(r.state(now) == "pending" for r in self.store.records())}

    # -- refusals ---------------------------------------------------------------------------------

    def safety_rules(self, router: Any) -> dict[str, str | None]:
        """The loaded rules' safety rules: id -> the catalog switch that turns it off."""
        artifact = getattr(router, "artifact", None)
        key = getattr(artifact, "source_hash", "")
        if self._safety is None or self._safety[0] != key:
            rules = getattr(artifact, "rules", ()) or ()
            self._safety = (key, {r.id: r.override for r in rules if r.kind == "safety"})
        return self._safety[1]

    def require(self, *, api: str, body: Mapping[str, Any], body_sha256: str, decision: Any, router: Any,
                request_id: str) -> Record:
        """The pending confirmation for this refused request: the one already pending for the
        identical request (an agent retrying before a human decided), else a new one."""
        now = self.clock()
        found = self.store.for_request(api, body_sha256)
        if found is not None and found.state(now) == "pending":
            return found
        record = Record(
            id="cf_" + secrets.token_hex(12),
            api=api,
            body_sha256=body_sha256,
            created=now,
            expires=now + self.cfg.ttl_seconds,
            families=families_of(decision.fired_rules, self.safety_rules(router)),
            reasons=tuple(str(r) for r in decision.reasons),
            fired_rules=tuple(f.rule for f in decision.fired_rules),
            summary=summary_of(body),
            request_id=request_id,
        )
        self.store.add(record)
        return record

    # -- decisions --------------------------------------------------------------------------------

    def decide(self, cid: str, approve: bool, via: str) -> Record:
        """Approve or deny a pending confirmation; KeyError if unknown, Rejected if not pending."""
        now = self.clock()
        changes: dict[str, Any] = {"status": "approved" if approve else "denied", "decided_at": now, "decided_via": via}
        if approve:
            record = self.store.get(cid)
            if record is None:
                raise KeyError(cid)
            expires = int(now + self.cfg.ttl_seconds)
            changes.update(approval_expires=expires, token=self.signer.token(cid, record.body_sha256, expires))
        return self.store.transition(cid, now, **changes)

    # -- the resent request -----------------------------------------------------------------------

    def redeem(self, api: str, body_sha256: str, header: str | None) -> Redeemed | None:
        """The approval that lets this refused request through, marked used; None when there is
        none (no header, and no approval for the identical request); Rejected when the header
        names one that does not let it through."""
        now = self.clock()
        header = (header or "").strip()
        if not header:
            record = self.store.for_request(api, body_sha256)
            if record is None or record.state(now) != "approved" or record.token is None:
                return None
            header = record.token
        elif not header.startswith(TOKEN_PREFIX + "."):
            record = self.store.get(header)
            if record is None:
                raise Rejected(f"confirmation {header[:40]!r} is not known to this instance; send the "
                               "approval_token from its status instead")
            state = record.state(now)
            if state == "used":
                raise Rejected("the approval was already used: a request is forwarded once per approval")
            if state != "approved" or record.token is None:
                raise Rejected(f"confirmation {record.id} is {state}, not approved")
            header = record.token
        cid, expires = self.signer.verify(header, body_sha256, now)
        self.store.use(cid, expires, now)
        return Redeemed(self.store.get(cid), cid)

    def approval_router(self, router: Any) -> Any:
        """The router an approved request is routed by: the same rules and catalog with every
        safety rule's switch on, so it goes where the rules send an allowed action. Built once
        per loaded router; it shares the artifact, and compiles patterns as it meets them."""
        cached = self._approving
        if cached is not None and cached[0] is router:
            return cached[1]
        from hrouter.engine.catalog import ConfirmationOverrides
        from hrouter.engine.router import ModelRouter

        catalog = router.catalog
        switches = ConfirmationOverrides(**{name: True for name in catalog.overrides})
        approving = ModelRouter(attrs.evolve(catalog, safety=attrs.evolve(catalog.safety,
                                                                          confirmation_overrides=switches)),
                                router.artifact)
        self._approving = (router, approving)
        return approving


# -- the glue every API's refusal path calls ----------------------------------------------------


def base_url(request: Any) -> str:
    return str(request.base_url).rstrip("/")


def record_event(state: Any, event: str, record: Record | None, **fields: Any) -> None:
    """One lifecycle event in the routing log and one count in /metrics; no prompt text."""
    from hrouter.server.events import lifecycle_event

    state.metrics.confirmation_outcomes.inc(event.removeprefix("confirmation_"))
    if state.sink.enabled:
        if record is not None:
            fields = {"confirmation_id": record.id, "family": record.families[0], "fired_rules": list(record.fired_rules),
                      "request_sha256": record.body_sha256, **fields}
        state.sink.emit(lifecycle_event(event, **fields))


def confirmation_for(request: Any, decision: Any, *, api: str, body: Mapping[str, Any],
                     body_sha256: str | None = None, rejected: str | None = None) -> dict[str, Any]:
    """The confirmation object of a refusal, for any API the proxy speaks: the pending
    confirmation of this request (created, or the one already pending for the identical body),
    with where a human approves it. ``rejected`` says why an approval sent with it did not count."""
    state = request.app.state.proxy
    service: Confirmations = state.confirmations
    request_id = request.scope.get("state", {}).get("request_id", "")
    record = service.require(api=api, body=body, body_sha256=body_sha256 or request_sha256(api, body),
                             decision=decision, router=state.holder.router, request_id=request_id)
    record_event(state, "confirmation_required", record, request_id=request_id, rejected_approval=rejected)
    found = record.to_dict(service.clock(), base_url(request), for_human=False)
    if rejected:
        found["rejected_approval"] = rejected
    return found


@attrs.frozen
class Settled:
    """What a refused request gets: the approved route to forward it by (``approved``), or a
    409 with ``decision``'s reasons and ``confirmation`` (None when even an approval cannot let
    it through: a safety rule no catalog switch turns off)."""

    approved: Any = None  # a dispatch.Choice
    decision: Any = None
    confirmation: dict[str, Any] | None = None


def _redeem(request: Any, choice: Any, api: str, body: Mapping[str, Any]) -> Settled | Redeemed:
    """The approval this refused request carries, or the 409 it gets."""
    state = request.app.state.proxy
    sha = request_sha256(api, body)
    request_id = request.scope.get("state", {}).get("request_id", "")
    try:
        redeemed = state.confirmations.redeem(api, sha, request.headers.get(HEADER))
    except Rejected as exc:
        record_event(state, "confirmation_rejected", None, request_id=request_id, request_sha256=sha, reason=str(exc))
        return Settled(decision=choice.decision, confirmation=confirmation_for(
            request, choice.decision, api=api, body=body, body_sha256=sha, rejected=str(exc)))
    if redeemed is None:
        return Settled(decision=choice.decision,
                       confirmation=confirmation_for(request, choice.decision, api=api, body=body, body_sha256=sha))
    return redeemed


def _approved(request: Any, router: Any, redeemed: Redeemed, body: Mapping[str, Any]) -> Settled:
    """Routed as the rules route an allowed action (forwarded this once), or still refused."""
    from hrouter.server.dispatch import CONFIRM, choose

    state = request.app.state.proxy
    approved = choose(state.config, state.confirmations.approval_router(router), body)
    if approved.engine == CONFIRM:
        return Settled(decision=approved.decision)
    record_event(state, "confirmation_forwarded", redeemed.record, request_id=request.scope.get("state", {}).get(
        "request_id"), confirmation_id=redeemed.cid, engine=approved.engine)
    return Settled(approved=approved)


async def settle_refusal(request: Any, choice: Any, router: Any, *, api: str, body: Mapping[str, Any],
                         offload: bool = False) -> Settled:
    """For a request ``router`` refused (``choice.engine`` is human_confirm), in any API: redeem
    the approval it carries (the header, or an approval of the identical body) and give the
    approved route, or else the confirmation its 409 carries. ``offload`` (a large body) hashes
    it in a worker thread; an approved request is always routed in one, since the approval
    router compiles its patterns on first use and approvals are rare."""
    from starlette.concurrency import run_in_threadpool

    found = await run_in_threadpool(_redeem, request, choice, api, body) if offload else _redeem(request, choice, api, body)
    if isinstance(found, Settled):
        return found
    return await run_in_threadpool(_approved, request, router, found, body)
