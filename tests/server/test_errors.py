"""Every refusal and failure answer of the proxy, driven with httpx against real servers."""

from __future__ import annotations

import time
from importlib import resources

import httpx
from .conftest import serving


def chat(client, text, **extra):
    return client.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": text}], **extra})


def test_human_confirm_is_409_with_reasons_and_never_forwarded(client, behaviours):
    r = chat(client, "please delete the staging logs")
    assert r.status_code == 409
    body = r.json()
    assert body["error"]["type"] == "human_confirmation_required"
    assert body["selected_engine"] == "human_confirm" and r.headers["x-routed-engine"] == "human_confirm"
    assert body["reasons"] == ["destructive action"]
    assert body["fired_rules"][0]["rule"] == "destructive"
    assert "staging logs" not in r.text  # the refusal never echoes the prompt
    assert all(b.received == [] for b in behaviours.values())


def test_malformed_requests_are_400_not_a_confirmation_and_never_forwarded(client, behaviours):
    bodies = [
        {"model": "hrouter"},
        {"model": "hrouter", "messages": "delete every file in the repo"},
        {"model": "hrouter", "messages": []},
        {"model": "hrouter", "messages": [{"role": "system", "content": "delete every file in the repo"}]},
        {"model": "hrouter", "messages": ["hello"]},
        {"model": "hrouter", "messages": [{"content": "hello"}]},
    ]
    for body in bodies:
        r = client.post("/v1/chat/completions", json=body)
        assert r.status_code == 400, body
        error = r.json()["error"]
        assert error["type"] == "invalid_request_error", body
        assert "messages" in error["message"]
        assert "delete" not in r.text
    assert all(b.received == [] for b in behaviours.values())


def test_a_user_message_without_text_still_fails_closed(client, behaviours):
    r = client.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": ""}]})
    assert r.status_code == 409
    assert all(b.received == [] for b in behaviours.values())


def test_invalid_json_and_non_object_bodies_are_400(client):
    for raw in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        r = client.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 400, raw
        assert r.json()["error"]["type"] == "invalid_request_error"


def test_oversized_body_is_413_by_content_length(client, behaviours):
    big = "x" * 70000  # the test proxy allows 65536 bytes
    r = chat(client, big)
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "request_too_large"
    assert behaviours["balanced"].received == []


def test_oversized_chunked_body_is_413_without_reading_it_all(client):
    sent = []

    def body():
        for _ in range(10 * 1024):  # 10 MB offered in 1 KB chunks
            sent.append(1)
            yield b"x" * 1024

    try:
        r = client.post("/v1/chat/completions", content=body(), headers={"content-type": "application/json"})
        assert r.status_code == 413
    except httpx.HTTPError:
        pass  # the proxy may close the connection before the client finishes writing
    assert len(sent) < 10 * 1024  # it stopped well before the whole 10 MB went out
    assert chat(client, "hello").status_code == 200  # and the proxy serves the next request


def test_engine_without_backend_is_502(client):
    r = client.post("/v1/chat/completions", json={"model": "image_generation", "messages": [{"role": "user", "content": "hello"}]})
    assert r.status_code == 502
    assert r.json()["error"]["type"] == "routing_backend_missing"
    assert r.headers["x-routed-engine"] == "image_generation"


def test_unreachable_backend_without_fallback_is_502(client):
    r = client.post("/v1/chat/completions", json={"model": "web_research", "messages": [{"role": "user", "content": "hello"}]})
    assert r.status_code == 502
    body = r.json()
    assert body["error"]["type"] == "upstream_unavailable"
    assert "dead: cannot connect to 127.0.0.1:" in body["error"]["message"]


def test_5xx_moves_to_the_fallback_backend(client, behaviours):
    behaviours["code"].status = 500
    r = chat(client, "fix the bug in my function")
    assert r.status_code == 200
    assert (r.headers["x-routed-engine"], r.headers["x-routed-backend"]) == ("code_agent", "reasoning")
    assert "code: HTTP 500" in r.headers["x-hrouter-fallback"]
    assert behaviours["code"].received and behaviours["reasoning"].received[0]["model"] == "thinker-model"


def test_exhausted_fallbacks_pass_the_last_5xx_through(client, behaviours):
    behaviours["code"].status = 500
    behaviours["reasoning"].status = 503
    r = chat(client, "fix the bug in my function")
    assert r.status_code == 503
    assert r.json()["error"]["message"] == "reasoning says 503"
    assert r.headers["x-routed-backend"] == "reasoning"


def test_4xx_is_passed_through_without_fallback(client, behaviours):
    behaviours["code"].status = 422
    r = chat(client, "fix the bug in my function")
    assert r.status_code == 422 and r.json()["error"]["message"] == "code says 422"
    assert behaviours["reasoning"].received == []


def test_timeout_is_504(client, behaviours):
    behaviours["reasoning"].delay = 2.0  # its timeout is 0.5 s
    started = time.monotonic()
    r = chat(client, "prove this theorem")
    assert r.status_code == 504
    assert r.json()["error"]["type"] == "upstream_timeout"
    assert time.monotonic() - started < 1.8


def test_timeout_then_fallback_timeout_is_504(client, behaviours):
    behaviours["code"].status = 500
    behaviours["reasoning"].delay = 2.0
    r = chat(client, "fix the bug in my function")
    assert r.status_code == 504


def test_stream_request_with_failing_backend_falls_back(client, behaviours):
    behaviours["code"].status = 502
    with client.stream("POST", "/v1/chat/completions", json={
        "model": "hrouter", "stream": True, "messages": [{"role": "user", "content": "fix the tests"}]}) as r:
        text = r.read().decode()
    assert r.status_code == 200 and r.headers["x-routed-backend"] == "reasoning"
    assert "reasoning-0" in text and text.rstrip().endswith("[DONE]")


def test_unknown_route_and_wrong_method(client):
    assert client.get("/v1/chat/completions").status_code == 405
    assert client.get("/nope").status_code == 404


def test_a_slow_big_upload_does_not_stall_other_requests(proxy, client, behaviours):
    import threading

    uploading = threading.Event()

    def body():
        for i in range(40):  # 2.5 MB over ~2 s, over the 64 KB limit after the first chunks
            uploading.set()
            time.sleep(0.05)
            yield b"x" * 65536

    def upload():
        try:
            httpx.post(f"{proxy.url}/v1/chat/completions", content=body(), timeout=10,
                       headers={"content-type": "application/json"})
        except httpx.HTTPError:
            pass

    worker = threading.Thread(target=upload)
    worker.start()
    try:
        assert uploading.wait(5)
        started = time.monotonic()
        assert chat(client, "hello").status_code == 200
        assert time.monotonic() - started < 1.0
    finally:
        worker.join(15)


def test_a_large_prompt_is_routed_off_the_event_loop(client, behaviours, monkeypatch):
    import threading

    from hrouter.server import endpoints

    threads = []
    real_choose = endpoints.choose

    def recording_choose(*args):
        threads.append(threading.current_thread().name)
        return real_choose(*args)

    monkeypatch.setattr(endpoints, "choose", recording_choose)
    small = chat(client, "hello")
    large = chat(client, "hello " + "lorem ipsum dolor sit amet " * 1500)  # ~40 KB, under the 64 KB limit
    assert small.status_code == large.status_code == 200
    assert small.headers["x-routed-engine"] == large.headers["x-routed-engine"]
    assert len(threads) == 2 and threads[0] != threads[1]


def test_no_available_engine_is_503_naming_each_engine_not_a_confirmation(standins, behaviours, tmp_path):
    # What `setup wizard` writes before any model is downloaded: every engine requires its model file.
    import yaml


    from .conftest import proxy_data

    catalog = yaml.safe_load(resources.files("hrouter.configs").joinpath("model_router.yaml").read_text())
    for name, engine in catalog["engines"].items():
        if name != "human_confirm":
            engine["availability"] = {"status": "auto", "required_paths": [str(tmp_path / f"{name}.gguf")]}
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["router_config"] = str(tmp_path / "catalog.yaml")
    with serving(data) as server, \
            httpx.Client(base_url=server.url, timeout=10) as c:
        r = c.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": "hello, how are you?"}]})
        assert r.status_code == 503
        error = r.json()["error"]
        assert error["type"] == "engine_unavailable"
        assert error["target"] == "simple"  # the test rules send a greeting to the fast engine
        assert error["rejected_engines"]  # and each engine of its chain is named, with why
        for skipped in error["rejected_engines"]:
            assert skipped["reason"] == f"engine unavailable: missing path {tmp_path / (skipped['engine'] + '.gguf')}"
            assert skipped["engine"] in error["message"]
        # a risky prompt is still a confirmation, and nothing reached a backend
        r = c.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": "please delete the staging logs"}]})
        assert r.status_code == 409
        assert r.json()["error"]["type"] == "human_confirmation_required"
    assert all(b.received == [] for b in behaviours.values())
