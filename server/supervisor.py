"""`hrouter serve --workers N`: uvicorn's process supervisor, except that SIGHUP reloads each
worker in place instead of replacing the workers.

uvicorn answers SIGHUP by starting new workers and retiring the old ones, which re-reads nothing
the proxy needs (its config travels in the environment) and drops the connections and the
router each worker has warm. Here the supervisor passes SIGHUP on to every worker, and each one
reloads its rules and catalog the way a single-process proxy does (`server/reload.py`): a broken
edit leaves that worker serving the router it had, and its /health says why.

A worker that died (and was replaced) or was retired (SIGTTOU) is reported to the metrics
bookkeeping (`server/metrics_dir.py`), so the scrape of a later worker stays right.
"""

from __future__ import annotations

import logging
import os
import signal

from uvicorn.supervisors import Multiprocess

from hrouter.server.metrics_dir import worker_gone

log = logging.getLogger("hrouter.proxy")


class InPlaceReloadSupervisor(Multiprocess):
    def handle_hup(self) -> None:
        pids = [p.pid for p in self.processes if p.pid is not None]
        log.info("SIGHUP: reloading the rules in place in %d worker(s)", len(pids))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGHUP)
            except ProcessLookupError:  # exited meanwhile; the supervisor restarts it with the rules on disk
                pass

    def keep_subprocess_alive(self) -> None:
        before = self._pids()
        super().keep_subprocess_alive()
        self._report_gone(before)

    def handle_ttou(self) -> None:
        before = self._pids()
        super().handle_ttou()
        self._report_gone(before)

    def _pids(self) -> set[int]:
        return {p.pid for p in self.processes if p.pid is not None}

    def _report_gone(self, before: set[int]) -> None:
        for pid in before - self._pids():
            worker_gone(pid)
