"""Already-validated objects kept between runs, so a warm ``hrouter decide`` skips YAML and cattrs.

Like ``__pycache__``: files we wrote ourselves under the user's cache folder, keyed by the hash
of what they were built from. The unpickler only admits the classes of one named module (the
artifact or catalog models), so a tampered file cannot name any other callable; anything odd
reads as a miss and the caller rebuilds from the source. Writes are atomic and best effort.

A cached artifact decides what is safe, so whoever can write the cache must not be able to swap
in one without safety rules. Two guards, as ssh does for its keys:

- the cache folder, and every file read from it, must belong to this user and be writable by
  no one else (on systems with owners and modes); otherwise nothing is cached or read;
- each file is sealed with HMAC-SHA256 under a random key kept in the folder (``seal.key``,
  mode 0600): a file planted by another path, copied from another machine or edited, fails the
  check before anything is unpickled.

The HMAC is written out over ``sha256`` (``engine/sha256.py``) rather than taken from ``hmac``,
whose ``hashlib`` import costs a one-prompt ``hrouter decide`` about 5 ms.
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


_MAGIC = b"hrouter-sealed-1\n"
_BLOCK = 64


def _hmac(key: bytes, data: bytes) -> bytes:
    from hrouter.engine.sha256 import sha256

    key = key.ljust(_BLOCK, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key) + data).digest()
    return sha256(bytes(b ^ 0x5C for b in key) + inner).digest()


def _private(path: Path) -> bool:
    """Does ``path`` belong to this user, writable by no one else? (True where there are no owners.)"""
    if not hasattr(os, "getuid"):
        return True
    try:
        st = path.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def _key(folder: Path, create: bool) -> bytes | None:
    """The folder's sealing key; made (mode 0600) on the first write."""
    if not _private(folder):
        return None
    key_file = folder / "seal.key"
    try:
        key = key_file.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
        key = os.urandom(32)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return _key(folder, create=False)
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        return key
    except OSError:
        return None
    if len(key) != 32 or not _private(key_file) or (hasattr(os, "getuid") and key_file.stat().st_mode & 0o044):
        return None
    return key


def load(path: Path, module: str, expected: type) -> object | None:
    key = _key(path.parent, create=False)
    if key is None or not _private(path):
        return None
    try:
        sealed = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if not sealed.startswith(_MAGIC) or sealed[len(_MAGIC):head] != _hmac(key, sealed[head:]):
        return None  # not written by us under this key: never unpickled
    data = sealed[head:]
    try:
        value = _OnlyModule(data, module).load()
    except Exception:  # damaged, truncated, or from another version: a miss
        return None
    return value if isinstance(value, expected) else None


def store(path: Path, value: object) -> None:
    import pickle  # writing happens after a compile, where its import cost is lost in the noise

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = _key(path.parent, create=True)
        if key is None:
            return  # a folder others can write is not used: every run compiles
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_MAGIC + _hmac(key, data) + data)
        os.replace(tmp, path)
    except OSError:
        pass  # read-only cache folder: the next run rebuilds, nothing else changes
