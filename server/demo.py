"""`hrouter serve --demo`: a loopback stand-in model server per backend, answering as which
backend and model it is, so routing can be seen end to end with no model installed."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hrouter.server.config import ProxyConfig
from hrouter.server.threaded import ThreadedServer


def _last_user_text(messages: Any) -> str:
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    event = {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def standin_app(backend: str, model: str, stream_delay: float = 0.0) -> Starlette:
    """An OpenAI-compatible model server that only says who it is."""

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": model, "object": "model", "owned_by": f"demo-{backend}"}]})

    async def chat(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": {"message": "invalid JSON", "type": "invalid_request_error"}}, 400)
        asked = body.get("model")
        words = len(_last_user_text(body.get("messages")).split())
        text = (f"[demo backend {backend!r}, model {asked!r}] This stand-in received your {words}-word "
                f"message{' and a tools list' if body.get('tools') else ''}; a real model would answer here.")
        cid = "chatcmpl-" + uuid.uuid4().hex[:12]
        if body.get("stream") is True:
            async def events():
                yield _chunk(cid, asked, {"role": "assistant", "content": ""})
                for piece in text.split(" "):
                    if stream_delay:
                        await asyncio.sleep(stream_delay)
                    yield _chunk(cid, asked, {"content": piece + " "})
                yield _chunk(cid, asked, {}, "stop")
                yield b"data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        return JSONResponse({
            "id": cid, "object": "chat.completion", "created": int(time.time()), "model": asked,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": words, "completion_tokens": len(text.split()), "total_tokens": words + len(text.split())},
        })

    return Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])])


def start_demo_backends(config: ProxyConfig) -> tuple[ProxyConfig, list[ThreadedServer]]:
    """Start one stand-in per backend on a free loopback port; return the config pointed at them.

    Free ports, not the configured ones: a real model server may already own those.
    """
    servers: list[ThreadedServer] = []
    backends = {}
    try:
        for name, backend in config.backends.items():
            server = ThreadedServer(standin_app(name, backend.model, stream_delay=0.02)).start()
            servers.append(server)
            backends[name] = attrs.evolve(backend, base_url=f"{server.url}/v1", api_key_env=None, headers={})
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return attrs.evolve(config, backends=backends), servers
