"""`hrouter init --preset NAME`: write a ready proxy config and a catalog copy to a folder."""

from __future__ import annotations

import argparse
import os
import sys

PRESETS = ("lmstudio", "ollama", "llamacpp", "localai", "hosted-openai-compatible")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", required=True, choices=PRESETS, help="which model server runtime you use")
    parser.add_argument("--dir", help="where to write (default: $HROUTER_HOME, else ~/.hrouter)")
    parser.add_argument("--yes", "-y", action="store_true", help="write without asking")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.set_defaults(run=run)


def _fail(message: str) -> int:
    print(f"hrouter init: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    from importlib import resources
    from pathlib import Path

    from hrouter.server.home import CATALOG_NAME, PROXY_CONFIG_NAME, hrouter_home

    folder = Path(os.path.expanduser(args.dir)) if args.dir else hrouter_home()
    configs = resources.files("hrouter.configs")
    files = {
        PROXY_CONFIG_NAME: configs.joinpath("presets", f"{args.preset}.yaml").read_text(encoding="utf-8"),
        CATALOG_NAME: configs.joinpath("model_router.yaml").read_text(encoding="utf-8"),
    }
    targets = {name: folder / name for name in files}
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not args.force:
        return _fail(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                     "pass --force to overwrite")
    if not args.yes:
        if not sys.stdin.isatty():
            return _fail("not a terminal: pass --yes to write without asking")
        answer = input(f"Write the {args.preset} preset to {folder}? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("nothing written")
            return 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            tmp = targets[name].with_name(f".{name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, targets[name])  # a reader never sees half a file
    except OSError as exc:
        return _fail(f"cannot write to {folder}: {exc.strerror or exc}")
    proxy = targets[PROXY_CONFIG_NAME]
    print(f"wrote {proxy} ({args.preset} preset)")
    print(f"wrote {targets[CATALOG_NAME]} (engine catalog)")
    print("next:")
    print(f"  1. edit the backend models in {proxy} to the ones your server has")
    print(f"  2. hrouter doctor --config {proxy}")
    print(f"  3. hrouter serve --config {proxy}")
    print("  4. point your agent at OPENAI_BASE_URL=http://127.0.0.1:8082/v1")
    return 0
