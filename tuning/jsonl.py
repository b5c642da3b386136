"""Streaming JSON-lines reading with progress, in bounded memory whatever the file size.

Logs grow to gigabytes; nothing here holds more than one line at a time. A line that is not a
JSON object (a torn write after a crash, a stray edit) is counted and skipped, never fatal.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

import attrs

ProgressFn = Callable[[int, int], None]  # (bytes read, total bytes)


@attrs.define
class ReadStats:
    lines: int = 0
    rows: int = 0
    bad_lines: int = 0
    first_bad_line: int | None = None


class StderrProgress:
    """Prints "read 120 MB of 1.0 GB (12%)" to a stream, at most every ``step_bytes`` or ``every_s``."""

    def __init__(self, label: str, stream: TextIO | None = None, step_bytes: int = 64 << 20, every_s: float = 2.0):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.step_bytes = step_bytes
        self.every_s = every_s
        self._next = step_bytes
        self._last: float | None = None  # set by the first call: loading rules is not reading
        self.printed = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self._last is None:
            self._last = now
        if done < self._next and now - self._last < self.every_s and done < total:
            return
        if done >= total and not self.printed:
            return  # a small file finished before the first report: stay quiet
        self._next = done + self.step_bytes
        self._last = now
        pct = f" ({100 * done // total}%)" if total else ""
        print(f"{self.label}: read {_size(done)} of {_size(total)}{pct}", file=self.stream, flush=True)
        self.printed += 1


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def iter_jsonl(
    path: str | os.PathLike[str],
    stats: ReadStats | None = None,
    progress: ProgressFn | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield each JSON object line of ``path``. Raises OSError when the file cannot be opened."""
    stats = stats if stats is not None else ReadStats()
    p = Path(os.path.expanduser(str(path)))
    total = p.stat().st_size
    done = 0
    with p.open("rb") as handle:
        for raw in handle:
            done += len(raw)
            stats.lines += 1
            if progress is not None and stats.lines % 256 == 0:
                progress(done, total)
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                row = None
            if not isinstance(row, dict):
                stats.bad_lines += 1
                if stats.first_bad_line is None:
                    stats.first_bad_line = stats.lines
                continue
            stats.rows += 1
            yield row
    if progress is not None:
        progress(done, total)


def append_jsonl(path: str | os.PathLike[str], row: dict[str, Any]) -> None:
    """Append one line with a single write on an O_APPEND descriptor (safe beside other writers)."""
    p = Path(os.path.expanduser(str(path)))
    p.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
