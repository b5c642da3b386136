"""`hrouter validate-config`: check an engine catalog (and the rules it serves); every error
with its key path, exit 1 when anything is wrong."""

from __future__ import annotations

import argparse
import json
import sys


def register(parser: argparse.ArgumentParser) -> None:
    from hrouter.cli.decide_cmd import add_source_args

    add_source_args(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def validate(config: str | None, rules: str | None) -> dict:
    from hrouter.engine.router import ModelRouter, RouterConfigError, load_artifact_for, load_catalog

    report: dict = {"valid": False, "config": config or "hrouter/configs/model_router.yaml", "errors": []}
    try:
        catalog = load_catalog(config)
    except RouterConfigError as exc:
        report["errors"] = exc.errors
        return report
    report["engines"] = {
        name: {"enabled": engine.enabled, "available": catalog.status[name].available,
               "reasons": list(catalog.status[name].reasons)}
        for name, engine in catalog.engines.items()
    }
    report["routing_targets"] = dict(catalog.targets)
    report["overrides_on"] = [name for name, on in catalog.overrides.items() if on]
    try:
        artifact = load_artifact_for(rules)
        ModelRouter(catalog, artifact)
    except RouterConfigError as exc:
        report["errors"] = exc.errors
        return report
    report["rules"] = {"artifact_hash": artifact.source_hash, "patterns": len(artifact.patterns),
                       "rules": len(artifact.rules), "targets": list(artifact.targets)}
    unusable = [t for t, e in catalog.targets.items() if not catalog.is_usable(e)]
    report["availability_valid"] = not unusable
    report["unusable_targets"] = unusable
    report["valid"] = True
    return report


def run(args: argparse.Namespace) -> int:
    report = validate(args.config, args.rules)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0 if report["valid"] else 1
    if not report["valid"]:
        for error in report["errors"]:
            print(f"hrouter validate-config: {error}", file=sys.stderr)
        return 1
    rules = report["rules"]
    print(f"config OK: {report['config']}")
    print(f"  {len(report['engines'])} engines, {len(report['routing_targets'])} routing targets; rules "
          f"{rules['artifact_hash'][:12]} ({rules['patterns']} patterns, {rules['rules']} rules)")
    for target, engine in report["routing_targets"].items():
        info = report["engines"][engine]
        state = "ok" if info["enabled"] and info["available"] else (
            "disabled" if not info["enabled"] else "unavailable: " + "; ".join(info["reasons"]))
        print(f"  {target:<17} -> {engine:<18} {state}")
    if report["overrides_on"]:
        print(f"  safety overrides ON: {', '.join(report['overrides_on'])}")
    if report["unusable_targets"]:
        print(f"  note: targets whose engine cannot serve now (fallbacks apply): {', '.join(report['unusable_targets'])}")
    return 0
