"""Streaming edge cases: chunks arrive as produced, client disconnects cancel the upstream,
an upstream that dies mid-stream ends in an SSE error event rather than a cut connection."""

from __future__ import annotations

import json
import time

import openai
import pytest


def stream_body(text="fix the tests"):
    return {"model": "hrouter", "stream": True, "messages": [{"role": "user", "content": text}]}


def test_chunks_are_relayed_as_they_arrive(client, behaviours):
    behaviours["code"].chunks, behaviours["code"].chunk_delay = 5, 0.2
    arrivals = []
    started = time.monotonic()
    with client.stream("POST", "/v1/chat/completions", json=stream_body()) as r:
        for line in r.iter_lines():
            if line.startswith("data: {") and '"content": "code-' in line:
                arrivals.append(time.monotonic() - started)
    assert len(arrivals) == 5
    # the first piece arrives long before the last one is produced: nothing is buffered
    assert arrivals[0] < arrivals[-1] - 0.5


def test_client_disconnect_cancels_the_upstream_request(client, behaviours):
    code = behaviours["code"]
    code.chunks, code.chunk_delay = 200, 0.05  # a 10 s stream
    with client.stream("POST", "/v1/chat/completions", json=stream_body()) as r:
        lines = r.iter_lines()
        got = [next(lines) for _ in range(3)]
        assert any("code-" in g or "assistant" in g for g in got)
    # leaving the block closed the connection mid-stream
    assert code.stream_cancelled.wait(5), "upstream stream was not cancelled"
    assert not code.stream_finished.is_set()


def test_upstream_dying_mid_stream_ends_with_an_sse_error_event(client, behaviours):
    behaviours["code"].chunks, behaviours["code"].die_after = 10, 2
    with client.stream("POST", "/v1/chat/completions", json=stream_body()) as r:
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert r.status_code == 200
    assert [json.loads(e)["choices"][0]["delta"].get("content") for e in events[1:3]] == ["code-0 ", "code-1 "]
    last = json.loads(events[-1])
    assert last["error"]["type"] == "upstream_stream_error" and "code" in last["error"]["message"]


def test_openai_client_raises_on_the_mid_stream_error(proxy, behaviours):
    behaviours["code"].chunks, behaviours["code"].die_after = 10, 1
    with openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="x", max_retries=0, timeout=10) as oai:
        stream = oai.chat.completions.create(model="hrouter", stream=True,
                                             messages=[{"role": "user", "content": "fix the tests"}])
        with pytest.raises(openai.APIError, match="failed mid-stream"):
            for _ in stream:
                pass
