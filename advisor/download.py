"""Download plans for catalog models, and running them with the Hugging Face `hf` CLI.

Planning is the default and touches nothing. Running needs --execute and a confirmation (or
--yes). The `hf` process inherits the terminal, so its own progress bars are what the user sees.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import attrs

from hrouter.advisor.catalog import ModelCatalog
from hrouter.advisor.commands import hf_command
from hrouter.advisor.plan import download_dir
from hrouter.advisor.recommend import Recommendation
from hrouter.advisor.routes import ROUTES
from hrouter.advisor.scan import SetupScan

PIP_INSTALL = [sys.executable, "-m", "pip", "install", "huggingface_hub"]


@attrs.frozen
class DownloadItem:
    route: str | None
    repo_id: str
    include: tuple[str, ...]
    dest: str
    size_gb: float | None
    licence: str | None

    def command(self, hf: str | None) -> list[str]:
        tool = hf or "hf"
        argv = [tool, "download", self.repo_id]
        if Path(tool).name == "huggingface-cli":
            argv += ["--include", *self.include] if self.include else []
        else:
            for pattern in self.include:  # the `hf` CLI takes one pattern per --include
                argv += ["--include", pattern]
        return argv + ["--local-dir", self.dest]


class DownloadError(Exception):
    """A download plan that cannot be made or run; the message is for the user."""


def plan_downloads(
    scan: SetupScan,
    rec: Recommendation,
    catalog: ModelCatalog,
    *,
    route: str | None = None,
    repo_id: str | None = None,
    home: Path | None = None,
) -> list[DownloadItem]:
    if repo_id:
        known = catalog.by_repo(repo_id)
        image = bool(known and "image_generation" in known.routes) or route == "image_generation"
        return [
            DownloadItem(
                route=route or (known.routes[0] if known else None),
                repo_id=repo_id,
                include=known.include if known else (),
                dest=str(download_dir(scan, repo_id, home, image=image)),
                size_gb=known.size_gb if known else None,
                licence=known.licence if known else None,
            )
        ]
    items: dict[str, DownloadItem] = {}
    for name in [route] if route else ROUTES:
        advice = rec.route(name)
        if not route and advice.status == "present":
            continue  # a model on disk already serves this route
        if not advice.downloads:
            if route:
                budget = rec.hardware.memory_budget_gb
                raise DownloadError(f"no catalog model for route '{name}' fits this machine ({budget:g} GB memory budget)")
            continue
        m = advice.downloads[0].model
        if m.repo_id in items:  # one model serving two routes is downloaded once
            earlier = items[m.repo_id]
            items[m.repo_id] = attrs.evolve(earlier, route=f"{earlier.route}, {name}")
            continue
        dest = download_dir(scan, m.repo_id, home, image=name == "image_generation")
        items[m.repo_id] = DownloadItem(name, m.repo_id, m.include, str(dest), m.size_gb, m.licence)
    return list(items.values())


def describe(items: list[DownloadItem], hf: str | None) -> str:
    if not items:
        return "Nothing to download: every route has a model on disk (or none fits this machine).\n"
    lines = []
    total = sum(i.size_gb or 0 for i in items)
    for item in items:
        size = f"{item.size_gb:g} GB" if item.size_gb is not None else "size unknown (not in the catalog)"
        lines.append(f"- {item.route or 'custom'}: {item.repo_id}")
        lines.append(f"    files:   {', '.join(item.include) or 'the whole repository'}")
        lines.append(f"    size:    {size}" + (f", licence {item.licence}" if item.licence else ""))
        lines.append(f"    into:    {item.dest}")
        lines.append(f"    command: {shlex.join(item.command(hf))}")
    lines.append(f"Total: about {total:g} GB.")
    if not hf:
        lines.append("The Hugging Face CLI (hf) is not on PATH: install it with `" + shlex.join(PIP_INSTALL[2:]) + "`.")
    return "\n".join(lines) + "\n"


def _yes(answer: str) -> bool:
    return answer.strip().lower() in ("y", "yes")


def _venv_hf() -> str | None:
    # pip installs console scripts beside the running interpreter, which may not be on PATH.
    candidate = Path(sys.executable).parent / "hf"
    return str(candidate) if candidate.exists() else None


def execute(
    items: list[DownloadItem],
    scan: SetupScan,
    *,
    yes: bool,
    ask: Callable[[str], str],
    out: TextIO,
    which: Callable[[str], str | None] = shutil.which,
    run: Callable[[list[str]], int] | None = None,
) -> int:
    """Run the plan; returns an exit code. Declining any question changes nothing."""
    run = run or (lambda argv: subprocess.run(argv, check=False).returncode)
    if not items:
        out.write("Nothing to download.\n")
        return 0
    hf = hf_command({name: which(name) for name in ("hf", "huggingface-cli")})
    if not hf:
        out.write("The Hugging Face CLI (hf) is needed for downloads and is not installed.\n")
        if not (yes or _yes(ask(f"Install huggingface_hub into this Python ({sys.executable})? [y/N] "))):
            out.write("Not installed; nothing was downloaded. Run `pip install huggingface_hub` later, then this command again.\n")
            return 1
        if run(PIP_INSTALL) != 0:
            raise DownloadError("pip install huggingface_hub failed; nothing was downloaded")
        hf = which("hf") or _venv_hf()
        if not hf:
            raise DownloadError("huggingface_hub is installed but `hf` is not on PATH; add the environment's bin folder to PATH")
    total = sum(i.size_gb or 0 for i in items)
    free = scan.hardware.disk_free_gb
    if free is not None and total + 1 > free:
        raise DownloadError(f"not enough disk: about {total:g} GB to download, {free:g} GB free")
    if not yes and not _yes(ask(f"Download {len(items)} model(s), about {total:g} GB? [y/N] ")):
        out.write("Cancelled; nothing was downloaded.\n")
        return 1
    for item in items:
        argv = item.command(hf)
        out.write(f"$ {shlex.join(argv)}\n")
        out.flush()
        Path(item.dest).mkdir(parents=True, exist_ok=True)
        code = run(argv)
        if code != 0:
            out.write(f"hf exited with status {code}; stopping.\n")
            return code
    out.write("Done. Run `hrouter setup recommend` to see the models on disk.\n")
    return 0
