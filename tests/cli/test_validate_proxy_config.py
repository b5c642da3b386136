"""`hrouter validate-proxy-config`: OK summary, key-path errors, catalog cross-checks."""

from __future__ import annotations

import json

import yaml

from hrouter.cli.main import main


def write(tmp_path, data):
    path = tmp_path / "proxy.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


GOOD = {
    "backends": {"fast": {"base_url": "http://127.0.0.1:9/v1", "model": "m"},
                 "big": {"base_url": "http://127.0.0.1:9/v1", "model": "b"}},
    "engine_backends": {"fast_local": "fast", "code_agent": "big"},
    "fallback_backends": {"fast": ["big"]},
}


def test_valid_config_prints_the_engine_map(tmp_path, capsys):
    assert main(["validate-proxy-config", "--config", write(tmp_path, GOOD)]) == 0
    out, err = capsys.readouterr()
    assert "proxy config OK" in out and "fast_local" in out and "fast -> big" in out
    assert "has no backend" in err  # e.g. reasoning_local is not mapped: a warning, not an error


def test_errors_have_key_paths_and_exit_1(tmp_path, capsys):
    bad = {**GOOD, "engine_backends": {"fast_local": "nope"}, "extra": True}
    assert main(["validate-proxy-config", "--config", write(tmp_path, bad)]) == 1
    err = capsys.readouterr().err
    assert "$: unknown key: extra" in err
    assert "Traceback" not in err


def test_engine_unknown_to_the_catalog_is_an_error(tmp_path, capsys):
    bad = {**GOOD, "engine_backends": {"fast_locall": "fast"}}
    assert main(["validate-proxy-config", "--config", write(tmp_path, bad), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["errors"][0].startswith("$.engine_backends.fast_locall: the catalog has no engine")


def test_broken_catalog_reference_is_reported(tmp_path, capsys):
    (tmp_path / "cat.yaml").write_text("routing_targets: {}\n")
    data = {**GOOD, "router_config": "cat.yaml"}
    assert main(["validate-proxy-config", "--config", write(tmp_path, data)]) == 1
    assert "cat.yaml" in capsys.readouterr().err


def test_missing_file(tmp_path, capsys):
    assert main(["validate-proxy-config", "--config", str(tmp_path / "none.yaml")]) == 1
    assert "file not found" in capsys.readouterr().err


def test_embedded_default_is_valid(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HROUTER_HOME", str(tmp_path))  # nothing there: the embedded config is used
    assert main(["validate-proxy-config"]) == 0
    assert "<embedded routing_proxy.yaml>" in capsys.readouterr().out


def test_what_serve_would_fail_on_is_caught_here(tmp_path, capsys):
    """A non-ASCII backend header passed validation and crashed `serve` after "listening";
    rules the engine cannot run failed only at start. Both are errors here now (issue 14)."""
    bad = {**GOOD, "backends": {**GOOD["backends"], "fast": {**GOOD["backends"]["fast"], "headers": {"X-Team": "équipe"}}}}
    assert main(["validate-proxy-config", "--config", write(tmp_path, bad)]) == 1
    assert "$.backends.fast.headers.X-Team: the value must be printable ASCII" in capsys.readouterr().err
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "main.rules").write_text("targets simple, confirmation\nfeature big = words(" + "a" * 100_000
                                      + ")\nroute r: big -> simple\ndefault -> simple\n")
    assert main(["validate-proxy-config", "--config", write(tmp_path, {**GOOD, "rules": str(rules)})]) == 1
    assert "main.rules:2:15: the pattern of 'big' is too large for the engine" in capsys.readouterr().err


def test_a_backend_on_the_proxys_own_port_is_an_error(tmp_path, capsys):
    data = {**GOOD, "proxy": {"host": "0.0.0.0", "port": 8082, "allow_remote": True},
            "backends": {**GOOD["backends"], "fast": {"base_url": "http://localhost:8082/v1", "model": "m"}}}
    assert main(["validate-proxy-config", "--config", write(tmp_path, data)]) == 1
    err = capsys.readouterr().err
    assert "$.backends.fast.base_url: http://localhost:8082/v1 is the proxy's own address (0.0.0.0:8082)" in err
