"""Whether and where the proxy exports traces (docs/telemetry.md), decided without importing
OpenTelemetry: with no endpoint configured the proxy never loads it, and with one configured
but the `otel` extra missing it refuses to start with a sentence instead of a traceback.

The spans themselves are server/tracing.py, imported only when this module says "on".
"""

from __future__ import annotations

import importlib.util
import os
from typing import Mapping
from urllib.parse import urlsplit

import attrs

from hrouter.server.config import TelemetryConfig

#: the OpenTelemetry semantic conventions the spans follow (GenAI and HTTP); the tracer states
#: it as its schema URL, so a collector can translate if the conventions move on
SEMCONV_VERSION = "1.37.0"
SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"
INSTALL_HINT = "pip install 'hrouter[otel]'"
_PACKAGES = ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http")
TRACES_PATH = "/v1/traces"


@attrs.frozen
class Export:
    """Where traces go: the full OTLP/HTTP traces URL, and which setting named it."""

    traces_url: str
    source: str


def _traces_url(base: str) -> str:
    # OTEL_EXPORTER_OTLP_ENDPOINT names the collector; each signal has its own path under it.
    base = base.rstrip("/")
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def export_for(config: TelemetryConfig, environ: Mapping[str, str] | None = None) -> Export | None:
    """The export `config` and the environment ask for; None when telemetry is off (no endpoint
    anywhere, or OTEL_SDK_DISABLED=true, the standard switch)."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if config.otlp_endpoint:
        return Export(_traces_url(config.otlp_endpoint), "$.telemetry.otlp_endpoint")
    # The traces-only variable is a full URL, used as is (the OTLP exporter specification).
    if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip():
        return Export(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].strip(), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        return Export(_traces_url(env["OTEL_EXPORTER_OTLP_ENDPOINT"].strip()), "OTEL_EXPORTER_OTLP_ENDPOINT")
    return None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that cannot be imported
        return False


def telemetry_problem(config: TelemetryConfig, environ: Mapping[str, str] | None = None) -> str | None:
    """Why the proxy cannot export what it is asked to (serve refuses to start, validate-proxy-
    config reports it), or None."""
    export = export_for(config, environ)
    if export is None:
        return None
    parts = urlsplit(export.traces_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{export.source}: {export.traces_url!r} is not an http(s) URL (OTLP/HTTP, e.g. http://collector:4318)"
    missing = [m for m in _PACKAGES if not _installed(m)]
    if missing:
        return (f"{export.source} asks for OpenTelemetry traces ({export.traces_url}), but the otel extra is not "
                f"installed ({', '.join(missing)} missing): {INSTALL_HINT}, or unset it")
    return None
