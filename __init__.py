"""hrouter: a deterministic, safety-first model router for AI agents.

The public API lives in ``hrouter.engine``; it is re-exported here lazily so that
``import hrouter`` stays cheap for tools that only need a submodule.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "ModelRouter",
    "RouterConfigError",
    "RoutingDecision",
    "RoutingHints",
    "route_prompt",
]


def __getattr__(name: str):
    if name in __all__:
        from hrouter import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'hrouter' has no attribute {name!r}")
