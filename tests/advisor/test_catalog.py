import pytest
import yaml

from hrouter.advisor.catalog import load_catalog
from hrouter.advisor.routes import ROUTES


def test_bundled_catalog_is_versioned_and_covers_every_route():
    catalog = load_catalog()
    assert catalog.schema == 1 and catalog.version
    for route in ROUTES:
        assert catalog.for_route(route), route
    for model in catalog.models:
        assert "/" in model.repo_id and model.licence and model.include
        assert model.ram_gb <= model.recommended_ram_gb
        assert model.size_gb < model.ram_gb + 1  # loading needs at least the weights


def write(tmp_path, data):
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_bad_catalogs_are_refused_with_the_key_path(tmp_path):
    good = yaml.safe_load(load_catalog.__globals__["resources"].files("hrouter.advisor").joinpath("data/model_catalog.yaml").read_text())
    bad_route = dict(good, models=[dict(good["models"][0], routes=["teleport"])])
    with pytest.raises(ValueError, match=r"routes must be a non-empty list.*teleport.*models\[0\]"):
        load_catalog(write(tmp_path, bad_route))
    extra = dict(good, models=[dict(good["models"][0], colour="red")])
    with pytest.raises(ValueError, match="colour"):
        load_catalog(write(tmp_path, extra))
    dup = dict(good, models=[good["models"][0], good["models"][0]])
    with pytest.raises(ValueError, match="duplicate"):
        load_catalog(write(tmp_path, dup))
    with pytest.raises(ValueError, match="schema"):
        load_catalog(write(tmp_path, dict(good, schema=9)))
