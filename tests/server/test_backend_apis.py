"""Per backend: the APIs it speaks and its request overrides, checked with key paths when the
config loads and applied to what each API's backend gets."""

from __future__ import annotations

import anthropic
import openai
import pytest

from hrouter.server.config import ProxyConfigError, RequestOverrides, config_from_data
from hrouter.server.overrides import apply

from .conftest import proxy_data, serving


def problems(backend: dict) -> list[str]:
    data = {"backends": {"b": {"base_url": "http://127.0.0.1:9/v1", "model": "m", **backend}},
            "engine_backends": {"fast_local": "b"}}
    with pytest.raises(ProxyConfigError) as info:
        config_from_data(data, "cfg.yaml")
    return info.value.problems


def test_apis_and_overrides_are_checked_with_key_paths():
    assert problems({"apis": ["chat", "grpc"]}) == [
        "$.backends.b.apis[1]: 'grpc' is not one of chat, responses, messages, completions, embeddings"]
    assert problems({"apis": []}) == [
        "$.backends.b.apis: list at least one of chat, responses, messages, completions, embeddings"]
    assert problems({"overrides": {"temperature": 0.5, "drop_temperature": True, "max_tokens": 0,
                                   "reasoning_effort": "max"}}) == [
        "$.backends.b.overrides: set temperature or drop_temperature, not both",
        "$.backends.b.overrides.max_tokens: 0 must be at least 1",
        "$.backends.b.overrides.reasoning_effort: 'max' is not one of none, minimal, low, medium, high, xhigh"]
    assert problems({"overrides": {"temperature": 3}}) == ["$.backends.b.overrides.temperature: 3 is outside 0-2"]
    assert problems({"overrides": {"drop_temperature": "yes"}}) == [
        "$.backends.b.overrides.drop_temperature: expected true or false, got 'yes'"]
    assert problems({"overrides": {"top_k": 3}}) == ["$.backends.b.overrides: unknown key: top_k"]


@pytest.mark.parametrize("api, body, expected", [
    ("chat", {"temperature": 1, "max_tokens": 9000}, {"temperature": 0.1, "max_tokens": 512, "reasoning_effort": "low"}),
    ("chat", {"max_completion_tokens": 100}, {"temperature": 0.1, "max_completion_tokens": 100, "reasoning_effort": "low"}),
    ("responses", {"reasoning": {"summary": "auto"}}, {"temperature": 0.1, "max_output_tokens": 512,
                                                       "reasoning": {"summary": "auto", "effort": "low"}}),
    ("messages", {"max_tokens": 4096}, {"temperature": 0.1, "max_tokens": 512}),
    (None, {"temperature": 1}, {"temperature": 1}),
])
def test_overrides_speak_each_apis_names(api, body, expected):
    apply(body, RequestOverrides(temperature=0.1, max_tokens=512, reasoning_effort="low"), api)
    assert body == expected


def test_a_backend_gets_its_overrides_through_every_api(standins, behaviours):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["backends"]["balanced"]["overrides"] = {"drop_temperature": True, "max_tokens": 100, "reasoning_effort": "high"}
    with serving(data) as server:
        with openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0) as oai:
            oai.chat.completions.create(model="hrouter", temperature=0.9, max_tokens=4000,
                                        messages=[{"role": "user", "content": "what should I cook tonight"}])
            oai.responses.create(model="hrouter", input="what should I cook tonight", temperature=0.9)
        with anthropic.Anthropic(base_url=server.url, api_key="unused", max_retries=0) as claude:
            claude.messages.create(model="claude", max_tokens=64, extra_body={"temperature": 0.9},
                                   messages=[{"role": "user", "content": "what should I cook tonight"}])
    chat, responses, messages = behaviours["balanced"].received
    for sent, cap in ((chat, 100), (responses, 100), (messages, 64)):
        assert "temperature" not in sent and sent["max_tokens"] == cap and sent["reasoning_effort"] == "high"
