import os
from pathlib import Path

import pytest
import yaml

from hrouter.advisor.catalog import load_catalog
from hrouter.advisor.configwriter import WriteRefused, build_catalog, build_proxy, default_proxy_path, write_configs, write_files
from hrouter.advisor.plan import SKIP, SetupPlan, default_plan, route_choices
from hrouter.advisor.recommend import recommend
from hrouter.advisor.routes import ROUTES
from hrouter.advisor.scan import run_scan


def plan_for(home, hardware, mode="local", which=lambda n: None, env=None):
    scan = run_scan(home=home, env=env or {}, which=which, hardware=hardware)
    return scan, default_plan(scan, recommend(scan, load_catalog()), mode, home=home)


def load_engine_catalog(data):
    from hrouter.engine.catalog import Catalog

    return Catalog.from_data(data, "<written>")


def load_proxy(data, base):
    from hrouter.server.config import config_from_data

    return config_from_data(data, "<written>", base)


def test_local_plan_uses_runtimes_that_host_each_model(fake_home, large_machine, tmp_path):
    scan, plan = plan_for(fake_home, large_machine)
    assert plan.choices["coding"].kind == "local" and plan.choices["coding"].runtime == "lmstudio"
    proxy = build_proxy(plan, tmp_path / "c.yaml")
    assert proxy["backends"]["code"] == {"base_url": "http://127.0.0.1:1234/v1", "model": "qwen2.5-coder-7b-instruct", "timeout_seconds": 300}
    # Loose GGUF files and the HF-cache GGUF each get their own llama-server port.
    assert proxy["backends"]["fast"]["model"] == "phi-3.5-mini-instruct-Q4_K_M" and proxy["backends"]["fast"]["strip_tools"] is True
    ports = {proxy["backends"][b]["base_url"] for b in ("fast", "reasoning")}
    assert ports == {"http://127.0.0.1:8080/v1", "http://127.0.0.1:8081/v1"}
    # An Ollama model is served by Ollama.
    choices = dict(plan.choices, fast=next(c for c in route_choices(scan, recommend(scan, load_catalog()), "fast", "local") if c.runtime == "ollama"))
    ollama = build_proxy(SetupPlan("local", choices), tmp_path / "c.yaml")
    assert ollama["backends"]["fast"]["base_url"] == "http://127.0.0.1:11434/v1"
    assert ollama["backends"]["fast"]["model"] == "llama3.2:1b"
    assert proxy["engine_backends"]["web_research"] == "reasoning"
    cfg = load_proxy(proxy, tmp_path)
    assert set(cfg.engine_backends.values()) <= set(cfg.backends)


@pytest.mark.parametrize("mode", ["local", "hosted", "mixed"])
def test_every_mode_gives_a_catalog_the_engine_accepts(tmp_path, small_machine, mode):
    scan, plan = plan_for(tmp_path, small_machine, mode, which=lambda n: "/bin/" + n if n == "claude" else None)
    data = build_catalog(plan, scan.commands)
    catalog = load_engine_catalog(data)
    assert data["routing_targets"]["confirmation"] == "human_confirm"
    assert data["safety"]["require_human_confirmation"] is True
    assert set(data["engines"]) >= {"fast_local", "balanced_local", "reasoning_local", "code_agent", "web_research", "multimodal_vision", "image_generation", "human_confirm", "claude_code"}
    assert catalog is not None
    load_proxy(build_proxy(plan, tmp_path / "c.yaml"), tmp_path)


def test_hosted_mode_reads_keys_from_the_environment(tmp_path, small_machine):
    _, plan = plan_for(tmp_path, small_machine, "hosted")
    proxy = build_proxy(plan, tmp_path / "c.yaml")
    assert proxy["backends"]["reasoning"]["api_key_env"] in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
    assert proxy["backends"]["reasoning"]["base_url"].startswith("https://")
    data = build_catalog(plan)
    assert data["engines"]["reasoning_local"]["availability"]["required_env"]
    # No hosted image generation over chat: that route is switched off and falls to confirmation.
    assert data["engines"]["image_generation"]["enabled"] is False


def test_skipped_routes_are_disabled_and_fall_back(tmp_path, small_machine):
    _, plan = plan_for(tmp_path, small_machine)
    choices = dict(plan.choices, vision=SKIP, reasoning=SKIP)
    skipped = SetupPlan("local", choices)
    data = build_catalog(skipped)
    assert data["engines"]["multimodal_vision"]["enabled"] is False
    assert data["engines"]["multimodal_vision"]["fallback"] == "human_confirm"
    proxy = build_proxy(skipped, tmp_path / "c.yaml")
    assert "vision" not in proxy["backends"] and "multimodal_vision" not in proxy["engine_backends"]
    assert proxy["engine_backends"]["web_research"] == "balanced"
    # Reasoning prompts reach the balanced model instead of stopping at confirmation.
    assert data["engines"]["reasoning_local"]["fallback"] == "balanced_local"
    assert data["engines"]["balanced_local"]["fallback"] == "human_confirm"
    assert data["engines"]["fast_local"]["fallback"] == "balanced_local"
    load_engine_catalog(data)


def test_a_machine_with_only_a_fast_model_sends_every_chat_route_to_it(tmp_path, small_machine):
    _, plan = plan_for(tmp_path, small_machine)
    only_fast = SetupPlan("local", dict(plan.choices, balanced=SKIP, reasoning=SKIP))
    engines = build_catalog(only_fast)["engines"]
    assert engines["fast_local"]["fallback"] == "human_confirm"
    assert engines["balanced_local"]["fallback"] == engines["reasoning_local"]["fallback"] == "fast_local"
    catalog = load_engine_catalog(build_catalog(only_fast))
    assert catalog is not None  # no fallback cycle, every fallback names an engine


def test_downloads_are_unavailable_until_their_files_exist(tmp_path, small_machine):
    _, plan = plan_for(tmp_path, small_machine)
    fast = plan.choices["fast"]
    assert fast.kind == "download"
    engine = build_catalog(plan)["engines"]["fast_local"]
    assert engine["availability"]["required_paths"] == [fast.path]
    assert fast.path.startswith(str(tmp_path / "models"))


def test_write_is_atomic_and_never_overwrites_without_force(tmp_path, small_machine):
    _, plan = plan_for(tmp_path, small_machine)
    target = tmp_path / "out/model_router.local.yaml"
    catalog_path, proxy_path = write_configs(plan, target)
    assert proxy_path == default_proxy_path(catalog_path) == tmp_path / "out/routing_proxy.yaml"
    written = yaml.safe_load(catalog_path.read_text())
    load_engine_catalog(written)
    cfg = yaml.safe_load(proxy_path.read_text())
    assert Path(cfg["router_config"]) == catalog_path
    before = catalog_path.read_text()
    catalog_path.write_text("# mine\n")
    with pytest.raises(WriteRefused, match="--force"):
        write_configs(plan, target)
    assert catalog_path.read_text() == "# mine\n"
    write_configs(plan, target, force=True)
    assert catalog_path.read_text() == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model_router.local.yaml", "routing_proxy.yaml"]


def test_a_failed_write_leaves_no_file_and_no_temp(tmp_path):
    blocked = tmp_path / "ro"
    blocked.mkdir()
    os.chmod(blocked, 0o500)
    try:
        if os.access(blocked, os.W_OK):
            pytest.fail("running as a user who can write to read-only folders; use another check")
    except pytest.fail.Exception:
        os.chmod(blocked, 0o700)
        blocked.rmdir()
        blocked.write_text("a file, not a folder")  # mkdir under a file fails for root too
    ok = tmp_path / "ok.yaml"
    with pytest.raises(WriteRefused, match="cannot write"):
        write_files({ok: "a: 1\n", blocked / "sub/proxy.yaml": "b: 2\n"})
    assert not ok.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_yaml_has_no_anchors(tmp_path, small_machine):
    from hrouter.advisor.configwriter import render_yaml

    _, plan = plan_for(tmp_path, small_machine)
    text = render_yaml(build_catalog(plan))
    assert "&id" not in text and "*id" not in text
    assert set(ROUTES) <= set(plan.choices)


def test_runtime_urls_move_backends_and_single_model_servers_count_up(fake_home, large_machine, tmp_path):
    from hrouter.advisor.plan import parse_runtime_urls

    _, plan = plan_for(fake_home, large_machine)
    urls = parse_runtime_urls(["lmstudio=http://10.0.0.5:1235/v1/", "llama-server=http://127.0.0.1:9000/v1"])
    proxy = build_proxy(plan, tmp_path / "c.yaml", 9999, urls)
    assert proxy["proxy"]["port"] == 9999
    assert proxy["backends"]["code"]["base_url"] == "http://10.0.0.5:1235/v1"
    assert {proxy["backends"][b]["base_url"] for b in ("fast", "reasoning")} == {"http://127.0.0.1:9000/v1", "http://127.0.0.1:9001/v1"}
    with pytest.raises(ValueError, match="NAME=URL"):
        parse_runtime_urls(["vllm=http://x"])


def test_probed_servers_supply_the_model_id(fake_home, large_machine):
    import attrs

    from hrouter.advisor.probe import ServerProbe

    scan = run_scan(home=fake_home, env={}, which=lambda n: None, hardware=large_machine)
    probed = attrs.evolve(scan, servers=(ServerProbe(1234, "lmstudio", "http://127.0.0.1:1234/v1", True, models=("lmstudio-community/qwen2.5-coder-7b-instruct",)),))
    plan = default_plan(probed, recommend(probed, load_catalog()), "local", home=fake_home)
    assert plan.choices["coding"].model == "lmstudio-community/qwen2.5-coder-7b-instruct"
    assert default_plan(scan, recommend(scan, load_catalog()), "local", home=fake_home).choices["coding"].model == "qwen2.5-coder-7b-instruct"


def test_start_hints_name_each_runtime_and_llama_server_port(fake_home, large_machine):
    from hrouter.advisor.plan import start_hints

    _, plan = plan_for(fake_home, large_machine)
    hints = start_hints(plan)
    assert any(h.startswith("LM Studio") and "http://127.0.0.1:1234/v1" in h for h in hints)
    llama = sorted(h for h in hints if h.startswith("llama.cpp"))
    assert len(llama) == 2
    assert any("phi-3.5-mini-instruct-Q4_K_M.gguf --port 8080" in h for h in llama)
    assert any("snapshots/0123abcd/DeepSeek-R1-Distill-Qwen-32B-Q4_K_M.gguf --port 8081" in h for h in llama)
    assert not any("not on PATH" in h for h in hints)
    warned = start_hints(plan, commands={"llama-server": None})
    assert all("llama-server is not on PATH: install llama.cpp first" in h for h in warned if h.startswith("llama.cpp"))
    assert start_hints(plan, commands={"llama-server": "/bin/llama-server"}) == hints


def test_the_real_router_follows_the_written_fallbacks(tmp_path, small_machine):
    from hrouter import ModelRouter

    _, plan = plan_for(tmp_path, small_machine)
    only_fast = SetupPlan("local", dict(plan.choices, balanced=SKIP, reasoning=SKIP))
    # The fast model "is on disk": make its required path exist.
    Path(only_fast.choices["fast"].path).mkdir(parents=True)
    path = tmp_path / "c.yaml"
    write_configs(only_fast, path)
    router = ModelRouter.from_config(str(path))
    assert router.route_fast("design a distributed task scheduler architecture") == "fast_local"
    assert router.route_fast("summarize these notes") == "fast_local"
    assert router.route_fast("drop the production database") == "human_confirm"


def _llama_plan(routes=("fast", "balanced", "reasoning", "coding")) -> SetupPlan:
    from hrouter.advisor.plan import Choice

    return SetupPlan("local", {r: Choice("local", r, runtime="llama-server", model=f"m-{r}", path=f"/m/{r}.gguf")
                               for r in routes})


@pytest.mark.parametrize("port", [8080, 8081, 8082, 8083])
def test_no_written_backend_is_the_proxy_itself(tmp_path, port):
    from hrouter.advisor.plan import start_hints

    proxy = build_proxy(_llama_plan(), tmp_path / "c.yaml", port)
    ports = [int(b["base_url"].rsplit(":", 1)[1].split("/")[0]) for b in proxy["backends"].values()]
    assert port not in ports and len(set(ports)) == 4
    load_proxy(proxy, tmp_path)  # the proxy's own loader accepts what was written
    assert not any(f"--port {port}`" in h for h in start_hints(_llama_plan(), proxy_port=port))


def test_a_runtime_url_on_the_proxy_port_is_refused(tmp_path):
    from hrouter.advisor.plan import Choice, parse_runtime_urls

    ollama = SetupPlan("local", {**{r: SKIP for r in ROUTES}, "fast": Choice(
        "local", "fast", runtime="ollama", model="qwen3:0.6b", base_url="http://127.0.0.1:11434/v1")})
    urls = parse_runtime_urls(["ollama=http://localhost:8082/v1"])
    with pytest.raises(ValueError, match="proxy's own address"):
        build_proxy(ollama, tmp_path / "c.yaml", 8082, urls)
    with pytest.raises(ValueError):
        write_configs(ollama, tmp_path / "c.yaml", port=8082, runtime_urls=urls)
    assert not (tmp_path / "c.yaml").exists()
    # a single-model server given the proxy's port moves to the next one instead
    moved = build_proxy(_llama_plan(("fast",)), tmp_path / "c.yaml", 8082, {"llama-server": "http://localhost:8082/v1"})
    assert moved["backends"]["fast"]["base_url"] == "http://localhost:8083/v1"


def test_image_generation_never_goes_to_a_chat_model(fake_home, large_machine, tmp_path, capsys):
    from hrouter.advisor.configwriter import NO_IMAGE_BACKEND

    _, plan = plan_for(fake_home, large_machine)
    proxy = build_proxy(plan, tmp_path / "c.yaml")
    assert "image_generation" not in proxy["engine_backends"]
    assert proxy["engine_backends"]["web_research"] in proxy["backends"]
    assert "502 routing_backend_missing" in NO_IMAGE_BACKEND
