"""From a parsed chat request to (engine, backend): one route_fast call per request."""

from __future__ import annotations

from typing import Any

import attrs

from hrouter.server.config import ProxyConfig

CONFIRM = "human_confirm"


@attrs.frozen
class Choice:
    engine: str
    #: None when the engine has no backend (answered 502) or needs confirmation (409)
    backend: str | None
    hints: dict[str, Any] | None = None


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


def choose(config: ProxyConfig, router: Any, body: dict[str, Any]) -> Choice:
    messages = body.get("messages")
    if not isinstance(messages, list):
        messages = []  # no conversation: the router fails closed on it
    hints, pinned = _forced(config, router, body.get("model"))
    engine = router.route_fast(messages, hints)
    if engine == CONFIRM:
        return Choice(engine, None, hints)
    return Choice(engine, pinned or config.engine_backends.get(engine), hints)


def confirmation_details(router: Any, body: dict[str, Any], hints: dict[str, Any] | None) -> dict[str, Any]:
    """The receipt's reasons for a 409 (memoized in the router, never the raw prompt)."""
    messages = body.get("messages")
    try:
        decision = router.route(messages if isinstance(messages, list) else [], hints, include_alternatives=False)
    except Exception:  # the refusal stands even if the explanation cannot be built
        return {"reasons": []}
    receipt = decision.to_dict()
    return {"reasons": list(receipt.get("reasons") or []), "fired_rules": list(receipt.get("fired_rules") or [])}
