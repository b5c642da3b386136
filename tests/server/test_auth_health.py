"""Bearer auth on every endpoint but /health; health with per-backend checks and strict mode."""

from __future__ import annotations

import httpx

from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import proxy_data


def test_missing_or_wrong_key_is_401(keyed_proxy):
    body = {"model": "hrouter", "messages": [{"role": "user", "content": "hello"}]}
    with httpx.Client(base_url=keyed_proxy.url, timeout=10) as c:
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": "s3cret-key"},
                        {"authorization": "Bearer s3cret-key2"}):
            r = c.post("/v1/chat/completions", json=body, headers=headers)
            assert r.status_code == 401, headers
            assert r.json()["error"]["type"] == "authentication_error"
            assert r.headers["x-request-id"]
        assert c.get("/v1/models").status_code == 401
        ok = c.post("/v1/chat/completions", json=body, headers={"authorization": "Bearer s3cret-key"})
        assert ok.status_code == 200 and ok.headers["x-routed-backend"] == "fast"
        assert c.get("/v1/models", headers={"authorization": "Bearer s3cret-key"}).status_code == 200
        assert c.get("/health").status_code == 200  # open, so load balancers can poll it


def test_health_reports_each_backend_and_the_rules(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "degraded"  # the test config has two dead backends
    backends = body["backends"]
    assert backends["fast"] == {"reachable": True, "ok": True, "status_code": 200, "model_listed": True,
                                "detail": "model 'small-model' advertised"}
    assert backends["dead"]["reachable"] is False and backends["dead"]["ok"] is False
    assert len(body["rules"]["artifact_hash"]) == 64 and body["rules"]["reload_error"] is None
    assert body["engine_backends"]["code_agent"] == "code"


def test_strict_health_is_503_when_a_backend_is_down(client):
    assert client.get("/health?strict=1").status_code == 503
    assert client.get("/health?strict=0").status_code == 200


def test_health_ok_and_model_check(standins):
    urls = {n: u for n, (u, _) in standins.items()}
    data = {"backends": {"fast": {"base_url": urls["fast"], "model": "small-model"},
                         "wrong": {"base_url": urls["balanced"], "model": "not-served"}},
            "engine_backends": {"fast_local": "fast"}, "rules": proxy_data(urls)["rules"]}
    with ThreadedServer(create_app(config_from_data(data, "t"))) as server:
        body = httpx.get(f"{server.url}/health", timeout=10).json()
        assert body["backends"]["fast"]["ok"] is True
        wrong = body["backends"]["wrong"]
        assert (wrong["reachable"], wrong["ok"], wrong["model_listed"]) == (True, False, False)
        assert "not advertised" in wrong["detail"] and "mid-model" in wrong["detail"]
        only_good = {**data, "backends": {"fast": data["backends"]["fast"]}}
    with ThreadedServer(create_app(config_from_data(only_good, "t"))) as server:
        r = httpx.get(f"{server.url}/health?strict=1", timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "ok"
