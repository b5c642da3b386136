"""Completions and embeddings passed through to the backends that list them, a model by id,
and unknown paths and methods answered in the error shape of their API."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest


from .conftest import proxy_data, serving


@pytest.fixture(scope="module")
def extras_proxy(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["backends"]["balanced"]["apis"] = ["chat", "completions", "embeddings"]
    with serving(data) as server:
        yield server


@pytest.fixture
def oai(extras_proxy, behaviours):
    with openai.OpenAI(base_url=f"{extras_proxy.url}/v1", api_key="unused", max_retries=0, timeout=10) as c:
        yield c


def test_a_completion_prompt_is_routed_and_passed_through(oai, behaviours):
    raw = oai.completions.with_raw_response.create(model="hrouter", prompt="what should I cook tonight", max_tokens=9)
    assert raw.headers["x-routed-backend"] == "balanced" and raw.parse().choices[0].text == "completion from balanced"
    assert behaviours["balanced"].received[0] == {"model": "mid-model", "prompt": "what should I cook tonight",
                                                  "max_tokens": 9, "_path": "/v1/completions"}
    chunks = list(oai.completions.create(model="hrouter", prompt="what should I cook tonight", stream=True))
    assert "".join(c.choices[0].text for c in chunks) == "balanced-0 balanced-1 balanced-2 "


def test_a_completion_is_refused_like_a_message(oai, behaviours):
    with pytest.raises(openai.ConflictError) as caught:
        oai.completions.create(model="hrouter", prompt=["please delete", "the staging logs"])
    assert caught.value.body["code"] == "human_confirmation_required"
    with pytest.raises(openai.ConflictError):  # token ids: nothing to read, so it fails closed
        oai.completions.create(model="hrouter", prompt=[1, 2, 3])
    assert not any(b.received for b in behaviours.values())


def test_a_completion_for_a_backend_without_completions_is_not_sent(oai, behaviours):
    with pytest.raises(openai.InternalServerError) as caught:
        oai.completions.create(model="hrouter", prompt="hello there")  # routes to fast: chat only
    assert caught.value.status_code == 502 and "completions" in caught.value.body["message"]
    assert not behaviours["fast"].received


def test_embeddings_go_to_the_backend_that_serves_them(oai, behaviours):
    result = oai.embeddings.create(model="text-embedding-3-small", input=["delete everything", "hi"])
    assert [d.embedding for d in result.data] == [[17.0, 0.5], [2.0, 0.5]]
    assert behaviours["balanced"].received[0]["model"] == "mid-model"


def test_models_by_id(oai):
    assert oai.models.retrieve("hrouter").id == "hrouter"
    assert oai.models.retrieve("code_agent").owned_by == "hrouter"
    with pytest.raises(openai.NotFoundError) as caught:
        oai.models.retrieve("gpt-unknown")
    assert caught.value.body["code"] == "model_not_found"


def test_unknown_paths_and_methods_answer_in_their_apis_shape(extras_proxy):
    with httpx.Client(base_url=extras_proxy.url, timeout=10) as plain:
        missing = plain.get("/v1/assistants")
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
        wrong = plain.post("/v1/models", json={})  # a JSON body: the content-type check comes first
        assert wrong.status_code == 405 and wrong.json()["error"]["type"] == "method_not_allowed"
        assert "GET" in wrong.headers["allow"]
        for answer in (plain.get("/v1/messages"), plain.post("/v1/messages/batches", json={})):
            assert answer.headers["content-type"].startswith("application/json")
            assert answer.json()["type"] == "error" and answer.status_code in (404, 405)
    with anthropic.Anthropic(base_url=extras_proxy.url, api_key="unused", max_retries=0) as claude:
        with pytest.raises(anthropic.NotFoundError):
            claude.messages.batches.list()
