"""Human confirmation of a refused request: the confirmation object every refusal carries, the
signed approvals that let the same request through once, and the small store behind the listing.

An approval is an HMAC under the server's secret over the confirmation id, the hash of the
canonical request (which API, and its JSON body with sorted keys) and the approval's expiry.
Any instance that holds the same secret verifies it by recomputing that hash from the resent
body: no store is shared, and a different body, a changed expiry or another id fails the check.

The signer and the store (pending, approved and denied confirmations for the listing, and the
approvals already used) are in approvals.py; the store lives in this process and is bounded. Single use is enforced per process: with several
instances, an approval token could be used once on each of them before it expires, for the
identical request only. docs/confirmation.md says so, and how to share the secret.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from typing import Any, Callable, Mapping

import attrs

from hrouter.server.approvals import HEADER, TOKEN_PREFIX, Record, Rejected, Signer, Store, load_secret
from hrouter.server.config import ConfirmationConfig
from hrouter.server.redact import latest_user_text, preview

log = logging.getLogger("hrouter.proxy")

FAMILIES = ("destructive", "send", "purchase", "deploy", "calendar", "external")
#: a refusal no family rule explains (an empty prompt, an ambiguous order, a routing error)
UNCLASSIFIED = "unclassified"
#: Families by the catalog switch that turns a safety rule off; a rule named for a family
#: (``deploy``, ``approve_calendar``) gives that family, so a rule set that splits the
#: high-impact rule gets the finer family without a change here (the packaged rules do:
#: rules/families.rules).
_FAMILY_OF_SWITCH = {
    "allow_destructive_actions": "destructive",
    "allow_send_actions": "send",
    "allow_purchase_actions": "purchase",
    "allow_high_impact_external_actions": "external",
}
_SUMMARY_LIST = 8


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

    state.metrics.observe_confirmation(event.removeprefix("confirmation_"))
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
    request.scope.setdefault("state", {})["confirmation_id"] = record.id  # for the request's span
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


def _approved(request: Any, router: Any, redeemed: Redeemed, body: Mapping[str, Any], offload: bool) -> Settled:
    """Routed as the rules route an allowed action (forwarded this once), or still refused."""
    from hrouter.server.dispatch import CONFIRM, choose

    state = request.app.state.proxy
    approving = state.confirmations.approval_router(router)
    approved = choose(state.config, state.route_worker.of(approving) if offload else approving, body)
    if approved.engine == CONFIRM:
        return Settled(decision=approved.decision)
    record_event(state, "confirmation_forwarded", redeemed.record, request_id=request.scope.get("state", {}).get(
        "request_id"), confirmation_id=redeemed.cid, engine=approved.engine)
    request.scope.setdefault("state", {})["confirmation_id"] = redeemed.cid
    return Settled(approved=approved)


async def settle_refusal(request: Any, choice: Any, router: Any, *, api: str, body: Mapping[str, Any],
                         offload: bool = False) -> Settled:
    """For a request ``router`` refused (``choice.engine`` is human_confirm), in any API: redeem
    the approval it carries (the header, or an approval of the identical body) and give the
    approved route, or else the confirmation its 409 carries. ``offload`` (a large body) hashes
    it in a worker thread and routes an approved one in the routing worker (route_worker.py); an
    approved request is always routed off the loop, since the approval router compiles its
    patterns on first use and approvals are rare."""
    from starlette.concurrency import run_in_threadpool

    found = await run_in_threadpool(_redeem, request, choice, api, body) if offload else _redeem(request, choice, api, body)
    if isinstance(found, Settled):
        return found
    return await run_in_threadpool(_approved, request, router, found, body, offload)
