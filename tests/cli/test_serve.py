"""`hrouter serve` as a real process: banner, routing, SIGHUP reload, --demo, --workers, clean
shutdown on SIGTERM and Ctrl-C, refusal to bind beyond loopback without a key."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from hrouter.engine.router import default_rules_path
from hrouter.server.demo import standin_app
from hrouter.server.threaded import ThreadedServer

RULES = Path(__file__).resolve().parents[1] / "server" / "rules"
HROUTER = [sys.executable, "-m", "hrouter.cli"]
#: every engine the default rules route to, so a rule set that let a risky prompt through
#: would forward it (200) instead of refusing it (409)
FORWARDED = ["fast_local", "balanced_local", "reasoning_local", "code_agent", "web_research",
             "multimodal_vision", "image_generation"]
RISKY = "drop the production database"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, env=None):
    return subprocess.Popen([*HROUTER, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def wait_up(proc, url, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.stderr.read()}")
        try:
            return httpx.get(f"{url}/health", timeout=2).json()
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("serve did not come up")


def wait_for_reload(url, trigger, timeout=15.0):
    """Until /health reports the first reloaded rules generation."""
    deadline = time.monotonic() + timeout
    while httpx.get(f"{url}/health", timeout=2).json()["rules"]["generation"] != 1:
        assert time.monotonic() < deadline, f"{trigger} did not reload"
        time.sleep(0.2)


def stop(proc, sig=signal.SIGTERM, timeout=15.0):
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"serve did not stop on {sig!r}: {err}")
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def model_server():
    with ThreadedServer(standin_app("local", "served-model")) as server:
        yield f"{server.url}/v1"


def write_config(tmp_path, rules, model_server, engines) -> Path:
    """A proxy config sending ``engines`` to the one stand-in model server."""
    config = tmp_path / "proxy.yaml"
    config.write_text(yaml.safe_dump({
        "rules": str(rules),
        "backends": {"local": {"base_url": model_server, "model": "served-model"}},
        "engine_backends": {engine: "local" for engine in engines},
    }))
    return config


def chat(url, text, model="hrouter"):
    return httpx.post(f"{url}/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": text}]},
                      timeout=10)


def test_serve_routes_reloads_on_sighup_and_stops_cleanly(tmp_path, model_server):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    # the rules path is relative to the config file
    config = write_config(tmp_path, "rules", model_server, ["fast_local", "balanced_local", "reasoning_local", "code_agent"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(["--config", str(config), "--port", str(port), "--log-level", "warning"])
    try:
        health = wait_up(proc, url)
        assert health["status"] == "ok" and health["rules"]["generation"] == 0
        r = chat(url, "tell me about the weather")
        assert r.status_code == 200 and r.headers["x-routed-engine"] == "balanced_local"
        assert "served-model" in r.json()["choices"][0]["message"]["content"]

        main = rules / "main.rules"
        main.write_text(main.read_text().replace("words(prove, analyze, theorem)", "words(prove, analyze, theorem, weather)"))
        proc.send_signal(signal.SIGHUP)
        wait_for_reload(url, "SIGHUP")
        assert chat(url, "tell me about the weather").headers["x-routed-engine"] == "reasoning_local"
    finally:
        code, out, err = stop(proc)
    assert code == 0, err
    assert f"OPENAI_BASE_URL={url}/v1" in out
    assert "Traceback" not in err


def test_demo_mode_answers_with_backend_and_model_and_stops_on_ctrl_c():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(["--demo", "--port", str(port), "--log-level", "warning"])
    try:
        health = wait_up(proc, url)
        assert health["status"] == "ok"  # every stand-in advertises its backend's model
        r = chat(url, "fix the failing test in my repo")
        assert r.status_code == 200
        content = r.json()["choices"][0]["message"]["content"]
        backend = r.headers["x-routed-backend"]
        assert content.startswith(f"[demo backend '{backend}', model '")
        with httpx.stream("POST", f"{url}/v1/chat/completions", timeout=10, json={
                "model": "hrouter", "stream": True, "messages": [{"role": "user", "content": "hello"}]}) as s:
            text = s.read().decode()
        events = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        streamed = "".join(json.loads(e)["choices"][0]["delta"].get("content") or "" for e in events[:-1])
        assert streamed.startswith("[demo backend ")
    finally:
        code, out, err = stop(proc, signal.SIGINT)
    assert code == 0, err
    assert "Demo mode" in out and "Try: curl" in out


def test_workers_serve_and_stop(tmp_path, model_server):
    config = write_config(tmp_path, RULES, model_server, ["fast_local", "balanced_local"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(["--config", str(config), "--port", str(port), "--workers", "2", "--log-level", "warning"])
    try:
        wait_up(proc, url, timeout=60)
        answers = {chat(url, "hello").status_code for _ in range(6)}
        assert answers == {200}
    finally:
        code, out, err = stop(proc, timeout=30)
    assert code == 0, err
    assert "2 workers" in out


def test_refuses_non_loopback_bind_without_a_key():
    proc = subprocess.run([*HROUTER, "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "refusing to bind '0.0.0.0'" in proc.stderr and "Traceback" not in proc.stderr


def test_refuses_a_port_one_of_its_backends_uses():
    # The embedded config's fast backend is on 8080: serving there would forward to itself.
    proc = subprocess.run([*HROUTER, "serve", "--port", "8080"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "$.backends.fast.base_url: http://127.0.0.1:8080/v1 is the proxy's own address" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_config_is_one_line_error(tmp_path):
    config = tmp_path / "proxy.yaml"
    config.write_text("proxy: {port: 99999}\nbackends: {}\n")
    proc = subprocess.run([*HROUTER, "serve", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "$.proxy.port" in proc.stderr and "$.backends" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_watch_flag_reloads_when_rules_change(tmp_path, model_server):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    config = write_config(tmp_path, rules, model_server, ["balanced_local", "reasoning_local"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(["--config", str(config), "--port", str(port), "--watch", "--watch-interval", "0.2",
                  "--log-level", "warning"])
    try:
        wait_up(proc, url)
        assert chat(url, "tell me about the weather").headers["x-routed-engine"] == "balanced_local"
        main = rules / "main.rules"
        main.write_text(main.read_text().replace("words(prove, analyze, theorem)", "words(prove, analyze, theorem, weather)"))
        wait_for_reload(url, "--watch")
        assert chat(url, "tell me about the weather").headers["x-routed-engine"] == "reasoning_local"
    finally:
        code, _, err = stop(proc)
    assert code == 0, err


def default_rules_copy(tmp_path) -> Path:
    """The default rule set, in a folder of the test's own."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_path(), rules, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return rules


def break_an_expect(rules: Path) -> None:
    """Remove the destructive-action safety rule: it compiles, but its expects fail."""
    safety = rules / "safety.rules"
    text, removed = re.subn(r"^safety destructive:.*\n", "", safety.read_text(), flags=re.M)
    assert removed == 1, "the default rules have no 'safety destructive:' line any more"
    safety.write_text(text)


def test_serve_refuses_rules_whose_expects_fail(tmp_path, model_server):
    rules = default_rules_copy(tmp_path)
    break_an_expect(rules)
    config = write_config(tmp_path, rules, model_server, FORWARDED)
    proc = subprocess.run([*HROUTER, "serve", "--config", str(config), "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    first, *failures = proc.stderr.strip().splitlines()
    assert first.startswith(f"hrouter serve: refusing the rules: {rules}: ") and "expect lines fail" in first
    # each failing expect on its own line, with its file:line
    assert any(re.match(rf"  safety\.rules:\d+: expect '{RISKY}' -> confirmation, got ", f) for f in failures)
    assert "listening" not in proc.stdout


def test_sighup_to_rules_whose_expects_fail_keeps_the_old_router(tmp_path, model_server):
    rules = default_rules_copy(tmp_path)
    config = write_config(tmp_path, rules, model_server, FORWARDED)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(["--config", str(config), "--port", str(port), "--log-level", "warning"])
    try:
        before = wait_up(proc, url)
        assert before["status"] == "ok" and chat(url, RISKY).status_code == 409
        break_an_expect(rules)
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while not (health := httpx.get(f"{url}/health", timeout=2).json())["rules"]["reload_error"]:
            assert time.monotonic() < deadline, "SIGHUP did not report the refused rules"
            time.sleep(0.2)
        assert re.search(r"safety\.rules:\d+", health["rules"]["reload_error"])
        assert RISKY not in health["rules"]["reload_error"]  # /health says where, the log says what
        assert health["status"] == "degraded"
        assert health["rules"]["generation"] == 0
        assert health["rules"]["artifact_hash"] == before["rules"]["artifact_hash"]
        r = chat(url, RISKY)
        assert r.status_code == 409 and r.headers["x-routed-engine"] == "human_confirm"
    finally:
        code, _, err = stop(proc)
    assert code == 0, err
    assert "reload (SIGHUP) failed, still serving the previous rules" in err and f"expect '{RISKY}'" in err
    assert "Traceback" not in err


def _worker_health(url, want_pids=2, timeout=60.0) -> dict[int, dict]:
    """/health from each worker (keyed by pid), asking until `want_pids` different ones answered."""
    seen: dict[int, dict] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < want_pids:
        assert time.monotonic() < deadline, f"only workers {sorted(seen)} answered"
        with httpx.Client(timeout=5) as c:  # a new connection each time: the kernel spreads them
            health = c.get(f"{url}/health").json()
        seen[health["worker_pid"]] = health
    return seen


def test_sighup_with_workers_reloads_each_in_place_and_keeps_the_old_rules_on_a_broken_edit(tmp_path, model_server):
    rules = default_rules_copy(tmp_path)
    config = write_config(tmp_path, rules, model_server, FORWARDED)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        proc = subprocess.Popen([*HROUTER, "serve", "--config", str(config), "--port", str(port), "--workers", "2",
                                 "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=stderr, text=True)
        try:
            wait_up(proc, url, timeout=60)
            before = _worker_health(url)
            first_hash = {h["rules"]["artifact_hash"] for h in before.values()}
            assert len(first_hash) == 1 and chat(url, RISKY).status_code == 409

            # a good edit: every worker reloads it, and they are the same processes as before
            routes = rules / "routes.rules"
            routes.write_text(routes.read_text() + "\n# an edit that changes the source hash\n")
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 60
            while True:
                now = _worker_health(url)
                if all(h["rules"]["generation"] == 1 for h in now.values()) and set(now) == set(before):
                    break
                assert time.monotonic() < deadline, now
                time.sleep(0.3)
            second_hash = {h["rules"]["artifact_hash"] for h in now.values()}
            assert len(second_hash) == 1 and second_hash != first_hash
            assert set(now) == set(before)  # reloaded in place: no worker was replaced

            # a broken edit: each worker keeps the rules it has, and says why
            break_an_expect(rules)
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 60
            while True:
                now = _worker_health(url)
                if all(h["rules"]["reload_error"] for h in now.values()):
                    break
                assert time.monotonic() < deadline, now
                assert chat(url, RISKY).status_code == 409
                time.sleep(0.3)
            assert set(now) == set(before)
            assert {h["rules"]["artifact_hash"] for h in now.values()} == second_hash
            assert all(h["status"] == "degraded" for h in now.values())
            assert {chat(url, RISKY).status_code for _ in range(4)} == {409}
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    err = log.read_text()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
