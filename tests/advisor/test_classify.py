import pytest

from hrouter.advisor.classify import parameters_b, route_fit


@pytest.mark.parametrize(
    ("name", "best"),
    [
        ("qwen2.5-coder-7b-instruct", "coding"),
        ("Qwen2.5-VL-7B-Instruct", "vision"),
        ("DeepSeek-R1-Distill-Qwen-7B", "reasoning"),
        ("stabilityai/sdxl-turbo", "image_generation"),
        ("llama3.2:1b", "fast"),
    ],
)
def test_specialised_names_win(name, best):
    fit = route_fit(name)
    assert max(fit, key=fit.get) == best


def test_general_models_fall_in_bands_by_size():
    assert set(route_fit("llama3.2:1b")) == {"fast"}
    assert set(route_fit("qwen2.5:7b")) == {"balanced", "coding"}
    assert "reasoning" in route_fit("Qwen3-32B-Instruct")
    assert "fast" not in route_fit("Qwen3-32B-Instruct")


def test_unsuited_models_and_projectors():
    assert route_fit("nomic-embed-text:latest") == {}
    assert route_fit("some-model", size_gb=2.0, has_mmproj=True)["vision"] == 3


def test_parameters_from_name_or_size():
    assert parameters_b("Qwen3-30B-A3B") == 30.0
    assert parameters_b("qwen2.5:0.5b") == 0.5
    assert parameters_b("mystery", size_gb=6.0) == 10.0
    assert parameters_b("mystery") is None
