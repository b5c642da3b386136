"""One scan of this machine: hardware, model stores, commands and (opt-in) running servers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

from hrouter.advisor.commands import scan_commands
from hrouter.advisor.convert import converter
from hrouter.advisor.hardware import Hardware, scan_hardware
from hrouter.advisor.probe import ServerProbe, probe_servers
from hrouter.advisor.stores import LocalModel, StoreReport, scan_stores


@attrs.frozen
class SetupScan:
    hardware: Hardware
    models: tuple[LocalModel, ...]
    stores: tuple[StoreReport, ...]
    commands: dict[str, str | None]
    servers: tuple[ServerProbe, ...] = ()
    api_keys: dict[str, bool] = attrs.Factory(dict)

    def has(self, command: str) -> bool:
        return bool(self.commands.get(command))

    def store_exists(self, source: str) -> bool:
        return any(s.exists for s in self.stores if s.source == source)

    def to_dict(self) -> dict:
        data = converter.unstructure(self)
        data["hardware"] = self.hardware.to_dict()
        return data


API_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN")


def run_scan(
    *,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    hardware: Hardware | None = None,
    probe: bool = False,
) -> SetupScan:
    env = os.environ if env is None else env
    home = home or Path(env.get("HOME") or Path.home())
    stores = scan_stores(home, env)
    if hardware is None:
        # Free disk is measured where downloads would land.
        target = home / ".lmstudio/models" if (home / ".lmstudio").is_dir() else home / "models"
        hardware = scan_hardware(str(target))
    return SetupScan(
        hardware=hardware,
        models=stores.models,
        stores=stores.stores,
        commands=scan_commands(which),
        servers=probe_servers() if probe else (),
        api_keys={key: bool(env.get(key)) for key in API_KEYS},
    )
