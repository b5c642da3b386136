"""`hrouter decide`: route one prompt and print the decision (readable, or the JSON receipt).

Also home of the small helpers the other router commands share (catalog/rules flags, hint
flags, loading a router with a one-line error). Module-level imports stay light: the engine
is imported inside `run`, and never the compiler unless the rules cache is stale.
"""

from __future__ import annotations

import argparse
import sys
import time

ATTACHMENTS = ("image", "pdf", "code")
COST_TIERS = ("none", "free", "low", "medium", "paid", "high")
LATENCY_TIERS = ("low", "medium", "high", "manual")


def add_source_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="engine catalog YAML (default: the packaged catalog)")
    parser.add_argument("--rules", metavar="DIR|ARTIFACT",
                        help="rules folder, .rules file or compiled artifact (default: the packaged rules)")


def add_hint_args(parser: argparse.ArgumentParser, *, full: bool = True) -> None:
    parser.add_argument("--attachment", action="append", default=[], choices=ATTACHMENTS, metavar="KIND",
                        help="an attachment that comes with the prompt: image, pdf or code (repeatable)")
    if not full:
        return
    parser.add_argument("--force-engine", metavar="ENGINE", help="start at this engine (never bypasses confirmation)")
    parser.add_argument("--max-cost-tier", choices=COST_TIERS, metavar="TIER", help=f"one of {', '.join(COST_TIERS)}")
    parser.add_argument("--max-latency-tier", choices=LATENCY_TIERS, metavar="TIER",
                        help=f"one of {', '.join(LATENCY_TIERS)}")
    parser.add_argument("--latency-sensitive", action="store_true", help="prefer fast engines")


def hints_from(args: argparse.Namespace) -> dict | None:
    hints: dict = {}
    if args.attachment:
        hints["attachments"] = list(args.attachment)
    for key in ("force_engine", "max_cost_tier", "max_latency_tier"):
        if getattr(args, key, None):
            hints[key] = getattr(args, key)
    if getattr(args, "latency_sensitive", False):
        hints["latency_sensitive"] = True
    return hints or None


def read_prompt(prompt: str) -> str:
    if prompt != "-":
        return prompt
    data = sys.stdin.buffer.read()
    return data.decode("utf-8", errors="replace").rstrip("\n")


def add_conversation_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--conversation", action="store_true",
                        help="PROMPT is a JSON file ('-': standard input) holding a chat message list or a whole "
                             "chat-completions request body (messages, tools, tool_choice, model, ...)")


def read_conversation(source: str) -> object:
    """A message list or request body from a JSON file; ValueError says what is wrong."""
    import json
    from pathlib import Path

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the conversation {source!r}: {exc}") from None
    if not isinstance(data, (list, dict)):
        raise ValueError(f"the conversation {source!r} is neither a message list nor a request body")
    return data


def load_router(args: argparse.Namespace, command: str):
    """The router, or None after printing one clear line to stderr."""
    from hrouter.engine.router import ModelRouter, RouterConfigError

    try:
        return ModelRouter.from_config(args.config, rules=args.rules)
    except RouterConfigError as exc:
        print(f"hrouter {command}: {exc}", file=sys.stderr)
        return None


def prepare(args: argparse.Namespace, command: str):
    """(router, prompt, hints) for a one-prompt command, or None after a one-line error."""
    router = load_router(args, command)
    if router is None:
        return None
    if getattr(args, "conversation", False):
        try:
            return router, read_conversation(args.prompt), hints_from(args)
        except ValueError as exc:
            print(f"hrouter {command}: {exc}", file=sys.stderr)
            return None
    return router, read_prompt(args.prompt), hints_from(args)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", metavar="PROMPT", help="the prompt to route ('-' reads standard input)")
    parser.add_argument("--json", action="store_true", help="print the full receipt as JSON")
    parser.add_argument("--explain", action="store_true", help="also show the patterns, features and score terms")
    add_conversation_arg(parser)
    # A flag, not `--log [FILE]`: an optional value would swallow the prompt (`--log "hello"`).
    parser.add_argument("--log", action="store_true",
                        help="append a routing event (JSON line) to the events log")
    parser.add_argument("--events", metavar="FILE",
                        help="the events log --log appends to, as for feedback and replay "
                             "(default: $HROUTER_HOME/logs/routing-events.jsonl); implies --log")
    parser.add_argument("--prompt-capture", choices=("off", "redacted_preview", "full"), default="redacted_preview",
                        help="how much of the prompt the logged event keeps (default: redacted_preview)")
    add_source_args(parser)
    add_hint_args(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    prepared = prepare(args, "decide")
    if prepared is None:
        return 1
    router, prompt, hints = prepared
    started = time.perf_counter()
    decision = router.route(prompt, hints)
    if args.log or args.events:
        from hrouter.server.events import log_decision

        warning = log_decision(args.events, prompt, decision, prompt_capture=args.prompt_capture,
                               route_seconds=time.perf_counter() - started, hints=hints)
        if warning:
            print(warning, file=sys.stderr)
    if args.json:
        data = decision.to_dict()
        if args.explain:
            data["explain"] = explanation_dict(router, prompt, hints)
        import json  # only here: readable output does not need it

        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(render_decision(decision))
    if args.explain:
        print()
        print(render_explanation(router, prompt, hints))
    return 0


def render_decision(d) -> str:
    flags = [name for name in ("requires_tools", "requires_freshness", "requires_code_execution", "requires_vision",
                               "requires_image_generation", "requires_confirmation") if getattr(d, name)]
    lines = [
        f"engine:       {d.selected_engine}",
        f"target:       {d.selected_target}",
        f"scores:       complexity {d.complexity_score}, risk {d.risk_score}, confidence {d.confidence_score}",
        f"flags:        {', '.join(flags) or '-'}",
        f"fallback:     {d.fallback_engine or '-'}{' (fallback used)' if d.fallback_used else ''}",
        f"fired rules:  {', '.join(f'{r.rule} ({r.loc})' for r in d.fired_rules) or '-'}",
        *([f"inherited:    {d.inherited_from}"] if d.inherited_from else []),
        "reasons:",
        *(f"  - {r}" for r in d.reasons),
    ]
    if d.rejected_engines:
        lines.append("rejected:")
        lines += [f"  - {r.engine}: {r.reason}" for r in d.rejected_engines]
    if d.alternatives:
        lines.append("alternatives:")
        lines += [f"  - {a.engine} (rank {a.rank_score}: capability {a.capability}, trust {a.trust}, "
                  f"cost {a.cost}, latency {a.latency})" for a in d.alternatives]
    if not d.config_valid or not d.availability_valid:
        lines.append(f"config valid: {d.config_valid}; availability valid: {d.availability_valid}")
    return "\n".join(lines)


def explanation_dict(router, prompt, hints) -> dict:
    ex = router.explain(prompt, hints)
    return {
        "patterns": [{"feature": p.feature, "scope": p.scope, "loc": p.loc, "regex": p.regex} for p in ex.patterns],
        "atoms": list(ex.atoms),
        "derived": list(ex.derived),
        "score_terms": [{"score": s, "kind": k, "value": v, "reason": r, "loc": loc} for s, k, v, r, loc in ex.terms],
        "rules_held": [{"rule": r, "loc": loc} for r, loc in ex.outcome.matched_rules],
        "overridden": [{"rule": r, "loc": loc} for r, loc in ex.overridden],
        "decided_by": {"rule": ex.outcome.rule_id, "loc": ex.outcome.rule_loc, "target": ex.outcome.target},
        "previous_turns": [{"turn": p.turn, "target": p.target, "rule": p.rule, "loc": p.loc, "inherited": p.inherited}
                           for p in ex.previous],
        "inherited_from": ex.inherited_from,
    }


def render_explanation(router, prompt, hints) -> str:
    data = explanation_dict(router, prompt, hints)
    lines = ["patterns that fired:"]
    lines += [f"  {p['feature']:<28} {p['scope']:<9} {p['loc']}" for p in data["patterns"]] or ["  (none)"]
    lines.append(f"true features:  {', '.join(data['atoms']) or '-'}")
    lines.append(f"derived:        {', '.join(data['derived']) or '-'}")
    lines.append("score terms:")
    for t in data["score_terms"]:
        amount = f"{t['value']:+d}" if t["kind"] == "add" else f"{t['kind']} {t['value']}"
        lines.append(f"  {t['score']:<10} {amount:<9} {t['reason']}  ({t['loc']})")
    if not data["score_terms"]:
        lines.append("  (none)")
    lines.append("rules whose condition held:")
    lines += [f"  {r['rule']}  ({r['loc']})" for r in data["rules_held"]] or ["  (none)"]
    if data["overridden"]:
        lines.append("safety rules turned off by a catalog switch:")
        lines += [f"  {r['rule']}  ({r['loc']})" for r in data["overridden"]]
    if data["previous_turns"]:
        lines.append("earlier user turns, as routing saw them:")
        for p in data["previous_turns"]:
            via = f", itself inherited {p['inherited']}" if p["inherited"] else ""
            lines.append(f"  turn {p['turn']}: {p['target']} by {p['rule']} ({p['loc']}){via}")
    d = data["decided_by"]
    lines.append(f"decided by:     {d['rule']} ({d['loc']}) -> {d['target']}")
    if data["inherited_from"]:
        turn = data["previous_turns"][0]["turn"] if data["previous_turns"] else "?"
        lines.append(f"inherited:      {data['inherited_from']} from the previous user turn (turn {turn})")
    return "\n".join(lines)
