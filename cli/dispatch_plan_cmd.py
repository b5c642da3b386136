"""`hrouter dispatch-plan`: a dry run of what an adapter would do with a prompt. Executes nothing."""

from __future__ import annotations

import argparse
import json


def register(parser: argparse.ArgumentParser) -> None:
    from hrouter.cli.decide_cmd import add_hint_args, add_source_args

    parser.add_argument("prompt", metavar="PROMPT", help="the prompt to plan for ('-' reads standard input)")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument("--include-alternatives", action="store_true",
                        help="rank the other engines too (slower; off by default)")
    parser.add_argument("--proxy-config", metavar="FILE",
                        help="proxy config whose backend the proxy would forward to (default: "
                             "$HROUTER_HOME/routing_proxy.yaml if present, else the embedded one)")
    add_source_args(parser)
    add_hint_args(parser)
    parser.set_defaults(run=run)


def build_plan(router, decision, include_alternatives: bool) -> dict:
    engine = router.catalog.engines.get(decision.selected_engine)
    confirm = decision.requires_confirmation
    plan = {
        "dry_run": True,
        "executes": "nothing",
        "engine": decision.selected_engine,
        "target": decision.selected_target,
        "adapter": engine.adapter if engine else None,
        "provider": engine.provider if engine else None,
        "model": engine.model if engine else None,
        "requires_confirmation": confirm,
        "action": (
            "stop: wait for a human to confirm before anything runs"
            if confirm
            else f"would hand the request to adapter '{engine.adapter}' with model '{engine.model}'"
        ),
        "requires_tools": decision.requires_tools,
        "requires_vision": decision.requires_vision,
        "fallback_engine": decision.fallback_engine,
        "reasons": list(decision.reasons),
        "fired_rules": [{"rule": r.rule, "loc": r.loc} for r in decision.fired_rules],
        "artifact_hash": decision.artifact_hash,
    }
    if include_alternatives:
        plan["alternatives"] = [{"engine": a.engine, "rank_score": a.rank_score} for a in decision.alternatives]
    return plan


def proxy_section(config, engine: str) -> dict:
    """What the proxy would do with the same decision: the backend, and the model name it puts in
    the forwarded request (the backend's `model`, not the catalog engine's)."""
    backend = config.engine_backends.get(engine)
    spec = config.backends.get(backend) if backend else None
    return {"config": config.source, "backend": backend,
            "model": spec.model if spec else None, "base_url": spec.base_url if spec else None}


def run(args: argparse.Namespace) -> int:
    import sys

    from hrouter.cli.decide_cmd import prepare
    from hrouter.server.config import ProxyConfigError, load_proxy_config
    from hrouter.server.home import default_proxy_config_path

    prepared = prepare(args, "dispatch-plan")
    if prepared is None:
        return 1
    try:
        proxy_config = load_proxy_config(args.proxy_config or default_proxy_config_path())
    except ProxyConfigError as exc:
        print(f"hrouter dispatch-plan: {exc}", file=sys.stderr)
        return 1
    router, prompt, hints = prepared
    decision = router.route(prompt, hints, include_alternatives=args.include_alternatives)
    plan = build_plan(router, decision, args.include_alternatives)
    if not decision.requires_confirmation:
        plan["proxy"] = proxy = proxy_section(proxy_config, decision.selected_engine)
        plan["action"] += (f"; the proxy would forward it to backend '{proxy['backend']}' as model '{proxy['model']}'"
                           if proxy["backend"] else "; the proxy has no backend for it (502)")
    if args.json:
        print(json.dumps(plan, indent=2, ensure_ascii=False))
        return 0
    print("dispatch plan (dry run: executes nothing)")
    for key in ("engine", "target", "adapter", "provider", "model", "requires_confirmation", "action", "fallback_engine"):
        print(f"  {key + ':':<23} {plan[key] if plan[key] is not None else '-'}")
    if "proxy" in plan:
        proxy = plan["proxy"]
        print(f"  {'proxy backend:':<23} {proxy['backend'] or '-'} (model {proxy['model'] or '-'}, "
              f"{proxy['base_url'] or '-'}; {proxy['config']})")
    print("  reasons:")
    for reason in plan["reasons"]:
        print(f"    - {reason}")
    if args.include_alternatives:
        print("  alternatives:")
        for alt in plan["alternatives"] or [{"engine": "(none)", "rank_score": "-"}]:
            print(f"    - {alt['engine']} (rank {alt['rank_score']})")
    return 0
