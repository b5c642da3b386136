"""Real servers on loopback: stand-in model servers and the proxy, each a uvicorn in a thread."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import httpx
import pytest

from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .standins import Behaviour, standin

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules"
BACKENDS = {"fast": "small-model", "balanced": "mid-model", "code": "coder-model", "reasoning": "thinker-model"}


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proxy_data(urls: dict[str, str], **proxy) -> dict:
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    return {
        "proxy": {"max_body_bytes": 65536, **proxy},
        "rules": str(RULES),
        "health": {"backend_timeout_seconds": 0.5},
        "backends": {
            "fast": {"base_url": urls["fast"], "model": BACKENDS["fast"], "strip_tools": True, "timeout_seconds": 5},
            "balanced": {"base_url": urls["balanced"], "model": BACKENDS["balanced"], "timeout_seconds": 5},
            "code": {"base_url": urls["code"], "model": BACKENDS["code"], "timeout_seconds": 5,
                     "headers": {"X-Team": "tests"}},
            "reasoning": {"base_url": urls["reasoning"], "model": BACKENDS["reasoning"], "timeout_seconds": 0.5},
            "down": {"base_url": dead, "model": "gone-model", "timeout_seconds": 1},
            "dead": {"base_url": dead, "model": "gone-model", "timeout_seconds": 1},
        },
        "engine_backends": {
            "fast_local": "fast", "balanced_local": "balanced", "code_agent": "code",
            "reasoning_local": "reasoning", "multimodal_vision": "down", "web_research": "dead",
        },
        "fallback_backends": {"code": ["reasoning"], "down": ["balanced"]},
    }


@pytest.fixture(scope="session")
def standins():
    behaviours = {name: Behaviour() for name in BACKENDS}
    servers = {name: ThreadedServer(standin(name, model, behaviours[name])).start() for name, model in BACKENDS.items()}
    try:
        yield {name: (f"{servers[name].url}/v1", behaviours[name]) for name in BACKENDS}
    finally:
        for s in servers.values():
            s.stop()


@pytest.fixture(autouse=False)
def behaviours(standins):
    found = {name: b for name, (_, b) in standins.items()}
    for b in found.values():
        b.reset()
    yield found
    for b in found.values():
        b.reset()


@pytest.fixture(scope="session")
def proxy(standins):
    config = config_from_data(proxy_data({n: u for n, (u, _) in standins.items()}), "tests")
    with ThreadedServer(create_app(config)) as server:
        yield server


@pytest.fixture(scope="module")
def keyed_proxy(standins):
    """A proxy that wants `Authorization: Bearer s3cret-key`."""
    data = proxy_data({n: u for n, (u, _) in standins.items()}, api_key="s3cret-key")
    with serving(data) as server:
        yield server


@pytest.fixture
def client(proxy, behaviours):
    with httpx.Client(base_url=proxy.url, timeout=10) as c:
        yield c


def serving(data: dict) -> ThreadedServer:
    """A real uvicorn proxy on loopback for a config dict (use as a context manager)."""
    return ThreadedServer(create_app(config_from_data(data, "tests")))


def with_native(standins, native_url: str, apis: list[str], **backend) -> dict:
    """The tests' proxy config plus a backend "native" speaking `apis`, serving code work."""
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["backends"]["native"] = {"base_url": native_url, "model": "native-model", "apis": apis,
                                  "timeout_seconds": 5, **backend}
    data["engine_backends"]["code_agent"] = "native"
    return data


@contextlib.contextmanager
def standin_server(factory):
    """A stand-in from `factory(name, model, behaviour)` named "native": (its /v1 URL, its behaviour)."""
    behaviour = Behaviour()
    with ThreadedServer(factory("native", "native-model", behaviour)) as server:
        yield f"{server.url}/v1", behaviour
