"""Controllable stand-in model servers for the proxy tests (real uvicorn apps on loopback).

Each records what it received and can be told to fail: answer 5xx, stall, die mid-stream, or
stream slowly so a test can disconnect. Only model servers are stand-ins; the proxy is real.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@attrs.define
class Behaviour:
    status: int | None = None  # answer this status instead of a completion
    delay: float = 0.0  # seconds before answering
    chunk_delay: float = 0.0  # seconds between stream chunks
    chunks: int = 3  # content chunks in a stream
    die_after: int | None = None  # cut the connection after this many chunks
    reasoning: str | None = None  # reasoning_content before the answer (as llama.cpp sends it)
    received: list[dict[str, Any]] = attrs.field(factory=list)
    stream_finished: threading.Event = attrs.field(factory=threading.Event)
    stream_cancelled: threading.Event = attrs.field(factory=threading.Event)

    def reset(self) -> None:
        self.status, self.delay, self.chunk_delay, self.chunks, self.die_after = None, 0.0, 0.0, 3, None
        self.reasoning = None
        self.received.clear()
        self.stream_finished.clear()
        self.stream_cancelled.clear()


def _event(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def standin(name: str, model: str, behaviour: Behaviour) -> Starlette:
    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": model, "object": "model"}]})

    async def chat(request: Request) -> Response:
        body = await request.json()
        behaviour.received.append(body)
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        if behaviour.status is not None:
            return JSONResponse({"error": {"message": f"{name} says {behaviour.status}", "type": "server_error"}},
                                behaviour.status)
        tools = body.get("tools") or []
        base = {"id": f"chatcmpl-{name}", "created": int(time.time()), "model": body.get("model")}
        if body.get("stream") is True:
            async def events():
                sent = 0
                try:
                    yield _event({**base, "object": "chat.completion.chunk",
                                  "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
                    if behaviour.reasoning:
                        yield _event({**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {
                            "reasoning_content": behaviour.reasoning}, "finish_reason": None}]})
                    if tools:
                        fn = tools[0]["function"]["name"]
                        yield _event({**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {
                            "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                            "function": {"name": fn, "arguments": ""}}]}, "finish_reason": None}]})
                        for part in ('{"city": ', '"Paris"}'):
                            yield _event({**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {
                                "tool_calls": [{"index": 0, "function": {"arguments": part}}]}, "finish_reason": None}]})
                        finish = "tool_calls"
                    else:
                        for i in range(behaviour.chunks):
                            if behaviour.die_after is not None and sent >= behaviour.die_after:
                                raise RuntimeError("stand-in dies mid-stream")
                            if behaviour.chunk_delay:
                                await asyncio.sleep(behaviour.chunk_delay)
                            yield _event({**base, "object": "chat.completion.chunk",
                                          "choices": [{"index": 0, "delta": {"content": f"{name}-{i} "}, "finish_reason": None}]})
                            sent += 1
                        finish = "stop"
                    yield _event({**base, "object": "chat.completion.chunk",
                                  "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
                    yield b"data: [DONE]\n\n"
                    behaviour.stream_finished.set()
                except asyncio.CancelledError:
                    behaviour.stream_cancelled.set()
                    raise
                finally:
                    if not behaviour.stream_finished.is_set():
                        behaviour.stream_cancelled.set()

            return StreamingResponse(events(), media_type="text/event-stream")
        if tools:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": tools[0]["function"]["name"], "arguments": '{"city": "Paris"}'}}]}
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": f"answer from {name} ({body.get('model')})"}
            finish = "stop"
        if behaviour.reasoning:
            message["reasoning_content"] = behaviour.reasoning
        return JSONResponse({**base, "object": "chat.completion",
                             "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    async def completions(request: Request) -> Response:
        body = await request.json()
        behaviour.received.append({**body, "_path": request.url.path})
        base = {"id": f"cmpl-{name}", "object": "text_completion", "created": int(time.time()), "model": body.get("model")}
        if body.get("stream") is True:
            async def events():
                for i in range(behaviour.chunks):
                    yield _event({**base, "choices": [{"index": 0, "text": f"{name}-{i} ", "finish_reason": None}]})
                yield _event({**base, "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]})
                yield b"data: [DONE]\n\n"
            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse({**base, "choices": [{"index": 0, "text": f"completion from {name}", "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    async def embeddings(request: Request) -> Response:
        body = await request.json()
        behaviour.received.append({**body, "_path": request.url.path})
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return JSONResponse({"object": "list", "model": body.get("model"), "usage": {"prompt_tokens": 1, "total_tokens": 1},
                             "data": [{"object": "embedding", "index": i, "embedding": [float(len(t)), 0.5]}
                                      for i, t in enumerate(texts)]})

    # A server may offer more than the proxy config says it speaks: the config decides.
    return Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"]),
                             Route("/v1/completions", completions, methods=["POST"]),
                             Route("/v1/embeddings", embeddings, methods=["POST"])])


def _anthropic_event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def messages_standin(name: str, model: str, behaviour: Behaviour) -> Starlette:
    """A model server that speaks the Anthropic Messages API natively (as Anthropic, llama.cpp
    and Ollama do): answers, streams, tool_use when tools are offered, token counts."""

    async def messages(request: Request) -> Response:
        body = await request.json()
        behaviour.received.append({**body, "_headers": dict(request.headers), "_path": request.url.path})
        if behaviour.status is not None:
            return JSONResponse({"type": "error", "error": {"type": "api_error", "message": f"{name} says {behaviour.status}"}},
                                behaviour.status)
        tools = body.get("tools") or []
        usage = {"input_tokens": 7, "output_tokens": 3}
        if tools:
            content = [{"type": "tool_use", "id": "toolu_native1", "name": tools[0]["name"], "input": {"city": "Paris"}}]
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": f"native answer from {name} ({body.get('model')})"}]
            stop = "end_turn"
        message = {"id": f"msg_{name}", "type": "message", "role": "assistant", "model": body.get("model"),
                   "content": content, "stop_reason": stop, "stop_sequence": None, "usage": usage}
        if body.get("stream") is not True:
            return JSONResponse(message)

        async def events():
            yield _anthropic_event("message_start", {"type": "message_start", "message": {
                **message, "content": [], "stop_reason": None, "usage": {"input_tokens": 7, "output_tokens": 0}}})
            block = content[0]
            if block["type"] == "text":
                yield _anthropic_event("content_block_start", {"type": "content_block_start", "index": 0,
                                                               "content_block": {"type": "text", "text": ""}})
                for i in range(behaviour.chunks):
                    yield _anthropic_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                                   "delta": {"type": "text_delta", "text": f"{name}-{i} "}})
            else:
                yield _anthropic_event("content_block_start", {"type": "content_block_start", "index": 0,
                                                               "content_block": {**block, "input": {}}})
                for part in ('{"city": ', '"Paris"}'):
                    yield _anthropic_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                                   "delta": {"type": "input_json_delta", "partial_json": part}})
            yield _anthropic_event("content_block_stop", {"type": "content_block_stop", "index": 0})
            yield _anthropic_event("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                                     "usage": {"output_tokens": 3}})
            yield _anthropic_event("message_stop", {"type": "message_stop"})

        return StreamingResponse(events(), media_type="text/event-stream")

    async def count_tokens(request: Request) -> Response:
        body = await request.json()
        behaviour.received.append({**body, "_headers": dict(request.headers), "_path": request.url.path})
        return JSONResponse({"input_tokens": 4242})

    return Starlette(routes=[Route("/v1/messages", messages, methods=["POST"]),
                             Route("/v1/messages/count_tokens", count_tokens, methods=["POST"])])


def responses_standin(name: str, model: str, behaviour: Behaviour) -> Starlette:
    """A model server that speaks the OpenAI Responses API natively and keeps no state of its
    own beyond echoing previous_response_id: answers and streams text."""
    counter = iter(range(1, 1_000_000))

    async def responses(request: Request) -> Response:
        body = await request.json()
        behaviour.received.append(body)
        number = next(counter)
        text = f"native answer from {name} ({body.get('model')})"
        item = {"type": "message", "id": f"msg_{number}", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}]}
        response = {"id": f"resp_{name}_{number}", "object": "response", "created_at": int(time.time()),
                    "status": "completed", "model": body.get("model"), "output": [item],
                    "previous_response_id": body.get("previous_response_id"), "parallel_tool_calls": True,
                    "tool_choice": "auto", "tools": [],
                    "usage": {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}}
        if body.get("stream") is not True:
            return JSONResponse(response)

        async def events():
            seq = iter(range(100))
            yield _anthropic_event("response.created", {"type": "response.created", "sequence_number": next(seq),
                                                        "response": {**response, "status": "in_progress", "output": []}})
            yield _anthropic_event("response.output_item.added", {
                "type": "response.output_item.added", "sequence_number": next(seq), "output_index": 0,
                "item": {**item, "status": "in_progress", "content": []}})
            yield _anthropic_event("response.content_part.added", {
                "type": "response.content_part.added", "sequence_number": next(seq), "item_id": item["id"],
                "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}})
            yield _anthropic_event("response.output_text.delta", {
                "type": "response.output_text.delta", "sequence_number": next(seq), "item_id": item["id"],
                "output_index": 0, "content_index": 0, "delta": text, "logprobs": []})
            yield _anthropic_event("response.output_text.done", {
                "type": "response.output_text.done", "sequence_number": next(seq), "item_id": item["id"],
                "output_index": 0, "content_index": 0, "text": text, "logprobs": []})
            yield _anthropic_event("response.content_part.done", {
                "type": "response.content_part.done", "sequence_number": next(seq), "item_id": item["id"],
                "output_index": 0, "content_index": 0, "part": item["content"][0]})
            yield _anthropic_event("response.output_item.done", {
                "type": "response.output_item.done", "sequence_number": next(seq), "output_index": 0, "item": item})
            yield _anthropic_event("response.completed", {"type": "response.completed", "sequence_number": next(seq),
                                                          "response": response})

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/responses", responses, methods=["POST"])])
