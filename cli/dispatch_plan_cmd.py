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


def run(args: argparse.Namespace) -> int:
    from hrouter.cli.decide_cmd import prepare

    prepared = prepare(args, "dispatch-plan")
    if prepared is None:
        return 1
    router, prompt, hints = prepared
    decision = router.route(prompt, hints, include_alternatives=args.include_alternatives)
    plan = build_plan(router, decision, args.include_alternatives)
    if args.json:
        print(json.dumps(plan, indent=2, ensure_ascii=False))
        return 0
    print("dispatch plan (dry run: executes nothing)")
    for key in ("engine", "target", "adapter", "provider", "model", "requires_confirmation", "action", "fallback_engine"):
        print(f"  {key + ':':<23} {plan[key] if plan[key] is not None else '-'}")
    print("  reasons:")
    for reason in plan["reasons"]:
        print(f"    - {reason}")
    if args.include_alternatives:
        print("  alternatives:")
        for alt in plan["alternatives"] or [{"engine": "(none)", "rank_score": "-"}]:
            print(f"    - {alt['engine']} (rank {alt['rank_score']})")
    return 0
