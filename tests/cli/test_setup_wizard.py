"""`hrouter setup wizard` driven through a pseudo-terminal, answering its prompts like a person."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "advisor"))
from fake_machine import build_fake_home  # noqa: E402

LARGE = {"os": "Darwin", "arch": "arm64", "cpu_cores": 16, "ram_total_gb": 128, "ram_available_gb": 90, "apple_silicon": True, "disk_path": "/m", "disk_free_gb": 2000}


def _controlling_tty():
    # Make the pty the child's controlling terminal, so Ctrl-C typed into it sends SIGINT.
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(self, argv, env, cwd):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, preexec_fn=_controlling_tty, close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {text!r} ({self._state()}); screen so far:\n{self.seen[-2000:]}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"terminal closed while waiting for {text!r}:\n{self.seen[-2000:]}")
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        found = self.seen
        self.seen = self.seen[self.seen.index(text) + len(text):]
        return found

    def _state(self) -> str:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text().splitlines()
        except OSError:
            return f"exit status {self.proc.poll()}"
        return ", ".join(line for line in status if line.startswith(("State", "SigBlk", "SigPnd", "ShdPnd", "SigCgt")))

    def wait_until_reading(self, timeout: float = 5.0) -> None:
        """Wait until the child blocks reading the terminal.

        A SIGINT that lands between input() writing its prompt and blocking in read() only
        takes effect after the next line is typed (a CPython race), so Ctrl-C is sent once the
        child sleeps in the tty read."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                wchan = Path(f"/proc/{self.proc.pid}/wchan").read_text()
            except OSError:
                wchan = ""
            if "tty" in wchan or wchan == "wait_woken":
                return
            time.sleep(0.05)
        time.sleep(0.5)  # no /proc wchan here: give the child time to reach read()

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self, timeout: float = 30.0) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
            if self.proc.poll() is not None:
                break
        code = self.proc.wait(timeout=5)
        os.close(self.master)
        return code


@pytest.fixture
def term(tmp_path):
    home = build_fake_home(tmp_path / "home")
    (tmp_path / "large.json").write_text(json.dumps(LARGE))
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"}
    terminals = []

    def start(*extra):
        argv = [sys.executable, "-m", "hrouter.cli", "setup", "wizard", "--hardware", str(tmp_path / "large.json"), "--output", str(tmp_path / "out/router.yaml"), *extra]
        terminals.append(Terminal(argv, env, tmp_path))
        return terminals[-1]

    yield start
    for t in terminals:
        if t.proc.poll() is None:
            os.killpg(t.proc.pid, signal.SIGKILL)
            t.proc.wait()


def test_wizard_walks_every_route_and_writes_after_confirmation(term, tmp_path):
    t = term()
    t.expect("Install huggingface_hub")  # no hf on PATH: offered before any model choice
    t.expect("[y/N] ")
    t.send("n\n")
    t.expect("Skipped.")
    screen = t.expect("Mode [1]: ")
    assert "local models only" in screen and "hosted APIs" in screen
    t.send("1\n")
    answers = {"fast": "", "balanced": "", "reasoning": "", "coding": "1", "vision": "", "image_generation": ""}
    for route, answer in answers.items():
        screen = t.expect("Choice [1]: ")
        assert f"Route {route}:" in screen
        if route == "coding":
            # Models found on disk are listed first, then downloads.
            assert "1. lmstudio-community/Qwen2.5-Coder-7B-Instruct-GGUF (lmstudio" in screen
            assert "download Qwen/Qwen2.5-Coder-" in screen
            t.send("99\n")  # out of range: asked again
            t.expect("Please enter a number from 1 to")
            t.expect("Choice [1]: ")
        t.send(answer + "\n")
    screen = t.expect("Write these two files? [y/N] ")
    assert "routing_targets:" in screen and "engine_backends:" in screen
    assert not (tmp_path / "out").exists()  # shown, not yet written
    t.send("y\n")
    t.expect("Next: hrouter validate-config")
    assert t.finish() == 0
    catalog = yaml.safe_load((tmp_path / "out/router.yaml").read_text())
    assert catalog["engines"]["code_agent"]["model"] == "qwen2.5-coder-7b-instruct"
    from hrouter.engine.catalog import Catalog
    from hrouter.server.config import load_proxy_config

    Catalog.from_file(tmp_path / "out/router.yaml")
    cfg = load_proxy_config(tmp_path / "out/routing_proxy.yaml")
    assert cfg.engine_backends["code_agent"] == "code"


def test_ctrl_c_leaves_nothing_written(term, tmp_path):
    t = term()
    t.expect("[y/N] ")
    t.send("n\n")
    t.expect("Mode [1]: ")
    t.send("3\n")
    t.expect("Choice [1]: ")
    t.send("\n")
    t.expect("Choice [1]: ")
    t.wait_until_reading()
    t.send("\x03")  # Ctrl-C typed at the terminal
    t.expect("interrupted")
    assert t.finish() == 130
    assert not (tmp_path / "out").exists()


def test_declining_or_closing_input_writes_nothing(term, tmp_path):
    t = term()
    t.expect("[y/N] ")
    t.send("n\n")
    t.expect("Mode [1]: ")
    t.send("\n")
    for _ in range(6):
        t.expect("Choice [1]: ")
        t.send("\n")
    t.expect("Write these two files? [y/N] ")
    t.send("\n")
    t.expect("Nothing was written.")
    assert t.finish() == 1
    assert not (tmp_path / "out").exists()

    t = term()
    t.expect("[y/N] ")
    t.send("\x04")  # Ctrl-D: end of input
    t.expect("nothing was written")
    assert t.finish() == 1
    assert not (tmp_path / "out").exists()


def test_existing_files_stop_the_wizard_before_any_question(term, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out/router.yaml").write_text("# mine\n")
    t = term()
    t.expect("already exists; pass --force")
    assert t.finish() == 2
    assert (tmp_path / "out/router.yaml").read_text() == "# mine\n"
