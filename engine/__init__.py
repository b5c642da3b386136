"""The runtime: an artifact plus an engine catalog -> ``ModelRouter.route_fast`` / ``route``.

Never imports lark, starlette, httpx or uvicorn. The public names are loaded lazily so that
importing a submodule (``hrouter.engine.artifact`` from the compiler) stays cheap.
"""

from __future__ import annotations

__all__ = ["ModelRouter", "RouterConfigError", "RoutingDecision", "RoutingHints", "route_prompt"]

_HOME = {
    "ModelRouter": "hrouter.engine.router",
    "RouterConfigError": "hrouter.engine.router",
    "route_prompt": "hrouter.engine.router",
    "RoutingDecision": "hrouter.engine.receipt",
    "RoutingHints": "hrouter.engine.hints",
}


def __getattr__(name: str):
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'hrouter.engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
