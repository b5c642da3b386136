"""The proxy's configuration file (YAML): frozen models, loading, and semantic checks.

The shape follows the seed's `routing_proxy.yaml`: proxy, router_config, rules, observability,
telemetry, health, backends, engine_backends, fallback_backends. Every error names its key path
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

from hrouter.engine.convert import key_path_errors, strict_converter

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8082
DEFAULT_MODEL_IDS = ("hrouter", "auto")
# Big enough for a few inline images in base64; a larger body is refused with 413.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
# Past this a body is no prompt but a memory and CPU exhaustion attempt.
MAX_BODY_BYTES_LIMIT = 256 * 1024 * 1024
PROMPT_CAPTURE_MODES = ("off", "redacted_preview", "full")
UNKNOWN_MODEL_MODES = ("route", "refuse")
#: The APIs a backend can speak; a request in one it does not speak is translated to chat.
BACKEND_APIS = ("chat", "responses", "messages", "completions", "embeddings")
EMBEDDED_CONFIG = "routing_proxy.yaml"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")


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
    #: web origins allowed to call the proxy from a browser (none by default; see guard.py)
    allowed_origins: tuple[str, ...] = ()
    #: Host names the proxy answers to besides IP literals, localhost and `host` ("*": any)
    allowed_hosts: tuple[str, ...] = ()
    #: a client that has not sent a request's headers within this is disconnected
    header_timeout_seconds: float = 10.0
    #: a client that has not sent the whole body within this is answered 408
    body_timeout_seconds: float = 30.0
    #: the largest `n` (choices) a request may ask for
    max_n: int = 8
    #: the largest max_tokens / max_completion_tokens a request may ask for
    max_tokens: int = 262144
    #: a request `model` that is no model id, engine or backend: "route" it (and say so in the
    #: x-hrouter-unknown-model header) or "refuse" it (404 model_not_found)
    unknown_models: str = "route"


@attrs.frozen
class ObservabilityConfig:
    enabled: bool = False
    #: None: $HROUTER_HOME/logs/routing-events.jsonl (~/.hrouter/...), where replay and feedback look
    log_path: str | None = None
    max_bytes: int = 10 * 1024 * 1024
    backups: int = 5
    prompt_capture: str = "redacted_preview"


@attrs.frozen
class TelemetryConfig:
    """OpenTelemetry trace export (docs/telemetry.md). Off unless an endpoint is set, here or in
    the standard OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT variables (server/telemetry.py)."""

    #: the collector's OTLP/HTTP base URL (traces go to its /v1/traces), as
    #: OTEL_EXPORTER_OTLP_ENDPOINT says it; this key wins over the variables
    otlp_endpoint: str | None = None
    #: service.name of the spans; None: OTEL_SERVICE_NAME, else "hrouter"
    service_name: str | None = None
    #: the longest a finished span waits before it is sent (spans go in batches)
    export_delay_seconds: float = 5.0
    #: one export's time limit; a collector that is down costs only dropped spans
    export_timeout_seconds: float = 10.0


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
class ConfirmationConfig:
    """Human confirmation of refused requests (docs/confirmation.md)."""

    #: the environment variable holding the signing secret; instances that share it accept each
    #: other's approvals. Unset or empty: a secret is generated for this process.
    secret_env: str = "HROUTER_CONFIRMATION_SECRET"
    ttl_seconds: int = 600
    max_pending: int = 1000
    #: the environment variable holding a key only approvers have: when set, approving and
    #: denying need it (X-Hrouter-Approver-Key, or the console's sign-in), so an agent holding
    #: the proxy key cannot approve its own request
    approver_key_env: str | None = None

    def approver_key(self) -> str | None:
        return os.environ.get(self.approver_key_env) or None if self.approver_key_env else None


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
    telemetry: TelemetryConfig = attrs.field(factory=TelemetryConfig)
    health: HealthConfig = attrs.field(factory=HealthConfig)
    confirmation: ConfirmationConfig = attrs.field(factory=ConfirmationConfig)
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


def _local_alias(host: str) -> str:
    """One name for every way of saying "this machine" (loopback, or all interfaces, which
    include loopback); any other host stays as written."""
    host = host.strip("[]").lower()
    if is_loopback(host):
        return "<local>"
    try:
        return "<local>" if ipaddress.ip_address(host).is_unspecified else host
    except ValueError:
        return host


def self_backend_problems(backends: dict[str, BackendConfig], host: str, port: int) -> list[str]:
    """Backends whose base_url is the proxy's own listen address: every request sent there
    would come back into the proxy, routed again, forever (or until the client times out)."""
    if not port:  # 0: an ephemeral port, which no configured URL can name in advance
        return []
    problems = []
    for name, backend in backends.items():
        parts = urlsplit(backend.base_url)
        try:
            backend_port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
        except ValueError:
            continue  # not a port number: reported as a bad URL elsewhere
        if parts.hostname and backend_port == port and _local_alias(parts.hostname) == _local_alias(host):
            problems.append(
                f"$.backends.{name}.base_url: {backend.base_url} is the proxy's own address ({host}:{port}); "
                "requests would loop back into hrouter. Give the model server another port, or the proxy "
                "another proxy.port"
            )
    return problems


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
    if p.unknown_models not in UNKNOWN_MODEL_MODES:
        problems.append(f"$.proxy.unknown_models: {p.unknown_models!r} is not one of " + ", ".join(UNKNOWN_MODEL_MODES))
    if p.max_body_bytes < 1024:
        problems.append(f"$.proxy.max_body_bytes: {p.max_body_bytes} is too small (at least 1024)")
    if p.max_body_bytes > MAX_BODY_BYTES_LIMIT:
        problems.append(f"$.proxy.max_body_bytes: {p.max_body_bytes} is too large (at most {MAX_BODY_BYTES_LIMIT})")
    for key in ("header_timeout_seconds", "body_timeout_seconds"):
        if not 0 < getattr(p, key) <= 3600:
            problems.append(f"$.proxy.{key}: must be between 0 and 3600 seconds, not {getattr(p, key)!r}")
    if p.max_n < 1:
        problems.append(f"$.proxy.max_n: must be at least 1, not {p.max_n}")
    if p.max_tokens < 1:
        problems.append(f"$.proxy.max_tokens: must be at least 1, not {p.max_tokens}")
    for i, origin in enumerate(p.allowed_origins):
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            problems.append(f"$.proxy.allowed_origins[{i}]: {origin!r} is not an origin (scheme://host[:port])")
    if cfg.observability.prompt_capture not in PROMPT_CAPTURE_MODES:
        problems.append(
            f"$.observability.prompt_capture: {cfg.observability.prompt_capture!r} is not one of "
            + ", ".join(PROMPT_CAPTURE_MODES)
        )
    if cfg.observability.max_bytes < 0 or cfg.observability.backups < 0:
        problems.append("$.observability: max_bytes and backups must not be negative")
    if not 1 <= cfg.confirmation.ttl_seconds <= 7 * 86400:
        problems.append(f"$.confirmation.ttl_seconds: {cfg.confirmation.ttl_seconds} is not between 1 and 604800")
    if not 1 <= cfg.confirmation.max_pending <= 1_000_000:
        problems.append(f"$.confirmation.max_pending: {cfg.confirmation.max_pending} is not between 1 and 1000000")
    if cfg.confirmation.approver_key_env and not os.environ.get(cfg.confirmation.approver_key_env):
        problems.append(f"$.confirmation.approver_key_env: environment variable "
                        f"{cfg.confirmation.approver_key_env} is not set")
    t = cfg.telemetry
    if t.otlp_endpoint is not None:
        parts = urlsplit(t.otlp_endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"$.telemetry.otlp_endpoint: {t.otlp_endpoint!r} is not an http(s) URL "
                            "(OTLP/HTTP, e.g. http://collector:4318)")
    if t.service_name is not None and not t.service_name.strip():
        problems.append("$.telemetry.service_name: must not be empty")
    for key in ("export_delay_seconds", "export_timeout_seconds"):
        if not 0 < getattr(t, key) <= 600:
            problems.append(f"$.telemetry.{key}: must be between 0 and 600 seconds, not {getattr(t, key)!r}")
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
        for header, value in b.headers.items():
            # Sent on every forwarded request: what HTTP cannot carry would fail each one.
            if not _TOKEN.fullmatch(header):
                problems.append(f"$.backends.{name}.headers: {header!r} is not a valid header name")
            if not _HEADER_VALUE.fullmatch(value):
                problems.append(f"$.backends.{name}.headers.{header}: the value must be printable ASCII "
                                "(no line breaks or other characters)")
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
    problems += self_backend_problems(cfg.backends, p.host, p.port)
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


def _yaml_spellings(data: dict) -> dict:
    """`prompt_capture: off`, unquoted as the docs write it, is YAML's false: read it as "off"."""
    section = data.get("observability")
    if isinstance(section, dict) and section.get("prompt_capture") is False:
        data = {**data, "observability": {**section, "prompt_capture": "off"}}
    return data


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


def config_from_data(data: Any, source: str = "<memory>", base_dir: Path | None = None) -> ProxyConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProxyConfigError(source, ["$: the proxy config must be a mapping"])
    if "backends" not in data and ("engines" in data or "routing_targets" in data):
        raise ProxyConfigError(source, [
            "$: this is an engine catalog (it has engines), not a proxy config: `--config` of serve, doctor and "
            "validate-proxy-config takes a proxy config (routing_proxy.yaml); name the catalog in its router_config"])
    if "source" in data:
        raise ProxyConfigError(source, ["$.source: extra field"])
    try:
        # The catalog's strict converter: `model_ids: auto` is an error, not ('a', 'u', 't', 'o').
        cfg = strict_converter.structure(_yaml_spellings(data), ProxyConfig)
    except Exception as exc:  # cattrs raises several error types; all mean a bad file
        raise ProxyConfigError(source, key_path_errors(exc)) from None
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
    from hrouter.engine.safe_yaml import YamlError, load_yaml

    try:
        return load_yaml(text)
    except YamlError as exc:
        raise ProxyConfigError(source, [str(exc)]) from None


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
