"""Checks behind `hrouter validate-proxy-config` and `hrouter doctor`: the config, the router it
builds, how engines map to backends, and (doctor) whether each backend answers and serves its model."""

from __future__ import annotations

import asyncio
from typing import Any

import attrs

from hrouter.server.config import ProxyConfig, ProxyConfigError, backend_api_key, load_proxy_config

CONFIRM = "human_confirm"


@attrs.define
class Report:
    source: str
    config: ProxyConfig | None = None
    errors: list[str] = attrs.field(factory=list)
    warnings: list[str] = attrs.field(factory=list)
    artifact_hash: str | None = None
    backends: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and all(b.get("ok", True) for b in self.backends.values())

    def to_dict(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "ok": self.ok,
            "config": self.source,
            "errors": self.errors,
            "warnings": self.warnings,
            "listen": f"{cfg.proxy.host}:{cfg.proxy.port}" if cfg else None,
            "artifact_hash": self.artifact_hash,
            "engine_backends": dict(cfg.engine_backends) if cfg else {},
            "backends": self.backends,
        }


def check_config(path: str | None) -> Report:
    try:
        config = load_proxy_config(path)
    except ProxyConfigError as exc:
        return Report(exc.source, errors=list(exc.problems))
    report = Report(config.source, config)
    from hrouter.server.telemetry import telemetry_problem

    problem = telemetry_problem(config.telemetry)
    if problem:
        report.errors.append(problem)
    for name, backend in config.backends.items():
        if backend.api_key_env and not backend_api_key(backend):
            report.warnings.append(f"$.backends.{name}.api_key_env: {backend.api_key_env} is not set; "
                                   "the backend will likely answer 401")
    unused = set(config.backends) - set(config.engine_backends.values()) - {
        n for chain in config.fallback_backends.values() for n in chain}
    for name in sorted(unused):
        report.warnings.append(f"$.backends.{name}: no engine or fallback uses this backend")

    from hrouter.engine import RouterConfigError
    from hrouter.server.app import build_router

    try:
        router = build_router(config)
    except RouterConfigError as exc:
        report.errors.extend(getattr(exc, "errors", None) or [str(exc)])
        return report
    report.artifact_hash = router.artifact_hash
    engines = router.catalog.engines
    for engine in config.engine_backends:
        if engine not in engines:
            report.errors.append(f"$.engine_backends.{engine}: the catalog has no engine {engine!r} "
                                 f"(engines: {', '.join(sorted(engines))})")
        elif engine == CONFIRM:
            report.errors.append(f"$.engine_backends.{CONFIRM}: confirmation is never forwarded; remove it")
    for target, engine in sorted(router.catalog.targets.items()):
        if engine != CONFIRM and engine not in config.engine_backends:
            report.warnings.append(f"engine {engine} (target {target}) has no backend: such requests get 502; "
                                   "map it under engine_backends")
    return report


async def probe_backends(config: ProxyConfig, timeout: float | None = None) -> dict[str, dict[str, Any]]:
    from hrouter.server.backends import BackendPool
    from hrouter.server.health import check_backend

    timeout = timeout or config.health.backend_timeout_seconds
    pool = BackendPool(config)
    await pool.open()
    try:
        names = list(config.backends)
        results = await asyncio.gather(*(
            check_backend(pool[n].client, pool[n].models_url, pool[n].config.model, timeout) for n in names))
    finally:
        await pool.close()
    out = {}
    for name, result in zip(names, results):
        out[name] = {"base_url": config.backends[name].base_url, "model": config.backends[name].model, **result}
    return out


def doctor(path: str | None, timeout: float | None = None) -> Report:
    report = check_config(path)
    if report.config is not None:
        report.backends = asyncio.run(probe_backends(report.config, timeout))
    return report


def render_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])
