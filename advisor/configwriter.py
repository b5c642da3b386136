"""Turn a setup plan into the engine catalog and the proxy config, and write both atomically.

Both files are written to temporary files in their target folders first and renamed into place
only when both exist, so an interruption leaves either both old files or both new ones. Existing
files are never replaced without `force`.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import tempfile
import threading
from pathlib import Path

from hrouter.advisor.plan import Choice, SetupPlan, assign_ports
from hrouter.advisor.routes import ROUTE_ENGINE

ROUTING_TARGETS = {
    "simple": "fast_local",
    "balanced": "balanced_local",
    "reasoning": "reasoning_local",
    "coding": "code_agent",
    "research": "web_research",
    "vision": "multimodal_vision",
    "image_generation": "image_generation",
    "confirmation": "human_confirm",
}

SAFETY = {
    "require_human_confirmation": True,
    "confirmation_overrides": {
        "allow_destructive_actions": False,
        "allow_send_actions": False,
        "allow_purchase_actions": False,
        "allow_high_impact_external_actions": False,
        "allow_ambiguous_high_impact": False,
    },
}

# Per-route engine traits that do not depend on the chosen model:
# adapter, strengths, max_context, latency tier, latency 0-100, tools, modalities, fallback.
_TRAITS = {
    route: dict(zip(
        ("adapter", "strengths", "max_context", "latency_tier", "latency", "supports_tools", "modalities", "fallback"),
        row,
    ))
    for route, row in {
        "fast": ("local_chat", ["rewrite", "extraction", "formatting"], 8192, "low", 15, False, [], "balanced_local"),
        "balanced": ("local_chat", ["summarization", "general tasks"], 16384, "medium", 35, True, [], "reasoning_local"),
        "reasoning": ("local_reasoning", ["architecture", "planning", "complex logic"], 32768, "high", 70, True, [], "human_confirm"),
        "coding": ("local_code", ["code modification", "repository inspection", "tests"], 32768, "medium", 50, True, [], "reasoning_local"),
        "vision": ("local_vision", ["screenshots", "OCR", "image understanding"], 8192, "medium", 45, False, ["image"], "human_confirm"),
        "image_generation": ("local_image", ["image generation"], 4096, "high", 80, False, ["image"], "human_confirm"),
    }.items()
}

BACKEND_NAME = {
    "fast": "fast",
    "balanced": "balanced",
    "reasoning": "reasoning",
    "coding": "code",
    "vision": "vision",
    "image_generation": "image",
}


def _capability(choice: Choice) -> int:
    if choice.kind == "hosted":
        return 85
    if choice.quality:
        return min(95, 30 + choice.quality * 6)
    return 60


def _availability(choice: Choice) -> dict:
    availability: dict = {"status": "auto"}
    if choice.api_key_env:
        availability["required_env"] = [choice.api_key_env]
    if choice.kind in ("local", "download") and choice.path:
        # A download not yet run leaves the engine unavailable, so routing falls back meanwhile.
        availability["required_paths"] = [choice.path]
    return availability


def _engine(route: str, choice: Choice) -> dict:
    traits = dict(_TRAITS[route])
    hosted = choice.kind == "hosted"
    if hosted:
        traits["adapter"] = f"{choice.provider}_chat"
        traits["supports_tools"] = True
    entry = {
        "provider": choice.provider if hosted else "local",
        "model": choice.model or f"unconfigured-{route}",
        "adapter": traits.pop("adapter"),
        "strengths": traits.pop("strengths"),
        "max_context": 128000 if hosted else traits.pop("max_context"),
        "cost_tier": "medium" if hosted else "free",
        "latency_tier": traits.pop("latency_tier"),
        "capability": _capability(choice),
        "trust": 85 if hosted else 65,
        "cost": 50 if hosted else 5,
        "latency": 40 if hosted else traits.pop("latency"),
        "supports_tools": traits.pop("supports_tools"),
        "modalities": traits.pop("modalities"),
        "enabled": choice.kind != "skip",
        "fallback": traits.pop("fallback"),
        "availability": _availability(choice),
    }
    return entry


_TEXT_ROUTES = ("fast", "balanced", "reasoning")


def _text_fallbacks(plan: SetupPlan) -> dict[str, str]:
    """Fallbacks among the chat routes that never point at a skipped one and never loop.

    A configured route falls back to the next stronger configured route (the strongest to
    human_confirm); a skipped route hands its requests to the nearest configured one, stronger
    first, so a small machine with only a fast model still answers reasoning prompts."""
    configured = [r for r in _TEXT_ROUTES if plan.choices[r].kind != "skip"]
    fallbacks = {}
    for i, route in enumerate(_TEXT_ROUTES):
        stronger = [r for r in configured if _TEXT_ROUTES.index(r) > i]
        weaker = [r for r in configured if _TEXT_ROUTES.index(r) < i]
        if route in configured:
            target = stronger[0] if stronger else None
        else:
            target = stronger[0] if stronger else (weaker[-1] if weaker else None)
        fallbacks[route] = ROUTE_ENGINE[target] if target else "human_confirm"
    return fallbacks


def build_catalog(plan: SetupPlan, commands: dict[str, str | None] | None = None) -> dict:
    """The engine catalog (configs/model_router.yaml shape) for a plan."""
    commands = commands or {}
    engines = {ROUTE_ENGINE[route]: _engine(route, choice) for route, choice in plan.choices.items()}
    for route, fallback in _text_fallbacks(plan).items():
        engines[ROUTE_ENGINE[route]]["fallback"] = fallback
    # Research has no model of its own: it uses the reasoning (else balanced) model with tools.
    source = next((r for r in ("reasoning", "balanced") if plan.choices[r].kind != "skip"), "reasoning")
    research = copy.deepcopy(engines[ROUTE_ENGINE[source]])
    research.update(
        strengths=["research", "retrieval", "current events"],
        supports_tools=True,
        fallback="reasoning_local" if source == "balanced" else "balanced_local",
    )
    engines["web_research"] = research
    engines["human_confirm"] = {
        "provider": "local",
        "model": "human-confirmation",
        "adapter": "human_confirm",
        "strengths": ["confirmation", "fail closed"],
        "max_context": 4096,
        "cost_tier": "free",
        "latency_tier": "low",
        "capability": 100,
        "trust": 100,
        "cost": 0,
        "latency": 0,
        "supports_tools": False,
        "modalities": [],
        "enabled": True,
        "fallback": None,
        "availability": {"status": "auto"},
    }
    for name, command, provider in (("claude_code", "claude", "anthropic"), ("codex", "codex", "openai")):
        if commands.get(command):
            engines[name] = {
                "provider": provider,
                "model": name.replace("_", "-"),
                "adapter": name,
                "strengths": ["code modification", "repository inspection", "tests"],
                "max_context": 200000,
                "cost_tier": "high",
                "latency_tier": "medium",
                "capability": 90,
                "trust": 90,
                "cost": 80,
                "latency": 45,
                "supports_tools": True,
                "modalities": [],
                "enabled": plan.mode != "local",
                "fallback": "code_agent",
                "availability": {"status": "auto", "required_commands": [command]},
            }
    return {"routing_targets": dict(ROUTING_TARGETS), "safety": SAFETY, "engines": engines}


def build_proxy(plan: SetupPlan, catalog_path: Path, port: int = 8082, runtime_urls: dict[str, str] | None = None) -> dict:
    """The proxy config (hrouter serve) whose backends point at the runtime hosting each model.

    Raises ValueError when a runtime URL given by the user is the proxy's own address."""
    urls = assign_ports(plan, runtime_urls, port)
    backends: dict[str, dict] = {}
    for route, url in urls.items():
        choice = plan.choices[route]
        backend = {"base_url": url, "model": choice.model, "timeout_seconds": 120 if choice.kind == "hosted" else 300}
        if choice.api_key_env:
            backend["api_key_env"] = choice.api_key_env
        if route == "fast":
            backend["strip_tools"] = True  # small models stumble over tool schemas
        backends[BACKEND_NAME[route]] = backend
    engine_backends = {ROUTE_ENGINE[r]: BACKEND_NAME[r] for r in urls}
    chat = next((BACKEND_NAME[r] for r in ("reasoning", "balanced", "fast") if r in urls), None)
    if chat:
        # Research goes to a chat model. Image generation never does: a chat model would answer
        # a picture request with text, so without an image server the engine has no backend.
        engine_backends.setdefault("web_research", chat)
    order = ["fast", "balanced", "reasoning"]
    fallback_backends = {}
    for i, name in enumerate(order[:-1]):
        nxt = [n for n in order[i + 1 :] if n in backends]
        if name in backends and nxt:
            fallback_backends[name] = nxt[:1]
    if "code" in backends and "reasoning" in backends:
        fallback_backends["code"] = ["reasoning"]
    _refuse_self_backends(backends, port)
    return {
        "proxy": {"host": "127.0.0.1", "port": port, "model_ids": ["hrouter", "auto"]},
        "router_config": str(catalog_path),
        "observability": {
            "enabled": True,
            "prompt_capture": "redacted_preview",
        },
        "health": {"backend_timeout_seconds": 1.0},
        "backends": backends,
        "engine_backends": engine_backends,
        "fallback_backends": fallback_backends,
    }


#: what `setup write` and the wizard say when no written backend can make pictures
NO_IMAGE_BACKEND = ("image_generation has no backend: no model server here makes pictures, so those requests "
                    "get 502 routing_backend_missing; map it under engine_backends to one that does")


def _refuse_self_backends(backends: dict[str, dict], port: int) -> None:
    # The proxy's own check, so what the writer refuses is exactly what `serve` would refuse.
    from hrouter.server.config import BackendConfig, self_backend_problems

    problems = self_backend_problems(
        {name: BackendConfig(base_url=b["base_url"], model=b["model"]) for name, b in backends.items()}, "127.0.0.1", port)
    if problems:
        raise ValueError("; ".join(problems))


def default_proxy_path(catalog_path: Path) -> Path:
    """`routing_proxy.yaml` beside the catalog: the names `hrouter init` writes, and the one
    `serve`, `doctor` and `validate-proxy-config` read from $HROUTER_HOME by default."""
    from hrouter.server.home import PROXY_CONFIG_NAME

    return catalog_path.with_name(PROXY_CONFIG_NAME)


def default_catalog_path() -> Path:
    """$HROUTER_HOME/model_router.yaml: the wizard and `setup write` never write into the checkout."""
    from hrouter.server.home import CATALOG_NAME, hrouter_home

    return hrouter_home() / CATALOG_NAME


def render_yaml(data: dict) -> str:
    import yaml

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data):  # shared lists must not become &id001 anchors
            return True

    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False, width=100)


@contextlib.contextmanager
def _no_interrupt():
    """Hold Ctrl-C until every rename is done, so the files are never half replaced."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


class WriteRefused(Exception):
    """A target exists and `force` was not given, or a target cannot be written."""


def write_files(files: dict[Path, str], force: bool = False) -> list[Path]:
    """Write every file or none: temp files first, then renames; existing files need force."""
    existing = [p for p in files if p.exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise WriteRefused(f"{names} already exists; pass --force to overwrite")
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        with _no_interrupt():
            for tmp, path in temps:
                os.replace(tmp, path)
    except OSError as exc:
        raise WriteRefused(f"cannot write {exc.filename or 'config'}: {exc.strerror}") from None
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return list(files)


def write_configs(
    plan: SetupPlan,
    catalog_path: Path,
    proxy_path: Path | None = None,
    *,
    force: bool = False,
    commands: dict | None = None,
    port: int = 8082,
    runtime_urls: dict[str, str] | None = None,
) -> tuple[Path, Path]:
    catalog_path = catalog_path.expanduser().absolute()
    proxy_path = (proxy_path or default_proxy_path(catalog_path)).expanduser().absolute()
    files = {
        catalog_path: render_yaml(build_catalog(plan, commands)),
        proxy_path: render_yaml(build_proxy(plan, catalog_path, port, runtime_urls)),
    }
    write_files(files, force=force)
    return catalog_path, proxy_path
