"""A refusal is cheap and final: one request (no SDK retries), its reasons where an SDK shows
them, one routing call per request, and a large risky body never stalls other requests."""

from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest

from hrouter.engine import ModelRouter
from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import RULES, proxy_data

RISKY = "please delete the staging logs"


class CountingApp:
    """The proxy app, counting the chat requests that reach it (an SDK's retries included)."""

    def __init__(self, app):
        self.app = app
        self.chats = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].endswith("/chat/completions"):
            self.chats += 1
        await self.app(scope, receive, send)


class CountingRouter:
    """A real router that counts how often a prompt is routed; `slow_above` chars of prompt
    cost `delay` seconds first, the way a long varied prompt costs the RE2 scan (which, like
    time.sleep, releases the GIL)."""

    def __init__(self, router, slow_above: int | None = None, delay: float = 0.0):
        self._router = router
        self.calls: list[int] = []  # prompt sizes, one per routing call
        self._lock = threading.Lock()
        self._slow_above, self._delay = slow_above, delay

    def __getattr__(self, name):
        return getattr(self._router, name)

    def _count(self, prompt) -> None:
        size = sum(len(str(m.get("content", ""))) for m in prompt if isinstance(m, dict)) \
            if isinstance(prompt, list) else len(str(prompt))
        with self._lock:
            self.calls.append(size)
        if self._slow_above is not None and size > self._slow_above:
            time.sleep(self._delay)

    def route_fast(self, prompt, hints=None):
        self._count(prompt)
        return self._router.route_fast(prompt, hints)

    def route(self, prompt, hints=None, **options):
        self._count(prompt)
        return self._router.route(prompt, hints, **options)


def _config(standins, tmp_path=None, **proxy):
    data = proxy_data({n: u for n, (u, _) in standins.items()}, **proxy)
    if tmp_path is not None:
        data["observability"] = {"enabled": True, "log_path": str(tmp_path / "events.jsonl")}
    return config_from_data(data, "tests")


def test_openai_sdk_sends_a_refused_request_once_and_sees_its_reasons(standins, behaviours):
    counting = CountingApp(create_app(_config(standins)))
    with ThreadedServer(counting) as server:
        # default max_retries (2): without x-should-retry: false the SDK sends a 409 three times
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", timeout=10)
        assert client.max_retries == 2
        with pytest.raises(openai.ConflictError) as caught:
            client.chat.completions.create(model="hrouter", messages=[{"role": "user", "content": RISKY}])
    assert counting.chats == 1
    e = caught.value
    assert e.status_code == 409
    assert e.response.headers["x-should-retry"] == "false"
    assert e.response.headers["x-routed-engine"] == "human_confirm"
    # e.body is the `error` object alone: the reasons and the rule ids are in it
    assert e.body["type"] == "human_confirmation_required"
    assert e.body["reasons"] == ["destructive action"]
    assert e.body["fired_rules"] == ["destructive"]
    assert all(b.received == [] for b in behaviours.values())  # never forwarded


def test_the_409_keeps_its_top_level_fields(client):
    r = client.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": RISKY}]})
    assert r.status_code == 409 and r.headers["x-should-retry"] == "false"
    body = r.json()
    assert body["selected_engine"] == "human_confirm"
    assert body["reasons"] == body["error"]["reasons"] == ["destructive action"]
    assert body["fired_rules"][0]["rule"] == "destructive" and body["fired_rules"][0]["loc"].startswith("main.rules:")
    assert body["error"]["message"] and body["error"]["code"] == "human_confirmation_required"


def test_each_request_is_routed_once_refused_or_forwarded_event_log_included(standins, behaviours, tmp_path):
    router = CountingRouter(ModelRouter.from_config(None, rules=RULES).warm())
    app = create_app(_config(standins, tmp_path), router)
    with ThreadedServer(app) as server, \
            httpx.Client(base_url=server.url, timeout=10) as c:
        for text, status in ((RISKY, 409), ("hello there", 200), ("rm -rf the old build folder", 409)):
            before = len(router.calls)
            r = c.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": text}]})
            assert r.status_code == status
            assert app.state.proxy.sink.flush(5)  # the event is written, from the same receipt
            assert len(router.calls) - before == 1, text
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    routes = [line for line in lines if '"event":"route"' in line]
    assert len(routes) == 3 and '"fired_rules":["destructive"]' in routes[0]
    # each refusal also logs its confirmation (lifecycle events, never routed again)
    assert sum('"event":"confirmation_required"' in line for line in lines) == 2 == len(lines) - 3


def test_a_large_risky_body_is_routed_once_off_the_loop_while_small_requests_flow(standins, behaviours):
    # Every prompt above 64 KB costs 3 s to route here, as a long varied one can with real rules.
    router = CountingRouter(ModelRouter.from_config(None, rules=RULES).warm(), slow_above=64 * 1024, delay=3.0)
    big_text = "drop the backups. " + "lorem ipsum dolor sit amet " * 38_000  # about 1 MB
    big_body = {"model": "hrouter", "messages": [{"role": "user", "content": big_text}]}
    assert len(big_text) > 1_000_000
    with ThreadedServer(create_app(_config(standins, max_body_bytes=4 * 1024 * 1024), router)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as c:
        result = {}

        def send_big():
            r = httpx.post(f"{server.url}/v1/chat/completions", json=big_body, timeout=30)
            result["status"], result["body"] = r.status_code, r.json()

        worker = threading.Thread(target=send_big)
        worker.start()
        latencies = []
        try:
            while worker.is_alive() and len(latencies) < 100:  # bounded: ~3 s at one every 50 ms
                started = time.monotonic()
                r = c.post("/v1/chat/completions", json={"model": "hrouter",
                                                        "messages": [{"role": "user", "content": "hello"}]})
                latencies.append(time.monotonic() - started)
                assert r.status_code == 200
                time.sleep(0.05)
        finally:
            worker.join(30)
    assert len(latencies) >= 5, "the small requests did not overlap the large one"
    assert max(latencies) < 2.0, f"a small request waited {max(latencies):.2f}s behind the large one"
    assert result["status"] == 409 and result["body"]["error"]["reasons"] == ["destructive action"]
    assert sum(1 for size in router.calls if size > 64 * 1024) == 1  # routed once, refusal included
