"""Rank, per route, the models already on disk and the catalog downloads this machine can run."""

from __future__ import annotations

import math

import attrs

from hrouter.advisor.catalog import CatalogModel, ModelCatalog
from hrouter.advisor.classify import parameters_b, route_fit
from hrouter.advisor.convert import converter
from hrouter.advisor.hardware import Hardware
from hrouter.advisor.routes import ROUTE_ENGINE, ROUTES
from hrouter.advisor.scan import SetupScan
from hrouter.advisor.stores import LocalModel

#: runtimes that answer OpenAI-style chat requests (what the proxy forwards to)
CHAT_RUNTIMES = ("lmstudio", "ollama", "llama-server", "mlx")


@attrs.frozen
class LocalPick:
    model: LocalModel
    fit: int
    params_b: float | None
    fits_memory: bool
    catalog_id: str | None = None


@attrs.frozen
class DownloadPick:
    model: CatalogModel
    comfortable: bool  # the machine has the recommended RAM, not just the minimum


@attrs.frozen
class Excluded:
    id: str
    reason: str


@attrs.frozen
class RouteAdvice:
    route: str
    engine: str
    local: tuple[LocalPick, ...]
    downloads: tuple[DownloadPick, ...]
    excluded: tuple[Excluded, ...] = ()

    @property
    def ollama_pull(self) -> str | None:
        """The Ollama tag of the best download that Ollama also serves, or None when no model
        this machine can run does this route in Ollama (it serves no image generation)."""
        return next((p.model.ollama for p in self.downloads if p.model.ollama), None)

    @property
    def status(self) -> str:
        if self.local and self.local[0].fits_memory:
            return "present"
        return "download" if self.downloads else ("present" if self.local else "none")


@attrs.frozen
class Recommendation:
    hardware: Hardware
    catalog_version: str
    routes: tuple[RouteAdvice, ...]
    notes: tuple[str, ...] = ()

    def route(self, name: str) -> RouteAdvice:
        return next(r for r in self.routes if r.route == name)

    def to_dict(self) -> dict:
        data = converter.unstructure(self)
        data["hardware"] = self.hardware.to_dict()
        for advice, row in zip(self.routes, data["routes"]):
            row["status"] = advice.status
            row["ollama_pull"] = advice.ollama_pull
        return data


def _needed_gb(model: LocalModel) -> float:
    # Weights plus room for the context cache and runtime.
    return model.size_gb * 1.2 + 0.5


def _local_key(route: str, pick: LocalPick) -> tuple:
    params = pick.params_b or 0.0
    servable = pick.model.runtime in CHAT_RUNTIMES or route == "image_generation"
    # The fast lane wants a quick model near 2-4B; other routes want the largest that fits.
    size_pref = -abs(math.log((params or 0.1) / 3.0)) if route == "fast" else params
    return (pick.fits_memory, servable, pick.fit, size_pref)


def rank_local(route: str, models: tuple[LocalModel, ...], hardware: Hardware, catalog: ModelCatalog) -> tuple[LocalPick, ...]:
    picks = []
    for model in models:
        known = catalog.by_repo(model.repo_id) if model.repo_id else None
        if known:
            fit = 3 if route in known.routes else 0
        else:
            fit = route_fit(model.name, model.size_gb, model.has_mmproj).get(route, 0)
        if not fit:
            continue
        picks.append(
            LocalPick(
                model=model,
                fit=fit,
                params_b=known.params_b if known else parameters_b(model.name, model.size_gb),
                fits_memory=_needed_gb(model) <= hardware.memory_budget_gb,
                catalog_id=known.id if known else None,
            )
        )
    return tuple(sorted(picks, key=lambda p: _local_key(route, p), reverse=True))


def _download_key(route: str, pick: DownloadPick) -> tuple:
    m = pick.model
    if route == "fast":
        return (pick.comfortable, m.speed >= 6, m.quality, m.speed)
    # Everyday work weighs speed as much as quality; the specialised routes favour quality.
    weight = 1 if route == "balanced" else 2
    return (pick.comfortable, m.quality * weight + m.speed, m.quality)


def rank_downloads(
    route: str, hardware: Hardware, catalog: ModelCatalog, present: set[str]
) -> tuple[tuple[DownloadPick, ...], tuple[Excluded, ...]]:
    budget = hardware.memory_budget_gb
    picks, excluded = [], []
    for model in catalog.for_route(route):
        if model.repo_id.lower() in present:
            continue  # already on disk: offered as a local model instead
        if model.ram_gb > budget:
            excluded.append(Excluded(model.id, f"needs {model.ram_gb:g} GB, budget {budget:g} GB"))
        elif hardware.disk_free_gb is not None and model.size_gb + 1 > hardware.disk_free_gb:
            excluded.append(Excluded(model.id, f"{model.size_gb:g} GB download, {hardware.disk_free_gb:g} GB free"))
        else:
            total = hardware.ram_total_gb or 0
            picks.append(DownloadPick(model, comfortable=model.recommended_ram_gb <= total))
    ranked = tuple(sorted(picks, key=lambda p: _download_key(route, p), reverse=True))
    return ranked, tuple(excluded)


def recommend(scan: SetupScan, catalog: ModelCatalog) -> Recommendation:
    hardware = scan.hardware
    present = {m.repo_id.lower() for m in scan.models if m.repo_id}
    routes = []
    for route in ROUTES:
        local = rank_local(route, scan.models, hardware, catalog)
        downloads, excluded = rank_downloads(route, hardware, catalog, present)
        routes.append(RouteAdvice(route, ROUTE_ENGINE[route], local, downloads, excluded))
    notes = []
    if hardware.ram_total_gb is None:
        notes.append("total RAM unknown: planned for a small machine (4 GB budget)")
    chosen: dict[str, float] = {}
    for r in routes:
        if r.status == "present":
            chosen[r.local[0].model.path] = _needed_gb(r.local[0].model)
        elif r.downloads:
            chosen[r.downloads[0].model.id] = r.downloads[0].model.ram_gb
    total = sum(chosen.values())
    if total > hardware.memory_budget_gb:
        notes.append(
            f"the top picks need about {total:.0f} GB if all are loaded at once; "
            f"budget is {hardware.memory_budget_gb:g} GB, so let the runtime load models on demand"
        )
    return Recommendation(hardware, catalog.version, tuple(routes), tuple(notes))
