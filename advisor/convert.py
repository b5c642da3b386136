"""Reading the advisor's own YAML files (model catalog, hardware facts) with clear errors.

Models go through the package's one cattrs converter (``hrouter.engine.convert``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from hrouter.engine.convert import converter, describe_error

__all__ = ["converter", "describe_error_line", "read_yaml"]


def describe_error_line(exc: Exception, root: str = "$") -> str:
    """One line naming the key path of every validation failure."""
    return "; ".join(describe_error(exc, root))


def read_yaml(read: Callable[[], str] | Path, what: str, source: str, *, kind: str = "YAML"):
    """Parse a YAML (or JSON) document; ValueError says which file and why, never a traceback."""
    from hrouter.engine.safe_yaml import YamlError, load_yaml

    try:
        text = read.expanduser().read_text(encoding="utf-8") if isinstance(read, Path) else read()
        return load_yaml(text)
    except OSError as exc:
        raise ValueError(f"cannot read {what} {source}: {exc.strerror}") from None
    except YamlError as exc:
        raise ValueError(f"{source}: not valid {kind}: {exc}") from None
