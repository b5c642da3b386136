"""`hrouter serve --workers 2` as a real process: /metrics sums every worker's counts, whichever
worker answers the scrape; the run's metric directory starts empty and a dead worker's counts
stay in the totals."""

from __future__ import annotations

import glob
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.multiprocess import MultiProcessCollector

from hrouter.server.demo import standin_app
from hrouter.server.threaded import ThreadedServer

from .test_metrics import parse

RULES = Path(__file__).resolve().parent / "rules"
HROUTER = [sys.executable, "-m", "hrouter.cli"]
CHAT = "/v1/chat/completions"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def model_server():
    with ThreadedServer(standin_app("local", "served-model")) as server:
        yield f"{server.url}/v1"


def write_config(tmp_path: Path, model_server: str) -> Path:
    config = tmp_path / "proxy.yaml"
    config.write_text(yaml.safe_dump({
        "rules": str(RULES),
        "backends": {"local": {"base_url": model_server, "model": "served-model"}},
        "engine_backends": {"fast_local": "local", "balanced_local": "local"},
    }))
    return config


class Serve:
    """One `hrouter serve --workers 2` process, stopped with SIGTERM at the end."""

    def __init__(self, config: Path, log: Path, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [*HROUTER, "serve", "--config", str(config), "--port", str(self.port), "--workers", "2",
             "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=self._log, text=True, env={**os.environ, **env})

    def get(self, path: str) -> httpx.Response:
        with httpx.Client(timeout=10) as c:  # a new connection each time: the kernel spreads them
            return c.get(f"{self.url}{path}")

    def chat(self, text: str) -> httpx.Response:
        with httpx.Client(timeout=10) as c:
            return c.post(f"{self.url}{CHAT}", json={"model": "hrouter", "messages": [{"role": "user", "content": text}]})

    def worker_pids(self, want: int = 2, timeout: float = 90.0) -> set[int]:
        """Asks /health until `want` different workers answered."""
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(seen) < want:
            assert self.proc.poll() is None, "serve exited early"
            assert time.monotonic() < deadline, f"only workers {sorted(seen)} answered"
            try:
                seen.add(self.get("/health").json()["worker_pid"])
            except httpx.HTTPError:
                time.sleep(0.3)
        return seen

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        return self.proc.returncode


def merged(files: list[str]) -> list[tuple[str, dict, float]]:
    """The samples prometheus_client's multiprocess collector makes of these files."""
    return [(x.name, x.labels, x.value) for m in MultiProcessCollector.merge(files) for x in m.samples]


def per_worker(directory: str, pid: int) -> list[tuple[str, dict, float]]:
    """One worker's own counts, from its files alone: what it would expose by itself."""
    return merged(glob.glob(os.path.join(directory, f"*_{pid}.db")))


def scraped(text: str) -> list[tuple[str, dict, float]]:
    return [sample for family in parse(text).values() for sample in family["samples"]]


def total(samples, name: str, **labels) -> float:
    return sum(v for n, lab, v in samples if n == name and all(lab.get(k) == w for k, w in labels.items()))


def chat_answers(samples) -> float:
    return total(samples, "hrouter_http_responses_total", route=CHAT, status="200")


def stale_run(directory: Path) -> None:
    """Files a finished earlier run left behind: 1000 chat answers, counted in a process now gone."""
    subprocess.run([sys.executable, "-c", textwrap.dedent("""
        from hrouter.server.metrics import RouterMetrics
        m = RouterMetrics()
        for _ in range(1000):
            m.observe_request("fast_local", "local", 200, route_seconds=0.0001)
            m.observe_response("/v1/chat/completions", 200)
    """)], check=True, env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}, timeout=60)


def test_metrics_are_totals_across_workers_whichever_worker_answers(tmp_path, model_server):
    prom = tmp_path / "prom"
    prom.mkdir()
    stale_run(prom)
    stale = glob.glob(str(prom / "*.db"))
    assert chat_answers(merged(stale)) == 1000  # what the run would add up if it kept them
    (prom / "notes.txt").write_text("not a metrics file")

    serve = Serve(write_config(tmp_path, model_server), tmp_path / "stderr.txt",
                  {"PROMETHEUS_MULTIPROC_DIR": str(prom)})
    try:
        pids = serve.worker_pids()
        assert not any(os.path.exists(f) for f in stale), "the run did not start from an empty directory"
        assert (prom / "notes.txt").exists()

        # Chat requests on new connections until both workers have answered some of them.
        sent = 0
        deadline = time.monotonic() + 120
        while sent < 20 or not all(chat_answers(per_worker(str(prom), pid)) for pid in pids):
            assert sent < 400 and time.monotonic() < deadline, {p: chat_answers(per_worker(str(prom), p)) for p in pids}
            r = serve.chat("hello there")
            assert r.status_code == 200, r.text
            sent += 1
        own = {pid: chat_answers(per_worker(str(prom), pid)) for pid in pids}
        assert sum(own.values()) == sent and all(0 < n < sent for n in own.values())

        # Scrapes on new connections until each worker has answered at least two of them: every
        # scrape shows the totals over both workers, never the answering worker's share.
        scrapes = 0
        deadline = time.monotonic() + 120
        while True:
            samples = scraped(serve.get("/metrics").text)
            scrapes += 1
            assert chat_answers(samples) == sent
            assert total(samples, "hrouter_requests_total", status="200") == sent
            assert total(samples, "hrouter_routing_latency_seconds_count") == sent
            assert total(samples, "hrouter_upstream_latency_seconds_count", backend="local") == sent
            answered = {pid: total(per_worker(str(prom), pid), "hrouter_http_responses_total", route="/metrics")
                        for pid in pids}
            if all(n >= 2 for n in answered.values()):
                break
            assert scrapes < 200 and time.monotonic() < deadline, answered
    finally:
        code = serve.stop()
    err = (tmp_path / "stderr.txt").read_text()
    assert code == 0, err
    assert "Traceback" not in err


def test_default_directory_is_fresh_per_run_and_a_dead_workers_counts_stay(tmp_path, model_server, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}
    serve = Serve(write_config(tmp_path, model_server), tmp_path / "stderr.txt", env)
    try:
        pids = serve.worker_pids()
        runs = glob.glob(str(tmp / "hrouter-metrics-*"))
        assert len(runs) == 1
        sent = 12
        for _ in range(sent):
            assert serve.chat("hello there").status_code == 200
        assert chat_answers(scraped(serve.get("/metrics").text)) == sent

        # A worker dies; the supervisor starts another. What the dead one counted stays counted.
        victim = max(pids, key=lambda pid: chat_answers(per_worker(runs[0], pid)))
        assert chat_answers(per_worker(runs[0], victim)) > 0
        os.kill(victim, signal.SIGKILL)
        now = serve.worker_pids()  # the survivor and the replacement
        assert victim not in now and pids - {victim} < now
        for _ in range(6):
            assert chat_answers(scraped(serve.get("/metrics").text)) == sent
    finally:
        code = serve.stop()
    err = (tmp_path / "stderr.txt").read_text()
    assert code == 0, err
    assert glob.glob(str(tmp / "hrouter-metrics-*")) == []  # removed at exit
