"""What `hrouter setup write` produces runs as is: `hrouter serve` on it forwards a coding prompt
to the runtime that hosts the chosen coder (a stand-in LM Studio on a free loopback port)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "advisor"))
from fake_machine import build_fake_home  # noqa: E402

MACHINE = {"os": "Linux", "arch": "x86_64", "cpu_cores": 8, "ram_total_gb": 64, "ram_available_gb": 40, "disk_path": "/m", "disk_free_gb": 500}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lmstudio():
    """A stand-in LM Studio: lists the fake home's models and answers chat with the model asked."""
    received = []

    async def models(request: Request):
        return JSONResponse({"object": "list", "data": [{"id": "qwen2.5-coder-7b-instruct"}, {"id": "qwen3-8b"}, {"id": "qwen2.5-vl-3b-instruct"}]})

    async def chat(request: Request):
        body = await request.json()
        received.append(body)
        return JSONResponse({
            "id": "chatcmpl-standin", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": f"answered by {body['model']}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    app = Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{server.config.port}/v1", received
    server.should_exit = True
    thread.join(10)


def test_written_configs_serve_a_coding_prompt_through_the_chosen_runtime(tmp_path, lmstudio):
    url, received = lmstudio
    home = build_fake_home(tmp_path / "home")
    (tmp_path / "hw.json").write_text(json.dumps(MACHINE))
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    out = tmp_path / "cfg/router.yaml"
    port = free_port()
    cli = [sys.executable, "-m", "hrouter.cli"]
    write = subprocess.run(
        [*cli, "setup", "write", "--output", str(out), "--hardware", str(tmp_path / "hw.json"), "--runtime-url", f"lmstudio={url}", "--port", str(port)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert write.returncode == 0, write.stderr
    proxy_config = out.with_name("routing_proxy.yaml")
    for check in (["validate-config", "--config", str(out)], ["validate-proxy-config", "--config", str(proxy_config)]):
        done = subprocess.run([*cli, *check], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr

    proc = subprocess.Popen([*cli, "serve", "--config", str(proxy_config)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "proxy did not start"
            time.sleep(0.1)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="hrouter", messages=[{"role": "user", "content": "fix the failing test in my repo and run the tests"}]
        )
        reply = raw.parse()
        client.close()
        assert raw.headers["x-routed-engine"] == "code_agent"
        assert raw.headers["x-routed-backend"] == "code"
        assert reply.choices[0].message.content == "answered by qwen2.5-coder-7b-instruct"
        assert [body["model"] for body in received] == ["qwen2.5-coder-7b-instruct"]
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stdout.close()
