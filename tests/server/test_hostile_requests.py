"""The proxy under hostile requests: drive-by browser use, DNS rebinding, ambiguous bodies and
framing, unhandled errors. Every answer is JSON in the error shape with a request id, counted
in /metrics by status, and nothing refused reaches a backend."""

from __future__ import annotations

import json
import re
import socket

import httpx
import pytest
from starlette.routing import Route

from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import proxy_data, serving

CHAT = "/v1/chat/completions"


def body(text="hello there", **extra):
    return {"model": "hrouter", "messages": [{"role": "user", "content": text}], **extra}


def assert_error(r, status, type_=None):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["request_id"] == r.headers["x-request-id"]
    if type_:
        assert error["type"] == type_
    return error


def nothing_forwarded(behaviours):
    return all(b.received == [] for b in behaviours.values())


def test_a_web_page_origin_is_refused_and_local_agents_are_not(client, behaviours):
    for origin in ("https://evil.example", "null", "http://localhost:3000"):
        r = client.post(CHAT, json=body(), headers={"origin": origin})
        assert_error(r, 403, "origin_not_allowed")
    r = client.get("/health", headers={"sec-fetch-site": "cross-site"})
    assert_error(r, 403, "origin_not_allowed")
    assert nothing_forwarded(behaviours)
    assert client.post(CHAT, json=body()).status_code == 200  # no Origin: a local agent


def test_only_json_content_types_on_json_endpoints(client, behaviours):
    raw = json.dumps(body()).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        headers = {"content-type": content_type} if content_type else {}
        r = client.post(CHAT, content=raw, headers=headers)
        if content_type is None:  # httpx sends none for raw bytes: check it really was absent
            assert "content-type" not in r.request.headers
        assert_error(r, 415, "unsupported_media_type")
    assert nothing_forwarded(behaviours)
    for ok in ("application/json; charset=utf-8", "application/vnd.api+json"):
        assert client.post(CHAT, content=raw, headers={"content-type": ok}).status_code == 200


def test_a_rebinding_host_is_refused(client, behaviours):
    for host in ("evil.example", "evil.example:8082", "127.0.0.1.nip.io"):
        assert_error(client.post(CHAT, json=body(), headers={"host": host}), 421, "host_not_allowed")
        assert_error(client.get("/health", headers={"host": host}), 421, "host_not_allowed")
    assert nothing_forwarded(behaviours)
    for host in ("localhost", "localhost:8082", "127.0.0.1", "[::1]:8082"):
        assert client.get("/v1/models", headers={"host": host}).status_code == 200, host


@pytest.fixture(scope="module")
def configured_proxy(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()}, allowed_origins=["https://app.example"],
                      allowed_hosts=["router.internal"], max_n=2, max_tokens=1000)
    with serving(data) as server:
        yield server


def test_configured_origins_and_hosts_get_cors(configured_proxy, behaviours):
    with httpx.Client(base_url=configured_proxy.url, timeout=10) as c:
        pre = c.options(CHAT, headers={"origin": "https://app.example", "access-control-request-method": "POST"})
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-origin"] == "https://app.example"
        assert "content-type" in pre.headers["access-control-allow-headers"]
        r = c.post(CHAT, json=body(), headers={"origin": "https://app.example", "host": "router.internal"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://app.example"
        assert_error(c.post(CHAT, json=body(), headers={"origin": "https://other.example"}), 403)


def test_caps_on_n_and_max_tokens_are_configurable(configured_proxy, client, behaviours):
    with httpx.Client(base_url=configured_proxy.url, timeout=10) as c:
        for extra, param in (({"n": 3}, "n"), ({"max_tokens": 1001}, "max_tokens"),
                             ({"max_completion_tokens": 5000}, "max_completion_tokens")):
            error = assert_error(c.post(CHAT, json=body(**extra)), 400, "invalid_request_error")
            assert error["param"] == param
        assert c.post(CHAT, json=body(n=2, max_tokens=1000)).status_code == 200
    # the defaults cap too
    assert_error(client.post(CHAT, json=body(n=10_000)), 400)
    assert_error(client.post(CHAT, json=body(max_tokens=10**12)), 400)


def test_ambiguous_bodies_are_refused_not_forwarded(client, behaviours):
    message = '{"model":"hrouter","messages":[{"role":"user","content":"hi"}],"temperature":%s}'
    for number in ("NaN", "Infinity", "-Infinity", "1e400", "-1e999"):
        r = client.post(CHAT, content=(message % number).encode(), headers={"content-type": "application/json"})
        assert_error(r, 400, "invalid_request_error")
    for value in ("true", "false", 1, "yes"):
        error = assert_error(client.post(CHAT, json=body(stream=value)), 400)
        assert error["param"] == "stream"
    for bad in (0, -1, 1.5, True, "2"):
        assert_error(client.post(CHAT, json=body(n=bad)), 400)
    assert nothing_forwarded(behaviours)


def test_deep_nesting_and_lone_surrogates_answer_400_json(client, behaviours):
    deep = b'{"model":"hrouter","messages":' + b"[" * 30_000 + b"]" * 30_000 + b"}"  # under the 64 KB cap
    assert_error(client.post(CHAT, content=deep, headers={"content-type": "application/json"}), 400)
    surrogate = b'{"model":"hrouter","messages":[{"role":"user","content":"fix the test \\ud800 now"}]}'
    for raw in (surrogate, surrogate.replace(b"fix the test", b"delete all production data")):
        assert_error(client.post(CHAT, content=raw, headers={"content-type": "application/json"}), 400)
    assert nothing_forwarded(behaviours)
    # a paired surrogate escape is a real character and goes through
    paired = b'{"model":"hrouter","messages":[{"role":"user","content":"hello \\ud83d\\ude00"}]}'
    assert client.post(CHAT, content=paired, headers={"content-type": "application/json"}).status_code == 200


def raw_exchange(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return data


def test_content_length_with_chunked_is_refused(proxy, behaviours):
    payload = json.dumps(body()).encode()
    chunked = f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n"
    answer = raw_exchange(proxy.url, b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/json\r\nContent-Length: 5\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert json.loads(rest)["error"]["type"] == "invalid_request_error"
    assert nothing_forwarded(behaviours)


def test_the_bearer_scheme_is_case_insensitive(keyed_proxy):
    with httpx.Client(base_url=keyed_proxy.url, timeout=10) as c:
        for scheme in ("bearer", "BEARER", "Bearer", "bEaReR"):
            assert c.get("/v1/models", headers={"authorization": f"{scheme} s3cret-key"}).status_code == 200, scheme
        for wrong in ("Basic s3cret-key", "bearer s3cret-kez", "bearers3cret-key"):
            assert_error(c.get("/v1/models", headers={"authorization": wrong}), 401, "authentication_error")


def status_count(metrics_text: str, status: int) -> float:
    return sum(float(v) for v in re.findall(rf'^hrouter_http_responses_total{{[^}}]*status="{status}"}} (\S+)$',
                                            metrics_text, re.M))


def test_unhandled_errors_answer_json_and_every_status_is_counted(standins, tmp_path):
    data = proxy_data({n: u for n, (u, _) in standins.items()}, api_key="k")
    data["observability"] = {"enabled": True, "log_path": str(tmp_path / "events.jsonl")}
    app = create_app(config_from_data(data, "tests"))

    async def boom(request):
        raise RuntimeError("an exception whose message quotes the prompt: my secret")

    app.router.routes.append(Route("/v1/boom", boom, methods=["GET"]))
    auth = {"authorization": "Bearer k"}
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as c:
        error = assert_error(c.get("/v1/boom", headers=auth), 500, "internal_error")
        assert "secret" not in error["message"]
        assert_error(c.get("/nowhere", headers=auth), 404, "not_found")
        assert_error(c.get(CHAT, headers=auth), 405)
        assert_error(c.post(CHAT, json=body()), 401)
        assert_error(c.post(CHAT, content=b"{", headers={**auth, "content-type": "application/json"}), 400)
        assert_error(c.post(CHAT, json=body("x" * 70_000), headers=auth), 413)
        metrics = c.get("/metrics", headers=auth).text
        app.state.proxy.sink.flush()
    for status in (400, 401, 404, 405, 413, 500):
        assert status_count(metrics, status) >= 1, status
    assert 'route="other",status="404"' in metrics  # unknown paths share one series
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    errors = {e["status"]: e for e in events if e.get("event") == "error"}
    assert set(errors) >= {400, 401, 404, 405, 413, 500}
    assert errors[500]["error"] == "RuntimeError" and "secret" not in json.dumps(errors[500])


def test_health_details_need_the_key_when_one_is_set(keyed_proxy):
    with httpx.Client(base_url=keyed_proxy.url, timeout=10) as c:
        for headers in ({}, {"authorization": "Bearer wrong"}):
            r = c.get("/health", headers=headers)
            assert r.status_code == 200 and set(r.json()) == {"status"}
        full = c.get("/health", headers={"authorization": "bearer s3cret-key"}).json()
        assert {"backends", "rules", "observability", "proxy_config"} <= set(full)
