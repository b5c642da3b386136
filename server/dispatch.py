"""From a parsed chat request to (engine, backend): one routing call per request.

`route` gives the engine and its receipt together, so the engine, a refusal's reasons and the
routing event all come from one decision; nothing routes the prompt a second time. For a conversation
(what the proxy always routes) `route` costs what `route_fast` does: 40 to 90 microseconds
either way on the default rules, and both memoise by the same feature bits.
"""

from __future__ import annotations

from typing import Any

import attrs

from hrouter.engine.catalog import CONFIRM_TARGET
from hrouter.server.config import ProxyConfig

CONFIRM = "human_confirm"


@attrs.frozen
class Choice:
    engine: str
    #: None when the engine has no backend (answered 502) or needs confirmation (409)
    backend: str | None
    hints: dict[str, Any] | None = None
    #: the receipt (RoutingDecision) of the request's one routing call
    decision: Any = None


def _forced(config: ProxyConfig, router: Any, model: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Hints and a pinned backend for a request whose `model` names an engine or a backend.

    The proxy's own model ids (and unknown names, e.g. an agent's default "gpt-4o") mean
    "route it". Forcing goes through the router as a hint, so confirmation still applies.
    """
    if not isinstance(model, str) or not model or model in config.proxy.model_ids:
        return None, None
    engines = getattr(getattr(router, "catalog", None), "engines", None) or {}
    if model in config.engine_backends or model in engines:
        return {"force_engine": model}, None
    if model in config.backends:
        serving = next((e for e, b in config.engine_backends.items() if b == model), None)
        return ({"force_engine": serving} if serving else None), model
    return None, None


def unknown_model(config: ProxyConfig, router: Any, model: Any) -> str | None:
    """The request's `model` when it names nothing the proxy knows (an agent's default "gpt-4o",
    a typo of an engine), printable and bounded for a header; None when it is known or absent."""
    if not isinstance(model, str) or not model or model in config.proxy.model_ids:
        return None
    engines = getattr(getattr(router, "catalog", None), "engines", None) or {}
    if model in config.engine_backends or model in engines or model in config.backends:
        return None
    return "".join(c for c in model if c.isprintable() and c.isascii())[:100] or "?"


def choose(config: ProxyConfig, router: Any, body: dict[str, Any]) -> Choice:
    # The whole body: rules may test its tools, tool_choice, reasoning parameters and model id.
    # Without a message list there is no conversation: the router fails closed on it.
    request = body if isinstance(body.get("messages"), list) else []
    hints, pinned = _forced(config, router, body.get("model"))
    decision = router.route(request, hints, include_alternatives=False)  # never raises: fails closed
    engine = decision.selected_engine
    if engine == CONFIRM:
        return Choice(engine, None, hints, decision)
    return Choice(engine, pinned or config.engine_backends.get(engine), hints, decision)


def confirmation_details(decision: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a 409 says about why, from the receipt already built (never the raw prompt): the
    fields for its `error` object and for the top level.

    Top level, as before: `reasons` and `fired_rules` ({rule, loc} each). Inside `error`, the
    reasons and the rule ids, because an OpenAI SDK hands a caller only that object (`e.body`)."""
    reasons = [str(r) for r in decision.reasons]
    fired = [{"rule": f.rule, "loc": f.loc} for f in decision.fired_rules]
    return {"reasons": reasons, "fired_rules": [f["rule"] for f in fired]}, {"reasons": reasons, "fired_rules": fired}


def unavailable_details(decision: Any) -> dict[str, Any] | None:
    """When the gate was reached for want of an engine (the rules chose a target, and no engine
    in its fallback chain is available or able), which engines were skipped and why; None for a
    refusal the rules made. Such a request is not a safety refusal: it is answered 503, and it
    is not forwarded either way."""
    if decision.selected_target == CONFIRM_TARGET or decision.availability_valid:
        return None
    skipped = [{"engine": r.engine, "reason": r.reason} for r in decision.rejected_engines]
    return {"target": decision.selected_target, "rejected_engines": skipped}
