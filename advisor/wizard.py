"""`hrouter setup wizard`: choose a model for each route, see the configs, then write them.

Questions and answers go through `ask` and `out`, so tests can drive it directly or through a
pseudo-terminal. Files are written only after the final "yes", in one atomic step: Ctrl-C or the
end of input at any question leaves nothing behind.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from hrouter.advisor.catalog import ModelCatalog
from hrouter.advisor.commands import hf_command
from hrouter.advisor.configwriter import (
    NO_IMAGE_BACKEND, build_catalog, build_proxy, default_proxy_path, render_yaml, write_configs,
)
from hrouter.advisor.download import PIP_INSTALL
from hrouter.advisor.plan import MODE_TITLE, MODES, SetupPlan, default_plan, route_choices, start_hints
from hrouter.advisor.recommend import recommend
from hrouter.advisor.render import hardware_lines
from hrouter.advisor.routes import ROUTE_ENGINE, ROUTE_TITLE, ROUTES
from hrouter.advisor.scan import SetupScan


class WizardAborted(Exception):
    """The user stopped answering (end of input)."""


class Wizard:
    def __init__(
        self,
        scan: SetupScan,
        catalog: ModelCatalog,
        *,
        output: str,
        proxy_output: str | None = None,
        force: bool = False,
        ask: Callable[[str], str] = input,
        out: TextIO | None = None,
        run: Callable[[list[str]], int] | None = None,
        home: Path | None = None,
        port: int = 8082,
        runtime_urls: dict[str, str] | None = None,
    ):
        self.port, self.runtime_urls = port, runtime_urls
        self.scan, self.catalog, self.force, self.home = scan, catalog, force, home
        self.output = Path(output).expanduser().absolute()
        self.proxy_output = Path(proxy_output).expanduser().absolute() if proxy_output else default_proxy_path(self.output)
        self._ask, self.out = ask, out or sys.stdout
        self._run = run or (lambda argv: subprocess.run(argv, check=False).returncode)

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, prompt: str) -> str:
        try:
            return self._ask(prompt)
        except EOFError:
            raise WizardAborted() from None

    def yes_no(self, prompt: str) -> bool:
        while True:
            answer = self.ask(f"{prompt} [y/N] ").strip().lower()
            if answer in ("", "n", "no"):
                return False
            if answer in ("y", "yes"):
                return True
            self.say("Please answer y or n.")

    def pick(self, prompt: str, count: int, default: int = 1) -> int:
        """A number from 1 to count (Enter takes the default); asks again on anything else."""
        while True:
            answer = self.ask(f"{prompt} [{default}]: ").strip()
            if not answer:
                return default
            if answer.isdigit() and 1 <= int(answer) <= count:
                return int(answer)
            self.say(f"Please enter a number from 1 to {count}.")

    def run(self) -> int:
        try:
            return self._run_steps()
        except WizardAborted:
            self.say()
            self.say("No more input; nothing was written.")
            return 1

    def _run_steps(self) -> int:
        existing = [p for p in (self.output, self.proxy_output) if p.exists()]
        if existing and not self.force:
            print(f"hrouter setup: {existing[0]} already exists; pass --force to replace it", file=sys.stderr)
            return 2
        rec = recommend(self.scan, self.catalog)
        self.say("hrouter setup wizard: Ctrl-C at any question stops without writing anything.")
        self.say()
        self.say("This machine")
        for line in hardware_lines(self.scan.hardware):
            self.say(line)
        self.say(f"  found:   {len(self.scan.models)} model(s) on disk")
        self.say()
        self._offer_hf(rec)
        mode = self._ask_mode()
        recommended = default_plan(self.scan, rec, mode, self.home).choices
        choices = {}
        for route in ROUTES:
            options = route_choices(self.scan, rec, route, mode, self.home)
            # Enter takes what `setup write` would pick (a model on disk that does not fit is
            # listed first but not suggested).
            default = options.index(recommended[route]) + 1 if recommended[route] in options else 1
            self.say()
            self.say(f"Route {route}: {ROUTE_TITLE[route]} (engine {ROUTE_ENGINE[route]})")
            for i, option in enumerate(options, 1):
                self.say(f"  {i}. {option.label}")
            choices[route] = options[self.pick("Choice", len(options), default) - 1]
        plan = SetupPlan(mode, choices)
        agents = [f"{cmd} (engine {engine})" for cmd, engine in (("claude", "claude_code"), ("codex", "codex")) if self.scan.has(cmd)]
        if agents:
            state = "disabled in local mode" if mode == "local" else "enabled, for dispatch plans and adapters"
            self.say()
            self.say(f"Agent tools on PATH: {', '.join(agents)}; {state}.")
        return self._confirm_and_write(plan)

    def _offer_hf(self, rec) -> None:
        if not any(r.downloads for r in rec.routes) or hf_command(self.scan.commands):
            return
        self.say("Some routes can use downloaded models, and the Hugging Face CLI (hf) is not installed.")
        if self.yes_no(f"Install huggingface_hub into this Python ({sys.executable}) now?"):
            code = self._run(PIP_INSTALL)
            self.say("Installed." if code == 0 else f"pip exited with status {code}; continuing without it.")
        else:
            self.say("Skipped. The configs can still be written; download later with `hrouter setup download`.")
        self.say()

    def _ask_mode(self) -> str:
        self.say("Where should models run?")
        for i, mode in enumerate(MODES, 1):
            self.say(f"  {i}. {MODE_TITLE[mode]}")
        return MODES[self.pick("Mode", len(MODES)) - 1]

    def _confirm_and_write(self, plan: SetupPlan) -> int:
        catalog_text = render_yaml(build_catalog(plan, self.scan.commands))
        proxy = build_proxy(plan, self.output, self.port, self.runtime_urls)
        proxy_text = render_yaml(proxy)
        self.say()
        self.say(f"--- {self.output} (engine catalog)")
        self.say(catalog_text.rstrip())
        self.say(f"--- {self.proxy_output} (proxy config)")
        self.say(proxy_text.rstrip())
        self.say("---")
        if not self.yes_no("Write these two files?"):
            self.say("Nothing was written.")
            return 1
        write_configs(
            plan, self.output, self.proxy_output,
            force=self.force, commands=self.scan.commands, port=self.port, runtime_urls=self.runtime_urls,
        )
        self.say(f"Wrote {self.output}")
        self.say(f"Wrote {self.proxy_output}")
        if "image_generation" not in proxy["engine_backends"]:
            self.say(f"Note: {NO_IMAGE_BACKEND}")
        downloads = plan.downloads()
        if downloads:
            self.say("Models to download (nothing has been downloaded yet):")
            for repo_id, size in {c.repo_id: c.size_gb for _, c in downloads}.items():
                self.say(f"  hrouter setup download --repo-id {repo_id} --execute   # {size:g} GB")
        hints = start_hints(plan, self.runtime_urls, self.scan.commands, self.port)
        if hints:
            self.say("Model servers the proxy will forward to (start them before hrouter serve):")
            for hint in hints:
                self.say(f"  {hint}")
        self.say(f"Next: hrouter validate-config --config {self.output}")
        self.say(f"      hrouter serve --config {self.proxy_output}")
        return 0
