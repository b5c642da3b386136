from pathlib import Path

from hrouter.advisor.stores import lmstudio_model_key, scan_stores

from .fake_machine import sparse


def by_source(scan, source):
    return {m.name: m for m in scan.models if m.source == source}


def test_every_store_of_the_fake_home_is_found(fake_home):
    scan = scan_stores(fake_home, env={})
    lms = by_source(scan, "lmstudio")
    assert set(lms) == {
        "lmstudio-community/Qwen3-8B-GGUF",
        "lmstudio-community/Qwen2.5-Coder-7B-Instruct-GGUF",
        "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF",
    }
    qwen = lms["lmstudio-community/Qwen3-8B-GGUF"]
    assert qwen.model_id == "qwen3-8b" and qwen.runtime == "lmstudio" and qwen.size_gb == 5.0
    vl = lms["ggml-org/Qwen2.5-VL-3B-Instruct-GGUF"]
    assert vl.has_mmproj and vl.files == ("Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf",) and vl.size_gb == 1.9

    ollama = by_source(scan, "ollama")
    assert set(ollama) == {"llama3.2:1b", "nomic-embed-text:latest"}
    assert ollama["llama3.2:1b"].size_gb == 1.3 and ollama["llama3.2:1b"].runtime == "ollama"

    hf = by_source(scan, "huggingface")
    deepseek = hf["bartowski/DeepSeek-R1-Distill-Qwen-32B-GGUF"]
    assert deepseek.format == "gguf" and deepseek.runtime == "llama-server" and deepseek.size_gb == 19.9

    loose = by_source(scan, "gguf")
    assert loose["phi-3.5-mini-instruct-Q4_K_M"].model_id == "phi-3.5-mini-instruct-Q4_K_M"
    existing = {(s.source, Path(s.root).name) for s in scan.stores if s.exists}
    assert ("ollama", "models") in existing and ("huggingface", "hub") in existing


def test_environment_moves_the_hf_and_ollama_stores(fake_home, tmp_path):
    hf_home = tmp_path / "hfhome"
    sparse(hf_home / "hub/models--org--tiny-1b-GGUF/snapshots/r/tiny-1b.gguf", 0.1)
    scan = scan_stores(fake_home, env={"HF_HOME": str(hf_home), "OLLAMA_MODELS": str(tmp_path / "none")})
    assert set(by_source(scan, "huggingface")) == {"org/tiny-1b-GGUF"}
    assert by_source(scan, "ollama") == {}


def test_an_empty_home_reports_missing_stores(tmp_path):
    scan = scan_stores(tmp_path, env={})
    assert scan.models == ()
    assert scan.stores and not any(s.exists for s in scan.stores)


def test_walks_are_bounded_and_say_so(tmp_path):
    home = tmp_path
    for i in range(30):
        (home / "Downloads" / f"junk{i:02}.txt").parent.mkdir(parents=True, exist_ok=True)
        (home / "Downloads" / f"junk{i:02}.txt").write_text("x")
    sparse(home / "models/a/b/c/d/deep-7b.gguf", 0.01)  # below the depth bound of the GGUF walk
    scan = scan_stores(home, env={}, max_entries=10)
    reports = {Path(s.root).name: s for s in scan.stores if s.exists}
    assert "stopped after 10 entries" in reports["Downloads"].limit_hit
    assert "depth" in reports["models"].limit_hit
    assert not any(m.name == "deep-7b" for m in scan.models)


def test_lmstudio_key():
    assert lmstudio_model_key("lmstudio-community/Qwen3-8B-GGUF") == "qwen3-8b"
    assert lmstudio_model_key("mlx-community/Llama-3.2-3B-Instruct-MLX") == "llama-3.2-3b-instruct"


def test_mlx_folders_and_ollama_projectors_are_recognised(tmp_path):
    import json

    from hrouter.advisor.classify import route_fit

    mlx = tmp_path / ".lmstudio/models/mlx-community/Qwen3-8B-4bit"
    sparse(mlx / "model.safetensors", 0.5)
    (mlx / "config.json").write_text("{}")
    manifest = tmp_path / ".ollama/models/manifests/registry.ollama.ai/library/mystery/latest"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"layers": [
        {"mediaType": "application/vnd.ollama.image.model", "size": 3 * 1024**3},
        {"mediaType": "application/vnd.ollama.image.projector", "size": 600 * 1024**2},
    ]}))
    hub = tmp_path / "hfhub/models--someone--thing/snapshots/r"
    sparse(hub / "model.safetensors", 0.01)
    scan = scan_stores(tmp_path, env={"HF_HUB_CACHE": str(tmp_path / "hfhub")})
    models = {m.name: m for m in scan.models}
    assert models["mlx-community/Qwen3-8B-4bit"].format == "mlx"
    assert models["mlx-community/Qwen3-8B-4bit"].runtime == "lmstudio"
    mystery = models["mystery:latest"]
    assert mystery.has_mmproj and mystery.size_gb == round((3 * 1024**3 + 600 * 1024**2) / 1024**3, 2)
    assert "vision" in route_fit(mystery.name, mystery.size_gb, mystery.has_mmproj)
    assert models["someone/thing"].format == "safetensors"
