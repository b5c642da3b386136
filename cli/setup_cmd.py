"""`hrouter setup`: scan this machine, recommend models, write configs, plan downloads.

Nothing here runs on the routing path. Heavy imports wait until a subcommand runs.
"""

from __future__ import annotations

import argparse
import json
import sys

SUBCOMMANDS = ("scan", "recommend", "wizard", "write", "download")


def _common(p: argparse.ArgumentParser, probe: bool = True) -> None:
    p.add_argument(
        "--hardware", metavar="FILE",
        help="use hardware facts from a YAML/JSON file instead of this machine (plan for another machine)",
    )
    p.add_argument("--catalog", metavar="FILE", help="model catalog to use instead of the bundled one")
    if probe:
        p.add_argument("--probe", action="store_true", help="also ask servers on 127.0.0.1:1234, 11434, 8080 for their models")


def _writing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", metavar="FILE",
                   help="engine catalog to write (default: $HROUTER_HOME/model_router.yaml, else ~/.hrouter/...)")
    p.add_argument("--proxy-output", metavar="FILE", help="proxy config to write (default: routing_proxy.yaml beside --output)")
    p.add_argument("--port", type=int, default=8082, help="port the proxy will listen on (default: %(default)s)")
    p.add_argument(
        "--runtime-url", metavar="NAME=URL", action="append",
        help="where a runtime listens when not on its usual port, e.g. lmstudio=http://127.0.0.1:1235/v1 (repeatable)",
    )


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="setup_command", metavar="SUBCOMMAND")
    scan = sub.add_parser("scan", help="show hardware, models on disk, runtimes and commands")
    _common(scan)
    scan.add_argument("--json", action="store_true", help="print JSON")
    rec = sub.add_parser("recommend", help="best model per route: on disk first, else downloads that fit")
    _common(rec)
    rec.add_argument("--json", action="store_true", help="print JSON")
    wiz = sub.add_parser("wizard", help="choose a model for each route interactively and write the configs")
    _common(wiz)
    _writing(wiz)
    wiz.add_argument("--force", action="store_true", help="allow replacing existing files (you are still asked)")
    write = sub.add_parser("write", help="write the recommended configs without questions")
    _common(write)
    _writing(write)
    write.add_argument("--mode", choices=("local", "hosted", "mixed"), default="local", help="where models run (default: %(default)s)")
    write.add_argument("--force", action="store_true", help="overwrite existing files")
    down = sub.add_parser("download", help="plan (or, with --execute, run) Hugging Face downloads")
    _common(down, probe=False)
    down.add_argument("--route", help="only this route (fast, balanced, reasoning, coding, vision, image_generation; engine names work)")
    down.add_argument("--repo-id", metavar="ID", help="download this Hugging Face repository")
    down.add_argument("--execute", action="store_true", help="run the download (asks first)")
    down.add_argument("--yes", action="store_true", help="answer yes to every question (non-interactive)")
    parser.set_defaults(run=run, setup_parser=parser)


def _fail(message: str) -> int:
    print(f"hrouter setup: {message}", file=sys.stderr)
    return 2


def _scan_and_catalog(args):
    from hrouter.advisor.catalog import load_catalog
    from hrouter.advisor.hardware import load_hardware
    from hrouter.advisor.scan import run_scan

    hardware = load_hardware(args.hardware) if args.hardware else None
    catalog = load_catalog(args.catalog)
    return run_scan(hardware=hardware, probe=getattr(args, "probe", False)), catalog


def run(args: argparse.Namespace) -> int:
    if not args.setup_command:
        args.setup_parser.print_help()
        return 2
    from hrouter.advisor.configwriter import WriteRefused
    from hrouter.advisor.download import DownloadError

    try:
        return _HANDLERS[args.setup_command](args)
    except (ValueError, WriteRefused, DownloadError) as exc:
        return _fail(str(exc))


def _scan(args) -> int:
    from hrouter.advisor.render import scan_text

    scan, _ = _scan_and_catalog(args)
    if args.json:
        print(json.dumps(scan.to_dict(), indent=2))
    else:
        sys.stdout.write(scan_text(scan))
    return 0


def _recommend(args) -> int:
    from hrouter.advisor.recommend import recommend
    from hrouter.advisor.render import recommend_text

    scan, catalog = _scan_and_catalog(args)
    rec = recommend(scan, catalog)
    if args.json:
        print(json.dumps(rec.to_dict(), indent=2))
    else:
        sys.stdout.write(recommend_text(rec))
    return 0


def _write(args) -> int:
    from pathlib import Path

    from hrouter.advisor.configwriter import NO_IMAGE_BACKEND, build_proxy, default_catalog_path, write_configs
    from hrouter.advisor.plan import default_plan, parse_runtime_urls, start_hints
    from hrouter.advisor.recommend import recommend

    runtime_urls = parse_runtime_urls(args.runtime_url)
    scan, catalog = _scan_and_catalog(args)
    plan = default_plan(scan, recommend(scan, catalog), args.mode)
    proxy = Path(args.proxy_output) if args.proxy_output else None
    catalog_path, proxy_path = write_configs(
        plan, Path(args.output) if args.output else default_catalog_path(), proxy, force=args.force, commands=scan.commands, port=args.port, runtime_urls=runtime_urls
    )
    print(f"wrote {catalog_path}")
    print(f"wrote {proxy_path}")
    for route, choice in plan.choices.items():
        print(f"  {route:<17} {choice.label}")
    if "image_generation" not in build_proxy(plan, catalog_path, args.port, runtime_urls)["engine_backends"]:
        print(f"Note: {NO_IMAGE_BACKEND}")
    if plan.downloads():
        print("Models still to download: hrouter setup download (add --execute to run it)")
    hints = start_hints(plan, runtime_urls, scan.commands, args.port)
    if hints:
        print("Model servers the proxy will forward to (start them before hrouter serve):")
        for hint in hints:
            print(f"  {hint}")
    print(f"Next: hrouter validate-config --config {catalog_path} && hrouter serve --config {proxy_path}")
    return 0


def _wizard(args) -> int:
    from hrouter.advisor.configwriter import default_catalog_path
    from hrouter.advisor.plan import parse_runtime_urls
    from hrouter.advisor.wizard import Wizard

    runtime_urls = parse_runtime_urls(args.runtime_url)
    scan, catalog = _scan_and_catalog(args)
    wizard = Wizard(
        scan, catalog, output=args.output or str(default_catalog_path()), proxy_output=args.proxy_output,
        force=args.force, port=args.port, runtime_urls=runtime_urls,
    )
    return wizard.run()


def _download(args) -> int:
    from hrouter.advisor.commands import hf_command
    from hrouter.advisor.download import describe, execute, plan_downloads
    from hrouter.advisor.recommend import recommend
    from hrouter.advisor.routes import parse_route

    route = parse_route(args.route) if args.route else None
    scan, catalog = _scan_and_catalog(args)
    rec = recommend(scan, catalog)
    items = plan_downloads(scan, rec, catalog, route=route, repo_id=args.repo_id)
    if route and not args.repo_id and rec.route(route).status == "present":
        print(f"Note: {rec.route(route).local[0].model.name} on disk already serves '{route}'.")
    sys.stdout.write(describe(items, hf_command(scan.commands)))
    if not args.execute:
        if items:
            print("This is a plan; nothing was downloaded. Add --execute to run it.")
        return 0
    sys.stdout.flush()
    return execute(items, scan, yes=args.yes, ask=_ask, out=sys.stdout)


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        print()
        return ""  # no answer counts as "no"


_HANDLERS = {"scan": _scan, "recommend": _recommend, "write": _write, "wizard": _wizard, "download": _download}
