"""Anthropic Messages <-> chat completions: one converter each way.

`routing_messages` is what the router reads: Claude Code wraps project instructions and
environment notes in `<system-reminder>` blocks inside user turns; they are not the user's own
words, so they move to system messages (which safety judges and routing ignores). A turn made
only of tool results is the tools talking, not the user: its results become tool messages
(safety reads them), and an image a tool returned (a screenshot read from disk) counts as an
image of the user turn that started the exchange: vision input, not an empty, risky turn.

`chat_request` is the faithful translation for a backend that speaks only chat: every word
kept (reminders included), tool_use ids as tool call ids and tool_result ids as tool_call_id, so
a tool round trip survives both ways. `message_from_chat` and `MessagesStream` translate the
answer back, the latter event by event (message_start, content_block_start, text_delta,
input_json_delta, content_block_stop, message_delta, message_stop).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from hrouter.server import sse
from hrouter.server.gateway import BadRequest

_REMINDER = re.compile(r"<system-reminder>.*?(?:</system-reminder>|\Z)", re.S)
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "function_call": "tool_use",
                 "content_filter": "refusal"}
#: what an image costs in a local estimate: Anthropic's figure for a full-size image
_IMAGE_TOKENS = 1600


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _system_text(system: Any) -> str:
    return "\n".join(b["text"] for b in _blocks(system) if b.get("type") == "text" and isinstance(b.get("text"), str))


def _image_url(block: dict[str, Any]) -> str:
    source = block.get("source") if isinstance(block.get("source"), dict) else {}
    if source.get("type") == "url":
        return str(source.get("url", ""))
    return f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"


def _image_part(block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": _image_url(block)}}


def _result_parts(block: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """A tool_result's text and its images."""
    texts, images = [], []
    for part in _blocks(block.get("content")):
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif part.get("type") == "image":
            images.append(part)
    return "\n".join(texts), images


def _tool_calls(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": str(b.get("id") or f"toolu_{uuid.uuid4().hex[:24]}"), "type": "function",
             "function": {"name": str(b.get("name", "")),
                          "arguments": json.dumps(b.get("input") if b.get("input") is not None else {},
                                                  ensure_ascii=False)}}
            for b in blocks if b.get("type") == "tool_use"]


def _assistant(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    text = "".join(b["text"] for b in blocks if b.get("type") == "text" and isinstance(b.get("text"), str))
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    calls = _tool_calls(blocks)
    if calls:
        message["tool_calls"] = calls
    return message


def _turns(body: dict[str, Any]) -> list[Any]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise BadRequest("messages: must be a list of {role, content} objects.")
    return messages


def chat_messages(body: dict[str, Any], routing: bool) -> list[dict[str, Any]]:
    """The conversation as chat messages: for the router (`routing`) or for a chat backend."""
    out: list[dict[str, Any]] = []
    system = _system_text(body.get("system"))
    if system:
        out.append({"role": "system", "content": system})
    words_turn: list[dict[str, Any]] | None = None  # the parts of the latest turn in the user's own words
    for message in _turns(body):
        if not isinstance(message, dict):
            continue
        blocks = _blocks(message.get("content"))
        if message.get("role") == "assistant":
            out.append(_assistant(blocks))
            continue
        if message.get("role") != "user":
            continue
        parts: list[dict[str, Any]] = []
        returned: list[dict[str, Any]] = []  # images the tools returned
        for block in blocks:
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                text = block["text"]
                if routing:
                    out.extend({"role": "system", "content": r} for r in _REMINDER.findall(text))
                    text = _REMINDER.sub("", text)
                if text.strip() or not routing:
                    parts.append({"type": "text", "text": text})
            elif kind == "image":
                parts.append(_image_part(block))
            elif kind == "tool_result":
                # Tool results answer the assistant's calls, so they come first; chat tool
                # messages carry text only, so a returned image follows as the user's.
                text, images = _result_parts(block)
                if block.get("is_error") is True:
                    text = f"Error: {text}"
                out.append({"role": "tool", "tool_call_id": str(block.get("tool_use_id", "")), "content": text})
                returned.extend(images)
        if routing:
            if parts:
                out.append({"role": "user", "content": parts})
                words_turn = parts
            if returned and words_turn is not None:
                words_turn.append({"type": "image_url", "image_url": {"url": "tool_result"}})
            continue
        parts.extend(_image_part(image) for image in returned)
        if parts:
            only_text = all(p["type"] == "text" for p in parts)
            out.append({"role": "user", "content": "\n".join(p["text"] for p in parts) if only_text else parts})
    return out


def routing_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return chat_messages(body, routing=True)


_COPIED = (("temperature", "temperature"), ("top_p", "top_p"), ("stop_sequences", "stop"), ("max_tokens", "max_tokens"))


def _tool_choice(choice: Any) -> Any:
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "tool":
        return {"type": "function", "function": {"name": str(choice.get("name", ""))}}
    return {"auto": "auto", "any": "required", "none": "none"}.get(kind)


def chat_request(body: dict[str, Any]) -> dict[str, Any]:
    messages = chat_messages(body, routing=False)
    out: dict[str, Any] = {"model": body.get("model"), "messages": messages}
    for theirs, ours in _COPIED:
        if body.get(theirs) is not None:
            out[ours] = body[theirs]
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        out["tools"] = [{"type": "function", "function": {
            "name": t.get("name"), "description": t.get("description", ""),
            "parameters": t.get("input_schema") or {"type": "object", "properties": {}}}}
            for t in tools if isinstance(t, dict) and t.get("name")]
        choice = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            out["tool_choice"] = choice
        if isinstance(body.get("tool_choice"), dict) and body["tool_choice"].get("disable_parallel_tool_use") is True:
            out["parallel_tool_calls"] = False
    if body.get("stream") is True:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def _arguments(text: Any) -> Any:
    try:
        value = json.loads(text) if isinstance(text, str) and text.strip() else {}
    except ValueError:
        return {"_raw_arguments": text}  # a malformed call is kept, not dropped
    return value if isinstance(value, dict) else {"value": value}


def _message_id(chat: dict[str, Any]) -> str:
    return f"msg_{chat.get('id') or uuid.uuid4().hex}"


def _stop_reason(finish_reason: object) -> str:
    """A backend's finish_reason as a stop_reason; anything odd (a list, a number) is end_turn."""
    return _STOP_REASONS.get(finish_reason, "end_turn") if isinstance(finish_reason, str) else "end_turn"


def message_from_chat(chat: dict[str, Any]) -> dict[str, Any]:
    choice = chat["choices"][0] if isinstance(chat["choices"][0], dict) else {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    content: list[dict[str, Any]] = []
    thought = sse.reasoning_of(message)
    if thought:
        content.append({"type": "thinking", "thinking": thought, "signature": ""})
    if isinstance(message.get("content"), str) and message["content"]:
        content.append({"type": "text", "text": message["content"]})
    for call in sse.tool_calls_of(message):
        function = sse.function_of(call)
        content.append({"type": "tool_use", "id": call.get("id") or f"toolu_{uuid.uuid4().hex[:24]}",
                        "name": function.get("name", ""), "input": _arguments(function.get("arguments"))})
    usage = chat.get("usage") if isinstance(chat.get("usage"), dict) else {}
    return {"id": _message_id(chat), "type": "message", "role": "assistant", "model": chat.get("model", ""),
            "content": content, "stop_reason": _stop_reason(choice.get("finish_reason")),
            "stop_sequence": None,
            "usage": {"input_tokens": usage.get("prompt_tokens", 0), "output_tokens": usage.get("completion_tokens", 0)}}


def error_body(message: str, type_: str, error_fields: dict[str, Any] | None = None, **beside: Any) -> dict[str, Any]:
    return {"type": "error", "error": {"type": type_, "message": message, **(error_fields or {})}, **beside}


class MessagesStream(sse.ChatStreamTranslator):
    """A chat completions stream as Anthropic's events."""

    def __init__(self) -> None:
        super().__init__()
        self._index = -1  # the current content block
        self._open: str | None = None  # "text", or "tool<chat index>" for the open tool_use block
        self._stop_reason = "end_turn"
        self._usage = {"input_tokens": 0, "output_tokens": 0}

    def _start(self, chunk: dict[str, Any]) -> bytes:
        return sse.event("message_start", {"type": "message_start", "message": {
            "id": _message_id(chunk), "type": "message", "role": "assistant", "model": chunk.get("model", ""),
            "content": [], "stop_reason": None, "stop_sequence": None, "usage": dict(self._usage)}})

    def _close_block(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return sse.event("content_block_stop", {"type": "content_block_stop", "index": self._index})

    def _open_block(self, key: str, block: dict[str, Any]) -> bytes:
        out = self._close_block()
        self._index += 1
        self._open = key
        return out + sse.event("content_block_start", {"type": "content_block_start", "index": self._index,
                                                       "content_block": block})

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return sse.event("content_block_delta", {"type": "content_block_delta", "index": self._index, "delta": delta})

    def _on_usage(self, usage: dict[str, Any]) -> None:
        self._usage = {"input_tokens": usage.get("prompt_tokens", 0) or 0,
                       "output_tokens": usage.get("completion_tokens", 0) or 0}

    def _on_text(self, text: str) -> bytes:
        out = self._open_block("text", {"type": "text", "text": ""}) if self._open != "text" else b""
        return out + self._delta({"type": "text_delta", "text": text})

    def _on_reasoning(self, text: str) -> bytes:
        out = b""
        if self._open != "thinking":
            out = self._open_block("thinking", {"type": "thinking", "thinking": "", "signature": ""})
        return out + self._delta({"type": "thinking_delta", "thinking": text})

    def _on_call(self, call: dict[str, Any]) -> bytes:
        key = f"tool{call.get('index', 0)}"
        function = sse.function_of(call)
        out = b""
        if self._open != key:
            out = self._open_block(key, {"type": "tool_use", "id": call.get("id") or f"toolu_{uuid.uuid4().hex[:24]}",
                                         "name": function.get("name", ""), "input": {}})
        if function.get("arguments"):
            out += self._delta({"type": "input_json_delta", "partial_json": function["arguments"]})
        return out

    def _on_finish(self, reason: str) -> None:
        self._stop_reason = _stop_reason(reason)

    def close(self) -> bytes:
        if self._ended:
            return b""
        self._ended = True
        out = [b"" if self._started else self._start({}), self._close_block()]
        self._started = True
        out.append(sse.event("message_delta", {"type": "message_delta",
                                               "delta": {"stop_reason": self._stop_reason, "stop_sequence": None},
                                               "usage": dict(self._usage)}))
        out.append(sse.event("message_stop", {"type": "message_stop"}))
        return b"".join(out)

    def error(self, message: str, type_: str) -> bytes:
        self._ended = True
        return sse.event("error", error_body(message, type_))


def estimate_tokens(body: dict[str, Any]) -> int:
    """A local count when no backend can count: about four characters a token over everything
    the model would read, images at Anthropic's full-size cost."""
    chars = len(_system_text(body.get("system")))
    images = 0
    for message in body.get("messages") if isinstance(body.get("messages"), list) else ():
        for block in _blocks(message.get("content") if isinstance(message, dict) else None):
            kind = block.get("type")
            if kind == "image":
                images += 1
            elif kind == "tool_result":
                text, found = _result_parts(block)
                chars += len(text)
                images += len(found)
            else:
                chars += len(json.dumps({k: v for k, v in block.items() if k != "type"}, ensure_ascii=False))
    if isinstance(body.get("tools"), list):
        chars += len(json.dumps(body["tools"], ensure_ascii=False))
    return max(1, (chars + 3) // 4 + images * _IMAGE_TOKENS)
