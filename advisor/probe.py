"""Ask model servers on the usual loopback ports which models they serve (only with --probe)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import attrs

#: port -> the runtime that usually listens there.
PORTS = {1234: "lmstudio", 11434: "ollama", 8080: "llama-server"}


@attrs.frozen
class ServerProbe:
    port: int
    runtime: str
    base_url: str
    reachable: bool
    models: tuple[str, ...] = ()
    error: str | None = None


def probe_port(port: int, runtime: str, host: str = "127.0.0.1", timeout: float = 0.5) -> ServerProbe:
    base_url = f"http://{host}:{port}/v1"
    # urllib rather than httpx: no import cost, and a proxy from the environment must not be used.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{base_url}/models", timeout=timeout) as response:
            body = json.loads(response.read(1_000_000).decode("utf-8", errors="replace"))
    except urllib.error.HTTPError as exc:
        return ServerProbe(port, runtime, base_url, True, error=f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return ServerProbe(port, runtime, base_url, False, error=str(reason) or type(exc).__name__)
    data = body.get("data") if isinstance(body, dict) else None
    ids = tuple(str(item["id"]) for item in data or () if isinstance(item, dict) and "id" in item)
    return ServerProbe(port, runtime, base_url, True, models=ids)


def probe_servers(ports: dict[int, str] | None = None, timeout: float = 0.5) -> tuple[ServerProbe, ...]:
    return tuple(probe_port(port, runtime, timeout=timeout) for port, runtime in (ports or PORTS).items())
