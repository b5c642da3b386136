"""The proxy application: a small Starlette app built from a loaded config and a router."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from typing import Any, Callable

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from hrouter.server.api_messages import count_tokens, messages
from hrouter.server.api_passthrough import completions, embeddings
from hrouter.server.api_responses import responses
from hrouter.server.api_messages import count_tokens, messages
from hrouter.server.api_passthrough import completions, embeddings
from hrouter.server.api_responses import responses
from hrouter.server.backends import BackendPool
from hrouter.server.config import ProxyConfig, ProxyConfigError
from hrouter.server.confirm_api import CONFIRM_ROUTES
from hrouter.server.confirmation import Confirmations
from hrouter.server.console import CONSOLE_ROUTES
from hrouter.server.tool_hook import HOOK_ROUTES
from hrouter.server.endpoints import chat_completions, get_model, health, list_models, metrics
from hrouter.server.errors import anthropic_shape, register_error_shape
from hrouter.server.guard import BrowserGuard
from hrouter.server.events import EventSink
from hrouter.server.health import HealthChecker
from hrouter.server.metrics import RouterMetrics
from hrouter.server.middleware import BearerAuth, ProxyMiddleware
from hrouter.server.reload import RouterHolder, install_sighup, watched_files
from hrouter.server.slow_clients import HEADER_TIMEOUT_STATE
from hrouter.server.response_store import ResponseStore
from hrouter.server.route_worker import RouteWorker
from hrouter.server.sessions import SessionPins
from hrouter.server.unknown_paths import http_error

log = logging.getLogger("hrouter.proxy")

# Answers the proxy gives itself (auth, guard, limits) under /v1/messages speak Anthropic's shape.
register_error_shape("/v1/messages", anthropic_shape)


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
    #: Responses answered, for previous_response_id
    responses: ResponseStore = attrs.field(factory=ResponseStore)
    #: tracing.Tracing when telemetry is on (server/telemetry.py), else None
    tracing: Any = None
    #: session affinity pins
    sessions: SessionPins = attrs.field(default=attrs.Factory(
        lambda self: SessionPins(self.config.sessions.max_entries, self.config.sessions.ttl_seconds), takes_self=True))
    #: the process long prompts are routed in (route_worker.py)
    route_worker: RouteWorker = attrs.field(default=attrs.Factory(lambda self: RouteWorker(self.config.rules),
                                                                  takes_self=True))


def build_router(config: ProxyConfig) -> Any:
    """The router for `config`, at start and on every reload: rules that fail their own expect
    lines are refused like rules that do not compile (see rules_gate.py)."""
    from hrouter.engine import ModelRouter
    from hrouter.server.rules_gate import checked_artifact

    return ModelRouter.from_config(config.router_config, rules=checked_artifact(config.rules)).warm()


def build_tracing(config: ProxyConfig) -> Any:
    """The app's tracing when telemetry is on, else None; ProxyConfigError when it is asked for
    and cannot be had (the otel extra missing, a bad endpoint variable)."""
    from hrouter.server.telemetry import export_for, telemetry_problem

    export = export_for(config.telemetry)
    if export is None:
        return None
    problem = telemetry_problem(config.telemetry)
    if problem:
        raise ProxyConfigError(config.source, [problem])
    from hrouter.server.tracing import Tracing  # OpenTelemetry is imported from here on only

    return Tracing(config.telemetry, export)


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
    tracing = build_tracing(config)  # before the router: a refusal should not wait for a compile
    router_metrics = RouterMetrics()
    holder = RouterHolder(router if router is not None else build(), build,
                          lambda: watched_files(config.router_config, config.rules),
                          on_reload=router_metrics.observe_reload)
    pool = BackendPool(config)
    sink = EventSink.from_config(config.observability)
    state = ProxyState(config, holder, pool, HealthChecker(config.health.backend_timeout_seconds), int(time.time()),
                       sink, router_metrics, Confirmations(config.confirmation), tracing=tracing)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await pool.open()
        sink.start()
        # The router's hundred thousand objects (and the compiler's, kept by the rules gate) live
        # as long as the process: out of the collector's reach, a full collection walks only what
        # requests allocate. Each one walked them all, holding the GIL 65-175 ms on a shared
        # 2-core machine: the delay the abuse suite saw while a 1 MB body was handled.
        gc.freeze()
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
            state.route_worker.close()
            await pool.close()
            await sink.aclose()  # queued routing events are written before exit
            if tracing is not None:
                await asyncio.to_thread(tracing.shutdown)  # and queued spans sent

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
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
            # Only when on: with telemetry off a request meets no tracing code at all.
            *([tracing.middleware()] if tracing is not None else []),
            Middleware(BrowserGuard, bound_host=p.host, allowed_hosts=p.allowed_hosts,
                       allowed_origins=p.allowed_origins),
            Middleware(BearerAuth, api_key=config.resolved_api_key()),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.state.proxy = state
    return app
