import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test compiles rules into a cache folder of its own, never the user's."""
    monkeypatch.setenv("HROUTER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
