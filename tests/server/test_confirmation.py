"""Human confirmation end to end: a real proxy (uvicorn), the real `openai` client, stand-in
backends that count what reaches them. Refuse, approve (HTTP API, CLI), resend, forwarded once;
replay, tampering, expiry and denial refused; two proxies sharing a secret."""

from __future__ import annotations

import contextlib
import json
import time

import httpx
import openai
import pytest

from hrouter.cli.main import main as hrouter
from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import proxy_data, serving

RISKY = "please delete the staging logs"
MESSAGES = [{"role": "user", "content": RISKY}]
SECRET_ENV = "HROUTER_TEST_CONFIRMATION_SECRET"


def _config(standins, tmp_path=None, **confirmation):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["confirmation"] = {"secret_env": SECRET_ENV, **confirmation}
    if tmp_path is not None:
        data["observability"] = {"enabled": True, "log_path": str(tmp_path / "events.jsonl")}
    return config_from_data(data, "tests")


@contextlib.contextmanager
def proxy_server(standins, tmp_path=None, **confirmation):
    app = create_app(_config(standins, tmp_path, **confirmation))
    with ThreadedServer(app) as server:
        server.app = app
        yield server


def sdk(server, **headers) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", timeout=10, default_headers=headers or None)


def refuse(server) -> dict:
    """Send the risky request with the openai client; the confirmation object of its 409."""
    with sdk(server) as client, pytest.raises(openai.ConflictError) as caught:
        client.chat.completions.create(model="hrouter", messages=MESSAGES)
    return caught.value.body["confirmation"]


def resend(server, header: str | None = None, messages=MESSAGES):
    with sdk(server, **({"X-Hrouter-Confirmation": header} if header else {})) as client:
        return client.chat.completions.create(model="hrouter", messages=messages)


def forwarded(behaviours) -> list[dict]:
    return [body for b in behaviours.values() for body in b.received]


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "a shared secret for the tests")
    return SECRET_ENV


def test_a_refusal_carries_its_confirmation_and_keeps_its_409(standins, behaviours, secret):
    with proxy_server(standins) as server, sdk(server) as client:
        with pytest.raises(openai.ConflictError) as caught:
            client.chat.completions.create(model="hrouter", messages=MESSAGES)
    e = caught.value
    assert e.response.headers["x-should-retry"] == "false"
    assert e.body["reasons"] == ["destructive action"] and e.body["fired_rules"] == ["destructive"]
    c = e.body["confirmation"]
    assert c["id"].startswith("cf_") and c["status"] == "pending"
    assert c["family"] == "destructive" and c["families"] == ["destructive"]
    assert c["reasons"] == ["destructive action"] and c["fired_rules"] == ["destructive"]
    assert c["console_url"] == f"{server.url}/confirm"
    assert c["approve_url"] == f"{server.url}/v1/confirmations/{c['id']}/approve"
    assert c["summary"]["model"] == "hrouter" and c["summary"]["messages"] == 1
    assert c["expires_at"].endswith("Z") and c["resend_header"] == "X-Hrouter-Confirmation"
    assert "docs/confirmation.md" in e.body["message"] and c["id"] in e.body["message"]
    assert "staging logs" not in e.response.text  # the refusal never echoes the prompt
    assert forwarded(behaviours) == []


def test_approved_through_the_api_the_resend_is_forwarded_exactly_once(standins, behaviours, secret):
    with proxy_server(standins) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        c = refuse(server)
        assert refuse(server)["id"] == c["id"]  # retried before a decision: the same confirmation
        shown = http.get(f"/v1/confirmations/{c['id']}").json()
        assert shown["summary"]["latest_user_message"] == RISKY  # the human sees what it would do
        assert [row["id"] for row in http.get("/v1/confirmations").json()["data"]] == [c["id"]]
        approved = http.post(c["approve_url"], json={})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        assert http.post(c["approve_url"]).status_code == 409  # decided once
        answer = resend(server, c["id"])
        assert answer.choices[0].message.content.startswith("answer from balanced")
        assert len(forwarded(behaviours)) == 1 and forwarded(behaviours)[0]["messages"] == MESSAGES
        with pytest.raises(openai.ConflictError) as again:  # replay
            resend(server, c["id"])
        assert "already used" in again.value.body["confirmation"]["rejected_approval"]
        assert http.get(f"/v1/confirmations/{c['id']}").json()["status"] == "used"
    assert len(forwarded(behaviours)) == 1


def test_the_identical_body_without_the_header_is_forwarded_once(standins, behaviours, secret):
    with proxy_server(standins) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        c = refuse(server)
        assert http.post(c["approve_url"]).status_code == 200
        with pytest.raises(openai.ConflictError):  # another body is not approved by it
            resend(server, messages=[{"role": "user", "content": "please delete the production logs"}])
        assert forwarded(behaviours) == []
        assert resend(server).choices[0].message.content
        with pytest.raises(openai.ConflictError) as again:
            resend(server)
        assert again.value.body["confirmation"]["id"] != c["id"]  # a new confirmation to decide
    assert len(forwarded(behaviours)) == 1


def test_a_different_body_or_a_tampered_token_is_refused(standins, behaviours, secret):
    with proxy_server(standins) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        c = refuse(server)
        token = http.post(c["approve_url"]).json()["approval_token"]
        other = [{"role": "user", "content": "please delete the staging logs and the backups"}]
        for header, messages in ((c["id"], other), (token, other)):
            with pytest.raises(openai.ConflictError) as caught:
                resend(server, header, messages)
            assert "does not match this request" in caught.value.body["confirmation"]["rejected_approval"]
        prefix, cid, expires, mac = token.split(".")
        for forged in (f"{prefix}.{cid}.{int(expires) + 3600}.{mac}", f"{prefix}.{cid}.{expires}.{mac[:-2]}AA",
                       f"{prefix}.cf_{'0' * 24}.{expires}.{mac}", "not-a-confirmation"):
            with pytest.raises(openai.ConflictError) as caught:
                resend(server, forged)
            assert caught.value.body["confirmation"]["rejected_approval"]
        assert forwarded(behaviours) == []
        assert resend(server, token).choices[0].message.content  # the real one still works, once
    assert len(forwarded(behaviours)) == 1


def test_an_expired_or_denied_confirmation_is_refused(standins, behaviours, secret):
    with proxy_server(standins, ttl_seconds=1) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        c = refuse(server)
        assert http.post(c["approve_url"]).status_code == 200
        time.sleep(1.2)
        with pytest.raises(openai.ConflictError) as caught:
            resend(server, c["id"])
        assert "expired" in caught.value.body["confirmation"]["rejected_approval"]
        stale = caught.value.body["confirmation"]
        time.sleep(1.2)
        assert http.post(stale["approve_url"]).status_code == 409  # an expired one cannot be approved
    with proxy_server(standins) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        c = refuse(server)
        denied = http.post(f"{server.url}/v1/confirmations/{c['id']}/deny", json={"via": "api"})
        assert denied.status_code == 200 and denied.json()["status"] == "denied"
        with pytest.raises(openai.ConflictError) as caught:
            resend(server, c["id"])
        assert "denied" in caught.value.body["confirmation"]["rejected_approval"]
    assert forwarded(behaviours) == []


def test_cross_site_approvals_are_refused(standins, behaviours, secret):
    with proxy_server(standins) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        c = refuse(server)
        for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
            r = http.post(c["approve_url"], headers=headers)
            # The proxy's browser guard (guard.py) stops it before the confirmation API sees it.
            assert r.status_code == 403 and r.json()["error"]["type"] == "origin_not_allowed"
        assert http.get(f"/v1/confirmations/{c['id']}").json()["status"] == "pending"
        assert http.post(c["approve_url"], content=b"not json", headers={"content-type": "application/json"}).status_code == 400
        assert http.post(c["approve_url"], content=b"not json").status_code == 415
        assert http.get("/v1/confirmations/cf_nothing").status_code == 404


def test_approved_through_the_cli(standins, behaviours, secret, capsys):
    with proxy_server(standins) as server:
        c = refuse(server)
        assert hrouter(["confirm", "list", "--url", server.url]) == 0
        listed = capsys.readouterr().out
        assert c["id"] in listed and "destructive" in listed and RISKY in listed
        assert hrouter(["confirm", "approve", c["id"], "--url", server.url]) == 0
        assert "approved" in capsys.readouterr().out
        assert hrouter(["confirm", "deny", c["id"], "--url", server.url]) == 2  # already decided
        assert "not pending" in capsys.readouterr().err
        assert resend(server, c["id"]).choices[0].message.content
        assert hrouter(["confirm", "show", c["id"], "--url", server.url, "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["status"] == "used" and shown["decided_via"] == "cli"
    assert len(forwarded(behaviours)) == 1


def test_cli_behind_the_proxy_key(standins, behaviours, secret, monkeypatch, capsys):
    monkeypatch.setenv("HROUTER_TEST_PROXY_KEY", "k-123")
    data = proxy_data({n: u for n, (u, _) in standins.items()}, api_key_env="HROUTER_TEST_PROXY_KEY")
    data["confirmation"] = {"secret_env": SECRET_ENV}
    with serving(data) as server:
        assert hrouter(["confirm", "list", "--url", server.url, "--api-key-env", "NO_SUCH_ENV"]) == 2
        assert "401" in capsys.readouterr().err
        assert hrouter(["confirm", "list", "--url", server.url, "--api-key-env", "HROUTER_TEST_PROXY_KEY"]) == 0


def test_two_proxies_sharing_a_secret_accept_each_others_approvals(standins, behaviours, secret, monkeypatch):
    with proxy_server(standins) as a, proxy_server(standins) as b, \
            httpx.Client(timeout=10) as http:
        c = refuse(a)
        token = http.post(c["approve_url"]).json()["approval_token"]
        assert http.get(f"{b.url}/v1/confirmations/{c['id']}").status_code == 404  # no shared store
        assert http.get(f"{a.url}/health").json()["confirmation"] == {"secret_from_env": True, "ttl_seconds": 600,
                                                                      "pending": 0}
        with pytest.raises(openai.ConflictError) as caught:  # b has no record of the bare id
            resend(b, c["id"])
        assert "not known to this instance" in caught.value.body["confirmation"]["rejected_approval"]
        assert resend(b, token).choices[0].message.content  # but it verifies a's approval
        with pytest.raises(openai.ConflictError):
            resend(b, token)  # once
        assert len(forwarded(behaviours)) == 1
        monkeypatch.setenv(SECRET_ENV, "another secret")
        with proxy_server(standins) as stranger:
            with pytest.raises(openai.ConflictError) as caught:
                resend(stranger, token)
            assert "does not match" in caught.value.body["confirmation"]["rejected_approval"]
    assert len(forwarded(behaviours)) == 1


def test_lifecycle_events_and_metrics_carry_no_prompt(standins, behaviours, secret, tmp_path):
    with proxy_server(standins, tmp_path) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        c = refuse(server)
        http.post(c["approve_url"])
        resend(server, c["id"])
        with pytest.raises(openai.ConflictError):
            resend(server, c["id"])
        d = refuse(server)
        http.post(d["approve_url"].replace("/approve", "/deny"))
        metrics = http.get("/metrics").text
        assert server.app.state.proxy.sink.flush(5)
    for outcome, n in (("required", 3), ("approved", 1), ("denied", 1), ("forwarded", 1), ("rejected", 1)):
        assert f'hrouter_confirmations_total{{outcome="{outcome}"}} {n}.0\n' in metrics
    rows = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    lifecycle = [r for r in rows if r["event"] != "route"]
    assert [r["event"] for r in lifecycle] == [
        "confirmation_required", "confirmation_approved", "confirmation_forwarded", "confirmation_rejected",
        "confirmation_required", "confirmation_required", "confirmation_denied",
    ]
    assert all("staging" not in json.dumps(r) for r in lifecycle)
    assert lifecycle[1]["confirmation_id"] == c["id"] and lifecycle[1]["family"] == "destructive"
    statuses = [r["status"] for r in rows if r["event"] == "route"]
    assert statuses == [409, 200, 409, 409]


def test_with_an_approver_key_the_proxy_key_alone_cannot_approve(standins, behaviours, secret, monkeypatch, capsys):
    monkeypatch.setenv("HROUTER_TEST_APPROVER", "only-humans")
    with proxy_server(standins, approver_key_env="HROUTER_TEST_APPROVER") as server, \
            httpx.Client(base_url=server.url, timeout=10) as http:
        c = refuse(server)
        r = http.post(c["approve_url"])  # what an agent could do
        assert r.status_code == 403 and r.json()["error"]["type"] == "approver_key_required"
        assert http.post(c["approve_url"], headers={"x-hrouter-approver-key": "guess"}).status_code == 403
        assert http.get(c["status_url"]).json()["status"] == "pending"  # an agent may still poll
        assert hrouter(["confirm", "approve", c["id"], "--url", server.url, "--approver-key-env", "NO_SUCH"]) == 2
        assert "approver key" in capsys.readouterr().err
        assert hrouter(["confirm", "approve", c["id"], "--url", server.url,
                        "--approver-key-env", "HROUTER_TEST_APPROVER"]) == 0
        assert resend(server, c["id"]).choices[0].message.content
    assert len(forwarded(behaviours)) == 1


def test_an_approver_key_env_that_is_not_set_is_a_config_error(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["confirmation"] = {"approver_key_env": "HROUTER_TEST_NO_SUCH_APPROVER"}
    with pytest.raises(ValueError, match="approver_key_env"):
        config_from_data(data, "tests")


def test_an_approved_stream_is_forwarded_once(standins, behaviours, secret):
    with proxy_server(standins) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        with sdk(server) as client, pytest.raises(openai.ConflictError) as caught:
            client.chat.completions.create(model="hrouter", messages=MESSAGES, stream=True)
        c = caught.value.body["confirmation"]
        assert c["summary"]["stream"] is True
        http.post(c["approve_url"])
        with sdk(server, **{"X-Hrouter-Confirmation": c["id"]}) as client:
            stream = client.chat.completions.create(model="hrouter", messages=MESSAGES, stream=True)
            text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        assert text.startswith("balanced-0")
    assert len(forwarded(behaviours)) == 1


def test_a_rule_no_switch_turns_off_refuses_even_when_approved(standins, behaviours, secret):
    # A user message with no text: the `empty` rule, which no switch turns off (a body without
    # a user message is a 400 before any rule runs).
    empty = {"model": "hrouter", "messages": [{"role": "system", "content": "you are helpful"},
                                              {"role": "user", "content": ""}]}
    with proxy_server(standins) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        first = http.post("/v1/chat/completions", json=empty).json()["error"]
        assert first["fired_rules"] == ["empty"] and first["confirmation"]["family"] == "unclassified"
        assert http.post(first["confirmation"]["approve_url"]).status_code == 200
        again = http.post("/v1/chat/completions", json=empty,
                          headers={"X-Hrouter-Confirmation": first["confirmation"]["id"]})
        assert again.status_code == 409 and "even when a human approves" in again.json()["error"]["message"]
    assert forwarded(behaviours) == []


def test_without_a_secret_each_process_signs_with_its_own_and_says_so(standins, behaviours, monkeypatch, caplog):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with caplog.at_level("WARNING", logger="hrouter.proxy"):
        with proxy_server(standins) as a, proxy_server(standins) as b, httpx.Client(timeout=10) as http:
            assert http.get(f"{a.url}/health").json()["confirmation"]["secret_from_env"] is False
            c = refuse(a)
            token = http.post(c["approve_url"]).json()["approval_token"]
            with pytest.raises(openai.ConflictError) as caught:
                resend(b, token)
            assert "does not match" in caught.value.body["confirmation"]["rejected_approval"]
            assert resend(a, token).choices[0].message.content  # its own process accepts it
    warnings = [r.getMessage() for r in caplog.records if SECRET_ENV in r.getMessage()]
    assert len(warnings) == 2 and "generated for this process" in warnings[0]
    assert len(forwarded(behaviours)) == 1
