from hrouter.advisor.catalog import load_catalog
from hrouter.advisor.recommend import recommend
from hrouter.advisor.routes import ROUTES
from hrouter.advisor.scan import run_scan


def no_commands(name):
    return None


def advice(home, hardware):
    scan = run_scan(home=home, env={}, which=no_commands, hardware=hardware)
    return recommend(scan, load_catalog())


def test_empty_small_machine_gets_small_downloads_only(tmp_path, small_machine):
    rec = advice(tmp_path, small_machine)
    budget = small_machine.memory_budget_gb
    for route in ROUTES:
        for pick in rec.route(route).downloads:
            assert pick.model.ram_gb <= budget
        assert all("needs" in e.reason for e in rec.route(route).excluded)
    assert rec.route("reasoning").excluded  # the 32B and 120B models are left out
    assert rec.route("fast").status == "download"


def test_large_machine_gets_the_strongest_models(tmp_path, small_machine, large_machine):
    small = advice(tmp_path, small_machine)
    large = advice(tmp_path, large_machine)
    for route in ("reasoning", "coding", "vision"):
        assert large.route(route).downloads[0].model.quality > small.route(route).downloads[0].model.quality, route
    assert large.route("reasoning").downloads[0].model.params_b >= 30
    assert not large.route("reasoning").excluded


def test_models_on_disk_come_first_when_they_fit(fake_home, large_machine):
    rec = advice(fake_home, large_machine)
    assert rec.route("coding").status == "present"
    assert rec.route("coding").local[0].model.name == "lmstudio-community/Qwen2.5-Coder-7B-Instruct-GGUF"
    assert rec.route("vision").local[0].model.name == "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF"
    assert rec.route("reasoning").local[0].model.name == "bartowski/DeepSeek-R1-Distill-Qwen-32B-GGUF"
    # The fast lane prefers a model near 3B over a 1B one, and never the 32B.
    fast = [p.model.name for p in rec.route("fast").local]
    assert fast[:2] == ["phi-3.5-mini-instruct-Q4_K_M", "llama3.2:1b"]
    # A catalog model already on disk is not offered again as a download.
    offered = {p.model.repo_id for r in rec.routes for p in r.downloads}
    assert "lmstudio-community/Qwen3-8B-GGUF" not in offered
    assert all(p.model.name != "nomic-embed-text:latest" for r in rec.routes for p in r.local)


def test_a_model_on_disk_too_big_for_memory_is_flagged(fake_home, small_machine):
    rec = advice(fake_home, small_machine)
    reasoning = rec.route("reasoning")
    big = [p for p in reasoning.local if "32B" in p.model.name]
    assert big and not big[0].fits_memory
    # Nothing on disk fits for reasoning, so a download that does is recommended instead.
    assert not any(p.fits_memory for p in reasoning.local)
    assert reasoning.status == "download"
    assert reasoning.downloads[0].model.ram_gb <= small_machine.memory_budget_gb
    # The small vision model on disk fits and stays the choice; the 7B coder does not fit 8 GB.
    assert rec.route("vision").status == "present"
    assert rec.route("coding").status == "download"
    data = rec.to_dict()
    assert data["hardware"]["memory_budget_gb"] == small_machine.memory_budget_gb
    assert {r["route"] for r in data["routes"]} == set(ROUTES)


def test_disk_space_excludes_downloads(tmp_path, small_machine):
    import attrs

    full = attrs.evolve(small_machine, disk_free_gb=2.0)
    rec = advice(tmp_path, full)
    for route in ROUTES:
        assert all(p.model.size_gb + 1 <= 2.0 for p in rec.route(route).downloads)
    assert any("free" in e.reason for e in rec.route("balanced").excluded)


def test_recommend_names_an_ollama_model_per_route_or_says_there_is_none(tmp_path, large_machine):
    from hrouter.advisor.render import recommend_text

    rec = advice(tmp_path, large_machine)
    catalog = load_catalog()
    for route in ("fast", "balanced", "reasoning", "coding", "vision"):
        tag = rec.route(route).ollama_pull
        assert tag in {m.ollama for m in catalog.for_route(route)}, route
    assert rec.route("image_generation").ollama_pull is None
    text = recommend_text(rec)
    assert f"ollama pull {rec.route('vision').ollama_pull}" in text
    image = text[text.index("image_generation ->"):]
    assert "no Ollama model that fits this machine does this route (Ollama generates no images)" in image
    assert rec.to_dict()["routes"][ROUTES.index("vision")]["ollama_pull"] == rec.route("vision").ollama_pull
