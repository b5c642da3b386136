"""The proxy application: a small Starlette app built from a loaded config and a router."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Callable

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route

from hrouter.server.backends import BackendPool
from hrouter.server.config import ProxyConfig
from hrouter.server.confirm_api import CONFIRM_ROUTES
from hrouter.server.confirmation import Confirmations
from hrouter.server.console import CONSOLE_ROUTES
from hrouter.server.tool_hook import HOOK_ROUTES
from hrouter.server.endpoints import chat_completions, health, list_models, metrics
from hrouter.server.errors import error_response
from hrouter.server.guard import BrowserGuard
from hrouter.server.events import EventSink
from hrouter.server.health import HealthChecker
from hrouter.server.metrics import RouterMetrics
from hrouter.server.middleware import BearerAuth, ProxyMiddleware
from hrouter.server.reload import RouterHolder, install_sighup, watched_files
from hrouter.server.slow_clients import HEADER_TIMEOUT_STATE

log = logging.getLogger("hrouter.proxy")


@attrs.define
class ProxyState:
    config: ProxyConfig
    holder: RouterHolder
    pool: BackendPool
    health: HealthChecker
    started_at: int
    sink: EventSink
    metrics: RouterMetrics
    confirmations: Confirmations


async def _http_error(request: Request, exc: HTTPException):
    """Starlette's own answers (unknown path 404, wrong method 405) in the API's error shape."""
    kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request_error")
    message = {404: "No such endpoint."}.get(exc.status_code, str(exc.detail))
    return error_response(exc.status_code, message, kind, headers=exc.headers, path=request.url.path)


def build_router(config: ProxyConfig) -> Any:
    """The router for `config`, at start and on every reload: rules that fail their own expect
    lines are refused like rules that do not compile (see rules_gate.py)."""
    from hrouter.engine import ModelRouter
    from hrouter.server.rules_gate import checked_artifact

    return ModelRouter.from_config(config.router_config, rules=checked_artifact(config.rules)).warm()


def create_app(
    config: ProxyConfig,
    router: Any = None,
    *,
    watch_interval: float | None = None,
    build: Callable[[], Any] | None = None,
) -> Starlette:
    """`router` None builds one from the config (RouterConfigError if that fails).

    `watch_interval` (seconds) turns on polling of the rules and catalog files; SIGHUP always
    reloads when the app runs in the main thread.
    """
    build = build or (lambda: build_router(config))
    router_metrics = RouterMetrics()
    holder = RouterHolder(router if router is not None else build(), build,
                          lambda: watched_files(config.router_config, config.rules),
                          on_reload=router_metrics.observe_reload)
    pool = BackendPool(config)
    sink = EventSink.from_config(config.observability)
    state = ProxyState(config, holder, pool, HealthChecker(config.health.backend_timeout_seconds), int(time.time()),
                       sink, router_metrics, Confirmations(config.confirmation))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await pool.open()
        sink.start()
        uninstall = install_sighup(holder)
        watcher = asyncio.create_task(holder.watch(watch_interval)) if watch_interval else None
        try:
            # uvicorn hands this state to its connections: the header read timeout (slow_clients.py).
            yield {HEADER_TIMEOUT_STATE: config.proxy.header_timeout_seconds}
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            uninstall()
            await pool.close()
            await sink.aclose()  # queued routing events are written before exit

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *CONFIRM_ROUTES,
        *CONSOLE_ROUTES,
        *HOOK_ROUTES,
    ]
    p = config.proxy
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(ProxyMiddleware, routes=frozenset(r.path for r in routes)),
            Middleware(BrowserGuard, bound_host=p.host, allowed_hosts=p.allowed_hosts,
                       allowed_origins=p.allowed_origins),
            Middleware(BearerAuth, api_key=config.resolved_api_key()),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.proxy = state
    return app
