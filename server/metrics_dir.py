"""The directory where the workers of one `hrouter serve` run keep their metric files.

prometheus_client's multiprocess mode has each process write its counts to `*_<pid>.db` files
in PROMETHEUS_MULTIPROC_DIR and sums every file on a scrape. Files left by an earlier run
would be summed too, so a run starts from an empty directory: a fresh temporary one (removed at
exit), or the user's PROMETHEUS_MULTIPROC_DIR with its `.db` files removed first (only those:
the directory may hold other things). The variable has to be in the environment before a
worker imports prometheus_client, which is why the parent sets it before starting them.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import shutil
import tempfile
from typing import Iterator

ENV = "PROMETHEUS_MULTIPROC_DIR"

log = logging.getLogger("hrouter.proxy")


@contextlib.contextmanager
def run_metrics_dir(workers: int) -> Iterator[str | None]:
    """Set up the directory for this run (None when one process needs none) and tidy it after."""
    given = os.environ.get(ENV)
    if given:
        # A process that already imported prometheus_client with this variable set (a
        # single-process serve does) writes here too: clean it before any metric exists.
        os.makedirs(given, exist_ok=True)
        for stale in glob.glob(os.path.join(given, "*.db")):
            os.remove(stale)
        yield given
        return
    if workers <= 1:
        yield None
        return
    path = tempfile.mkdtemp(prefix="hrouter-metrics-")
    os.environ[ENV] = path
    try:
        yield path
    finally:
        os.environ.pop(ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def worker_gone(pid: int) -> None:
    """Bookkeeping for a worker that died or was retired.

    Its counter and histogram files stay: the requests it answered happened, and a total must
    not go down when a worker is replaced. prometheus_client's mark_process_dead removes only
    the per-process "live" gauges, of which the proxy has none today; calling it keeps a future
    live gauge right."""
    path = os.environ.get(ENV)
    if not path:
        return
    from prometheus_client.multiprocess import mark_process_dead

    try:
        mark_process_dead(pid, path)
    except OSError as exc:  # never let metrics bookkeeping stop the supervisor
        log.warning("metrics: could not mark worker %d dead in %s: %s", pid, path, exc)
