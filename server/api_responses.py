"""`POST /v1/responses`: the OpenAI Responses API (Codex CLI's, the Agents SDK's), routed like
chat, answered and refused in the OpenAI shapes. A request carrying `previous_response_id` goes
back to the backend that created that response."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hrouter.server.config import ProxyConfig
from hrouter.server.errors import error_response
from hrouter.server.gateway import Api, BadRequest, Converted, serve
from hrouter.server.response_store import ResponseStore
from hrouter.server.translate_responses import (
    ResponsesStream,
    assistant_message,
    chat_messages,
    chat_request,
    error_event,
    input_messages,
    response_from_chat,
)

RESPONSES = Api("responses", "/responses", error_response, error_event)


def converter(store: ResponseStore, config: ProxyConfig):
    def convert(body: dict[str, Any]) -> Converted:
        previous = body.get("previous_response_id")
        if previous is not None and not isinstance(previous, str):
            raise BadRequest("previous_response_id: must be a string.")
        given = body.get("input")
        if not isinstance(given, (str, list)):
            raise BadRequest("input: must be a string or a list of input items.")
        prior = store.conversation(previous) if previous else None
        stored = store.get(previous) if previous else None
        pinned = stored.backend if stored is not None and stored.backend in config.backends else None
        messages = chat_messages(body, prior)
        turn = input_messages(given)

        def chat_body() -> dict[str, Any]:
            if previous and prior is None:
                raise BadRequest(f"Previous response with id '{previous}' not found.")
            return chat_request(body, messages)

        def remember(backend: str, answer: dict[str, Any]) -> None:
            response_id = answer.get("id")
            if body.get("store") is False or not isinstance(response_id, str):
                return  # the caller keeps its own history (Codex CLI does)
            reply = assistant_message(answer)
            store.put(response_id, backend, previous, turn + ([reply] if reply else []))

        return Converted(messages, body.get("model"), body.get("stream") is True, chat_body,
                         lambda chat: response_from_chat(body, chat), lambda done: ResponsesStream(body, done),
                         remember, ("response.completed", "response"), pinned)

    return convert


async def responses(request: Request) -> Response:
    state = request.app.state.proxy
    return await serve(request, RESPONSES, converter(state.responses, state.config))
