"""The `hrouter` command: one entry point, one small module per subcommand.

Subcommand modules are imported only when their subcommand runs, so `hrouter decide` loads
neither the compiler (lark) nor the proxy (starlette, httpx).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys

#: subcommand -> (module under hrouter.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "compile": ("compile_cmd", "compile a rules folder into an artifact"),
    "test": ("test_cmd", "check every expect line of a rule set"),
    "explain": ("explain_cmd", "show which patterns, features, rules and score terms fire"),
    "decide": ("decide_cmd", "route one prompt and print the decision"),
    "validate-config": ("validate_config_cmd", "validate an engine catalog"),
    "dispatch-plan": ("dispatch_plan_cmd", "dry run: what an adapter would do for a prompt"),
    "serve": ("serve_cmd", "run the routing proxy"),
    "init": ("init_cmd", "write ready proxy and catalog configs from a preset"),
    "validate-proxy-config": ("validate_proxy_config_cmd", "validate a proxy config"),
    "doctor": ("doctor_cmd", "check a proxy config and its backends"),
    "feedback": ("feedback_cmd", "label a logged request with the engine it should have had"),
    "replay": ("replay_cmd", "re-route logged traffic under a rule set"),
    "diff": ("diff_cmd", "compare two rule sets on a corpus"),
    "setup": ("setup_cmd", "scan this machine and write a routing config"),
    "confirm": ("confirm_cmd", "list, approve or deny requests a running proxy refused"),
}


#: Commands that handle one prompt or one file and exit. They import the engine and unpickle
#: the cached rules (tens of thousands of new objects) and create no garbage cycles worth
#: collecting, so the cyclic collector is switched off for them: about 5% of `hrouter decide`.
ONE_SHOT = frozenset({"decide", "explain", "dispatch-plan", "validate-config"})


def _load(name: str):
    module, _ = COMMANDS[name]
    return importlib.import_module(f"hrouter.cli.{module}")


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing shutil (and the compression modules it
    loads), which argparse does for every parser it builds: 5 ms of `hrouter decide`."""

    def __init__(self, prog: str, **kwargs) -> None:
        if kwargs.get("width") is None:
            kwargs["width"] = _columns() - 2
        super().__init__(prog, **kwargs)


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


#: The one convention for files, shown by `hrouter --help`.
CONVENTIONS = """\
files:
  Per-user files live in $HROUTER_HOME (default ~/.hrouter): routing_proxy.yaml (proxy config),
  model_router.yaml (engine catalog) and logs/ (routing events, feedback). `hrouter init` and
  `hrouter setup write|wizard` write those two files there, and the proxy writes its logs there.

  --config FILE is the file the command itself reads:
    a proxy config for    serve, doctor, validate-proxy-config
                          (default: $HROUTER_HOME/routing_proxy.yaml if present, else the embedded one)
    an engine catalog for decide, explain, dispatch-plan, validate-config, feedback, replay, diff
                          (default: the packaged catalog; a proxy config names its own in router_config)
  Passing one kind where the other belongs is refused with a message that says so.
"""


class _TopHelpFormatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """Keeps the conventions' layout; sized like every other help screen."""


def _version() -> str:
    from hrouter import __version__

    return f"hrouter {__version__}"


class _VersionAction(argparse.Action):
    """`--version`, with the version read only when asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(_version())
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hrouter", description="Deterministic model router for AI agents.",
                                     epilog=CONVENTIONS, formatter_class=_TopHelpFormatter)
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if only is None:
            # Listed for --help; no subcommand module is imported.
            sub.add_parser(name, help=help_text, add_help=False, formatter_class=HelpFormatter)
        elif name == only:
            # A subparser costs about half a millisecond, so a known subcommand gets only its own.
            _load(name).register(sub.add_parser(name, help=help_text, description=help_text,
                                                formatter_class=HelpFormatter))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    collecting = gc.isenabled()
    if chosen in ONE_SHOT:
        gc.disable()
    try:
        return _run(argv, chosen if chosen in COMMANDS else None)
    finally:
        if collecting:
            gc.enable()  # main() may be called in a longer-lived process (tests, scripts)


def _run(argv: list[str], only: str | None) -> int:
    if only is not None:
        try:
            _load(only)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("hrouter.cli."):
                print(f"hrouter: the '{only}' command is not available in this build", file=sys.stderr)
                return 2
            raise
    parser = build_parser(only)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("hrouter: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
