"""`hrouter test`: run every `expect` line of a rule set and show the failures."""

from __future__ import annotations

import argparse
import sys


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rules", nargs="?", metavar="RULES_DIR",
                        help="rules folder (entry file main.rules) or one .rules file (default: the packaged rules)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from hrouter.cli.compile_cmd import default_rules_dir
    from hrouter.compiler import RulesError
    from hrouter.compiler.compile import compile_rules
    from hrouter.compiler.expect import decider_available, run_expects
    from hrouter.compiler.loader import load

    rules = args.rules if args.rules else default_rules_dir()
    warnings: list = []
    try:
        artifact = compile_rules(rules, check_expects=False, warnings=warnings)
    except RulesError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    if not args.quiet:
        for warning in warnings:
            print(warning.render(), file=sys.stderr)
    if not decider_available():
        print("hrouter test: this build has no decision engine (hrouter.engine.decision) to run expects", file=sys.stderr)
        return 2
    results = run_expects(artifact)
    failures = [r for r in results if not r.passed]
    if failures and not args.quiet:
        loaded = load(rules)  # for the source lines shown under each failure
        for r in failures:
            print(r.diagnostic(loaded).render())
            print()
    passed = len(results) - len(failures)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0
