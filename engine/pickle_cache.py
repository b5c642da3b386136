"""Already-validated objects kept between runs, so a warm ``hrouter decide`` skips YAML and cattrs.

Like ``__pycache__``: files we wrote ourselves under the user's cache folder, keyed by the hash
of what they were built from. The unpickler only admits the classes of one named module (the
artifact or catalog models), so a tampered file cannot name any other callable; anything odd
reads as a miss and the caller rebuilds from the source. Writes are atomic and best effort.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

try:  # the C unpickler alone: pickle.py's pure-Python half costs a one-prompt process ~3 ms
    from _pickle import Unpickler, UnpicklingError
except ImportError:  # pragma: no cover - an interpreter without the C accelerator
    from pickle import Unpickler, UnpicklingError


def cache_dir() -> Path:
    configured = os.environ.get("HROUTER_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "hrouter"


def layout(module: str) -> str:
    """The field names of a module's model classes: a pickle made for another layout (a newer
    or older hrouter, or a checkout in the middle of a change) gets another file name."""
    import sys

    import attrs

    classes = sorted(
        (name, tuple(f.name for f in attrs.fields(cls)))
        for name, cls in vars(sys.modules[module]).items()
        if isinstance(cls, type) and attrs.has(cls) and cls.__module__ == module
    )
    return repr(classes)


def versioned_name(prefix: str, key: str, module: str) -> str:
    """A file name for ``key`` that also changes with the hrouter version and the layout of
    the classes stored (new code, new cache)."""
    from hrouter import __version__
    from hrouter.engine.sha256 import sha256

    material = f"{key}\0{__version__}\0{layout(module)}"
    digest = sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}-{digest[:32]}.pickle"


class _OnlyModule(Unpickler):
    def __init__(self, data: bytes, module: str):
        super().__init__(io.BytesIO(data))
        self._module = module

    def find_class(self, module: str, name: str):
        if module != self._module or name.startswith("_"):
            raise UnpicklingError(f"{module}.{name} is not allowed in this cache")
        cls = super().find_class(module, name)
        if not isinstance(cls, type) or not hasattr(cls, "__attrs_attrs__"):
            raise UnpicklingError(f"{module}.{name} is not a model class")
        return cls


def load(path: Path, module: str, expected: type) -> object | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        value = _OnlyModule(data, module).load()
    except Exception:  # damaged, truncated, or from another version: a miss
        return None
    return value if isinstance(value, expected) else None


def store(path: Path, value: object) -> None:
    import pickle  # writing happens after a compile, where its import cost is lost in the noise

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        pass  # read-only cache folder: the next run rebuilds, nothing else changes
