"""The proxy's configuration file (YAML): frozen models, loading, and semantic checks.

The shape follows the seed's `routing_proxy.yaml`: proxy, router_config, rules, observability,
health, backends, engine_backends, fallback_backends. Every error names its key path
(`$.backends.fast.base_url`), and relative paths resolve against the config file's folder.
"""

from __future__ import annotations

import ipaddress
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from hrouter.engine.convert import converter, describe_error

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8082
DEFAULT_MODEL_IDS = ("hrouter", "auto")
# Big enough for a few inline images in base64; a larger body is refused with 413.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
PROMPT_CAPTURE_MODES = ("off", "redacted_preview", "full")
#: The APIs a backend can speak; a request in one it does not speak is translated to chat.
BACKEND_APIS = ("chat", "responses", "messages", "completions", "embeddings")
EMBEDDED_CONFIG = "routing_proxy.yaml"
_INDEX = re.compile(r"\[['\"]([^'\"]+)['\"]\]")


class ProxyConfigError(ValueError):
    """A proxy config that cannot be used; `problems` lists each one with its key path."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@attrs.frozen
class ProxySettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    model_ids: tuple[str, ...] = DEFAULT_MODEL_IDS
    api_key: str | None = None
    api_key_env: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Binding beyond loopback without a key exposes every backend to the network: opt-in only.
    allow_remote: bool = False


@attrs.frozen
class ObservabilityConfig:
    enabled: bool = False
    log_path: str = "~/.hrouter/logs/routing-events.jsonl"
    max_bytes: int = 10 * 1024 * 1024
    backups: int = 5
    prompt_capture: str = "redacted_preview"


@attrs.frozen
class HealthConfig:
    backend_timeout_seconds: float = 1.0


REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


@attrs.frozen
class RequestOverrides:
    """Changes made to every request a backend gets (see server/overrides.py)."""

    temperature: float | None = None  # set it
    drop_temperature: bool = False  # remove it (models that refuse one)
    max_tokens: int | None = None  # a cap on the answer's length, set when the client sent none
    reasoning_effort: str | None = None  # set it (chat and Responses requests)


@attrs.frozen
class BackendConfig:
    base_url: str
    model: str
    api_key_env: str | None = None
    #: how the key is sent: "authorization" (Bearer), or a header that carries it as is
    #: (x-api-key, for Anthropic's API)
    api_key_header: str = "authorization"
    timeout_seconds: float = 300.0
    strip_tools: bool = False
    headers: dict[str, str] = attrs.field(factory=dict)
    apis: tuple[str, ...] = ("chat",)
    overrides: RequestOverrides = attrs.field(factory=RequestOverrides)

    def speaks(self, api: str) -> bool:
        return api in self.apis


@attrs.frozen
class SessionSettings:
    """Session affinity (server/sessions.py)."""

    enabled: bool = True
    header: str | None = None  # a header naming the session, read before the built-in keys
    max_entries: int = 4096
    ttl_seconds: float = 1800.0


@attrs.frozen
class ProxyConfig:
    proxy: ProxySettings = attrs.field(factory=ProxySettings)
    router_config: str | None = None
    rules: str | None = None
    observability: ObservabilityConfig = attrs.field(factory=ObservabilityConfig)
    health: HealthConfig = attrs.field(factory=HealthConfig)
    backends: dict[str, BackendConfig] = attrs.field(factory=dict)
    engine_backends: dict[str, str] = attrs.field(factory=dict)
    fallback_backends: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    sessions: SessionSettings = attrs.field(factory=SessionSettings)
    #: where the config came from (a path, or the embedded default); not a YAML key
    source: str = "<memory>"

    def resolved_api_key(self) -> str | None:
        if self.proxy.api_key_env:
            return os.environ.get(self.proxy.api_key_env) or None
        return self.proxy.api_key or None

    def backend_for_engine(self, engine: str) -> str | None:
        return self.engine_backends.get(engine)

    def attempt_order(self, backend: str) -> tuple[str, ...]:
        """The backend first, then its fallbacks (direct list, duplicates dropped)."""
        order = [backend]
        for name in self.fallback_backends.get(backend, ()):
            if name not in order:
                order.append(name)
        return tuple(order)


def backend_api_key(backend: BackendConfig) -> str | None:
    return os.environ.get(backend.api_key_env) or None if backend.api_key_env else None


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_problem(config: ProxyConfig, host: str) -> str | None:
    """Why binding to `host` must be refused, or None when it is allowed."""
    if is_loopback(host) or config.proxy.allow_remote or config.resolved_api_key():
        return None
    return (
        f"refusing to bind {host!r} (not loopback) without an api key: set proxy.api_key_env, "
        "or proxy.allow_remote: true to expose an unauthenticated proxy on purpose"
    )


def _resolve_path(value: str | None, base: Path | None) -> str | None:
    if not value:
        return value
    p = Path(os.path.expanduser(value))
    if not p.is_absolute() and base is not None:
        p = base / p
    return str(p)


def _semantic_problems(cfg: ProxyConfig) -> list[str]:
    problems: list[str] = []
    p = cfg.proxy
    if not 0 <= p.port <= 65535:
        problems.append(f"$.proxy.port: {p.port} is not a port number (0-65535)")
    if not p.host:
        problems.append("$.proxy.host: must not be empty")
    if not p.model_ids or any(not m for m in p.model_ids):
        problems.append("$.proxy.model_ids: list at least one non-empty model id")
    if p.api_key and p.api_key_env:
        problems.append("$.proxy: set api_key or api_key_env, not both")
    if p.api_key_env and not os.environ.get(p.api_key_env):
        # Starting without the key would silently disable auth: fail closed instead.
        problems.append(f"$.proxy.api_key_env: environment variable {p.api_key_env} is not set")
    if p.max_body_bytes < 1024:
        problems.append(f"$.proxy.max_body_bytes: {p.max_body_bytes} is too small (at least 1024)")
    if cfg.observability.prompt_capture not in PROMPT_CAPTURE_MODES:
        problems.append(
            f"$.observability.prompt_capture: {cfg.observability.prompt_capture!r} is not one of "
            + ", ".join(PROMPT_CAPTURE_MODES)
        )
    if cfg.observability.max_bytes < 0 or cfg.observability.backups < 0:
        problems.append("$.observability: max_bytes and backups must not be negative")
    if cfg.health.backend_timeout_seconds <= 0:
        problems.append("$.health.backend_timeout_seconds: must be positive")
    if not cfg.backends:
        problems.append("$.backends: configure at least one backend")
    for name, b in cfg.backends.items():
        parts = urlsplit(b.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"$.backends.{name}.base_url: {b.base_url!r} is not an http(s) URL")
        if not b.model:
            problems.append(f"$.backends.{name}.model: must not be empty")
        if b.timeout_seconds <= 0:
            problems.append(f"$.backends.{name}.timeout_seconds: must be positive")
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", b.api_key_header):
            problems.append(f"$.backends.{name}.api_key_header: {b.api_key_header!r} is not a header name")
        if not b.apis:
            problems.append(f"$.backends.{name}.apis: list at least one of " + ", ".join(BACKEND_APIS))
        for i, api in enumerate(b.apis):
            if api not in BACKEND_APIS:
                problems.append(f"$.backends.{name}.apis[{i}]: {api!r} is not one of " + ", ".join(BACKEND_APIS))
        problems.extend(_override_problems(f"$.backends.{name}.overrides", b.overrides))
    if cfg.sessions.max_entries < 1:
        problems.append(f"$.sessions.max_entries: {cfg.sessions.max_entries} must be at least 1")
    if cfg.sessions.ttl_seconds <= 0:
        problems.append("$.sessions.ttl_seconds: must be positive")
    if cfg.sessions.header is not None and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", cfg.sessions.header):
        problems.append(f"$.sessions.header: {cfg.sessions.header!r} is not a header name")
    if not cfg.engine_backends:
        problems.append("$.engine_backends: map at least one engine to a backend")
    for engine, backend in cfg.engine_backends.items():
        if backend not in cfg.backends:
            problems.append(f"$.engine_backends.{engine}: unknown backend {backend!r}")
    for backend, chain in cfg.fallback_backends.items():
        if backend not in cfg.backends:
            problems.append(f"$.fallback_backends.{backend}: unknown backend {backend!r}")
        for i, name in enumerate(chain):
            if name not in cfg.backends:
                problems.append(f"$.fallback_backends.{backend}[{i}]: unknown backend {name!r}")
            elif name == backend:
                problems.append(f"$.fallback_backends.{backend}[{i}]: a backend cannot fall back to itself")
    if not is_loopback(p.host):
        problem = bind_problem(cfg, p.host)
        if problem:
            problems.append(f"$.proxy.host: {problem}")
    return problems


def _override_problems(path: str, o: RequestOverrides) -> list[str]:
    problems = []
    if o.temperature is not None and o.drop_temperature:
        problems.append(f"{path}: set temperature or drop_temperature, not both")
    if o.temperature is not None and not 0 <= o.temperature <= 2:
        problems.append(f"{path}.temperature: {o.temperature:g} is outside 0-2")
    if o.max_tokens is not None and o.max_tokens < 1:
        problems.append(f"{path}.max_tokens: {o.max_tokens} must be at least 1")
    if o.reasoning_effort is not None and o.reasoning_effort not in REASONING_EFFORTS:
        problems.append(f"{path}.reasoning_effort: {o.reasoning_effort!r} is not one of " + ", ".join(REASONING_EFFORTS))
    return problems


def _path_first(message: str) -> str:
    """cattrs says "what @ $.a['b'].c"; we say "$.a.b.c: what", like our other checks."""
    what, sep, path = message.rpartition(" @ ")
    if not sep:
        return message
    return _INDEX.sub(r".\1", path) + ": " + what


def _bool_problems(data: dict) -> list[str]:
    # cattrs turns any value into a bool ("false" would be true): switches must be real booleans.
    found: list[str] = []

    def check(section: Any, path: str, key: str) -> None:
        if isinstance(section, dict) and key in section and not isinstance(section[key], bool):
            found.append(f"{path}.{key}: must be true or false, not {section[key]!r}")

    check(data.get("proxy"), "$.proxy", "allow_remote")
    check(data.get("observability"), "$.observability", "enabled")
    check(data.get("sessions"), "$.sessions", "enabled")
    backends = data.get("backends")
    if isinstance(backends, dict):
        for name, backend in backends.items():
            check(backend, f"$.backends.{name}", "strip_tools")
            if isinstance(backend, dict):
                check(backend.get("overrides"), f"$.backends.{name}.overrides", "drop_temperature")
    return found


def config_from_data(data: Any, source: str = "<memory>", base_dir: Path | None = None) -> ProxyConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProxyConfigError(source, ["$: the proxy config must be a mapping"])
    if "source" in data:
        raise ProxyConfigError(source, ["$.source: extra field"])
    problems = _bool_problems(data)
    if problems:
        raise ProxyConfigError(source, problems)
    try:
        cfg = converter.structure(data, ProxyConfig)
    except Exception as exc:  # cattrs raises several error types; all mean a bad file
        raise ProxyConfigError(source, [_path_first(m) for m in describe_error(exc)]) from None
    cfg = attrs.evolve(
        cfg,
        source=source,
        router_config=_resolve_path(cfg.router_config, base_dir),
        rules=_resolve_path(cfg.rules, base_dir),
        observability=attrs.evolve(
            cfg.observability, log_path=_resolve_path(cfg.observability.log_path, base_dir)
        ),
    )
    problems = _semantic_problems(cfg)
    if problems:
        raise ProxyConfigError(source, problems)
    return cfg


def _parse_yaml(text: str, source: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProxyConfigError(source, [f"invalid YAML{where}: {problem}"]) from None


def embedded_config_text() -> str:
    return resources.files("hrouter.configs").joinpath(EMBEDDED_CONFIG).read_text(encoding="utf-8")


def load_proxy_config(path: str | os.PathLike[str] | None = None) -> ProxyConfig:
    """Load and check a proxy config file; None loads the embedded default."""
    if path is None:
        source = f"<embedded {EMBEDDED_CONFIG}>"
        return config_from_data(_parse_yaml(embedded_config_text(), source), source, None)
    p = Path(os.path.expanduser(str(path)))
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProxyConfigError(source, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProxyConfigError(source, [f"cannot read: {exc}"]) from None
    return config_from_data(_parse_yaml(text, source), source, p.resolve().parent)
