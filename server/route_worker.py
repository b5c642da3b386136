"""Long prompts are routed in a separate process, so their routing never holds this one's GIL.

Most of a long prompt's routing is Python or C code that keeps the GIL: splitting a megabyte
into clauses and reading each clause's words, and str methods over the whole text (one
``str.translate`` of 1 MB holds it for 50 ms). In a worker thread that still held up the event
loop: every GIL hand-off of another request waits out the switch interval, and 1 to 5 of ~200
small requests took over 100 ms longer while a 1 MB body was routed (a varied 1 MB text takes
seconds to route). A second process has its own GIL; here a thread only waits on a pipe.

The worker routes with exactly the serving router's rules and catalog: it loads the artifact
from the configured rules path itself (through the engine's cache: a 2.7 MB artifact would take
80 ms of pickling here, all of it holding the GIL) and answers only when that artifact has the
serving router's hash; the catalog, small, is sent. Anything else (a router that is no
``ModelRouter``, rules edited since they were loaded, a worker that died) routes in the calling
thread as before. The decision is the same either way: the same code reads the same artifact.

One worker process per proxy process, started on the first long prompt, at a lower CPU priority
(``WORKER_NICENESS``); long prompts queue for it, so an abuser's megabytes delay only other
long prompts, never the ordinary traffic.
"""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import pickle
import threading
from typing import Any

log = logging.getLogger("hrouter.proxy")

#: what the worker answers when its rules are not the serving router's
_NOT_HERE = "not-here"
# In the worker process: the artifact last loaded for a rules path, and routers by
# (artifact hash, pickled catalog). An approval router differs from the serving one only in
# its catalog, so both share the artifact.
_ARTIFACTS: dict[Any, Any] = {}
_ROUTERS: dict[tuple[str, bytes], Any] = {}
_ROUTERS_KEPT = 4
#: how much lower the worker's CPU priority is than the proxy's (POSIX nice increment)
WORKER_NICENESS = 10


def _yielding() -> None:
    """Runs as the worker starts: the proxy's own threads go first for the CPU, so on a busy
    machine a long prompt's seconds of routing take the cores' spare time, not the event loop's."""
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)


def _route_there(rules: str | None, artifact_hash: str, catalog: bytes, prompt: Any, hints: Any,
                 include_alternatives: bool) -> Any:
    """Runs in the worker: the decision of the router (artifact_hash, catalog), or _NOT_HERE."""
    router = _ROUTERS.get((artifact_hash, catalog))
    if router is None:
        from hrouter.engine.router import ModelRouter, load_artifact_for

        artifact = _ARTIFACTS.get(rules)
        if artifact is None or artifact.source_hash != artifact_hash:
            artifact = _ARTIFACTS[rules] = load_artifact_for(rules)
        if artifact.source_hash != artifact_hash:
            return _NOT_HERE
        if len(_ROUTERS) >= _ROUTERS_KEPT:
            _ROUTERS.clear()
        router = _ROUTERS[(artifact_hash, catalog)] = ModelRouter(pickle.loads(catalog), artifact)
    return router.route(prompt, hints, include_alternatives=include_alternatives)


class RouteWorker:
    """The worker process of one proxy; ``of(router)`` is a router that routes there."""

    def __init__(self, rules: str | None) -> None:
        self._rules = rules
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._catalogs: dict[int, tuple[Any, bytes]] = {}  # id(catalog) -> (catalog, its pickle)
        self._closed = False

    def of(self, router: Any) -> Any:
        from hrouter.engine.router import ModelRouter

        return _Far(self, router) if isinstance(router, ModelRouter) and not self._closed else router

    def route(self, router: Any, prompt: Any, hints: Any, include_alternatives: bool) -> Any:
        """``router.route`` computed in the worker; in this thread when the worker cannot."""
        try:
            found = self._submit(router, prompt, hints, include_alternatives).result()
        except Exception as exc:  # a dead worker, or rules that failed to load there
            log.warning("routing worker failed (%s: %s); routing this request in the proxy process",
                        type(exc).__name__, exc)
            if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
                self._discard()  # the next long prompt starts a new one
            found = _NOT_HERE
        if isinstance(found, str) and found == _NOT_HERE:
            return router.route(prompt, hints, include_alternatives=include_alternatives)
        return found

    def _submit(self, router: Any, prompt: Any, hints: Any, include_alternatives: bool):
        with self._lock:
            if self._closed:
                raise RuntimeError("the proxy is shutting down")
            if self._pool is None:
                # spawn, not fork: the proxy process has threads (uvicorn's, the event sink's).
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"), initializer=_yielding)
            pool = self._pool
            catalog = self._catalog_bytes(router.catalog)
        return pool.submit(_route_there, self._rules, router.artifact_hash, catalog, prompt, hints,
                           include_alternatives)

    def _catalog_bytes(self, catalog: Any) -> bytes:
        known = self._catalogs.get(id(catalog))
        if known is None or known[0] is not catalog:
            if len(self._catalogs) >= _ROUTERS_KEPT:
                self._catalogs.clear()
            known = self._catalogs[id(catalog)] = (catalog, pickle.dumps(catalog))
        return known[1]

    def _discard(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class _Far:
    """A router whose ``route`` runs in the worker; what else dispatch reads is the router's own."""

    __slots__ = ("_worker", "_router", "catalog")

    def __init__(self, worker: RouteWorker, router: Any) -> None:
        self._worker, self._router, self.catalog = worker, router, router.catalog

    def route(self, prompt: Any, hints: Any = None, *, include_alternatives: bool = True) -> Any:
        return self._worker.route(self._router, prompt, hints, include_alternatives)
