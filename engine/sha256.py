"""SHA-256 for cache keys and source hashes, loaded cheaply.

``hashlib`` loads OpenSSL's bindings, about 5 ms of a one-prompt `hrouter decide`; CPython's
own SHA-256 module loads in a fraction of that and gives the same digests. Its name changed in
3.12, and a build without it falls back to hashlib.
"""

from __future__ import annotations

try:
    from _sha256 import sha256  # CPython 3.11
except ImportError:  # pragma: no cover - depends on the interpreter
    try:
        from _sha2 import sha256  # CPython 3.12+
    except ImportError:
        from hashlib import sha256

__all__ = ["sha256"]
