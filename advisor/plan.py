"""Choices for each route (a model on disk, a download, a hosted API, or nothing) and the plan.

A plan is one choice per route plus the setup mode; `configwriter` turns it into the engine
catalog and the proxy config. Choices carry where the model will be served from, so the written
proxy config points each backend at the runtime that hosts its model.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from hrouter.advisor.recommend import CHAT_RUNTIMES, DownloadPick, LocalPick, Recommendation
from hrouter.advisor.routes import ROUTES
from hrouter.advisor.scan import SetupScan
from hrouter.advisor.stores import lmstudio_model_key

MODES = ("local", "hosted", "mixed")
MODE_TITLE = {
    "local": "local models only",
    "hosted": "hosted APIs (API keys)",
    "mixed": "a mix of local models, hosted APIs and agent tools",
}

RUNTIME_URL = {
    "lmstudio": "http://127.0.0.1:1234/v1",
    "ollama": "http://127.0.0.1:11434/v1",
}
#: llama-server and mlx serve one model per process: each gets its own port from here up.
FIRST_SINGLE_MODEL_PORT = 8080

#: Hosted providers reachable through an OpenAI-compatible endpoint; model names are defaults a
#: user is expected to review (providers rename models often).
HOSTED = {
    "openai": {
        "base_url": "https://api.openai.com/v1",
        "api_key_env": "OPENAI_API_KEY",
        "models": {
            "fast": "gpt-4.1-mini",
            "balanced": "gpt-4.1",
            "reasoning": "o3",
            "coding": "gpt-4.1",
            "vision": "gpt-4.1",
        },
    },
    "anthropic": {
        "base_url": "https://api.anthropic.com/v1",
        "api_key_env": "ANTHROPIC_API_KEY",
        "models": {
            "fast": "claude-3-5-haiku-latest",
            "balanced": "claude-sonnet-4-0",
            "reasoning": "claude-opus-4-1",
            "coding": "claude-sonnet-4-0",
            "vision": "claude-sonnet-4-0",
        },
    },
}


@attrs.frozen
class Choice:
    kind: str  # local | download | hosted | skip
    label: str
    runtime: str | None = None  # lmstudio | ollama | llama-server | mlx | diffusers | hosted
    model: str | None = None  # the id the backend is asked for
    base_url: str | None = None  # filled for shared runtimes; single-model runtimes get a port later
    provider: str = "local"
    api_key_env: str | None = None
    repo_id: str | None = None
    catalog_id: str | None = None
    path: str | None = None  # where the weights are (or will be, for downloads)
    size_gb: float | None = None
    quality: int | None = None
    include: tuple[str, ...] = ()


SKIP = Choice(kind="skip", label="skip this route (its requests fall back)")


@attrs.frozen
class SetupPlan:
    mode: str
    choices: dict[str, Choice]

    def downloads(self) -> list[tuple[str, Choice]]:
        return [(route, c) for route, c in self.choices.items() if c.kind == "download"]


def download_runtime(scan: SetupScan) -> str:
    """Where downloaded GGUF files go: LM Studio when it is installed, else a llama.cpp server."""
    if scan.has("lms") or scan.store_exists("lmstudio"):
        return "lmstudio"
    return "llama-server"


def download_dir(scan: SetupScan, repo_id: str, home: Path | None = None, image: bool = False) -> Path:
    home = home or Path.home()
    if download_runtime(scan) == "lmstudio" and not image:
        return home / ".lmstudio/models" / repo_id
    return home / "models" / repo_id


def _served_id(scan: SetupScan, runtime: str, model_id: str) -> str:
    """Prefer the id a probed server actually reports for this model."""
    for server in scan.servers:
        if server.runtime != runtime or not server.models:
            continue
        if model_id in server.models:
            return model_id
        close = [m for m in server.models if model_id.lower() in m.lower()]
        if close:
            return close[0]
    return model_id


def local_choice(scan: SetupScan, pick: LocalPick) -> Choice:
    m = pick.model
    note = "" if pick.fits_memory else ", may not fit in memory"
    return Choice(
        kind="local",
        label=f"{m.name} ({m.source}, {m.size_gb:g} GB{note})",
        runtime=m.runtime,
        model=_served_id(scan, m.runtime, m.model_id),
        base_url=RUNTIME_URL.get(m.runtime),
        repo_id=m.repo_id,
        catalog_id=pick.catalog_id,
        path=m.path,
        size_gb=m.size_gb,
    )


def download_choice(scan: SetupScan, pick: DownloadPick, home: Path | None = None) -> Choice:
    m = pick.model
    # Image models need an image runtime (stable-diffusion.cpp, ComfyUI, diffusers), not a chat server.
    runtime = "image" if "image_generation" in m.routes else download_runtime(scan)
    model_id = lmstudio_model_key(m.repo_id) if runtime == "lmstudio" else m.id
    return Choice(
        kind="download",
        label=f"download {m.repo_id} ({m.size_gb:g} GB, needs {m.ram_gb:g} GB RAM, {m.licence})",
        runtime=runtime,
        model=model_id,
        base_url=RUNTIME_URL.get(runtime),
        repo_id=m.repo_id,
        catalog_id=m.id,
        path=str(download_dir(scan, m.repo_id, home, image=runtime == "image")),
        size_gb=m.size_gb,
        quality=m.quality,
        include=m.include,
    )


def hosted_choices(scan: SetupScan, route: str) -> list[Choice]:
    out = []
    for provider, spec in HOSTED.items():
        model = spec["models"].get(route)
        if not model:
            continue
        key = spec["api_key_env"]
        state = "set" if scan.api_keys.get(key) else "not set yet"
        out.append(
            Choice(
                kind="hosted",
                label=f"{provider} API: {model} ({key} {state})",
                runtime="hosted",
                model=model,
                base_url=spec["base_url"],
                provider=provider,
                api_key_env=key,
            )
        )
    return out


def route_choices(
    scan: SetupScan, rec: Recommendation, route: str, mode: str, home: Path | None = None, limit: int = 4
) -> list[Choice]:
    """Numbered options for one route: models on disk first, then (mixed mode) hosted APIs, then
    downloads, then skip. Local mode offers no APIs; hosted mode offers only APIs."""
    advice = rec.route(route)
    local = [local_choice(scan, p) for p in advice.local[:limit]]
    downloads = [download_choice(scan, p, home) for p in advice.downloads[:limit]]
    hosted = hosted_choices(scan, route)
    if mode == "local":
        options = local + downloads
    elif mode == "hosted":
        options = hosted
    else:
        options = local + hosted + downloads if local else hosted + downloads
    return options + [SKIP]


def default_plan(scan: SetupScan, rec: Recommendation, mode: str = "local", home: Path | None = None) -> SetupPlan:
    """What `setup write` uses: each route's first option, preferring models that fit on disk."""
    if mode not in MODES:
        raise ValueError(f"unknown mode '{mode}' (choose one of: {', '.join(MODES)})")
    choices = {}
    for route in ROUTES:
        options = route_choices(scan, rec, route, mode, home)
        advice = rec.route(route)
        if mode != "hosted" and advice.local and not advice.local[0].fits_memory and advice.downloads:
            # A model on disk that will not load is worse than a download that will.
            options = [o for o in options if o.kind != "local"]
        choices[route] = options[0]
    return SetupPlan(mode, choices)


def parse_runtime_urls(values: list[str] | None) -> dict[str, str]:
    """`NAME=URL` pairs (lmstudio, ollama, llama-server, mlx) for runtimes on other ports or hosts."""
    from urllib.parse import urlsplit

    urls = {}
    for value in values or ():
        name, sep, url = value.partition("=")
        name = name.strip().lower()
        if not sep or name not in ("lmstudio", "ollama", "llama-server", "mlx"):
            raise ValueError(f"--runtime-url {value!r}: expected NAME=URL with NAME one of lmstudio, ollama, llama-server, mlx")
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--runtime-url {value!r}: {url!r} is not an http(s) URL")
        urls[name] = url.strip().rstrip("/")
    return urls


def assign_ports(
    plan: SetupPlan, runtime_urls: dict[str, str] | None = None, proxy_port: int | None = None
) -> dict[str, str]:
    """route -> base_url; each single-model runtime (llama-server, mlx) gets its own port,
    never the one the proxy listens on (a backend there would be the proxy itself)."""
    from urllib.parse import urlsplit, urlunsplit

    overrides = runtime_urls or {}
    urls: dict[str, str] = {}
    by_model: dict[str, str] = {}
    next_port: dict[str, int] = {}
    for route, choice in plan.choices.items():
        if choice.kind == "skip":
            continue
        if choice.runtime in overrides and choice.runtime in RUNTIME_URL:
            urls[route] = overrides[choice.runtime]
        elif choice.base_url:
            urls[route] = choice.base_url
        elif choice.runtime in CHAT_RUNTIMES:
            key = choice.path or choice.model
            if key not in by_model:
                base = urlsplit(overrides.get(choice.runtime, f"http://127.0.0.1:{FIRST_SINGLE_MODEL_PORT}/v1"))
                port = next_port.setdefault(base.geturl(), base.port or FIRST_SINGLE_MODEL_PORT)
                if port == proxy_port:
                    port += 1
                next_port[base.geturl()] = port + 1
                netloc = f"{base.hostname}:{port}"
                by_model[key] = urlunsplit((base.scheme, netloc, base.path or "/v1", "", ""))
            urls[route] = by_model[key]
    return urls


def _weights_file(choice: Choice) -> str:
    path = Path(choice.path or "")
    if path.suffix == ".gguf":
        return str(path)
    if choice.kind == "download":
        pattern = choice.include[0] if choice.include else "*.gguf"
        return str(path / pattern)
    found = next(iter(sorted(path.glob("snapshots/*/*.gguf"))), None)  # a Hugging Face cache repo
    return str(found or path)


def start_hints(
    plan: SetupPlan, runtime_urls: dict[str, str] | None = None, commands: dict[str, str | None] | None = None,
    proxy_port: int | None = None,
) -> list[str]:
    """How to start each runtime the written proxy config points at (hrouter never starts them)."""
    from urllib.parse import urlsplit

    def missing(command: str, what: str) -> str:
        if commands is None or commands.get(command):
            return ""
        return f" ({command} is not on PATH: install {what} first)"

    urls = assign_ports(plan, runtime_urls, proxy_port)
    hints: dict[str, str] = {}
    for route, choice in plan.choices.items():
        url = urls.get(route)
        if not url:
            continue
        if choice.runtime == "lmstudio":
            hints.setdefault("lmstudio", f"LM Studio: start its server (`lms server start`) so {url} answers")
        elif choice.runtime == "ollama":
            hints.setdefault("ollama", f"Ollama: `ollama serve` (listens on {url}){missing('ollama', 'Ollama')}")
        elif choice.runtime == "llama-server":
            port = urlsplit(url).port
            note = missing("llama-server", "llama.cpp")
            hints.setdefault(url, f"llama.cpp: `llama-server -m {_weights_file(choice)} --port {port}`{note}")
        elif choice.runtime == "mlx":
            hints.setdefault(url, f"MLX: `mlx_lm.server --model {choice.path} --port {urlsplit(url).port}`")
    return list(hints.values())
