"""`hrouter explain`: which patterns, features, score terms and rules fire for a prompt."""

from __future__ import annotations

import argparse
import json


def register(parser: argparse.ArgumentParser) -> None:
    from hrouter.cli.decide_cmd import add_conversation_arg, add_hint_args, add_source_args

    parser.add_argument("prompt", metavar="PROMPT", help="the prompt to explain ('-' reads standard input)")
    parser.add_argument("--json", action="store_true", help="print the explanation as JSON")
    add_conversation_arg(parser)
    add_source_args(parser)
    add_hint_args(parser, full=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hrouter.cli.decide_cmd import explanation_dict, prepare, render_explanation

    prepared = prepare(args, "explain")
    if prepared is None:
        return 1
    router, prompt, hints = prepared
    engine = router.route_fast(prompt, hints)
    if args.json:
        print(json.dumps({"engine": engine, **explanation_dict(router, prompt, hints)}, indent=2, ensure_ascii=False))
    else:
        print(render_explanation(router, prompt, hints))
        print(f"engine:         {engine}")
    return 0
