"""`hrouter init`: writes a preset and a catalog copy, never overwrites without --force."""

from __future__ import annotations

import pytest
import yaml

from hrouter.cli.init_cmd import PRESETS
from hrouter.cli.main import main
from hrouter.server.config import load_proxy_config


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_writes_a_loadable_config(preset, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert main(["init", "--preset", preset, "--yes", "--dir", str(tmp_path)]) == 0
    cfg = load_proxy_config(tmp_path / "routing_proxy.yaml")
    assert cfg.router_config == str(tmp_path / "model_router.yaml")
    assert "routing_targets" in yaml.safe_load((tmp_path / "model_router.yaml").read_text())
    assert "hrouter serve --config" in capsys.readouterr().out


def test_default_dir_is_hrouter_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HROUTER_HOME", str(tmp_path / "home"))
    assert main(["init", "--preset", "ollama", "--yes"]) == 0
    assert "11434" in (tmp_path / "home" / "routing_proxy.yaml").read_text()


def test_never_overwrites_without_force(tmp_path, capsys):
    target = tmp_path / "routing_proxy.yaml"
    target.write_text("# my edits\n")
    assert main(["init", "--preset", "lmstudio", "--yes", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "already exist" in err and "--force" in err and "Traceback" not in err
    assert target.read_text() == "# my edits\n"
    assert not (tmp_path / "model_router.yaml").exists()  # nothing half-written
    assert main(["init", "--preset", "lmstudio", "--yes", "--force", "--dir", str(tmp_path)]) == 0
    assert "1234" in target.read_text()


def test_without_yes_and_no_terminal_it_asks_for_yes(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["init", "--preset", "localai", "--dir", str(tmp_path)]) == 1
    assert "--yes" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_unknown_preset_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["init", "--preset", "vllm", "--dir", str(tmp_path)])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def _catalog_tags(route):
    from hrouter.advisor.catalog import load_catalog

    return {m.ollama for m in load_catalog().for_route(route) if m.ollama}


@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_sends_images_to_a_vision_backend_and_never_image_generation_to_a_chat_model(preset, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert main(["init", "--preset", preset, "--yes", "--dir", str(tmp_path)]) == 0
    cfg = load_proxy_config(tmp_path / "routing_proxy.yaml")
    vision = cfg.engine_backends["multimodal_vision"]
    text_backends = {cfg.engine_backends[e] for e in ("fast_local", "balanced_local", "reasoning_local", "code_agent")}
    assert vision not in text_backends
    assert "image_generation" not in cfg.engine_backends
    assert "image_generation: no backend" in (tmp_path / "routing_proxy.yaml").read_text()


def test_the_ollama_preset_names_capable_models_and_how_to_pull_each(tmp_path):
    assert main(["init", "--preset", "ollama", "--yes", "--dir", str(tmp_path)]) == 0
    text = (tmp_path / "routing_proxy.yaml").read_text()
    cfg = load_proxy_config(tmp_path / "routing_proxy.yaml")
    for backend in cfg.backends.values():
        assert f"ollama pull {backend.model}" in text
    assert cfg.backends[cfg.engine_backends["multimodal_vision"]].model in _catalog_tags("vision")
    assert cfg.backends[cfg.engine_backends["code_agent"]].model in _catalog_tags("coding")
    assert "Ollama generates no images" in text
