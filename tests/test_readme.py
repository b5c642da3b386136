"""README.md as a new user reads it: what it says works as written."""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def first_screen() -> str:
    return "\n".join(README.read_text(encoding="utf-8").splitlines()[:24])


def test_the_first_screen_says_how_hrouter_gets_on_path():
    screen = first_screen()
    assert ". .venv/bin/activate" in screen
    assert "pipx install ." in screen and "pip install ." in screen
    # and the path it names is where `make` puts the command
    assert ".venv/bin/hrouter" in screen
    assert (Path(sys.executable).parent / "hrouter").is_file()


def _readme_block(heading: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading):]
    block = section[section.index("```\n") + 4:]
    return [line.split("#")[0].strip() for line in block[:block.index("```")].splitlines()]


def test_the_replay_loop_works_as_written(tmp_path):
    """Serve as the README says, send requests, replay as the README says: every request is
    re-routed. The same loop with the default capture says why nothing was."""
    import os
    import shlex
    import signal
    import socket
    import subprocess

    import httpx

    serve, feedback, replay = _readme_block("## Tune from your own traffic")
    env_word, *serve_argv = shlex.split(serve)
    assert env_word == "HROUTER_LOG_PROMPTS=1" and serve_argv[:2] == ["hrouter", "serve"]
    assert feedback.startswith("hrouter feedback")
    hrouter = [sys.executable, "-m", "hrouter.cli"]

    def serve_and_send(extra_env: dict[str, str]) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([*hrouter, *serve_argv[1:], "--port", str(port)], env={**os.environ, **extra_env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    httpx.get(f"{url}/health", timeout=1)
                    break
                except httpx.HTTPError:
                    assert proc.poll() is None, proc.stderr.read()
                    import time

                    time.sleep(0.2)
            for text in ("rewrite this sentence", "fix the failing test in my repo", "drop the production database"):
                httpx.post(f"{url}/v1/chat/completions", timeout=10,
                           json={"model": "hrouter", "messages": [{"role": "user", "content": text}]})
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)

    def run_replay() -> str:
        done = subprocess.run([*hrouter, *shlex.split(replay)[1:], "--quiet"], cwd=tmp_path, env=os.environ,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "report.html").is_file()
        return done.stdout

    serve_and_send({"HROUTER_LOG_PROMPTS": "1"})
    out = run_replay()
    assert "events: 3  replayed: 3  without prompt: 0" in out and "hint:" not in out

    log = Path(os.environ["HROUTER_HOME"]) / "logs" / "routing-events.jsonl"
    log.unlink()
    serve_and_send({"HROUTER_LOG_PROMPTS": "0"})
    out = run_replay()
    assert "replayed: 0  without prompt: 3" in out
    assert "hint: 3 of 3 events have no prompt" in out and "prompt_capture" in out and "HROUTER_LOG_PROMPTS=1" in out
    assert "3 of 3 events have no prompt" in (tmp_path / "report.html").read_text()
