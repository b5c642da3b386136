"""A chat request body read strictly: refuse what a backend could read differently from us.

The proxy routes on its reading of the body and forwards the body it read, so anything two
JSON readers may take differently is refused (400) rather than forwarded:

- non-standard JSON: `NaN`, `Infinity`, and numbers too large for a double (`1e400`), which
  Python reads as infinity and other readers refuse or read as something else;
- nesting deeper than the parser's recursion limit (about a thousand levels; a 100k-deep
  document is answered 400, not a 500);
- lone UTF-16 surrogates (`"\\ud800"`): not text, and not encodable as UTF-8 to forward;
- `stream` that is not a boolean (`"true"` would be forwarded and read as streaming by a
  backend while the proxy waits for one JSON answer);
- `n`, `max_tokens` and `max_completion_tokens` that are not positive integers within the
  configured caps (`proxy.max_n`, `proxy.max_tokens`).
"""

from __future__ import annotations

import json
import math
from typing import Any

class BodyRefused(ValueError):
    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param

    def fields(self) -> dict[str, Any]:
        return {"param": self.param} if self.param else {}


def _constant(name: str) -> Any:
    raise BodyRefused(f"Request body must be standard JSON: {name} is not a JSON number.")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BodyRefused(f"Request body must be standard JSON: {text[:40]} is out of range for a number.")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_json(raw: bytes) -> Any:
    """Standard JSON only; BodyRefused says what is wrong without quoting the body."""
    try:
        value = json.loads(raw, parse_constant=_constant, parse_float=_float)
    except BodyRefused:
        raise
    except RecursionError:
        raise BodyRefused("Request body is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError):
        raise BodyRefused("Request body must be valid JSON.") from None
    # Lone surrogates can only come from \\uD800-\\uDFFF escapes: skip the walk without one.
    lowered = raw.lower()
    if b"\\ud" in lowered and _has_lone_surrogate(value):
        raise BodyRefused("Request body has a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is not text.")
    return value


def _positive_int(body: dict[str, Any], key: str, cap: int, knob: str) -> None:
    value = body.get(key)
    if value is None:
        return
    if type(value) is not int or value < 1:
        raise BodyRefused(f"{key} must be a positive integer.", key)
    if value > cap:
        raise BodyRefused(f"{key} {value} is larger than this proxy allows (proxy.{knob}: {cap}).", key)


def parse_chat_body(raw: bytes, settings: Any) -> dict[str, Any]:
    """The chat request as a dict, or BodyRefused; `settings` is the config's proxy section."""
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise BodyRefused("Request body must be a JSON object.")
    stream = body.get("stream")
    if stream is not None and type(stream) is not bool:
        raise BodyRefused("stream must be true or false (a JSON boolean, not a string).", "stream")
    _positive_int(body, "n", settings.max_n, "max_n")
    for key in ("max_tokens", "max_completion_tokens"):
        _positive_int(body, key, settings.max_tokens, "max_tokens")
    return body
