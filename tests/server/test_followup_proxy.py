"""Whole request bodies through the real proxy with the real openai client, on the default
rules: the proxy hands the body (tools, model id, reasoning parameters) to the router, and a
follow-up continues the previous turn's route."""

from __future__ import annotations

import openai
import pytest

from hrouter.engine.router import default_rules_path

from .conftest import proxy_data, serving

WEB_SEARCH = {"type": "function", "function": {"name": "web_search", "description": "search the web",
                                                "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}
GENERATED = "Here it is: ![cat](https://img.example/cat.png)"


@pytest.fixture(scope="module")
def default_proxy(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["rules"] = str(default_rules_path())
    data["engine_backends"] = {
        "fast_local": "fast", "balanced_local": "balanced", "code_agent": "code", "reasoning_local": "reasoning",
        "web_research": "balanced", "multimodal_vision": "balanced", "image_generation": "balanced",
    }
    with serving(data) as server:
        yield server


@pytest.fixture
def oai(default_proxy, behaviours):
    with openai.OpenAI(base_url=f"{default_proxy.url}/v1", api_key="unused", max_retries=0, timeout=10) as c:
        yield c


def routed(oai, **body) -> str:
    raw = oai.chat.completions.with_raw_response.create(**{"model": "hrouter", **body})
    return raw.headers["x-routed-engine"]


@pytest.mark.parametrize("messages, engine", [
    ([{"role": "user", "content": "draw a cat on a windowsill"}, {"role": "assistant", "content": GENERATED},
      {"role": "user", "content": "now in watercolour"}], "image_generation"),
    ([{"role": "user", "content": "what's the weather going to be like tomorrow?"},
      {"role": "assistant", "content": "Which city should I check?"}, {"role": "user", "content": "Lyon"}], "web_research"),
    ([{"role": "user", "content": "write a python function that downloads a url with requests"},
      {"role": "assistant", "content": "```python\nimport requests\ndef fetch(url):\n    return requests.get(url).text\n```"},
      {"role": "user", "content": "make it async"}], "code_agent"),
    # a follow-up with its own signal keeps it
    ([{"role": "user", "content": "draw a cat on a windowsill"}, {"role": "assistant", "content": GENERATED},
      {"role": "user", "content": "what's a good way to store fresh basil?"}], "balanced_local"),
])
def test_followups_through_the_proxy(oai, messages, engine):
    assert routed(oai, messages=messages) == engine


def test_the_proxy_passes_request_fields_to_the_rules(oai, behaviours):
    question = [{"role": "user", "content": "what are people saying about the new Zelda game?"}]
    assert routed(oai, messages=question) == "balanced_local"
    assert routed(oai, messages=question, tools=[WEB_SEARCH], tool_choice="required") == "web_research"
    plan = [{"role": "user", "content": "how should I structure my week to finish a thesis chapter?"}]
    assert routed(oai, messages=plan, model="hrouter-reasoning") == "reasoning_local"
    # a tool list alone never makes a question code work
    capital = [{"role": "user", "content": "what is the capital of Canada?"}]
    run_shell = {"type": "function", "function": {"name": "run_shell", "parameters": {"type": "object", "properties": {}}}}
    assert routed(oai, messages=capital, tools=[run_shell]) == "balanced_local"


def test_an_approval_of_a_risky_proposal_is_refused_however_the_body_looks(oai):
    messages = [{"role": "user", "content": "the release branch is ready"},
                {"role": "assistant", "content": "I can force-push the release branch to main and deploy it to production. Proceed?"},
                {"role": "user", "content": "go ahead"}]
    with pytest.raises(openai.APIStatusError) as caught:
        oai.chat.completions.create(model="hrouter", messages=messages, tools=[WEB_SEARCH], reasoning_effort="high")
    assert caught.value.status_code == 409
    assert caught.value.response.headers["x-routed-engine"] == "human_confirm"
