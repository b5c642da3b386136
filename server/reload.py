"""Hot reload of rules and catalog: rebuild off the event loop, swap atomically, keep the old
router when an edit is broken (reported in the log and in /health)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import signal
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from hrouter.server.events import utc_iso

log = logging.getLogger("hrouter.proxy")
_LOCATION = re.compile(r"[\w./~+-]+\.(?:rules|ya?ml|json):\d+(?::\d+)?")


def public_error(exc: BaseException) -> str:
    """What /health may say about a failed reload: the error's type and where, never its text
    (a compiler or YAML message can quote the file, and a file can hold anything)."""
    places = list(dict.fromkeys(_LOCATION.findall(str(exc))))
    where = f" at {', '.join(places[:5])}{' and more' if len(places) > 5 else ''}" if places else ""
    summary = getattr(exc, "summary", None)  # "<rules>: N expect lines fail" (paths and a count only)
    return f"{type(exc).__name__}{': ' + summary if summary else ''}{where}; the proxy log has the details"


def packaged_path(package: str, name: str | None = None) -> Path | None:
    try:
        root = resources.files(package)
        target = root.joinpath(name) if name else root
        return Path(str(target))
    except (ModuleNotFoundError, TypeError):
        return None


def watched_files(router_config: str | None, rules: str | None) -> list[Path]:
    """Every file whose change should trigger a rebuild (the packaged ones when unset)."""
    catalog = Path(router_config) if router_config else packaged_path("hrouter.configs", "model_router.yaml")
    rules_path = Path(rules) if rules else packaged_path("hrouter.rules")
    files: list[Path] = []
    if catalog is not None:
        files.append(catalog)
    if rules_path is not None:
        if rules_path.is_dir():
            files.extend(sorted(p for p in rules_path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        else:
            files.append(rules_path)
    return files


def snapshot(paths: list[Path]) -> dict[str, tuple[int, int]]:
    state: dict[str, tuple[int, int]] = {}
    for p in paths:
        try:
            st = p.stat()
            state[str(p)] = (st.st_mtime_ns, st.st_size)
        except OSError:
            state[str(p)] = (-1, -1)
    return state


class RouterHolder:
    """The router currently serving. Requests read `holder.router` once; a reload replaces it
    with one assignment, so a request never sees half of an old and half of a new rule set."""

    def __init__(self, router: Any, build: Callable[[], Any], files: Callable[[], list[Path]],
                 on_reload: Callable[[bool], None] | None = None):
        self.router = router
        self._on_reload = on_reload or (lambda ok: None)
        self._build = build
        self._files = files
        self._lock = asyncio.Lock()
        self.generation = 0
        self.last_error: str | None = None
        self.last_reload_at: float | None = None
        self._seen = snapshot(files())

    def status(self) -> dict[str, Any]:
        return {
            "artifact_hash": getattr(self.router, "artifact_hash", None),
            "generation": self.generation,
            "last_reload_at": None if self.last_reload_at is None else utc_iso(self.last_reload_at),
            "reload_error": self.last_error,
        }

    async def reload(self, why: str) -> bool:
        async with self._lock:
            self._seen = snapshot(self._files())
            try:
                # Compiling rules is CPU work: off the loop, so requests keep flowing meanwhile.
                new = await asyncio.to_thread(self._build)
            except Exception as exc:  # any failure keeps the old router serving
                self.last_error = public_error(exc)
                log.error("reload (%s) failed, still serving the previous rules: %s: %s", why,
                          type(exc).__name__, exc)
                self._on_reload(False)
                return False
            self.router = new
            # As at start (app.py): the new router out of the collector's reach. The replaced
            # one is freed by reference counting, but for its few reference cycles (the
            # generated decision code's namespace, about 1,400 objects), frozen for good.
            gc.freeze()
            self.generation += 1
            self.last_error = None
            self.last_reload_at = time.time()
            log.info("reload (%s): now serving artifact %s", why, getattr(new, "artifact_hash", "?"))
            self._on_reload(True)
            return True

    def changed(self) -> bool:
        return snapshot(self._files()) != self._seen

    async def watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            if self.changed():
                await self.reload("files changed")


def install_sighup(holder: RouterHolder) -> Callable[[], None]:
    """Reload on SIGHUP when running in the main thread; returns an uninstaller."""
    if not hasattr(signal, "SIGHUP"):
        return lambda: None
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task] = set()

    def on_hup() -> None:
        task = loop.create_task(holder.reload("SIGHUP"))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    try:
        loop.add_signal_handler(signal.SIGHUP, on_hup)
    except (RuntimeError, ValueError):  # not the main thread (tests, demo threads)
        return lambda: None
    log.debug("SIGHUP reloads rules and catalog (pid %s)", os.getpid())
    return lambda: loop.remove_signal_handler(signal.SIGHUP)
