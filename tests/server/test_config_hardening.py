"""Hostile or mistaken config files: one safe YAML loader for every file, the strict converter
for the proxy config, and validation that catches what `serve` would fail on."""

from __future__ import annotations

import time

import httpx
import pytest

from hrouter.engine.catalog import Catalog, CatalogError
from hrouter.engine.safe_yaml import YamlError, load_yaml
from hrouter.server.app import create_app
from hrouter.server.config import ProxyConfigError, config_from_data, load_proxy_config
from hrouter.server.redact import CAPTURE_FULL, CAPTURE_OFF, CAPTURE_REDACTED, capture_mode
from hrouter.server.threaded import ThreadedServer

from .conftest import proxy_data

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
DEEP = "proxy: " + "[" * 200 + "]" * 200 + "\n"  # past our 64, under libyaml's own limit
MINIMAL = "backends: {b: {base_url: 'http://127.0.0.1:1/v1', model: m}}\nengine_backends: {fast_local: b}\n"


def problems_of(tmp_path, text: str) -> str:
    path = tmp_path / "proxy.yaml"
    path.write_text(text)
    with pytest.raises(ProxyConfigError) as info:
        load_proxy_config(path)
    return "; ".join(info.value.problems)


@pytest.mark.parametrize("text,why", [
    (LAUGHS, "expands to more than"),
    (DEEP, "nested"),
    ("proxy: {port: 1}\nproxy: {port: 2}\n" + MINIMAL, "duplicate key 'proxy'"),
    ("x" * (9 * 1024 * 1024), "larger than"),
])
def test_every_yaml_file_refuses_bombs_depth_duplicates_and_size(tmp_path, text, why):
    started = time.monotonic()
    assert why in problems_of(tmp_path, text)
    with pytest.raises(CatalogError, match=why):
        Catalog.from_yaml(text, "catalog.yaml")
    with pytest.raises(YamlError, match=why):
        load_yaml(text)
    assert time.monotonic() - started < 5  # refused up front, not after minutes of expansion


def test_merge_keys_may_override_and_aliases_within_limits_load():
    assert load_yaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\nd: *b\n") == {
        "base": {"x": 1, "y": 2}, "c": {"x": 3, "y": 2}, "d": {"x": 1, "y": 2}}


def test_the_proxy_config_goes_through_the_strict_converter(tmp_path):
    assert "$.proxy.model_ids: expected a list, got 'auto'" in problems_of(tmp_path, "proxy: {model_ids: auto}\n" + MINIMAL)
    assert "$.proxy.port: expected an integer, got '8082'" in problems_of(tmp_path, "proxy: {port: '8082'}\n" + MINIMAL)
    assert "expected a number, got True" in problems_of(tmp_path, "health: {backend_timeout_seconds: true}\n" + MINIMAL)
    found = problems_of(tmp_path, "proxy: {prot: 1, max_body_byte: 2}\nobservabilty: {}\n" + MINIMAL)
    assert "$.proxy: unknown keys: max_body_byte (did you mean max_body_bytes?), prot (did you mean port?)" in found
    assert "$: unknown key: observabilty (did you mean observability?)" in found


def test_prompt_capture_off_unquoted_is_off_and_the_env_switch_cannot_override_it(tmp_path, monkeypatch):
    path = tmp_path / "proxy.yaml"
    path.write_text("observability: {prompt_capture: off}\n" + MINIMAL)
    assert load_proxy_config(path).observability.prompt_capture == CAPTURE_OFF
    monkeypatch.setenv("HROUTER_LOG_PROMPTS", "1")
    assert capture_mode(CAPTURE_OFF) == CAPTURE_OFF
    assert capture_mode(CAPTURE_REDACTED) == CAPTURE_FULL  # the env switch still serves calibration runs
    assert "prompt_capture" in problems_of(tmp_path, "observability: {prompt_capture: true}\n" + MINIMAL)


def test_body_size_timeouts_and_caps_have_bounds(tmp_path):
    assert "at most" in problems_of(tmp_path, "proxy: {max_body_bytes: 10000000000}\n" + MINIMAL)
    assert "header_timeout_seconds" in problems_of(tmp_path, "proxy: {header_timeout_seconds: 0}\n" + MINIMAL)
    assert "max_n" in problems_of(tmp_path, "proxy: {max_n: 0}\n" + MINIMAL)
    assert "is not an origin" in problems_of(tmp_path, "proxy: {allowed_origins: ['evil.example']}\n" + MINIMAL)


def test_backend_headers_that_http_cannot_carry_are_config_errors(tmp_path):
    for header in ("{X-Team: 'caf\u00e9'}", "{X-Team: \"a\\r\\nInjected: 1\"}", "{'Bad Name': v}"):
        found = problems_of(tmp_path, MINIMAL.replace("model: m}", f"model: m, headers: {header}}}"))
        assert "$.backends.b.headers" in found, header


def test_a_validated_config_serves_its_headers(standins, behaviours):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["backends"]["code"]["headers"] = {"X-Team": "tests", "X-Trace": "a-b_c.d ~1"}
    with ThreadedServer(create_app(config_from_data(data, "t"))) as server, httpx.Client(base_url=server.url) as c:
        r = c.post("/v1/chat/completions", json={"model": "code", "messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 200 and r.headers["x-routed-backend"] == "code"
