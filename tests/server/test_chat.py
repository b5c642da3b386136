"""Chat completions through the real proxy with the real openai client: routing, forwarding,
model replacement, tools kept or stripped, streaming, response headers."""

from __future__ import annotations

import httpx
import openai
import pytest

WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "weather for a city",
                                                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


@pytest.fixture
def oai(proxy, behaviours):
    with openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="unused", max_retries=0, timeout=10) as c:
        yield c


def user(text):
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize(
    "prompt, engine, backend",
    [
        ("hello there", "fast_local", "fast"),
        ("fix the bug in this function", "code_agent", "code"),
        ("prove this theorem for me", "reasoning_local", "reasoning"),
        ("what should I cook tonight", "balanced_local", "balanced"),
    ],
)
def test_non_stream_routes_by_prompt_and_replaces_model(oai, behaviours, prompt, engine, backend):
    raw = oai.chat.completions.with_raw_response.create(model="hrouter", messages=user(prompt))
    completion = raw.parse()
    assert raw.headers["x-routed-engine"] == engine
    assert raw.headers["x-routed-backend"] == backend
    assert len(raw.headers["x-request-id"]) >= 16
    assert completion.choices[0].message.content.startswith(f"answer from {backend}")
    sent = behaviours[backend].received
    assert len(sent) == 1 and sent[0]["model"] == completion.model and sent[0]["model"] != "hrouter"
    assert sent[0]["messages"] == user(prompt)


def test_stream_passes_chunks_through(oai, behaviours):
    chunks = list(oai.chat.completions.create(model="auto", messages=user("fix the failing tests"), stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "code-0 code-1 code-2 "
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert behaviours["code"].received[0]["stream"] is True


def test_tool_calls_non_stream_keep_tools(oai, behaviours):
    completion = oai.chat.completions.create(model="hrouter", messages=user("refactor this code and check the weather"),
                                             tools=[WEATHER_TOOL], tool_choice="auto")
    call = completion.choices[0].message.tool_calls[0]
    assert (call.function.name, call.function.arguments) == ("get_weather", '{"city": "Paris"}')
    sent = behaviours["code"].received[0]
    assert sent["tools"] == [WEATHER_TOOL] and sent["tool_choice"] == "auto"


def test_tool_call_deltas_stream_intact(oai, behaviours):
    stream = oai.chat.completions.create(model="hrouter", messages=user("refactor the repo"), tools=[WEATHER_TOOL], stream=True)
    name, arguments, finish = "", "", None
    for chunk in stream:
        for call in chunk.choices[0].delta.tool_calls or []:
            name += call.function.name or ""
            arguments += call.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert (name, arguments, finish) == ("get_weather", '{"city": "Paris"}', "tool_calls")


def test_tools_alone_do_not_change_the_route_and_strip_tools_backend_gets_none(oai, behaviours):
    raw = oai.chat.completions.with_raw_response.create(model="hrouter", messages=user("hello"), tools=[WEATHER_TOOL],
                                                        tool_choice="auto", parallel_tool_calls=False)
    assert raw.headers["x-routed-backend"] == "fast"
    sent = behaviours["fast"].received[0]
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(sent)
    assert sent["model"] == "small-model"


def test_model_naming_an_engine_forces_it(client, behaviours):
    r = client.post("/v1/chat/completions", json={"model": "reasoning_local", "messages": user("hello")})
    assert r.status_code == 200
    assert (r.headers["x-routed-engine"], r.headers["x-routed-backend"]) == ("reasoning_local", "reasoning")


def test_model_naming_a_backend_forces_it(client, behaviours):
    r = client.post("/v1/chat/completions", json={"model": "balanced", "messages": user("fix the bug")})
    assert r.status_code == 200 and r.headers["x-routed-backend"] == "balanced"
    assert behaviours["balanced"].received[0]["model"] == "mid-model"


def test_forcing_never_skips_confirmation(client, behaviours):
    for model in ("code_agent", "code"):
        r = client.post("/v1/chat/completions", json={"model": model, "messages": user("delete the prod database")})
        assert r.status_code == 409, model
    assert behaviours["code"].received == []


def test_conversation_context_decides_follow_ups(client, behaviours):
    messages = [
        {"role": "user", "content": "clean up my disk"},
        {"role": "assistant", "content": "I can wipe the old backups now. Proceed?"},
        {"role": "user", "content": "yes, do it"},
    ]
    r = client.post("/v1/chat/completions", json={"model": "hrouter", "messages": messages})
    assert r.status_code == 409
    assert r.json()["error"]["type"] == "human_confirmation_required"


def test_image_parts_count_as_an_image_attachment(client, behaviours):
    content = [{"type": "text", "text": "what is in this picture"},
               {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]
    r = client.post("/v1/chat/completions", json={"model": "hrouter", "messages": [{"role": "user", "content": content}]})
    # vision's backend is down, so this also shows the fallback to `balanced`
    assert r.status_code == 200
    assert (r.headers["x-routed-engine"], r.headers["x-routed-backend"]) == ("multimodal_vision", "balanced")
    assert behaviours["balanced"].received[0]["messages"][0]["content"] == content


def test_backend_extra_headers_and_request_id_reach_the_backend(proxy, standins, behaviours):
    import httpx

    seen = {}

    # The stand-in records bodies only; ask the backend itself what headers it got via echo.
    r = httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "hrouter", "messages": user("fix the bug")},
                   headers={"x-request-id": "req-abc.123"}, timeout=10)
    seen["id"] = r.headers["x-request-id"]
    assert seen["id"] == "req-abc.123"
    bad = httpx.post(f"{proxy.url}/v1/chat/completions", json={"model": "hrouter", "messages": user("fix the bug")},
                     headers={"x-request-id": "bad id\twith spaces"}, timeout=10)
    assert bad.headers["x-request-id"] != "bad id\twith spaces" and len(bad.headers["x-request-id"]) == 32


def test_models_lists_proxy_ids_and_routable_engines(oai):
    ids = [m.id for m in oai.models.list()]
    assert ids[:2] == ["hrouter", "auto"]
    assert {"fast_local", "code_agent", "reasoning_local", "multimodal_vision"} <= set(ids)
    assert "human_confirm" not in ids


def test_an_unknown_model_name_is_routed_and_said_so(client, behaviours):
    ask = lambda model: client.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "hello"}]})  # noqa: E731
    r = ask("gpt-4o")
    assert r.status_code == 200 and r.headers["x-hrouter-unknown-model"] == "gpt-4o"
    for known in ("hrouter", "auto", "balanced_local", "balanced"):
        r = ask(known)
        assert r.status_code == 200 and "x-hrouter-unknown-model" not in r.headers, known
    assert ask("gpt\u00e9\n-4o" + "x" * 300).headers["x-hrouter-unknown-model"] == "gpt-4o" + "x" * 94


def test_unknown_models_refuse_answers_404_and_forwards_nothing(standins, behaviours):
    from hrouter.server.app import create_app
    from hrouter.server.config import config_from_data
    from hrouter.server.threaded import ThreadedServer

    from .conftest import proxy_data

    config = config_from_data(proxy_data({n: u for n, (u, _) in standins.items()}, unknown_models="refuse"), "t")
    with ThreadedServer(create_app(config)) as server, httpx.Client(base_url=server.url, timeout=10) as c:
        r = c.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]})
        assert r.status_code == 404 and r.json()["error"]["type"] == "model_not_found"
        assert "'gpt-4o'" in r.json()["error"]["message"]
        assert c.post("/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "hello"}]}).status_code == 200
    assert sum(len(b.received) for b in behaviours.values()) == 1
