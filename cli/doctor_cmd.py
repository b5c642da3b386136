"""`hrouter doctor`: config checks plus, per backend, reachability and whether its /v1/models
advertises the configured model. A table, and exit 1 when something is wrong."""

from __future__ import annotations

import argparse
import json
import sys


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="proxy config YAML (default: $HROUTER_HOME/routing_proxy.yaml if present, "
                                         "else the embedded default)")
    parser.add_argument("--timeout", type=float, help="seconds per backend check (default: health.backend_timeout_seconds)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


_HINTS = {
    "unreachable": "is the model server running? check base_url and its port",
    "timeout": "the server did not answer in time; is it loading a model?",
    "model": "load or pull that model, or set `model:` to one the server lists",
    "status": "the server refused /models; check api_key_env and the URL path (usually ends in /v1)",
}


def _hint(result: dict) -> str:
    if not result["reachable"]:
        return _HINTS["timeout"] if "no answer" in result["detail"] else _HINTS["unreachable"]
    if result["model_listed"] is False:
        return _HINTS["model"]
    if not result["ok"]:
        return _HINTS["status"]
    return ""


def run(args: argparse.Namespace) -> int:
    from hrouter.server.diagnose import doctor, render_table
    from hrouter.server.home import default_proxy_config_path

    report = doctor(args.config or default_proxy_config_path(), args.timeout)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0 if report.ok else 1
    print(f"config: {report.source}")
    for error in report.errors:
        print(f"  ERROR {error}")
    for warning in report.warnings:
        print(f"  warn  {warning}")
    if not report.errors:
        print(f"  config OK (rules artifact {report.artifact_hash[:12]})")
    if report.backends:
        rows = [[("ok" if r["ok"] else "FAIL"), name, r["base_url"], r["model"], r["detail"], _hint(r)]
                for name, r in report.backends.items()]
        print()
        print(render_table(rows, ["", "backend", "base_url", "model", "check", "what to do"]))
    print()
    if report.ok:
        print("doctor: everything looks right")
        return 0
    failed = [n for n, r in report.backends.items() if not r["ok"]]
    what = (["config errors"] if report.errors else []) + ([f"backends failing: {', '.join(failed)}"] if failed else [])
    print(f"doctor: problems found ({'; '.join(what)})", file=sys.stderr)
    return 1
