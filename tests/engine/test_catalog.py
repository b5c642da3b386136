import pytest
import yaml

from hrouter.engine.catalog import Catalog, CatalogError, check_availability, Engine, Availability

from engine_fixtures import DEFAULT

ENGINES = ("fast_local", "balanced_local", "reasoning_local", "code_agent", "claude_code", "codex", "openai_api",
           "anthropic_api", "web_research", "multimodal_vision", "image_generation", "human_confirm", "intent_router")


@pytest.fixture
def data():
    return yaml.safe_load(DEFAULT.read_text())


def errors_of(data):
    with pytest.raises(CatalogError) as info:
        Catalog.from_data(data, "cat.yaml")
    return info.value.errors


def test_default_catalog_loads_with_the_seed_engine_names():
    cat = Catalog.from_file()
    assert set(cat.engines) == set(ENGINES)
    assert cat.targets["coding"] == "code_agent" and cat.targets["confirmation"] == "human_confirm"
    assert set(cat.targets) == {"simple", "balanced", "reasoning", "coding", "research", "vision", "image_generation", "confirmation"}
    assert not any(cat.overrides.values())
    assert cat.status["human_confirm"].available


def test_packaged_and_repository_copies_agree():
    assert Catalog.from_file().engines == Catalog.from_file(DEFAULT).engines


def test_errors_carry_key_paths(data):
    data["engines"]["code_agent"]["fallback"] = "nowhere"
    data["engines"]["fast_local"]["enabled"] = "yes"
    data["engines"]["fast_local"]["surprise"] = 1
    data["engines"]["web_research"]["availability"]["status"] = "maybe"
    errs = errors_of(data)
    joined = "\n".join(errs)
    assert "$.engines.fast_local.enabled: expected true or false, got 'yes'" in joined
    assert "$.engines.fast_local: unknown key: surprise" in joined
    assert "$.engines.web_research.availability.status: must be one of auto, available, unavailable" in joined


def test_cross_checks_with_key_paths(data):
    data["engines"]["code_agent"]["fallback"] = "nowhere"
    data["routing_targets"]["coding"] = "ghost"
    data["engines"]["fast_local"]["cost_tier"] = "cheap"
    data["engines"]["fast_local"]["capability"] = 140
    data["engines"]["multimodal_vision"]["modalities"] = ["image", "smell"]
    errs = errors_of(data)
    assert "$.engines.code_agent.fallback: unknown engine 'nowhere'" in errs
    assert "$.routing_targets.coding: unknown engine 'ghost'" in errs
    assert any(e.startswith("$.engines.fast_local.cost_tier: must be one of") for e in errs)
    assert "$.engines.fast_local.capability: must be between 0 and 100, got 140" in errs
    assert any(e.startswith("$.engines.multimodal_vision.modalities: unknown modality 'smell'") for e in errs)


def test_fallback_cycle_is_an_error(data):
    data["engines"]["reasoning_local"]["fallback"] = "balanced_local"
    errs = errors_of(data)
    assert any("fallback cycle" in e and "balanced_local" in e and "reasoning_local" in e for e in errs)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["engines"].pop("human_confirm"), "$.engines: the human_confirm engine is required"),
        (lambda d: d["engines"]["human_confirm"].update(enabled=False), "$.engines.human_confirm.enabled"),
        (lambda d: d["routing_targets"].update(confirmation="fast_local"), "$.routing_targets.confirmation: must be human_confirm"),
        (lambda d: d["safety"].update(require_human_confirmation=False), "$.safety.require_human_confirmation"),
        (lambda d: d["safety"]["confirmation_overrides"].update(allow_everything=True), "$.safety.confirmation_overrides: unknown key: allow_everything"),
        (lambda d: d.update(scoring={}), "$.scoring"),
        (lambda d: d.pop("engines"), "$.engines: required key missing"),
        (lambda d: d["engines"]["fast_local"].update(strengths="fast"), "$.engines.fast_local.strengths: expected a list"),
        (lambda d: d["engines"]["fast_local"].update(max_context=0), "$.engines.fast_local.max_context"),
    ],
)
def test_safety_and_shape_checks(data, change, expected):
    change(data)
    errs = errors_of(data)
    assert any(e.startswith(expected) for e in errs), errs


def test_every_error_is_reported_at_once(data):
    data["engines"]["fast_local"]["enabled"] = "no"
    data["engines"]["codex"]["trust"] = "high"
    assert len(errors_of(data)) == 2


def test_from_file_errors_name_the_file(tmp_path):
    with pytest.raises(CatalogError, match="missing.yaml: file not found"):
        Catalog.from_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("engines: [unclosed\n")
    with pytest.raises(CatalogError, match=r"bad.yaml: invalid YAML: line \d"):
        Catalog.from_file(bad)
    bad.write_text("- a list\n")
    with pytest.raises(CatalogError, match="bad.yaml: \\$: a catalog is a mapping"):
        Catalog.from_file(bad)


def test_ranking_numbers_default_from_tiers(data):
    for key in ("capability", "trust", "cost", "latency"):
        data["engines"]["openai_api"].pop(key)
    cat = Catalog.from_data(data)
    e = cat.engines["openai_api"]
    assert (e.capability, e.trust, e.cost, e.latency) == (50, 60, 60, 50)


def test_availability_is_checked_once_at_load(monkeypatch, tmp_path, data):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    monkeypatch.setenv("PATH", str(tmp_path))
    cat = Catalog.from_data(data)
    assert cat.status["openai_api"].reasons == ("missing env var OPENAI_API_KEY",)
    assert cat.status["anthropic_api"].available
    assert cat.status["claude_code"].reasons == ("missing command claude",)
    monkeypatch.setenv("OPENAI_API_KEY", "now set")  # changes after load do not matter
    assert not cat.status["openai_api"].available


def test_availability_rules(tmp_path, monkeypatch):
    base = dict(provider="p", model="m", adapter="a", max_context=1, cost_tier="free", latency_tier="low")
    assert not check_availability(Engine(**base, availability=Availability(status="unavailable"))).available
    assert check_availability(Engine(**base, availability=Availability(status="available", required_env=("NOPE_X",)))).available
    present = tmp_path / "weights.gguf"
    present.write_text("x")
    ok = Engine(**base, availability=Availability(required_paths=(str(present),)))
    assert check_availability(ok).available
    gone = Engine(**base, availability=Availability(required_paths=(str(tmp_path / "gone"),)))
    assert check_availability(gone).reasons == (f"missing path {tmp_path / 'gone'}",)


def test_on_path_agrees_with_shutil_which(tmp_path, monkeypatch):
    import os
    import shutil

    from hrouter.engine.catalog import on_path

    tool = tmp_path / "mytool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    plain = tmp_path / "notexec"
    plain.write_text("")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin")
    for command in ("mytool", "notexec", "sh", "no-such-command-xyz", str(tool), str(plain)):
        assert on_path(command) == (shutil.which(command) is not None), command
