"""`POST /v1/completions` and `POST /v1/embeddings`, passed through to a backend that lists
them under its `apis` (there is no faithful chat form of either).

A completion's prompt is routed like a message (and refused like one); a prompt the router
cannot read (token ids) is empty to it, so it fails closed. Embeddings are not routed: the text
is data to index, not a request to act on, and goes to the backend the `model` names when that
one serves embeddings, else to the first backend that does.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hrouter.server.errors import error_response, sse_error_event
from hrouter.server.forwarding import Target, payload_for, send_with_fallbacks
from hrouter.server.gateway import Api, BadRequest, Converted, read_json, serve

COMPLETIONS = Api("completions", "/completions", error_response, sse_error_event)
EMBEDDINGS = Api("embeddings", "/embeddings", error_response, sse_error_event)


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return "\n".join(prompt)
    if isinstance(prompt, list):
        return ""  # token ids: nothing the router can read
    raise BadRequest("prompt: must be a string, a list of strings or token ids.")


def _convert_completion(body: dict[str, Any]) -> Converted:
    return Converted([{"role": "user", "content": _prompt_text(body.get("prompt"))}], body.get("model"),
                     body.get("stream") is True, None)


async def completions(request: Request) -> Response:
    return await serve(request, COMPLETIONS, _convert_completion)


def embeddings_order(config, model: Any) -> tuple[str, ...]:
    speaking = [name for name, b in config.backends.items() if b.speaks("embeddings")]
    named = next((n for n in speaking if model in (n, config.backends[n].model)), None)
    first = named or (speaking[0] if speaking else None)
    if first is None:
        return ()
    return tuple(b for b in config.attempt_order(first) if config.backends[b].speaks("embeddings"))


async def embeddings(request: Request) -> Response:
    read = await read_json(request, EMBEDDINGS)
    if isinstance(read, Response):
        return read
    body, _ = read
    state = request.app.state.proxy
    if not isinstance(body.get("input"), (str, list)):
        return error_response(400, "input: must be a string or a list.", "invalid_request_error")
    order = embeddings_order(state.config, body.get("model"))
    if not order:
        return error_response(502, "No backend serves embeddings; list embeddings under a backend's apis.",
                              "routing_backend_missing")
    sent_at = time.perf_counter()
    attempts = await send_with_fallbacks(state.pool, order, None, request.scope["state"]["request_id"], False,
                                         lambda b: Target(EMBEDDINGS.path, payload_for(body, b, None)),
                                         trace=request.scope["state"].get("trace"))
    response = attempts.response
    upstream_s = time.perf_counter() - sent_at
    trace = request.scope["state"].get("trace")
    if trace is not None:  # not routed: the span names the backend that answered, or the last tried
        answered = attempts.backend or attempts.failures[-1].backend
        trace.routed(model=body.get("model"), decision=None, engine="embeddings", backend=answered,
                     backend_model=state.config.backends[answered].model, status=0,
                     fallback=attempts.fallback_used, confirmation_id=None)
    if response is None:
        status = 504 if attempts.timed_out() else 502
        state.metrics.observe_request("embeddings", attempts.failures[-1].backend, status, None, upstream_s,
                                      fallback=attempts.fallback_used)
        return error_response(status, f"No backend could answer: {attempts.summary()}.",
                              "upstream_timeout" if status == 504 else "upstream_unavailable",
                              headers={"x-routed-backend": attempts.failures[-1].backend})
    state.metrics.observe_request("embeddings", attempts.backend, response.status_code, None, upstream_s,
                                  fallback=attempts.fallback_used)
    return Response(response.content, status_code=response.status_code,
                    headers={"content-type": response.headers.get("content-type", "application/json"),
                             "x-routed-backend": attempts.backend})
