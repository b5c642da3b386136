"""The proxy writes one routing event per chat request (never the raw prompt by default) and
exposes Prometheus metrics; reload results are counted."""

from __future__ import annotations

import json

import httpx

from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import proxy_data

SECRET_PROMPT = "fix the bug in function charge_card for alice@example.com"


def test_events_and_metrics(standins, behaviours, tmp_path):
    log = tmp_path / "events.jsonl"
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["observability"] = {"enabled": True, "log_path": str(log), "prompt_capture": "off"}
    ids = {}
    with ThreadedServer(create_app(config_from_data(data, "t"))) as server, \
            httpx.Client(base_url=server.url, timeout=10) as c:
        r = c.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": SECRET_PROMPT}]})
        ids[r.headers["x-request-id"]] = 200
        r = c.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": "delete the logs"}]})
        ids[r.headers["x-request-id"]] = 409
        with c.stream("POST", "/v1/chat/completions", json={
                "model": "hrouter", "stream": True, "messages": [{"role": "user", "content": "hello"}]}) as s:
            s.read()
        ids[s.headers["x-request-id"]] = 200
        metrics = c.get("/metrics").text
        health = c.get("/health").json()
    assert 'hrouter_requests_total{backend="code",engine="code_agent",status="200"} 1.0' in metrics
    assert "hrouter_confirmation_required_total 1.0" in metrics
    assert health["observability"]["enabled"] is True

    text = log.read_text()  # the sink flushed at shutdown
    assert "charge_card" not in text and "alice@example.com" not in text
    events = {e["request_id"]: e for e in map(json.loads, text.splitlines())}
    assert {rid: events[rid]["status"] for rid in ids} == ids
    first = events[next(iter(ids))]
    assert (first["selected_engine"], first["backend"], first["backend_model"]) == ("code_agent", "code", "coder-model")
    assert first["fired_rules"] and first["route_ms"] is not None and first["total_ms"] >= first["route_ms"]
    refused = [e for e in events.values() if e["status"] == 409][0]
    assert refused["selected_engine"] == "human_confirm" and refused.get("backend") is None
