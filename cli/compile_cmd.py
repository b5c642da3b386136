"""`hrouter compile`: a rules folder -> one artifact file."""

from __future__ import annotations

import argparse
import sys

DEFAULT_OUTPUT = "hrouter-artifact.json"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rules", nargs="?", metavar="RULES_DIR",
                        help="rules folder (entry file main.rules) or one .rules file (default: the packaged rules)")
    parser.add_argument("-o", "--output", metavar="ARTIFACT",
                        help=f"where to write the artifact (default: $HROUTER_HOME/{DEFAULT_OUTPUT}, "
                             "never the current folder, which may be the checkout)")
    parser.add_argument("--no-expects", action="store_true", help="do not run the expect lines while compiling")
    parser.set_defaults(run=run)


def default_rules_dir():
    """The packaged default rules as a real directory path."""
    from importlib.resources import files
    from pathlib import Path

    return Path(str(files("hrouter.rules")))


def run(args: argparse.Namespace) -> int:
    import time

    from hrouter.compiler import RulesError
    from hrouter.compiler.compile import compile_rules
    from hrouter.engine.artifact_io import write_artifact

    rules = args.rules if args.rules else default_rules_dir()
    if args.output is None:
        from hrouter.server.home import hrouter_home

        args.output = str(hrouter_home() / DEFAULT_OUTPUT)
        hrouter_home().mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    warnings: list = []
    try:
        artifact = compile_rules(rules, check_expects=not args.no_expects, warnings=warnings)
    except RulesError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    for warning in warnings:
        print(warning.render(), file=sys.stderr)
    try:
        write_artifact(artifact, args.output)
    except OSError as exc:
        print(f"hrouter compile: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    features = sum(1 for a in artifact.atoms if a.kind != "builtin" and a.scope == "message") + len(artifact.derived)
    print(
        f"compiled {rules} -> {args.output}: {len(artifact.patterns)} patterns, {features} features, "
        f"{len(artifact.rules)} rules, "
        + (f"{len(artifact.call_rules)} call rules, " if artifact.call_rules else "")
        + f"{len(artifact.expects) + len(artifact.call_expects)} expects, "
        + f"hash {artifact.source_hash[:12]}, {elapsed * 1000:.0f} ms"
        + (f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else "")
    )
    return 0
