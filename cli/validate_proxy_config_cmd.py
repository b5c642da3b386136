"""`hrouter validate-proxy-config`: check a proxy config and the router it builds (no network)."""

from __future__ import annotations

import argparse
import json
import sys


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="proxy config YAML (default: $HROUTER_HOME/routing_proxy.yaml if present, "
                                         "else the embedded default)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hrouter.server.diagnose import check_config
    from hrouter.server.home import default_proxy_config_path

    report = check_config(args.config or default_proxy_config_path())
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0 if report.ok else 1
    for error in report.errors:
        print(f"hrouter validate-proxy-config: {report.source}: {error}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not report.ok:
        return 1
    cfg = report.config
    print(f"proxy config OK: {report.source}")
    print(f"  listens on {cfg.proxy.host}:{cfg.proxy.port}, auth {'on' if cfg.resolved_api_key() else 'off'}, "
          f"max body {cfg.proxy.max_body_bytes} bytes")
    print(f"  rules artifact {report.artifact_hash[:12]}, {len(cfg.backends)} backends")
    from hrouter.server.telemetry import SEMCONV_VERSION, export_for

    export = export_for(cfg.telemetry)
    if export is None:
        print("  traces off")
    else:
        print(f"  traces to {export.traces_url} (from {export.source}; semantic conventions {SEMCONV_VERSION})")
    for engine, backend in cfg.engine_backends.items():
        chain = " -> ".join(cfg.attempt_order(backend))
        print(f"  {engine:<18} -> {chain}")
    return 0
