"""Two `hrouter serve` processes behind a load balancer (here: a client alternating between
them): the same rules give the same decisions and the same artifact hash in /health, and each
instance logs the requests it answered, by request id, in its own event log."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import yaml

from hrouter.server.demo import standin_app
from hrouter.server.threaded import ThreadedServer

HROUTER = [sys.executable, "-m", "hrouter.cli"]
PROMPTS = ["rewrite this sentence", "fix the failing test in my repo", "drop the production database",
           "what is the capital of France?", "design a migration plan for our billing system",
           "search the web for the latest TypeScript release"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(proc, url, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            return httpx.get(f"{url}/health", timeout=2).json()
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def test_two_instances_agree_and_each_logs_what_it_answered(tmp_path):
    with ThreadedServer(standin_app("local", "served-model")) as model:
        instances = []
        try:
            for name in ("a", "b"):
                config = tmp_path / f"{name}.yaml"
                config.write_text(yaml.safe_dump({
                    "observability": {"enabled": True, "log_path": str(tmp_path / f"events-{name}.jsonl")},
                    "backends": {"local": {"base_url": f"{model.url}/v1", "model": "served-model"}},
                    "engine_backends": {e: "local" for e in ("fast_local", "balanced_local", "reasoning_local",
                                                             "code_agent", "web_research", "multimodal_vision")},
                }))
                port = _free_port()
                proc = subprocess.Popen([*HROUTER, "serve", "--config", str(config), "--port", str(port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=os.environ)
                instances.append((name, proc, f"http://127.0.0.1:{port}"))
            health = {name: _wait_up(proc, url) for name, proc, url in instances}
            assert health["a"]["rules"]["artifact_hash"] == health["b"]["rules"]["artifact_hash"]

            answered: dict[str, list[str]] = {"a": [], "b": []}
            decisions: dict[str, dict[str, str]] = {"a": {}, "b": {}}
            for round_ in range(2):
                for i, prompt in enumerate(PROMPTS):
                    name, _, url = instances[(i + round_) % 2]  # alternate, so each prompt meets both
                    r = httpx.post(f"{url}/v1/chat/completions", timeout=10,
                                   json={"model": "hrouter", "messages": [{"role": "user", "content": prompt}]})
                    assert r.status_code in (200, 409), r.text
                    decisions[name][prompt] = r.headers["x-routed-engine"]
                    answered[name].append(r.headers["x-request-id"])
            assert decisions["a"] == decisions["b"] and len(decisions["a"]) == len(PROMPTS)
            assert decisions["a"]["drop the production database"] == "human_confirm"
        finally:
            for _, proc, _ in instances:
                proc.send_signal(signal.SIGTERM)
            for _, proc, _ in instances:
                proc.communicate(timeout=30)
    # Route events only: a refusal also logs its confirmation_required lifecycle event.
    logged = {name: [e["request_id"] for e in map(json.loads, (tmp_path / f"events-{name}.jsonl").read_text().splitlines())
                     if e.get("event", "route") == "route"] for name in ("a", "b")}
    for name in ("a", "b"):
        assert sorted(logged[name]) == sorted(answered[name])  # its own requests, each once, and no other's
