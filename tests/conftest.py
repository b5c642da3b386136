import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test compiles rules into a cache folder of its own, never the user's."""
    monkeypatch.setenv("HROUTER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch):
    """Every test has a $HROUTER_HOME of its own: the embedded config logs routing events there,
    and commands read their default configs from there, so the user's ~/.hrouter is never read
    or written."""
    home = tmp_path_factory.mktemp("hrouter-home")
    monkeypatch.setenv("HROUTER_HOME", str(home))
    return home
