"""OpenAI Responses <-> chat completions: one converter each way.

`chat_messages` reads `instructions` (the system prompt) and `input` (a string, or items:
messages with input_text/input_image/output_text parts, function_call, function_call_output)
as chat messages; the router reads them as it reads chat, and a backend that speaks only chat
gets them (after the stored conversation a `previous_response_id` names). `response_from_chat`
and `ResponsesStream` translate the answer back: output items (message, function_call), usage,
and the streaming events (response.created, response.output_item.added,
response.content_part.added, response.output_text.delta, response.function_call_arguments.delta,
the matching .done events, response.completed).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Callable

from hrouter.server import sse

_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _parts(content: Any) -> Any:
    """A Responses message's content as chat content (a string stays a string)."""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in _TEXT_PARTS and isinstance(part.get("text"), str):
            parts.append({"type": "text", "text": part["text"]})
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            parts.append({"type": "text", "text": part["refusal"]})
        elif kind == "input_image":
            url = part.get("image_url") or part.get("file_id") or ""
            image = {"url": url}
            if part.get("detail") in ("low", "high", "auto"):
                image["detail"] = part["detail"]
            parts.append({"type": "image_url", "image_url": image})
    if parts and all(p["type"] == "text" for p in parts):
        return "\n".join(p["text"] for p in parts)
    return parts


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "\n".join(p.get("text", "") for p in output if isinstance(p, dict) and isinstance(p.get("text"), str))
    return json.dumps(output, ensure_ascii=False)


def input_messages(value: Any) -> list[dict[str, Any]]:
    """`input` as chat messages; consecutive function calls become one assistant turn."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    out: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else ():
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message" and item.get("role") in ("user", "assistant", "system", "developer"):
            out.append({"role": item["role"], "content": _parts(item.get("content"))})
        elif kind in ("function_call", "custom_tool_call"):
            arguments = (str(item.get("arguments", "")) if kind == "function_call"
                         else json.dumps({"input": str(item.get("input", ""))}, ensure_ascii=False))
            call = {"id": str(item.get("call_id") or item.get("id") or ""), "type": "function",
                    "function": {"name": str(item.get("name", "")), "arguments": arguments}}
            last = out[-1] if out else None
            if last is not None and last["role"] == "assistant" and last.get("tool_calls") and not last.get("content"):
                last["tool_calls"].append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind in ("function_call_output", "custom_tool_call_output"):
            out.append({"role": "tool", "tool_call_id": str(item.get("call_id", "")),
                        "content": _output_text(item.get("output"))})
    return out


def chat_messages(body: dict[str, Any], prior: list[Any] | None) -> list[dict[str, Any]]:
    """The whole conversation: instructions, the stored turns before it, then its input."""
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        messages.append({"role": "system", "content": body["instructions"]})
    return messages + list(prior or ()) + input_messages(body.get("input"))


#: A custom (free-form) tool as a chat function: its raw input is the one string argument.
_CUSTOM_PARAMETERS = {"type": "object", "required": ["input"], "properties": {
    "input": {"type": "string", "description": "The tool's whole input, in the format its description gives."}}}


def custom_tools(body: dict[str, Any]) -> frozenset[str]:
    """The names of the request's custom tools (Codex CLI's apply_patch, for one)."""
    tools = body.get("tools")
    return frozenset(t["name"] for t in tools if isinstance(t, dict) and t.get("type") == "custom"
                     and isinstance(t.get("name"), str)) if isinstance(tools, list) else frozenset()


def _custom_description(tool: dict[str, Any]) -> str:
    description = str(tool.get("description") or "")
    form = tool.get("format") if isinstance(tool.get("format"), dict) else {}
    if form.get("type") == "grammar" and isinstance(form.get("definition"), str):
        description += f"\n\nThe input follows this {form.get('syntax', '')} grammar:\n{form['definition']}"
    return description


def _tools(tools: Any) -> list[dict[str, Any]]:
    """Function and custom tools as chat tools; hosted tools (web_search, file_search, ...) have
    no chat form."""
    out = []
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"]:
            continue
        if tool.get("type") == "function":
            function = {"name": tool["name"], "description": tool.get("description") or "",
                        "parameters": tool.get("parameters") or {"type": "object", "properties": {}}}
            if isinstance(tool.get("strict"), bool):
                function["strict"] = tool["strict"]
            out.append({"type": "function", "function": function})
        elif tool.get("type") == "custom":
            out.append({"type": "function", "function": {"name": tool["name"], "description": _custom_description(tool),
                                                         "parameters": _CUSTOM_PARAMETERS}})
    return out


def _custom_input(arguments: str) -> str:
    """A custom tool's raw input from the chat call's arguments ({"input": ...})."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    return value["input"] if isinstance(value, dict) and isinstance(value.get("input"), str) else arguments


def _tool_choice(choice: Any) -> Any:
    if choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    return None


def chat_request(body: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"model": body.get("model"), "messages": messages}
    for theirs, ours in (("temperature", "temperature"), ("top_p", "top_p"), ("max_output_tokens", "max_tokens"),
                         ("parallel_tool_calls", "parallel_tool_calls"), ("user", "user")):
        if body.get(theirs) is not None:
            out[ours] = body[theirs]
    tools = _tools(body.get("tools"))
    if tools:
        out["tools"] = tools
        choice = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            out["tool_choice"] = choice
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and isinstance(reasoning.get("effort"), str):
        out["reasoning_effort"] = reasoning["effort"]
    text_format = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    if isinstance(text_format, dict):
        if text_format.get("type") == "json_schema":
            out["response_format"] = {"type": "json_schema", "json_schema": {
                k: text_format[k] for k in ("name", "schema", "strict", "description") if k in text_format}}
        elif text_format.get("type") == "json_object":
            out["response_format"] = {"type": "json_object"}
    if body.get("stream") is True:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def _usage(usage: Any) -> dict[str, Any]:
    usage = usage if isinstance(usage, dict) else {}
    given, made = usage.get("prompt_tokens", 0) or 0, usage.get("completion_tokens", 0) or 0
    return {"input_tokens": given, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": made,
            "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": given + made}


def _response(body: dict[str, Any], response_id: str, status: str, output: list[Any], model: str,
              usage: dict[str, Any] | None, created: int, incomplete: bool = False) -> dict[str, Any]:
    return {
        "id": response_id, "object": "response", "created_at": created, "status": status,
        "model": model, "output": output, "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"), "metadata": body.get("metadata") or {},
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "temperature": body.get("temperature"), "top_p": body.get("top_p"),
        "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [],
        "text": body.get("text") or {"format": {"type": "text"}},
        "max_output_tokens": body.get("max_output_tokens"), "usage": usage,
    }


def _message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {"type": "message", "id": item_id, "status": status, "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}] if status == "completed" or text else []}


def _reasoning_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {"type": "reasoning", "id": item_id, "status": status, "summary": [],
            "content": [{"type": "reasoning_text", "text": text}] if text else []}


def _call_item(item_id: str, call_id: str, name: str, arguments: str, status: str) -> dict[str, Any]:
    return {"type": "function_call", "id": item_id, "call_id": call_id, "name": name, "arguments": arguments,
            "status": status}


def _custom_item(item_id: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"type": "custom_tool_call", "id": item_id, "call_id": call_id, "name": name,
            "input": _custom_input(arguments)}


def response_from_chat(body: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
    choice = chat["choices"][0] if isinstance(chat["choices"][0], dict) else {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    output: list[dict[str, Any]] = []
    thought = sse.reasoning_of(message)
    if thought:
        output.append(_reasoning_item(_id("rs"), thought, "completed"))
    if isinstance(message.get("content"), str) and message["content"]:
        output.append(_message_item(_id("msg"), message["content"], "completed"))
    for call in sse.tool_calls_of(message):
        function = sse.function_of(call)
        name, arguments = str(function.get("name", "")), str(function.get("arguments") or "")
        call_id = str(call.get("id") or _id("call"))
        output.append(_custom_item(_id("ctc"), call_id, name, arguments) if name in custom_tools(body)
                      else _call_item(_id("fc"), call_id, name, arguments, "completed"))
    incomplete = choice.get("finish_reason") == "length"
    return _response(body, _id("resp"), "incomplete" if incomplete else "completed", output,
                     str(chat.get("model", "")), _usage(chat.get("usage")), int(time.time()), incomplete)


def assistant_message(response: dict[str, Any]) -> dict[str, Any] | None:
    """A Responses answer's output as the chat assistant turn it stands for."""
    texts, calls = [], []
    for item in response.get("output") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "message":
            texts.extend(p.get("text", "") for p in item.get("content") or () if isinstance(p, dict)
                         and p.get("type") == "output_text")
        elif item.get("type") == "custom_tool_call":
            calls.append({"id": str(item.get("call_id", "")), "type": "function", "function": {
                "name": str(item.get("name", "")), "arguments": json.dumps({"input": str(item.get("input", ""))})}})
        elif item.get("type") == "function_call":
            calls.append({"id": str(item.get("call_id", "")), "type": "function",
                          "function": {"name": str(item.get("name", "")), "arguments": str(item.get("arguments", ""))}})
    if not texts and not calls:
        return None
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def error_event(message: str, type_: str, sequence_number: int = 0) -> bytes:
    """A stream's final error, as the Responses API sends it (and with an `error` object, on
    which the openai client raises)."""
    return sse.event("error", {"type": "error", "code": type_, "message": message, "param": None,
                               "sequence_number": sequence_number,
                               "error": {"type": type_, "code": type_, "message": message}})


class ResponsesStream(sse.ChatStreamTranslator):
    """A chat completions stream as Responses events; `done` gets the completed response."""

    def __init__(self, body: dict[str, Any], done: Callable[[dict[str, Any]], None] | None = None):
        super().__init__()
        self._body, self._done = body, done
        self._custom = custom_tools(body)
        self._id, self._created = _id("resp"), int(time.time())
        self._model = ""
        self._seq = 0
        self._output: list[dict[str, Any]] = []  # items in output order, updated in place
        self._text: dict[str, Any] | None = None  # the open message item
        self._thought: dict[str, Any] | None = None  # the open reasoning item
        self._calls: dict[int, dict[str, Any]] = {}  # chat tool-call index -> its item
        self._usage: dict[str, Any] | None = None
        self._incomplete = False

    def _emit(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return sse.event(kind, data)

    def _snapshot(self, status: str) -> dict[str, Any]:
        return _response(self._body, self._id, status, self._output, self._model, self._usage, self._created,
                         self._incomplete)

    def _start(self, chunk: dict[str, Any]) -> bytes:
        self._model = str(chunk.get("model", ""))
        created = self._snapshot("in_progress")
        return (self._emit("response.created", response={**created, "output": []})
                + self._emit("response.in_progress", response={**created, "output": []}))

    def _close_thought(self) -> bytes:
        item, self._thought = self._thought, None
        if item is None:
            return b""
        index, text = self._output.index(item), item.pop("_text")
        item.update(_reasoning_item(item["id"], text, "completed"))
        return (self._emit("response.reasoning_text.done", item_id=item["id"], output_index=index, content_index=0,
                           text=text)
                + self._emit("response.output_item.done", output_index=index, item=item))

    def _on_reasoning(self, text: str) -> bytes:
        out = b""
        if self._thought is None:
            out += self._close_text()
            item = {**_reasoning_item(_id("rs"), "", "in_progress"), "_text": ""}
            self._output.append(item)
            self._thought = item
            out += self._emit("response.output_item.added", output_index=len(self._output) - 1,
                              item={k: v for k, v in item.items() if k != "_text"})
        self._thought["_text"] += text
        return out + self._emit("response.reasoning_text.delta", item_id=self._thought["id"],
                                output_index=self._output.index(self._thought), content_index=0, delta=text)

    def _close_text(self) -> bytes:
        item, self._text = self._text, None
        if item is None:
            return b""
        index, text = self._output.index(item), item["_text"]
        part = {"type": "output_text", "text": text, "annotations": []}
        del item["_text"]
        item.update(_message_item(item["id"], text, "completed"))
        return (self._emit("response.output_text.done", item_id=item["id"], output_index=index, content_index=0,
                           text=text, logprobs=[])
                + self._emit("response.content_part.done", item_id=item["id"], output_index=index,
                             content_index=0, part=part)
                + self._emit("response.output_item.done", output_index=index, item=item))

    def _on_text(self, text: str) -> bytes:
        out = self._close_thought()
        if self._text is None:
            item = {**_message_item(_id("msg"), "", "in_progress"), "_text": ""}
            self._output.append(item)
            self._text = item
            index = len(self._output) - 1
            shown = {k: v for k, v in item.items() if k != "_text"}
            out += (self._emit("response.output_item.added", output_index=index, item=shown)
                    + self._emit("response.content_part.added", item_id=item["id"], output_index=index,
                                 content_index=0, part={"type": "output_text", "text": "", "annotations": []}))
        self._text["_text"] += text
        return out + self._emit("response.output_text.delta", item_id=self._text["id"],
                                output_index=self._output.index(self._text), content_index=0, delta=text,
                                logprobs=[])

    def _on_call(self, call: dict[str, Any]) -> bytes:
        out = b""
        index = call.get("index", 0)
        function = sse.function_of(call)
        item = self._calls.get(index)
        if item is None:
            out += self._close_thought() + self._close_text()
            item = _call_item(_id("fc"), str(call.get("id") or _id("call")), str(function.get("name", "")), "",
                              "in_progress")
            self._calls[index] = item
            self._output.append(item)
            shown = (_custom_item(item["id"], item["call_id"], item["name"], "") if item["name"] in self._custom
                     else dict(item))
            out += self._emit("response.output_item.added", output_index=len(self._output) - 1, item=shown)
        if function.get("arguments"):
            item["arguments"] += function["arguments"]
            if item["name"] not in self._custom:  # a custom tool's input is sent whole, once unwrapped
                out += self._emit("response.function_call_arguments.delta", item_id=item["id"],
                                  output_index=self._output.index(item), delta=function["arguments"])
        return out

    def _on_usage(self, usage: dict[str, Any]) -> None:
        self._usage = _usage(usage)

    def _on_finish(self, reason: str) -> None:
        self._incomplete = reason == "length"

    def close(self) -> bytes:
        if self._ended:
            return b""
        self._ended = True
        out = [b"" if self._started else self._start({}), self._close_thought(), self._close_text()]
        self._started = True
        for item in self._calls.values():
            index = self._output.index(item)
            if item["name"] in self._custom:
                custom = _custom_item(item["id"], item["call_id"], item["name"], item["arguments"])
                item.clear()
                item.update(custom)
                out.append(self._emit("response.custom_tool_call_input.delta", item_id=item["id"],
                                      output_index=index, delta=item["input"]))
                out.append(self._emit("response.custom_tool_call_input.done", item_id=item["id"],
                                      output_index=index, input=item["input"]))
            else:
                item["status"] = "completed"
                out.append(self._emit("response.function_call_arguments.done", item_id=item["id"],
                                      output_index=index, name=item["name"], arguments=item["arguments"]))
            out.append(self._emit("response.output_item.done", output_index=index, item=dict(item)))
        if self._usage is None:
            self._usage = _usage(None)
        final = self._snapshot("incomplete" if self._incomplete else "completed")
        out.append(self._emit("response.incomplete" if self._incomplete else "response.completed", response=final))
        if self._done is not None:
            self._done(final)
        return b"".join(out)

    def error(self, message: str, type_: str) -> bytes:
        self._ended = True
        return error_event(message, type_, self._seq)
