"""The OpenAI Responses API through the real proxy with the real `openai` client: translated for
a backend that speaks only chat, passed through to one that speaks Responses natively,
previous_response_id going back to its backend, and refused in the OpenAI error shape."""

from __future__ import annotations

import httpx
import openai
import pytest

from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import proxy_data, standin_server, with_native, serving
from .standins import responses_standin

WEATHER = {"type": "function", "name": "get_weather", "description": "weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
COOK = "what should I cook tonight, given the weather"


@pytest.fixture(scope="module")
def native():
    with standin_server(responses_standin) as found:
        yield found


@pytest.fixture(scope="module")
def responses_proxy(standins, native):
    data = with_native(standins, native[0], ["responses", "chat"])
    with serving(data) as server:
        yield server


@pytest.fixture
def oai(responses_proxy, behaviours, native):
    native[1].reset()
    with openai.OpenAI(base_url=f"{responses_proxy.url}/v1", api_key="unused", max_retries=0, timeout=10) as c:
        yield c
    native[1].reset()


def test_plain_input_is_translated_for_a_chat_only_backend(oai, behaviours):
    raw = oai.responses.with_raw_response.create(model="gpt-5", instructions="Be brief.", input="hello there",
                                                 max_output_tokens=50, temperature=0.3)
    response = raw.parse()
    assert raw.headers["x-routed-backend"] == "fast"
    assert response.output_text == "answer from fast (small-model)"
    assert response.status == "completed" and response.id.startswith("resp_") and response.usage.total_tokens == 2
    sent = behaviours["fast"].received[0]
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}]
    assert (sent["model"], sent["max_tokens"], sent["temperature"]) == ("small-model", 50, 0.3)


def test_input_items_with_an_image_route_to_vision(oai, behaviours):
    raw = oai.responses.with_raw_response.create(model="gpt-5", input=[{"role": "user", "content": [
        {"type": "input_text", "text": "what is in this picture?"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"}]}])
    assert raw.headers["x-routed-engine"] == "multimodal_vision" and raw.headers["x-routed-backend"] == "balanced"
    assert behaviours["balanced"].received[0]["messages"][0]["content"] == [
        {"type": "text", "text": "what is in this picture?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}}]


def test_stream_is_translated_event_by_event(oai, behaviours):
    events = list(oai.responses.create(model="gpt-5", input="what should I cook tonight", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"] and kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "balanced-0 balanced-1 balanced-2 "
    assert events[-1].response.output_text == "balanced-0 balanced-1 balanced-2 "
    with oai.responses.stream(model="gpt-5", input="what should I cook tonight") as stream:
        final = stream.get_final_response()
    assert final.output_text == "balanced-0 balanced-1 balanced-2 " and final.status == "completed"


def test_function_call_round_trip_with_previous_response_id(oai, behaviours):
    first = oai.responses.create(model="gpt-5", input=COOK, tools=[WEATHER], tool_choice="required")
    call = first.output[0]
    assert (call.type, call.call_id, call.name, call.arguments) == ("function_call", "call_1", "get_weather",
                                                                    '{"city": "Paris"}')
    assert behaviours["balanced"].received[0]["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "description": "weather for a city", "parameters": WEATHER["parameters"]}}]
    # The follow-up carries only the tool's output: the proxy restores the conversation and the
    # backend, since a chat backend keeps no state.
    second = oai.responses.create(model="gpt-5", previous_response_id=first.id, tools=[WEATHER],
                                  input=[{"type": "function_call_output", "call_id": "call_1", "output": "sunny"}])
    assert second.output[0].type == "function_call"
    assert behaviours["balanced"].received[1]["messages"] == [
        {"role": "user", "content": COOK},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]


def test_previous_response_id_goes_back_to_its_backend(oai, behaviours):
    first = oai.responses.create(model="gpt-5", input="hello there")
    raw = oai.responses.with_raw_response.create(model="gpt-5", previous_response_id=first.id,
                                                 input="what should I cook tonight")
    assert raw.headers["x-routed-backend"] == "fast"  # not balanced, where this turn alone would go
    assert behaviours["fast"].received[1]["messages"] == [
        {"role": "user", "content": "hello there"},
        {"role": "assistant", "content": "answer from fast (small-model)"},
        {"role": "user", "content": "what should I cook tonight"}]
    with pytest.raises(openai.BadRequestError) as caught:
        oai.responses.create(model="gpt-5", previous_response_id="resp_unknown", input="hello there")
    assert "resp_unknown" in caught.value.body["message"]


def test_a_streamed_response_is_remembered_too(oai, behaviours):
    events = list(oai.responses.create(model="gpt-5", input="hello there", stream=True))
    first = events[-1].response
    oai.responses.create(model="gpt-5", previous_response_id=first.id, input="thanks")
    assert behaviours["fast"].received[1]["messages"][1] == {"role": "assistant", "content": "fast-0 fast-1 fast-2 "}


def test_streamed_function_call(oai, behaviours):
    with oai.responses.stream(model="gpt-5", input=COOK, tools=[WEATHER]) as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    assert deltas == ['{"city": ', '"Paris"}']
    call = final.output[0]
    assert (call.type, call.call_id, call.name, call.arguments, call.status) == (
        "function_call", "call_1", "get_weather", '{"city": "Paris"}', "completed")


def test_refusal_is_sent_once_in_the_openai_shape(responses_proxy, behaviours, native):
    seen = []
    hook = openai.DefaultHttpxClient(event_hooks={"request": [lambda r: seen.append(r.url.path)]})
    with openai.OpenAI(base_url=f"{responses_proxy.url}/v1", api_key="unused", http_client=hook) as client:
        with pytest.raises(openai.ConflictError) as caught:
            client.responses.create(model="gpt-5", input="please delete the staging logs")
        with pytest.raises(openai.ConflictError):
            list(client.responses.create(model="gpt-5", input="please delete the staging logs", stream=True))
    assert seen == ["/v1/responses", "/v1/responses"]
    body = caught.value.body
    assert body["code"] == "human_confirmation_required" and body["reasons"] == ["destructive action"]
    assert not any(b.received for b in behaviours.values()) and not native[1].received


def test_safety_reads_the_remembered_conversation(standins, behaviours):
    app = create_app(config_from_data(proxy_data({n: u for n, (u, _) in standins.items()}), "tests"))
    # A remembered turn whose answer proposed a deletion: "yes, do it" approves it.
    app.state.proxy.responses.put("resp_earlier", "fast", None, [
        {"role": "user", "content": "what is new"},
        {"role": "assistant", "content": "I can wipe the old backups now. Proceed?"}])
    with ThreadedServer(app) as server, \
            openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=10) as client:
        with pytest.raises(openai.ConflictError):
            client.responses.create(model="gpt-5", previous_response_id="resp_earlier", input="yes, do it")
        assert client.responses.create(model="gpt-5", input="yes, do it").output_text  # alone it is harmless
    assert [m["content"] for m in behaviours["balanced"].received[0]["messages"]] == ["yes, do it"]


def test_native_backend_gets_the_body_and_keeps_its_conversation(oai, native):
    first = oai.responses.create(model="gpt-5", input="fix the bug in this function")
    assert first.id == "resp_native_1" and first.output_text == "native answer from native (native-model)"
    raw = oai.responses.with_raw_response.create(model="gpt-5", previous_response_id=first.id, input="hello there")
    assert raw.headers["x-routed-backend"] == "native"
    sent = native[1].received[1]
    assert sent == {"model": "native-model", "previous_response_id": "resp_native_1", "input": "hello there"}
    events = list(oai.responses.create(model="gpt-5", input="refactor this code", stream=True))
    assert events[-1].type == "response.completed" and events[-1].response.id == "resp_native_3"
    oai.responses.create(model="gpt-5", previous_response_id="resp_native_3", input="thanks")
    assert native[1].received[3]["previous_response_id"] == "resp_native_3"


def test_a_backend_that_dies_mid_stream_ends_in_an_error(oai, behaviours):
    behaviours["balanced"].die_after = 1
    with pytest.raises(openai.APIError) as caught:
        list(oai.responses.create(model="gpt-5", input="what should I cook tonight", stream=True))
    assert caught.value.body["code"] == "upstream_stream_error"


def test_bad_bodies_answer_in_the_openai_shape(responses_proxy):
    with httpx.Client(base_url=responses_proxy.url, timeout=10) as plain:
        for content in (b"{not json", b"[1]", b'{"model": "x", "input": 5}', b'{"model": "x"}'):
            answer = plain.post("/v1/responses", content=content, headers={"content-type": "application/json"})
            assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_request_error"


def test_a_chat_backends_reasoning_becomes_a_reasoning_item(oai, behaviours):
    behaviours["balanced"].reasoning = "think about dinner"
    plain = oai.responses.create(model="gpt-5", input="what should I cook tonight")
    assert [i.type for i in plain.output] == ["reasoning", "message"]
    assert plain.output[0].content[0].text == "think about dinner"
    with oai.responses.stream(model="gpt-5", input="what should I cook tonight") as stream:
        deltas = [e.delta for e in stream if e.type == "response.reasoning_text.delta"]
        final = stream.get_final_response()
    assert deltas == ["think about dinner"]
    assert [i.type for i in final.output] == ["reasoning", "message"]
    assert final.output_text == "balanced-0 balanced-1 balanced-2 "


PATCH_TOOL = {"type": "custom", "name": "apply_patch", "description": "Edit files with a patch.",
              "format": {"type": "grammar", "syntax": "lark", "definition": "start: patch"}}


def test_custom_tools_round_trip_through_chat(oai, behaviours):
    # Codex CLI's apply_patch is a custom (free-form) tool: a chat backend sees a function
    # taking the raw input as one string, and its call comes back as a custom_tool_call.
    first = oai.responses.create(model="gpt-5", input=COOK, tools=[PATCH_TOOL])
    call = first.output[0]
    assert (call.type, call.call_id, call.name) == ("custom_tool_call", "call_1", "apply_patch")
    assert call.input == '{"city": "Paris"}'  # the stand-in's arguments carry no "input": kept raw
    function = behaviours["balanced"].received[0]["tools"][0]["function"]
    assert function["parameters"]["required"] == ["input"] and "start: patch" in function["description"]
    oai.responses.create(model="gpt-5", tools=[PATCH_TOOL], input=[
        {"role": "user", "content": COOK},
        {"type": "custom_tool_call", "call_id": "call_9", "name": "apply_patch", "input": "*** Begin Patch"},
        {"type": "custom_tool_call_output", "call_id": "call_9", "output": "Done"}])
    history = behaviours["balanced"].received[1]["messages"]
    assert history[1]["tool_calls"][0]["function"] == {"name": "apply_patch", "arguments": '{"input": "*** Begin Patch"}'}
    assert history[2] == {"role": "tool", "tool_call_id": "call_9", "content": "Done"}
    events = list(oai.responses.create(model="gpt-5", input=COOK, tools=[PATCH_TOOL], stream=True))
    assert not [e for e in events if e.type == "response.function_call_arguments.delta"]
    done = [e.item for e in events if e.type == "response.output_item.done"]
    assert [(i.type, i.name, i.input) for i in done] == [("custom_tool_call", "apply_patch", '{"city": "Paris"}')]
    assert events[-1].response.output[0].type == "custom_tool_call"
