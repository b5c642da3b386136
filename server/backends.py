"""The model servers behind the proxy: one pooled httpx client per backend, for the app's life."""

from __future__ import annotations

import asyncio

import attrs
import httpx

from hrouter.server.config import BackendConfig, ProxyConfig, backend_api_key
from hrouter.server.upstream import Pool

# Health checks only: a few connections are plenty.
_LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=2, keepalive_expiry=30.0)


@attrs.frozen
class Backend:
    name: str
    config: BackendConfig
    #: the forwarding path: lean keep-alive connections (see upstream.py for why not httpx)
    upstream: Pool
    #: health checks and doctor
    client: httpx.AsyncClient
    models_url: str


def _headers(config: BackendConfig) -> dict[str, str]:
    headers = {"content-type": "application/json", "accept-encoding": "identity"}
    headers.update({k.lower(): v for k, v in config.headers.items()})
    key = backend_api_key(config)
    if key:
        name = config.api_key_header.lower()
        headers[name] = f"Bearer {key}" if name == "authorization" else key
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
            headers = _headers(cfg)
            client = httpx.AsyncClient(headers=headers, timeout=_timeout(cfg.timeout_seconds), limits=_LIMITS)
            upstream = Pool(base, headers, cfg.timeout_seconds, min(cfg.timeout_seconds, 5.0))
            self.backends[name] = Backend(name, cfg, upstream, client, base + "/models")

    async def close(self) -> None:
        backends = list(self.backends.values())
        self.backends = {}
        await asyncio.gather(*(b.client.aclose() for b in backends), *(b.upstream.aclose() for b in backends),
                             return_exceptions=True)

    def __getitem__(self, name: str) -> Backend:
        return self.backends[name]
