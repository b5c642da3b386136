"""`hrouter setup` end to end: real subprocesses, a fake home, a fake `hf` on PATH."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "advisor"))
from fake_machine import build_fake_home  # noqa: E402

SMALL = {"os": "Linux", "arch": "x86_64", "cpu_cores": 4, "ram_total_gb": 8, "ram_available_gb": 5, "disk_path": "/m", "disk_free_gb": 100}
LARGE = {"os": "Darwin", "arch": "arm64", "cpu_cores": 16, "ram_total_gb": 128, "ram_available_gb": 90, "apple_silicon": True, "disk_path": "/m", "disk_free_gb": 2000}


@pytest.fixture
def machine(tmp_path):
    home = build_fake_home(tmp_path / "home")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "hf-args.txt"
    hf = bin_dir / "hf"
    hf.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{record}"\necho "Fetching 1 files: 100%"\n')
    hf.chmod(hf.stat().st_mode | stat.S_IXUSR)
    for name, facts in (("small", SMALL), ("large", LARGE)):
        (tmp_path / f"{name}.json").write_text(json.dumps(facts))
    env = {"HOME": str(home), "PATH": f"{bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    return {"home": home, "env": env, "record": record, "tmp": tmp_path, "bin": bin_dir}


def hrouter(machine, *args, stdin: str | None = None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "hrouter.cli", *args],
        capture_output=True, text=True, env=machine["env"], input=stdin, timeout=60, cwd=cwd or machine["tmp"],
    )


def one_line_error(result):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_scan_json_sees_the_fake_stores_and_commands(machine):
    result = hrouter(machine, "setup", "scan", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    names = {m["name"] for m in data["models"]}
    assert {"lmstudio-community/Qwen3-8B-GGUF", "llama3.2:1b", "bartowski/DeepSeek-R1-Distill-Qwen-32B-GGUF", "phi-3.5-mini-instruct-Q4_K_M"} <= names
    assert data["commands"]["hf"] == str(machine["bin"] / "hf")
    assert data["commands"]["ollama"] is None
    assert data["hardware"]["cpu_cores"] >= 1 and data["hardware"]["memory_budget_gb"] > 0
    assert data["servers"] == []  # no --probe, no network


def test_scan_text_names_stores_and_models(machine):
    result = hrouter(machine, "setup", "scan", "--hardware", str(machine["tmp"] / "small.json"))
    assert result.returncode == 0, result.stderr
    assert "8 GB total" in result.stdout
    assert "qwen3-8b" in result.stdout and "served by ollama as llama3.2:1b" in result.stdout


def test_recommendations_follow_the_injected_hardware(machine):
    picks = {}
    for size in ("small", "large"):
        result = hrouter(machine, "setup", "recommend", "--json", "--hardware", str(machine["tmp"] / f"{size}.json"))
        assert result.returncode == 0, result.stderr
        picks[size] = data = json.loads(result.stdout)
        budget = data["hardware"]["memory_budget_gb"]
        for route in data["routes"]:
            assert all(d["model"]["ram_gb"] <= budget for d in route["downloads"])
    small = {r["route"]: r for r in picks["small"]["routes"]}
    large = {r["route"]: r for r in picks["large"]["routes"]}
    assert small["reasoning"]["status"] == "download" and large["reasoning"]["status"] == "present"
    assert large["reasoning"]["local"][0]["model"]["name"] == "bartowski/DeepSeek-R1-Distill-Qwen-32B-GGUF"
    assert large["image_generation"]["downloads"][0]["model"]["quality"] > small["image_generation"]["downloads"][0]["model"]["quality"]
    text = hrouter(machine, "setup", "recommend", "--hardware", str(machine["tmp"] / "large.json"))
    assert "coding -> code_agent" in text.stdout and "on disk:" in text.stdout


def _validate_catalog(path: Path):
    done = subprocess.run([sys.executable, "-m", "hrouter.cli", "validate-config", "--config", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    from hrouter.engine.catalog import Catalog

    return Catalog.from_file(path)


def test_write_creates_valid_configs_and_refuses_to_overwrite(machine):
    out = machine["tmp"] / "cfg/model_router.local.yaml"
    args = ["setup", "write", "--output", str(out), "--hardware", str(machine["tmp"] / "large.json")]
    first = hrouter(machine, *args)
    assert first.returncode == 0, first.stderr
    proxy = out.with_name("routing_proxy.yaml")
    assert f"wrote {out}" in first.stdout and f"hrouter serve --config {proxy}" in first.stdout
    _validate_catalog(out)
    from hrouter.server.config import load_proxy_config

    cfg = load_proxy_config(proxy)
    assert cfg.router_config == str(out)
    assert cfg.backends["code"].base_url == "http://127.0.0.1:1234/v1"  # the coder lives in LM Studio
    assert "image_generation" not in cfg.engine_backends  # never a chat model, and it says so
    assert "Note: image_generation has no backend" in first.stdout
    catalog = yaml.safe_load(out.read_text())
    assert catalog["engines"]["code_agent"]["model"] == "qwen2.5-coder-7b-instruct"

    out.write_text("# edited by hand\n")
    again = hrouter(machine, *args)
    assert "--force" in one_line_error(again)
    assert out.read_text() == "# edited by hand\n"
    forced = hrouter(machine, *args, "--force")
    assert forced.returncode == 0 and "routing_targets" in out.read_text()


def test_write_hosted_mode_plugs_into_the_proxy_config(machine):
    out = machine["tmp"] / "hosted.yaml"
    result = hrouter(machine, "setup", "write", "--mode", "hosted", "--output", str(out), "--proxy-output", str(machine["tmp"] / "p.yaml"))
    assert result.returncode == 0, result.stderr
    _validate_catalog(out)
    from hrouter.server.config import load_proxy_config

    cfg = load_proxy_config(machine["tmp"] / "p.yaml")
    assert all(b.api_key_env for b in cfg.backends.values())
    done = hrouter(machine, "validate-proxy-config", "--config", str(machine["tmp"] / "p.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_download_plans_by_default_and_runs_hf_only_when_asked(machine):
    plan = hrouter(machine, "setup", "download", "--route", "coding", "--hardware", str(machine["tmp"] / "small.json"))
    assert plan.returncode == 0, plan.stderr
    assert "already serves" not in plan.stdout  # the 7B coder on disk does not fit 8 GB
    present = hrouter(machine, "setup", "download", "--route", "coding", "--hardware", str(machine["tmp"] / "large.json"))
    assert "Note: lmstudio-community/Qwen2.5-Coder-7B-Instruct-GGUF on disk already serves 'coding'." in present.stdout
    assert "hf download Qwen/Qwen2.5-Coder-" in plan.stdout and "nothing was downloaded" in plan.stdout
    assert not machine["record"].exists()

    declined = hrouter(machine, "setup", "download", "--route", "code_agent", "--execute", "--hardware", str(machine["tmp"] / "small.json"), stdin="n\n")
    assert declined.returncode == 1 and "Cancelled" in declined.stdout
    assert not machine["record"].exists()

    ran = hrouter(machine, "setup", "download", "--repo-id", "lmstudio-community/Qwen3-4B-GGUF", "--execute", "--yes", "--hardware", str(machine["tmp"] / "small.json"))
    assert ran.returncode == 0, ran.stderr
    assert "Fetching 1 files: 100%" in ran.stdout  # hf's progress is passed through
    dest = machine["home"] / ".lmstudio/models/lmstudio-community/Qwen3-4B-GGUF"
    assert machine["record"].read_text().splitlines() == [
        "download", "lmstudio-community/Qwen3-4B-GGUF", "--include", "*Q4_K_M.gguf", "--local-dir", str(dest),
    ]


def test_download_without_hf_declines_the_install_safely(machine):
    os.remove(machine["bin"] / "hf")
    result = hrouter(machine, "setup", "download", "--route", "fast", "--execute", "--hardware", str(machine["tmp"] / "small.json"), stdin="n\n")
    assert result.returncode == 1
    assert "Install huggingface_hub" in result.stdout and "nothing was downloaded" in result.stdout
    assert not machine["record"].exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["setup", "download", "--route", "teleport"], "unknown route"),
        (["setup", "recommend", "--hardware", "/no/such/file.json"], "cannot read hardware file"),
        (["setup", "recommend", "--catalog", "/no/such/catalog.yaml"], "cannot read model catalog"),
        (["setup", "write", "--output", "x.yaml", "--runtime-url", "lmstudio"], "expected NAME=URL"),
        (["setup", "write", "--output", "x.yaml", "--runtime-url", "ollama=ftp://x"], "not an http(s) URL"),
    ],
)
def test_bad_input_is_one_clear_line(machine, args, needle):
    assert needle in one_line_error(hrouter(machine, *args))


def test_setup_without_a_subcommand_shows_help(machine):
    result = hrouter(machine, "setup")
    assert result.returncode == 2
    for name in ("scan", "recommend", "wizard", "write", "download"):
        assert name in result.stdout


def test_probe_only_asks_the_usual_loopback_ports(machine):
    result = hrouter(machine, "setup", "scan", "--json", "--probe")
    assert result.returncode == 0, result.stderr
    servers = json.loads(result.stdout)["servers"]
    assert [(s["port"], s["runtime"]) for s in servers] == [(1234, "lmstudio"), (11434, "ollama"), (8080, "llama-server")]
    assert all(s["base_url"] == f"http://127.0.0.1:{s['port']}/v1" for s in servers)
