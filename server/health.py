"""Backend health: every backend checked concurrently with a short timeout, cached briefly so a
load balancer polling /health does not hammer the model servers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from hrouter.server.backends import Backend

CACHE_SECONDS = 3.0


def advertised_models(body: bytes) -> set[str] | None:
    """Model ids from an OpenAI `/v1/models` body, or None when it is not such a list."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}


async def check_backend(client: httpx.AsyncClient, models_url: str, model: str, timeout: float) -> dict[str, Any]:
    try:
        response = await client.get(models_url, timeout=timeout)
    except httpx.TimeoutException:
        return {"reachable": False, "ok": False, "status_code": None, "model_listed": None,
                "detail": f"no answer within {timeout:g}s"}
    except httpx.HTTPError as exc:
        return {"reachable": False, "ok": False, "status_code": None, "model_listed": None,
                "detail": f"unreachable: {type(exc).__name__} {exc}".strip()}
    status = response.status_code
    if status >= 400:
        return {"reachable": True, "ok": False, "status_code": status, "model_listed": None,
                "detail": f"GET /models answered HTTP {status}"}
    models = advertised_models(response.content)
    if models is None:
        # Some servers have no model list; reachable is all we can say.
        return {"reachable": True, "ok": True, "status_code": status, "model_listed": None,
                "detail": "reachable; no model list to check"}
    listed = model in models
    detail = f"model {model!r} advertised" if listed else f"model {model!r} not advertised (has: {', '.join(sorted(models)[:5]) or 'none'})"
    return {"reachable": True, "ok": listed, "status_code": status, "model_listed": listed, "detail": detail}


class HealthChecker:
    def __init__(self, timeout: float, cache_seconds: float = CACHE_SECONDS):
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def results(self, backends: dict[str, Backend]) -> dict[str, Any]:
        async with self._lock:  # one check at a time; concurrent callers share its result
            now = time.monotonic()
            if self._cached and now - self._cached[0] < self.cache_seconds:
                return self._cached[1]
            names = sorted(backends)
            found = await asyncio.gather(
                *(check_backend(backends[n].client, backends[n].models_url, backends[n].config.model, self.timeout) for n in names)
            )
            result = dict(zip(names, found))
            self._cached = (time.monotonic(), result)
            return result
