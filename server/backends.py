"""The model servers behind the proxy: one pooled httpx client per backend, for the app's life."""

from __future__ import annotations

import asyncio

import attrs
import httpx

from hrouter.server.config import BackendConfig, ProxyConfig, backend_api_key

# Enough keep-alive connections for concurrency 32 without reconnecting under load.
_LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=64, keepalive_expiry=30.0)


@attrs.frozen
class Backend:
    name: str
    config: BackendConfig
    client: httpx.AsyncClient
    #: the full chat URL, built once so each request only looks it up
    chat_url: str
    models_url: str


def _headers(config: BackendConfig) -> dict[str, str]:
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    headers.update({k.lower(): v for k, v in config.headers.items()})
    key = backend_api_key(config)
    if key:
        headers["authorization"] = f"Bearer {key}"
    return headers


def _timeout(seconds: float) -> httpx.Timeout:
    # A dead host should fail over quickly even when a generation may legitimately take minutes.
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


class BackendPool:
    """Created at startup (`open`), closed at shutdown (`close`)."""

    def __init__(self, config: ProxyConfig):
        self.config = config
        self.backends: dict[str, Backend] = {}

    async def open(self) -> None:
        for name, cfg in self.config.backends.items():
            base = cfg.base_url.rstrip("/")
            client = httpx.AsyncClient(headers=_headers(cfg), timeout=_timeout(cfg.timeout_seconds), limits=_LIMITS)
            self.backends[name] = Backend(name, cfg, client, base + "/chat/completions", base + "/models")

    async def close(self) -> None:
        clients = [b.client for b in self.backends.values()]
        self.backends = {}
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)

    def __getitem__(self, name: str) -> Backend:
        return self.backends[name]
