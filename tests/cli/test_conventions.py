"""One convention for files across commands: where defaults come from, and what --config is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hrouter.cli.main import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
HROUTER = [sys.executable, "-m", "hrouter.cli"]


@pytest.mark.parametrize("argv", [["decide", "hello"], ["explain", "hello"], ["dispatch-plan", "hello"],
                                  ["validate-config"]])
def test_a_proxy_config_where_a_catalog_belongs_says_so(argv, capsys):
    assert main([*argv, "--config", str(CONFIGS / "routing_proxy.yaml")]) != 0
    err = capsys.readouterr().err
    assert "this is a proxy config (it has backends), not an engine catalog" in err
    assert "router_config" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["validate-proxy-config", "doctor"])
def test_a_catalog_where_a_proxy_config_belongs_says_so(command, capsys):
    assert main([command, "--config", str(CONFIGS / "model_router.yaml")]) != 0
    captured = capsys.readouterr()
    assert "this is an engine catalog (it has engines), not a proxy config" in captured.out + captured.err


def test_serve_says_so_too():
    done = subprocess.run([*HROUTER, "serve", "--config", str(CONFIGS / "model_router.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "this is an engine catalog" in done.stderr


def test_serve_doctor_and_validate_read_the_same_default_proxy_config(private_home, capsys):
    # init writes $HROUTER_HOME/routing_proxy.yaml; every proxy command then reads that one
    assert main(["init", "--preset", "ollama", "--yes"]) == 0
    written = str(private_home / "routing_proxy.yaml")
    capsys.readouterr()
    assert main(["validate-proxy-config", "--json"]) == 0
    assert f'"config": "{written}"' in capsys.readouterr().out
    main(["doctor", "--json", "--timeout", "0.2"])
    assert f'"config": "{written}"' in capsys.readouterr().out
    # serve: a backend on the port it is asked to listen on is refused, naming the file it read
    (private_home / "routing_proxy.yaml").write_text(
        (private_home / "routing_proxy.yaml").read_text().replace("11434", "8099"))
    done = subprocess.run([*HROUTER, "serve", "--port", "8099"], capture_output=True, text=True, timeout=60,
                          env=os.environ)
    assert done.returncode == 2 and "$.backends.fast.base_url: http://127.0.0.1:8099/v1" in done.stderr


def test_setup_write_defaults_to_the_home_folder_with_inits_names(private_home, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a checkout, say: nothing may be written here
    hardware = tmp_path / "hw.yaml"
    hardware.write_text("os: Linux\narch: x86_64\ncpu_cores: 4\nram_total_gb: 8\nram_available_gb: 6\n"
                        "disk_path: /models\ndisk_free_gb: 100\n")
    assert main(["setup", "write", "--hardware", str(hardware)]) == 0
    assert sorted(p.name for p in private_home.iterdir()) == ["model_router.yaml", "routing_proxy.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hw.yaml"]
