"""Signed approvals and the bounded store behind the confirmation listing.

An approval is an HMAC under the server's secret over the confirmation id, the hash of the
canonical request and the approval's expiry (confirmation.py says how it is used). The store
(pending, approved and denied confirmations, and the approvals already used) lives in this
process and is bounded: single use is enforced per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections import OrderedDict
from typing import Any, Mapping

import attrs

from hrouter.server.config import ConfirmationConfig
from hrouter.server.events import utc_iso

log = logging.getLogger("hrouter.proxy")

TOKEN_PREFIX = "hrc1"
HEADER = "X-Hrouter-Confirmation"
DOCS = "docs/confirmation.md"


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
