"""The confirmation store and signer on their own: bounded, single use, fail closed."""

from __future__ import annotations

import pytest

from hrouter.server.approvals import Record, Rejected, Signer, Store
from hrouter.server.confirmation import families_of, request_sha256


def record(cid: str, body: str = "b") -> Record:
    return Record(id=cid, api="chat.completions", body_sha256=body, created=0.0, expires=100.0,
                  families=("destructive",), reasons=("r",), fired_rules=("destructive",), summary={}, request_id="q")


def test_the_store_keeps_at_most_its_limit_newest_first():
    store = Store(2)
    for i in range(3):
        store.add(record(f"cf_{i}", body=f"b{i}"))
    assert [r.id for r in store.records()] == ["cf_2", "cf_1"]
    assert store.get("cf_0") is None and store.for_request("chat.completions", "b0") is None


def test_an_approval_is_used_once_and_a_full_used_record_fails_closed():
    store = Store(2)
    store.use("cf_a", expires=50, now=10)
    with pytest.raises(Rejected, match="already used"):
        store.use("cf_a", expires=50, now=10)
    store.use("cf_b", expires=50, now=10)
    with pytest.raises(Rejected, match="too many"):
        store.use("cf_c", expires=50, now=10)  # nothing expired yet: refuse rather than forget one
    store.use("cf_c", expires=90, now=60)  # the first two expired and are forgotten
    with pytest.raises(Rejected, match="already used"):
        store.use("cf_c", expires=90, now=61)


def test_a_token_binds_id_request_and_expiry():
    signer, sha = Signer("s"), request_sha256("chat.completions", {"b": 1, "a": [1, 2]})
    assert sha == request_sha256("chat.completions", {"a": [1, 2], "b": 1})  # key order does not matter
    assert sha != request_sha256("messages", {"a": [1, 2], "b": 1})  # the API does
    token = signer.token("cf_x", sha, 100)
    assert signer.verify(token, sha, now=99) == ("cf_x", 100)
    for bad, now in ((token, 100), (token.replace("cf_x", "cf_y"), 0), (token.replace(".100.", ".200."), 0)):
        with pytest.raises(Rejected):
            signer.verify(bad, sha, now)
    with pytest.raises(Rejected):
        Signer("other").verify(token, sha, 0)


def test_families_come_from_rule_names_and_switches():
    safety = {"destructive": "allow_destructive_actions", "approve_send": "allow_send_actions",
              "deploy": "allow_high_impact_external_actions", "external": "allow_high_impact_external_actions",
              "empty": None}
    assert families_of(["destructive", "approve_send", "allowed_action"], safety) == ("destructive", "send")
    assert families_of(["deploy", "external"], safety) == ("deploy", "external")
    assert families_of(["empty"], safety) == ("unclassified",)
