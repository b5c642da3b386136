"""The routing worker process decides exactly as the serving router does, or leaves it to it."""

from __future__ import annotations

import os

import pytest

from hrouter.engine import ModelRouter
from hrouter.server.route_worker import _NOT_HERE, RouteWorker, _route_there

from .conftest import RULES

LONG_RISKY = "the weekly report looks fine overall. " * 2000 + "then drop the production database."
LONG_PLAIN = "explain how a linked list differs from an array, with examples. " * 1500


@pytest.fixture(scope="module")
def router():
    return ModelRouter.from_config().warm()


@pytest.fixture(scope="module")
def worker():
    worker = RouteWorker(None)  # the packaged rules, as the router above
    yield worker
    worker.close()


@pytest.mark.parametrize("text", [LONG_RISKY, LONG_PLAIN, "hello"])
def test_the_worker_decides_as_the_router(router, worker, text):
    messages = [{"role": "user", "content": text}]
    far = worker.of(router)
    assert far is not router and far.catalog is router.catalog
    assert far.route(messages, None, include_alternatives=False) == router.route(messages, None,
                                                                                 include_alternatives=False)
    pids = {p.pid for p in worker._pool._processes.values()}
    assert pids and os.getpid() not in pids  # it was routed there, not here


def test_an_approval_router_shares_the_artifact_in_the_worker(router, worker):
    import attrs

    from hrouter.engine.catalog import ConfirmationOverrides

    catalog = router.catalog
    switches = ConfirmationOverrides(**{name: True for name in catalog.overrides})
    approving = ModelRouter(attrs.evolve(catalog, safety=attrs.evolve(catalog.safety, confirmation_overrides=switches)),
                            router.artifact)
    messages = [{"role": "user", "content": LONG_RISKY}]
    expected = approving.route(messages, None, include_alternatives=False)
    assert worker.of(approving).route(messages, None, include_alternatives=False) == expected
    assert worker.of(router).route(messages, None, include_alternatives=False).selected_engine == "human_confirm"


def test_other_rules_on_disk_leave_the_request_to_the_serving_router(router):
    worker = RouteWorker(str(RULES))  # not the rules the router serves: the worker declines
    assert _route_there(str(RULES), router.artifact_hash, b"", "hello", None, False) == _NOT_HERE
    try:
        messages = [{"role": "user", "content": LONG_RISKY}]
        assert worker.of(router).route(messages, None, include_alternatives=False) == router.route(
            messages, None, include_alternatives=False)
    finally:
        worker.close()


def test_what_is_no_model_router_is_routed_here():
    class Fixed:
        catalog = None

        def route(self, prompt, hints=None, *, include_alternatives=True):
            return "fixed"

    fixed, worker = Fixed(), RouteWorker(None)
    assert worker.of(fixed) is fixed and worker._pool is None


def test_a_dead_worker_is_replaced_and_its_request_routed_here(router):
    worker = RouteWorker(None)
    try:
        _dead_worker(router, worker)
    finally:
        worker.close()


def _dead_worker(router, worker):
    messages = [{"role": "user", "content": LONG_PLAIN}]
    expected = router.route(messages, None, include_alternatives=False)
    assert worker.of(router).route(messages, None, include_alternatives=False) == expected
    for process in list(worker._pool._processes.values()):
        process.kill()
        process.join()
    assert worker.of(router).route(messages, None, include_alternatives=False) == expected  # here, after a warning
    assert worker.of(router).route(messages, None, include_alternatives=False) == expected  # in a new worker
    assert worker._pool is not None and all(p.is_alive() for p in worker._pool._processes.values())


def test_the_worker_yields_the_cpu_to_the_proxy(router, worker):
    worker.of(router).route("hello", None, include_alternatives=False)
    for process in worker._pool._processes.values():
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
