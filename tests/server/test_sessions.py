"""Session affinity through the real proxy: a conversation stays on its backend while a turn
needs nothing more; a more demanding turn, an image or a refusal does not ride the pin; only a
successful answer binds."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from hrouter.server.config import ProxyConfigError, config_from_data
from hrouter.server.sessions import SessionPins

from .conftest import proxy_data, serving

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


@pytest.fixture(scope="module")
def session_proxy(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["sessions"] = {"header": "X-Conversation"}
    with serving(data) as server:
        yield server


@pytest.fixture
def chat(session_proxy, behaviours):
    with httpx.Client(base_url=session_proxy.url, timeout=10) as client:
        def send(content, headers=None, **body):
            answer = client.post("/v1/chat/completions", headers=headers or {},
                                 json={"model": "hrouter", "messages": [{"role": "user", "content": content}], **body})
            return answer.status_code, answer.headers.get("x-routed-engine"), answer.headers.get("x-routed-backend")
        yield send


def test_a_conversation_stays_while_its_turns_need_nothing_more(chat):
    pinned = {"X-Conversation": "c1"}
    assert chat("fix the bug in this function", pinned) == (200, "code_agent", "code")
    assert chat("hello there", pinned) == (200, "fast_local", "code")  # small talk stays on the code backend
    assert chat("hello there") == (200, "fast_local", "fast")  # no session: routed as ever
    assert chat("prove this theorem for me", pinned) == (200, "reasoning_local", "reasoning")  # more capable
    assert chat([{"type": "text", "text": "what is in this picture?"}, IMAGE], pinned)[2] == "balanced"  # vision
    assert chat("hello there", pinned) == (200, "fast_local", "balanced")  # now pinned there


def test_safety_is_judged_every_turn(chat, behaviours):
    pinned = {"X-Conversation": "c2"}
    assert chat("fix the bug in this function", pinned)[2] == "code"
    assert chat("please delete the staging logs", pinned) == (409, "human_confirm", None)
    assert chat("hello there", pinned)[2] == "code"  # the refusal did not move the pin
    assert len(behaviours["code"].received) == 2


def test_only_a_successful_answer_binds(chat, behaviours):
    behaviours["balanced"].status = 500
    pinned = {"X-Conversation": "c3"}
    assert chat("what should I cook tonight", pinned)[0] == 500
    behaviours["balanced"].status = None
    assert chat("hello there", pinned)[2] == "fast"


def test_built_in_keys_and_forced_models(chat, session_proxy, behaviours):
    assert chat("fix the bug in this function", prompt_cache_key="k1")[2] == "code"
    assert chat("hello there", prompt_cache_key="k1")[2] == "code"
    assert chat("hello there", prompt_cache_key="k1", model="fast")[2] == "fast"  # a forced backend wins
    with anthropic.Anthropic(base_url=session_proxy.url, api_key="unused", max_retries=0) as claude:
        session = {"X-Claude-Code-Session-Id": "cc-1"}
        first = claude.messages.with_raw_response.create(
            model="claude", max_tokens=32, extra_headers=session,
            messages=[{"role": "user", "content": "fix the bug in this function"}])
        second = claude.messages.with_raw_response.create(
            model="claude", max_tokens=32, extra_headers=session, messages=[{"role": "user", "content": "thanks"}])
    assert first.headers["x-routed-backend"] == second.headers["x-routed-backend"] == "code"


def test_pins_are_bounded_and_expire():
    now = [0.0]
    pins = SessionPins(max_entries=2, ttl_seconds=10, clock=lambda: now[0])

    class Turn:
        selected_engine = "fast_local"

    for key in ("a", "b", "c"):
        pins.bind(key, "code", "code_agent", frozenset())
    assert len(pins) == 2 and pins.holding("a", Turn, lambda e: 1) is None
    assert pins.holding("c", Turn, lambda e: 1).backend == "code"
    now[0] = 11
    assert pins.holding("c", Turn, lambda e: 1) is None


def test_session_settings_are_checked():
    data = {"backends": {"b": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}}, "engine_backends": {"fast_local": "b"},
            "sessions": {"header": "bad header", "max_entries": 0, "ttl_seconds": 0, "enabled": "no"}}
    with pytest.raises(ProxyConfigError) as info:
        config_from_data(data, "cfg.yaml")
    assert info.value.problems == ["$.sessions.enabled: expected true or false, got 'no'"]
    data["sessions"]["enabled"] = True
    with pytest.raises(ProxyConfigError) as info:
        config_from_data(data, "cfg.yaml")
    assert info.value.problems == ["$.sessions.max_entries: 0 must be at least 1", "$.sessions.ttl_seconds: must be positive",
                                   "$.sessions.header: 'bad header' is not a header name"]
