"""The engine catalog (YAML): routing targets, safety switches, and the engines themselves.

Read strictly (unknown keys and wrong types are errors, each reported with its key path such
as ``$.engines.code_agent.fallback``), cross-checked (fallbacks and targets name real engines,
no fallback cycles, the confirmation gate is in place), and checked for availability once, at
load: the router never touches the environment, PATH or disk while routing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from hrouter.engine.artifact import OVERRIDE_SWITCHES
from hrouter.engine.model import frozen

CONFIRM_ENGINE = "human_confirm"
CONFIRM_TARGET = "confirmation"

#: Tier orders for the max_cost_tier / max_latency_tier caps (equal rank = same tier).
COST_TIERS = {"none": 0, "free": 0, "low": 1, "medium": 2, "paid": 2, "high": 3}
LATENCY_TIERS = {"low": 1, "medium": 2, "high": 3, "manual": 4}
MODALITIES = ("image", "pdf", "audio")

# Ranking numbers an engine gets when the catalog leaves them out (0-100; higher cost and
# latency are worse).
_DEFAULT_COST = {"none": 0, "free": 0, "low": 25, "medium": 50, "paid": 60, "high": 85}
_DEFAULT_LATENCY = {"low": 20, "medium": 50, "high": 75, "manual": 100}
_DEFAULT_CAPABILITY = 50
_DEFAULT_TRUST = 60


def default_catalog_path() -> Path:
    """The packaged catalog (package data of ``hrouter.configs``; importlib.resources is slow to import)."""
    import hrouter.configs

    return Path(hrouter.configs.__file__).parent / "model_router.yaml"


@frozen
class Availability:
    status: Literal["auto", "available", "unavailable"] = "auto"
    required_env: tuple[str, ...] = ()
    required_commands: tuple[str, ...] = ()
    required_paths: tuple[str, ...] = ()


@frozen
class Engine:
    provider: str
    model: str
    adapter: str
    max_context: int
    cost_tier: str
    latency_tier: str
    strengths: tuple[str, ...] = ()
    capability: int | None = None
    trust: int | None = None
    cost: int | None = None
    latency: int | None = None
    supports_tools: bool = False
    modalities: tuple[str, ...] = ()
    enabled: bool = True
    fallback: str | None = None
    availability: Availability = Availability()


@frozen
class ConfirmationOverrides:
    allow_destructive_actions: bool = False
    allow_send_actions: bool = False
    allow_purchase_actions: bool = False
    allow_high_impact_external_actions: bool = False
    allow_ambiguous_high_impact: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in OVERRIDE_SWITCHES}


@frozen
class Safety:
    require_human_confirmation: bool = True
    confirmation_overrides: ConfirmationOverrides = ConfirmationOverrides()


@frozen
class CatalogFile:
    """The YAML document as written."""

    routing_targets: dict[str, str]
    engines: dict[str, Engine]
    safety: Safety = Safety()


@frozen
class EngineStatus:
    available: bool
    reasons: tuple[str, ...]


class CatalogError(ValueError):
    """A catalog that cannot be trusted; ``errors`` holds every problem found, with key paths."""

    def __init__(self, origin: str, errors: list[str]):
        self.origin = origin
        self.errors = errors
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{origin}: {errors[0]}{more}")


@frozen
class Catalog:
    engines: Mapping[str, Engine]  # ranking numbers filled in
    targets: Mapping[str, str]  # routing target -> engine
    safety: Safety
    status: Mapping[str, EngineStatus]  # availability, checked once at load
    origin: str = "<catalog>"

    @property
    def overrides(self) -> dict[str, bool]:
        return self.safety.confirmation_overrides.as_dict()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> "Catalog":
        if path is None:
            origin = "hrouter/configs/model_router.yaml"
            try:
                text = default_catalog_path().read_text(encoding="utf-8")
            except (OSError, ImportError) as exc:
                raise CatalogError(origin, [f"cannot read the packaged catalog: {exc}"]) from None
        else:
            origin = str(path)
            try:
                text = Path(path).expanduser().read_text(encoding="utf-8")
            except FileNotFoundError:
                raise CatalogError(origin, ["file not found"]) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise CatalogError(origin, [f"cannot read: {exc}"]) from None
        # A catalog already validated in this exact form is read back from the cache, so a
        # warm start imports neither PyYAML nor cattrs.
        from hrouter.engine import pickle_cache

        cached_at = pickle_cache.cache_dir() / pickle_cache.versioned_name("catalog", text, __name__)
        raw = pickle_cache.load(cached_at, __name__, CatalogFile)
        if raw is None or not _still_valid(raw):
            raw = parse_yaml(text, origin)
            pickle_cache.store(cached_at, raw)
        return cls.from_checked(raw, origin)

    @classmethod
    def from_yaml(cls, text: str, origin: str = "<catalog>") -> "Catalog":
        return cls.from_checked(parse_yaml(text, origin), origin)

    @classmethod
    def from_data(cls, data: Any, origin: str = "<catalog>") -> "Catalog":
        return cls.from_checked(parse_data(data, origin), origin)

    @classmethod
    def from_checked(cls, raw: CatalogFile, origin: str) -> "Catalog":
        engines = {name: _with_ranking(engine) for name, engine in raw.engines.items()}
        status = {name: check_availability(engine) for name, engine in engines.items()}
        return cls(engines=engines, targets=dict(raw.routing_targets), safety=raw.safety, status=status, origin=origin)

    def is_usable(self, name: str) -> bool:
        engine = self.engines.get(name)
        return engine is not None and engine.enabled and self.status[name].available


def parse_yaml(text: str, origin: str) -> CatalogFile:
    from hrouter.engine.safe_yaml import YamlError, load_yaml

    try:
        data = load_yaml(text)
    except YamlError as exc:
        raise CatalogError(origin, [str(exc)]) from None
    return parse_data(data, origin)


#: What a proxy config passed where a catalog belongs is told (`--config` means the file the
#: command reads: a catalog for the routing commands, a proxy config for the proxy commands).
WRONG_KIND_HINT = (
    "$: this is a proxy config (it has backends), not an engine catalog: `--config` of decide, explain, "
    "dispatch-plan, validate-config, feedback, replay and diff takes an engine catalog (model_router.yaml), such as "
    "the file this config's router_config names"
)


def parse_data(data: Any, origin: str) -> CatalogFile:
    """Structure and check; every problem found raises one ``CatalogError`` listing them all."""
    from hrouter.engine.convert import key_path_errors, strict_converter

    if not isinstance(data, dict):
        raise CatalogError(origin, ["$: a catalog is a mapping with routing_targets, safety and engines"])
    if "scoring" in data:
        raise CatalogError(origin, ["$.scoring: scoring lives in the .rules files, not in the catalog"])
    if "engines" not in data and ("backends" in data or "engine_backends" in data):
        raise CatalogError(origin, [WRONG_KIND_HINT])
    try:
        raw = strict_converter.structure(data, CatalogFile)
    except Exception as exc:
        # Report the reference problems too, so one run shows everything to fix.
        errors = key_path_errors(exc)
        errors += [e for e in _reference_errors(data) if e not in errors]
        raise CatalogError(origin, errors) from None
    errors = check(raw)
    if errors:
        raise CatalogError(origin, errors)
    return raw


def _reference_errors(data: dict) -> list[str]:
    """Names that point nowhere, read from the raw mapping (used when its types are wrong)."""
    engines = data.get("engines")
    engines = engines if isinstance(engines, dict) else {}
    errors = []
    for name, engine in engines.items():
        fallback = engine.get("fallback") if isinstance(engine, dict) else None
        if isinstance(fallback, str) and fallback not in engines:
            errors.append(f"$.engines.{name}.fallback: unknown engine {fallback!r}")
    targets = data.get("routing_targets")
    for target, name in (targets.items() if isinstance(targets, dict) else ()):
        if isinstance(name, str) and name not in engines:
            errors.append(f"$.routing_targets.{target}: unknown engine {name!r}")
    return errors


def _still_valid(raw: CatalogFile) -> bool:
    try:
        return not check(raw)
    except Exception:  # a cache file with the wrong shapes inside
        return False


def _with_ranking(engine: Engine) -> Engine:
    return attrs.evolve(
        engine,
        capability=_DEFAULT_CAPABILITY if engine.capability is None else engine.capability,
        trust=_DEFAULT_TRUST if engine.trust is None else engine.trust,
        cost=_DEFAULT_COST[engine.cost_tier] if engine.cost is None else engine.cost,
        latency=_DEFAULT_LATENCY[engine.latency_tier] if engine.latency is None else engine.latency,
    )


def check(raw: CatalogFile) -> list[str]:
    """Cross checks the types alone cannot express; every problem, each with its key path."""
    errors: list[str] = []
    engines = raw.engines
    for name, engine in engines.items():
        at = f"$.engines.{name}"
        if not name.strip():
            errors.append(f"{at}: an engine needs a name")
        for key in ("provider", "model", "adapter"):
            if not getattr(engine, key).strip():
                errors.append(f"{at}.{key}: must not be empty")
        if engine.max_context <= 0:
            errors.append(f"{at}.max_context: must be a positive number of tokens")
        if engine.cost_tier not in COST_TIERS:
            errors.append(f"{at}.cost_tier: must be one of {', '.join(COST_TIERS)}, got {engine.cost_tier!r}")
        if engine.latency_tier not in LATENCY_TIERS:
            errors.append(f"{at}.latency_tier: must be one of {', '.join(LATENCY_TIERS)}, got {engine.latency_tier!r}")
        for key in ("capability", "trust", "cost", "latency"):
            value = getattr(engine, key)
            if value is not None and not 0 <= value <= 100:
                errors.append(f"{at}.{key}: must be between 0 and 100, got {value}")
        for modality in engine.modalities:
            if modality not in MODALITIES:
                errors.append(f"{at}.modalities: unknown modality {modality!r} (known: {', '.join(MODALITIES)})")
        if engine.fallback is not None and engine.fallback not in engines:
            errors.append(f"{at}.fallback: unknown engine {engine.fallback!r}")
    errors += _fallback_cycles(engines)
    for target, engine_name in raw.routing_targets.items():
        if engine_name not in engines:
            errors.append(f"$.routing_targets.{target}: unknown engine {engine_name!r}")
    confirm = engines.get(CONFIRM_ENGINE)
    if confirm is None:
        errors.append(f"$.engines: the {CONFIRM_ENGINE} engine is required (it is where every refusal goes)")
    elif not confirm.enabled:
        errors.append(f"$.engines.{CONFIRM_ENGINE}.enabled: the confirmation gate cannot be disabled")
    elif confirm.availability.status == "unavailable":
        errors.append(f"$.engines.{CONFIRM_ENGINE}.availability.status: the confirmation gate cannot be unavailable")
    if raw.routing_targets.get(CONFIRM_TARGET) != CONFIRM_ENGINE:
        errors.append(f"$.routing_targets.{CONFIRM_TARGET}: must be {CONFIRM_ENGINE}")
    if not raw.safety.require_human_confirmation:
        errors.append(
            "$.safety.require_human_confirmation: must stay true; turn off a kind of action with "
            "safety.confirmation_overrides instead"
        )
    return errors


def _fallback_cycles(engines: Mapping[str, Engine]) -> list[str]:
    errors = []
    reported: set[str] = set()
    for start in engines:
        seen: list[str] = []
        current: str | None = start
        while current is not None and current in engines and current not in seen:
            seen.append(current)
            current = engines[current].fallback
        if current is not None and current in seen:
            cycle = seen[seen.index(current):]
            if not reported.intersection(cycle):
                reported.update(cycle)
                path = " -> ".join(cycle + [current])
                errors.append(f"$.engines.{cycle[0]}.fallback: fallback cycle {path}")
    return errors


def on_path(command: str) -> bool:
    """Is ``command`` an executable on PATH (or a path to one)? shutil.which answers the same,
    but importing shutil (and the compression modules it loads) costs `hrouter decide` about
    5 ms; Windows, with its executable suffixes, still goes through it."""
    if os.name == "nt":
        import shutil

        return shutil.which(command) is not None
    if os.sep in command:
        return os.path.isfile(command) and os.access(command, os.X_OK)
    for folder in os.get_exec_path():
        candidate = os.path.join(folder, command)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return True
    return False


def check_availability(engine: Engine) -> EngineStatus:
    """Declared requirements only: env vars set, commands on PATH, paths present. Runs nothing."""
    spec = engine.availability
    if spec.status == "unavailable":
        return EngineStatus(False, ("marked unavailable",))
    if spec.status == "available":
        return EngineStatus(True, ("marked available",))
    missing = [f"missing env var {name}" for name in spec.required_env if not os.environ.get(name)]
    missing += [f"missing command {cmd}" for cmd in spec.required_commands if not on_path(cmd)]
    missing += [f"missing path {p}" for p in spec.required_paths if not Path(p).expanduser().exists()]
    if missing:
        return EngineStatus(False, tuple(missing))
    declared = spec.required_env or spec.required_commands or spec.required_paths
    return EngineStatus(True, ("availability checks passed",) if declared else ("no requirements declared",))
