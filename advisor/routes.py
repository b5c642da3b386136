"""The routes the setup assistant fills, and the catalog engines each one backs."""

from __future__ import annotations

#: Routes in the order the wizard walks them.
ROUTES = ("fast", "balanced", "reasoning", "coding", "vision", "image_generation")

#: route -> the engine in the catalog that serves it.
ROUTE_ENGINE = {
    "fast": "fast_local",
    "balanced": "balanced_local",
    "reasoning": "reasoning_local",
    "coding": "code_agent",
    "vision": "multimodal_vision",
    "image_generation": "image_generation",
}

ROUTE_TITLE = {
    "fast": "fast answers (rewrite, extract, format)",
    "balanced": "everyday work (summaries, general chat)",
    "reasoning": "deep reasoning and planning",
    "coding": "coding and repository work",
    "vision": "vision (screenshots, OCR, images in)",
    "image_generation": "image generation",
}

_ALIASES = {
    "simple": "fast",
    "code": "coding",
    "image": "image_generation",
    "image-generation": "image_generation",
    **{engine: route for route, engine in ROUTE_ENGINE.items()},
}


def parse_route(name: str) -> str:
    """Accept a route name or the engine name behind it; raise ValueError otherwise."""
    key = name.strip().lower()
    if key in ROUTES:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    choices = ", ".join(ROUTES)
    raise ValueError(f"unknown route '{name}' (choose one of: {choices}; engine names work too)")
