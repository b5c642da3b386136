"""Whatever JSON a client or a backend sends, the translators answer or refuse it cleanly:
BadRequest (a 400 in the API's shape) for a client, never an exception that would become a
traceback or a cut stream."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.server.gateway import BadRequest
from hrouter.server.translate_messages import (
    MessagesStream,
    chat_request,
    estimate_tokens,
    message_from_chat,
    routing_messages,
)
from hrouter.server.translate_responses import ResponsesStream, chat_messages, input_messages, response_from_chat

KEYS = st.sampled_from(["role", "content", "type", "text", "source", "tool_use_id", "id", "name", "input",
                        "messages", "system", "tools", "tool_choice", "choices", "delta", "message", "tool_calls",
                        "function", "arguments", "finish_reason", "usage", "call_id", "output", "image_url"])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8) |
                    st.sampled_from(["user", "assistant", "text", "image", "tool_use", "tool_result", "function_call",
                                     "function_call_output", "input_image", "message"]),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
                    max_leaves=25)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=6))
def test_request_converters_never_raise_but_bad_request(body):
    for convert in (routing_messages, chat_request, estimate_tokens, lambda b: chat_messages(b, None),
                    lambda b: input_messages(b.get("input"))):
        try:
            json.dumps(convert(body))
        except BadRequest:
            pass


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=6), st.lists(st.dictionaries(KEYS, JSON, max_size=5), max_size=4))
def test_answer_translators_never_raise(answer, chunks):
    answer = {**answer, "choices": answer.get("choices") if isinstance(answer.get("choices"), list) and
              answer.get("choices") else [answer.get("choices")]}
    json.dumps(message_from_chat(answer))
    json.dumps(response_from_chat({}, answer))
    for stream in (MessagesStream(), ResponsesStream({})):
        for chunk in chunks:
            stream.feed(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        stream.close()
