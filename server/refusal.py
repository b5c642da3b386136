"""The confirmation refusal, once for every API: what it says and why, from the receipt already
built (never the raw prompt). Each API words it in its own error shape; this module decides the
content, so a change to what a refusal carries is made here and reaches every API."""

from __future__ import annotations

from typing import Any

import attrs

from hrouter.server.dispatch import CONFIRM, confirmation_details

STATUS = 409
CODE = "human_confirmation_required"
MESSAGE = "Human confirmation is required before this request can be forwarded."
#: A refusal is final: the same request gets the same answer (the router is deterministic), so
#: clients must not retry it; the OpenAI and Anthropic SDKs otherwise retry every 409.
HEADERS = {"x-routed-engine": CONFIRM, "x-should-retry": "false"}


@attrs.frozen
class Refusal:
    status: int
    message: str
    code: str
    headers: dict[str, str]
    #: inside the API's error object (all an SDK hands a caller)
    error_fields: dict[str, Any]
    #: beside the error object, at the top level of the body
    beside: dict[str, Any]


def refusal_for(decision: Any) -> Refusal:
    in_error, beside = confirmation_details(decision)
    return Refusal(STATUS, MESSAGE, CODE, dict(HEADERS), in_error, {"selected_engine": CONFIRM, **beside})
