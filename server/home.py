"""Where per-user files live, the one convention every command follows: `$HROUTER_HOME`, else
`~/.hrouter`, holding `routing_proxy.yaml` (proxy config), `model_router.yaml` (engine catalog)
and `logs/` (routing events and feedback). Imports nothing heavy: `hrouter decide --log` uses it."""

from __future__ import annotations

import os
from pathlib import Path

PROXY_CONFIG_NAME = "routing_proxy.yaml"
CATALOG_NAME = "model_router.yaml"


def hrouter_home() -> Path:
    return Path(os.path.expanduser(os.environ.get("HROUTER_HOME") or "~/.hrouter"))


def default_proxy_config_path() -> str | None:
    """$HROUTER_HOME/routing_proxy.yaml when it exists, else None (the embedded default)."""
    path = hrouter_home() / PROXY_CONFIG_NAME
    return str(path) if path.exists() else None
