"""Server-sent events both ways: reading a backend's stream piece by piece, writing events."""

from __future__ import annotations

import json
from typing import Any


def event(name: str | None, data: Any) -> bytes:
    """One event; `name` None writes a data-only event (the OpenAI chat style)."""
    body = b"data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"
    return b"event: " + name.encode() + b"\n" + body if name else body


class Reader:
    """Feed it the bytes as they arrive; it gives back each complete event's (name, data text).

    Events may be split across network pieces anywhere, and lines may end in CRLF."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, piece: bytes) -> list[tuple[str | None, str]]:
        self._buffer = (self._buffer + piece).replace(b"\r\n", b"\n")  # a CRLF may be split
        out: list[tuple[str | None, str]] = []
        while (end := self._buffer.find(b"\n\n")) >= 0:
            block, self._buffer = self._buffer[:end], self._buffer[end + 2:]
            name: str | None = None
            data: list[str] = []
            for line in block.decode("utf-8", "replace").split("\n"):
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
            if data:
                out.append((name, "\n".join(data)))
        return out



def function_of(call: dict[str, Any]) -> dict[str, Any]:
    """A chat tool call's `function` object, {} when a backend sent something else."""
    function = call.get("function")
    return function if isinstance(function, dict) else {}


def reasoning_of(message: dict[str, Any]) -> str:
    """A chat message's (or delta's) reasoning text: `reasoning_content` (llama.cpp, vLLM,
    DeepSeek) or `reasoning` (Ollama, OpenRouter)."""
    for key in ("reasoning_content", "reasoning"):
        if isinstance(message.get(key), str) and message[key]:
            return message[key]
    return ""


def tool_calls_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    calls = message.get("tool_calls")
    return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


class ChatStreamTranslator:
    """Reads a chat completions stream chunk by chunk and hands each part to a hook that writes
    the other API's events: `_start` (first chunk), `_on_usage`, `_on_text`, `_on_call` (one
    tool-call delta), `_on_finish` (the finish reason); `close` and `error` end the stream."""

    def __init__(self) -> None:
        self._reader = Reader()
        self._started = False
        self._ended = False

    def _start(self, chunk: dict[str, Any]) -> bytes: ...
    def _on_usage(self, usage: dict[str, Any]) -> None: ...
    def _on_text(self, text: str) -> bytes: ...
    def _on_reasoning(self, text: str) -> bytes: ...
    def _on_call(self, call: dict[str, Any]) -> bytes: ...
    def _on_finish(self, reason: str) -> None: ...
    def error(self, message: str, type_: str) -> bytes: ...

    def feed(self, piece: bytes) -> bytes:
        out: list[bytes] = []
        for _, data in self._reader.feed(piece):
            if self._ended:
                break
            if data.strip() == "[DONE]":
                continue
            try:
                chunk = json.loads(data)
            except ValueError:
                continue
            if not isinstance(chunk, dict):
                continue
            if "error" in chunk:  # a backend's error in place of a chunk
                error = chunk["error"]
                message = error.get("message", "backend error") if isinstance(error, dict) else error
                out.append(self.error(str(message), "upstream_stream_error"))
                break
            if not self._started:
                self._started = True
                out.append(self._start(chunk))
            if isinstance(chunk.get("usage"), dict):
                self._on_usage(chunk["usage"])
            choices = chunk.get("choices")
            for choice in choices[:1] if isinstance(choices, list) else ():
                if not isinstance(choice, dict):
                    continue
                delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
                thought = reasoning_of(delta)
                if thought:
                    out.append(self._on_reasoning(thought))
                if isinstance(delta.get("content"), str) and delta["content"]:
                    out.append(self._on_text(delta["content"]))
                calls = delta.get("tool_calls")
                for call in calls if isinstance(calls, list) else ():
                    if isinstance(call, dict):
                        out.append(self._on_call(call))
                if isinstance(choice.get("finish_reason"), str):
                    self._on_finish(choice["finish_reason"])
        return b"".join(out)
