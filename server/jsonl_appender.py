"""Whole-line appends to a JSONL log shared by several processes, with size-based rotation.

Each batch is one ``os.write`` on an ``O_APPEND`` descriptor, under a shared ``flock`` on a
lock file beside the log; rotation takes the lock exclusively. So worker processes of one proxy
never interleave or lose lines (Linux serialises appends to a regular file), and every writer
checks under the shared lock that its descriptor is still the current file, reopening it when
another process rotated, so no line lands in a backup that is about to be deleted.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 5


class JsonlAppender:
    """Appends batches of whole lines to a log shared by several processes, rotating by size."""

    def __init__(self, path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES, backups: int = DEFAULT_BACKUPS):
        self.path = Path(os.path.expanduser(str(path)))
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.max_bytes = max(0, int(max_bytes))
        self.backups = max(0, int(backups))
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._pid = os.getpid()

    def append(self, data: bytes) -> None:
        """Append ``data`` (whole lines). Raises OSError; the caller decides how to degrade."""
        if not data:
            return
        if self._pid != os.getpid():
            # A forked child shares the parent's open file descriptions, and flock locks belong
            # to those: it needs descriptors of its own for the lock to separate the two.
            self.close()
            self._pid = os.getpid()
        if self._lock_fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_SH)
        try:
            self._ensure_current()
            if self._needs_rotation(len(data)):
                # Upgrading releases the shared lock first; re-check everything once exclusive.
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
                self._ensure_current()
                if self._needs_rotation(len(data)):
                    self._rotate()
                    self._ensure_current()
            self._write_all(data)
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _ensure_current(self) -> None:
        """(Re)open the log when this process has none, or another process rotated it away."""
        if self._fd is not None:
            try:
                if os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:
                    return
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def _needs_rotation(self, incoming: int) -> bool:
        if self.max_bytes <= 0 or self._fd is None:
            return False
        size = os.fstat(self._fd).st_size
        return size > 0 and size + incoming > self.max_bytes

    def _rotate(self) -> None:
        name = self.path.name
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{name}.{index}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{name}.{index + 1}"))
        os.replace(self.path, self.path.with_name(f"{name}.1"))

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            # One call for the whole batch; a short write only happens on errors such as ENOSPC.
            written = os.write(self._fd, view)  # type: ignore[arg-type]
            if written <= 0:
                raise OSError("short write to event log")
            view = view[written:]

    def close(self) -> None:
        for attr in ("_fd", "_lock_fd"):
            fd = getattr(self, attr)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                setattr(self, attr, None)
