"""`hrouter doctor` against real loopback servers: reachable, wrong model, down."""

from __future__ import annotations

import json
import socket

import pytest
import yaml

from hrouter.cli.main import main
from hrouter.server.demo import standin_app
from hrouter.server.threaded import ThreadedServer


@pytest.fixture(scope="module")
def model_server():
    with ThreadedServer(standin_app("local", "served-model")) as server:
        yield f"{server.url}/v1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(tmp_path, backends):
    path = tmp_path / "proxy.yaml"
    path.write_text(yaml.safe_dump({"backends": backends, "engine_backends": {"fast_local": next(iter(backends))},
                                    "health": {"backend_timeout_seconds": 1.0}}, sort_keys=False))
    return str(path)


def test_all_good_exits_0_with_a_table(tmp_path, model_server, capsys):
    path = config(tmp_path, {"fast": {"base_url": model_server, "model": "served-model"}})
    assert main(["doctor", "--config", path]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("ok "))
    assert row.split()[1] == "fast" and "model 'served-model' advertised" in row
    assert "everything looks right" in out


def test_wrong_model_and_down_backend_exit_1(tmp_path, model_server, capsys):
    path = config(tmp_path, {
        "fast": {"base_url": model_server, "model": "served-model"},
        "typo": {"base_url": model_server, "model": "servd-model"},
        "down": {"base_url": f"http://127.0.0.1:{free_port()}/v1", "model": "x"},
    })
    assert main(["doctor", "--config", path]) == 1
    out, err = capsys.readouterr()
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith(("ok ", "FAIL "))}
    assert lines["fast"].startswith("ok")
    assert lines["typo"].startswith("FAIL") and "not advertised" in lines["typo"] and "load or pull" in lines["typo"]
    assert lines["down"].startswith("FAIL") and "unreachable" in lines["down"]
    assert "backends failing: typo, down" in err


def test_json_report(tmp_path, model_server, capsys):
    path = config(tmp_path, {"fast": {"base_url": model_server, "model": "other"}})
    assert main(["doctor", "--config", path, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["backends"]["fast"]["model_listed"] is False and report["ok"] is False


def test_config_error_exits_1_without_probing(tmp_path, capsys):
    path = tmp_path / "proxy.yaml"
    path.write_text("backends: {fast: {base_url: nope, model: m}}\nengine_backends: {fast_local: fast}\n")
    assert main(["doctor", "--config", str(path)]) == 1
    out = capsys.readouterr().out
    assert "ERROR $.backends.fast.base_url" in out
