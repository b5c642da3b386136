"""A backend's request overrides (`backends.<name>.overrides`), applied to the body it gets in
whichever API it speaks: each API names the same settings differently."""

from __future__ import annotations

from typing import Any

from hrouter.server.config import RequestOverrides

#: the answer-length keys of each API that generates text, the first one the one set when absent
_LENGTH_KEYS = {"chat": ("max_tokens", "max_completion_tokens"), "messages": ("max_tokens",),
                "responses": ("max_output_tokens",), "completions": ("max_tokens",)}


def apply(out: dict[str, Any], overrides: RequestOverrides, api: str | None) -> None:
    """Change `out` (a shallow copy of the request) in place; `api` None changes nothing (a
    request that generates nothing, such as embeddings or a token count)."""
    keys = _LENGTH_KEYS.get(api) if api else None
    if keys is None:
        return
    if overrides.drop_temperature:
        out.pop("temperature", None)
    elif overrides.temperature is not None:
        out["temperature"] = overrides.temperature
    cap = overrides.max_tokens
    if cap is not None:
        given = [k for k in keys if isinstance(out.get(k), int)]
        for key in given:
            out[key] = min(out[key], cap)
        if not given:
            out[keys[0]] = cap
    effort = overrides.reasoning_effort
    if effort is not None:
        if api == "chat":
            out["reasoning_effort"] = effort
        elif api == "responses":
            reasoning = out.get("reasoning") if isinstance(out.get("reasoning"), dict) else {}
            out["reasoning"] = {**reasoning, "effort": effort}
