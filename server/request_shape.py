"""Is a chat request well formed enough to route? A malformed one is the client's mistake (400),
not a safety refusal (409): the router would fail closed on it, and the client would be told
a human must confirm a request that never said anything.

Only the shape is checked; whatever a message says is the router's business. A request this
rejects is never forwarded, so nothing risky gets through by being malformed.
"""

from __future__ import annotations

from typing import Any


def shape_problem(body: dict[str, Any]) -> str | None:
    """Why `body` cannot be routed as a chat completion, or None when it can."""
    if "messages" not in body:
        return "'messages' is required: a list of {role, content} objects."
    messages = body["messages"]
    if not isinstance(messages, list):
        return f"'messages' must be a list of {{role, content}} objects, not {type(messages).__name__}."
    if not messages:
        return "'messages' must not be empty."
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            return f"'messages[{i}]' must be an object with a string 'role'."
    if not any(m["role"] == "user" for m in messages):
        return "'messages' has no user message: there is nothing to route."
    return None
