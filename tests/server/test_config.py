"""The proxy config: shape, key-path errors, relative paths, bind safety, shipped presets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hrouter.server.config import (
    ProxyConfigError,
    bind_problem,
    config_from_data,
    load_proxy_config,
)

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "configs" / "presets").glob("*.yaml"))


def minimal(**extra):
    data = {
        "backends": {"fast": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}},
        "engine_backends": {"fast_local": "fast"},
    }
    data.update(extra)
    return data


def problems(data) -> list[str]:
    with pytest.raises(ProxyConfigError) as info:
        config_from_data(data, "cfg.yaml")
    return info.value.problems


def test_embedded_default_loads_with_loopback_defaults():
    cfg = load_proxy_config(None)
    assert cfg.proxy.host == "127.0.0.1" and cfg.proxy.port == 8082
    assert "hrouter" in cfg.proxy.model_ids
    assert set(cfg.engine_backends.values()) <= set(cfg.backends)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_every_preset_is_a_valid_config(preset, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    cfg = load_proxy_config(preset)
    assert cfg.router_config == str(preset.parent / "model_router.yaml")
    assert cfg.backends and cfg.engine_backends


def test_presets_cover_every_runtime():
    assert {p.stem for p in PRESETS} == {"lmstudio", "ollama", "llamacpp", "localai", "hosted-openai-compatible"}


def test_unknown_and_missing_keys_are_reported_with_key_paths():
    found = problems({"backends": {"fast": {"base_ur": "x"}}, "bogus": 1})
    assert "$.backends.fast.base_url: required key missing" in found
    assert "$.backends.fast: unknown key: base_ur (did you mean base_url?)" in found
    assert "$: unknown key: bogus" in found


def test_semantic_errors_name_the_key():
    data = minimal(engine_backends={"code_agent": "nope"}, fallback_backends={"fast": ["fast", "zz"]})
    data["backends"]["fast"]["base_url"] = "ftp://host"
    found = problems(data)
    assert "$.backends.fast.base_url: 'ftp://host' is not an http(s) URL" in found
    assert "$.engine_backends.code_agent: unknown backend 'nope'" in found
    assert "$.fallback_backends.fast[0]: a backend cannot fall back to itself" in found
    assert "$.fallback_backends.fast[1]: unknown backend 'zz'" in found


def test_switches_must_be_booleans():
    data = minimal()
    data["backends"]["fast"]["strip_tools"] = "false"
    assert problems(data) == ["$.backends.fast.strip_tools: expected true or false, got 'false'"]


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    folder = tmp_path / "conf"
    folder.mkdir()
    path = folder / "proxy.yaml"
    path.write_text(yaml.safe_dump(minimal(router_config="cat.yaml", rules="rules/")))
    cfg = load_proxy_config(path)
    assert cfg.router_config == str(folder / "cat.yaml")
    assert cfg.rules == str(folder / "rules")


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("proxy: [unclosed\n")
    with pytest.raises(ProxyConfigError, match=r"invalid YAML: line \d"):
        load_proxy_config(bad)
    with pytest.raises(ProxyConfigError, match="file not found"):
        load_proxy_config(tmp_path / "absent.yaml")


def test_non_loopback_bind_needs_a_key_or_explicit_opt_in(monkeypatch):
    found = problems(minimal(proxy={"host": "0.0.0.0"}))
    assert found[0].startswith("$.proxy.host: refusing to bind '0.0.0.0'")
    assert config_from_data(minimal(proxy={"host": "0.0.0.0", "allow_remote": True})).proxy.allow_remote
    assert config_from_data(minimal(proxy={"host": "0.0.0.0", "api_key": "k"})).resolved_api_key() == "k"
    loopback = config_from_data(minimal())
    assert bind_problem(loopback, "127.0.0.1") is None
    assert bind_problem(loopback, "::1") is None
    assert "refusing to bind" in bind_problem(loopback, "192.168.1.5")


def test_api_key_env_must_be_set_so_auth_is_never_silently_off(monkeypatch):
    monkeypatch.delenv("HR_TEST_KEY", raising=False)
    assert problems(minimal(proxy={"api_key_env": "HR_TEST_KEY"})) == [
        "$.proxy.api_key_env: environment variable HR_TEST_KEY is not set"
    ]
    monkeypatch.setenv("HR_TEST_KEY", "secret")
    assert config_from_data(minimal(proxy={"api_key_env": "HR_TEST_KEY"})).resolved_api_key() == "secret"


def test_attempt_order_is_backend_then_its_fallbacks():
    data = minimal(fallback_backends={"fast": ["slow", "slow"]})
    data["backends"]["slow"] = {"base_url": "http://127.0.0.1:9/v1", "model": "s"}
    cfg = config_from_data(data)
    assert cfg.attempt_order("fast") == ("fast", "slow")
    assert cfg.attempt_order("slow") == ("slow",)


@pytest.mark.parametrize("proxy_host,backend_url", [
    ("127.0.0.1", "http://127.0.0.1:8082/v1"),
    ("127.0.0.1", "http://localhost:8082/v1"),
    ("localhost", "http://127.0.0.2:8082"),
    ("0.0.0.0", "http://127.0.0.1:8082/v1"),
    ("::1", "http://[::1]:8082/v1"),
    ("127.0.0.1", "http://0.0.0.0:8082/v1"),
])
def test_a_backend_that_is_the_proxy_itself_is_refused(proxy_host, backend_url):
    data = {"proxy": {"host": proxy_host, "port": 8082, "allow_remote": True},
            "backends": {"loop": {"base_url": backend_url, "model": "m"}}, "engine_backends": {"fast_local": "loop"}}
    with pytest.raises(ProxyConfigError) as info:
        config_from_data(data)
    assert any(p.startswith("$.backends.loop.base_url:") and "proxy's own address" in p for p in info.value.problems)


@pytest.mark.parametrize("backend_url", ["http://127.0.0.1:8083/v1", "http://10.0.0.5:8082/v1", "https://127.0.0.1/v1"])
def test_other_ports_and_hosts_are_not_the_proxy(backend_url):
    data = {"proxy": {"port": 8082}, "backends": {"b": {"base_url": backend_url, "model": "m"}},
            "engine_backends": {"fast_local": "b"}}
    assert config_from_data(data).backends["b"].base_url == backend_url


def test_unknown_models_is_route_or_refuse():
    data = {"proxy": {"unknown_models": "drop"}, "backends": {"b": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}},
            "engine_backends": {"fast_local": "b"}}
    with pytest.raises(ProxyConfigError) as info:
        config_from_data(data)
    assert "$.proxy.unknown_models: 'drop' is not one of route, refuse" in info.value.problems
