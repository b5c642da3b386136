"""The bundled, versioned model catalog: what can be downloaded for each route, and its cost."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import attrs

from hrouter.advisor.convert import converter, describe_error_line, read_yaml
from hrouter.advisor.routes import ROUTES

SCHEMA = 1


def _routes(instance, attribute, value):
    unknown = [r for r in value if r not in ROUTES]
    if not value or unknown:
        raise ValueError(f"routes must be a non-empty list of {', '.join(ROUTES)}; got {list(value)}")


def _score(instance, attribute, value):
    if not 1 <= value <= 10:
        raise ValueError(f"{attribute.name} must be between 1 and 10, got {value}")


def _positive(instance, attribute, value):
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value}")


@attrs.frozen
class CatalogModel:
    id: str
    repo_id: str
    routes: tuple[str, ...] = attrs.field(validator=_routes)
    params_b: float = attrs.field(validator=_positive)
    quantization: str
    include: tuple[str, ...]
    size_gb: float = attrs.field(validator=_positive)
    ram_gb: float = attrs.field(validator=_positive)
    recommended_ram_gb: float = attrs.field(validator=_positive)
    licence: str
    quality: int = attrs.field(validator=_score)
    speed: int = attrs.field(validator=_score)
    format: str
    notes: str = ""
    #: the same model's tag in the Ollama library, when it has one
    ollama: str | None = None


@attrs.frozen
class ModelCatalog:
    schema: int
    version: str
    updated: str
    models: tuple[CatalogModel, ...]

    def for_route(self, route: str) -> tuple[CatalogModel, ...]:
        return tuple(m for m in self.models if route in m.routes)

    def by_repo(self, repo_id: str) -> CatalogModel | None:
        wanted = repo_id.lower()
        return next((m for m in self.models if m.repo_id.lower() == wanted), None)


def load_catalog(path: str | Path | None = None) -> ModelCatalog:
    """The bundled catalog, or one at `path`; ValueError names the bad key."""
    source = str(path) if path else "model_catalog.yaml (bundled)"
    if path:
        data = read_yaml(Path(path), "model catalog", source)
    else:
        bundled = resources.files("hrouter.advisor").joinpath("data/model_catalog.yaml")
        data = read_yaml(lambda: bundled.read_text("utf-8"), "model catalog", source)
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a mapping with schema, version, updated, models")
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{source}: schema {data.get('schema')!r} is not supported (expected {SCHEMA})")
    data["version"] = str(data.get("version"))
    data["updated"] = str(data.get("updated"))
    try:
        catalog = converter.structure(data, ModelCatalog)
    except Exception as exc:  # cattrs wraps validator errors in several group types
        raise ValueError(f"{source}: {describe_error_line(exc)}") from None
    ids = [m.id for m in catalog.models]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{source}: duplicate model ids: {', '.join(duplicates)}")
    return catalog
