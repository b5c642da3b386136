"""Models already on disk: LM Studio, Ollama, the Hugging Face hub cache, loose GGUF files.

Reads only. Every walk is bounded in depth and in entries visited, and a store whose walk hit a
bound says so, because a silent cut-off would look like "no models".
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs

MAX_DEPTH = 4
MAX_ENTRIES = 5000


@attrs.frozen
class LocalModel:
    name: str  # what a person recognises: publisher/repo, ollama name:tag, file stem
    source: str  # lmstudio | ollama | huggingface | gguf
    runtime: str  # lmstudio | ollama | llama-server | mlx | diffusers
    model_id: str  # what the runtime's /v1/models would call it
    path: str
    size_gb: float
    format: str  # gguf | mlx | safetensors | ollama | diffusers
    repo_id: str | None = None
    files: tuple[str, ...] = ()
    has_mmproj: bool = False  # a vision projector beside the weights


@attrs.frozen
class StoreReport:
    source: str
    root: str
    exists: bool
    models: int = 0
    limit_hit: str | None = None


@attrs.frozen
class StoresScan:
    models: tuple[LocalModel, ...]
    stores: tuple[StoreReport, ...]


class _Walk:
    """A bounded directory walk that remembers which bound stopped it."""

    def __init__(self, max_depth: int, max_entries: int):
        self.max_depth, self.max_entries = max_depth, max_entries
        self.seen = 0
        self.limit_hit: str | None = None

    def files(self, root: Path, depth: int = 0) -> Iterator[tuple[Path, int]]:
        if self.seen > self.max_entries:
            return
        try:
            with os.scandir(root) as listing:
                # Never list more of a huge folder than the remaining budget allows.
                entries = sorted(itertools.islice(listing, self.max_entries - self.seen + 1), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            self.seen += 1
            if self.seen > self.max_entries:
                self.limit_hit = f"stopped after {self.max_entries} entries"
                return
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError:
                continue
            if is_dir:
                if depth + 1 >= self.max_depth:
                    self.limit_hit = self.limit_hit or f"did not descend below depth {self.max_depth}"
                    continue
                yield from self.files(Path(entry.path), depth + 1)
                if self.seen > self.max_entries:
                    return
            elif is_file:
                yield Path(entry.path), depth


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _gb(size: int) -> float:
    return round(size / 1024**3, 2)


def _is_weights(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".gguf", ".safetensors")) and not lower.startswith("mmproj")


def lmstudio_model_key(repo: str) -> str:
    """LM Studio's usual API id for a downloaded repo: its lower-cased name without `-GGUF`."""
    name = repo.rsplit("/", 1)[-1].lower()
    for suffix in ("-gguf", "-mlx"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _scan_lmstudio(root: Path, walk: _Walk) -> list[LocalModel]:
    # Layout: <root>/<publisher>/<repo>/<files>; one model per repo folder.
    groups: dict[tuple[str, str], list[Path]] = {}
    for path, depth in walk.files(root):
        parts = path.relative_to(root).parts
        if len(parts) >= 3:
            groups.setdefault((parts[0], parts[1]), []).append(path)
    models = []
    for (publisher, repo), files in sorted(groups.items()):
        weights = [f for f in files if _is_weights(f.name)]
        if not weights:
            continue
        is_gguf = any(f.name.lower().endswith(".gguf") for f in weights)
        models.append(
            LocalModel(
                name=f"{publisher}/{repo}",
                source="lmstudio",
                runtime="lmstudio",
                model_id=lmstudio_model_key(repo),
                path=str(root / publisher / repo),
                size_gb=_gb(sum(_size(f) for f in weights)),
                format="gguf" if is_gguf else "mlx",
                repo_id=f"{publisher}/{repo}",
                files=tuple(sorted(f.name for f in weights)),
                has_mmproj=any(f.name.lower().startswith("mmproj") for f in files),
            )
        )
    return models


def _ollama_id(parts: tuple[str, ...]) -> str:
    registry, *middle, tag = parts
    name = "/".join(middle)
    if registry == "registry.ollama.ai":
        name = name.removeprefix("library/")
    else:
        name = f"{registry}/{name}"
    return f"{name}:{tag}"


def _scan_ollama(root: Path, walk: _Walk) -> list[LocalModel]:
    # Layout: <root>/manifests/<registry>/<namespace>/<model>/<tag>, each a JSON manifest.
    manifests = root / "manifests"
    models = []
    for path, _ in walk.files(manifests):
        parts = path.relative_to(manifests).parts
        if len(parts) < 3:
            continue
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            layers = manifest.get("layers", [])
            size = sum(int(layer.get("size", 0)) for layer in layers)
            has_projector = any("projector" in str(layer.get("mediaType", "")) for layer in layers)
        except (OSError, ValueError, AttributeError, TypeError):
            size, has_projector = 0, False
        model_id = _ollama_id(parts)
        models.append(
            LocalModel(
                name=model_id,
                source="ollama",
                runtime="ollama",
                model_id=model_id,
                path=str(path),
                size_gb=_gb(size),
                format="ollama",
                has_mmproj=has_projector,
            )
        )
    return models


def _scan_hf(root: Path, walk: _Walk) -> list[LocalModel]:
    # Layout: <root>/models--<org>--<name>/{blobs,snapshots/<rev>/<files>}.
    models = []
    try:
        repos = sorted(p for p in root.iterdir() if p.name.startswith("models--"))
    except OSError:
        return models
    for repo_dir in repos:
        repo_id = "/".join(repo_dir.name.split("--")[1:])
        names = [path.name for path, _ in walk.files(repo_dir / "snapshots")]
        if walk.limit_hit and walk.seen > walk.max_entries:
            break
        lower = [n.lower() for n in names]
        weights = [n for n in names if _is_weights(n)]
        if any(n == "model_index.json" for n in lower):
            fmt, runtime = "diffusers", "diffusers"
        elif any(n.endswith(".gguf") for n in lower):
            fmt, runtime = "gguf", "llama-server"
        elif "mlx" in repo_id.lower():
            fmt, runtime = "mlx", "mlx"
        elif weights:
            fmt, runtime = "safetensors", "vllm"
        else:
            continue
        blobs = sum(_size(p) for p, _ in walk.files(repo_dir / "blobs"))
        models.append(
            LocalModel(
                name=repo_id,
                source="huggingface",
                runtime=runtime,
                model_id=repo_id,
                path=str(repo_dir),
                size_gb=_gb(blobs),
                format=fmt,
                repo_id=repo_id,
                files=tuple(sorted(set(weights)))[:20],
                has_mmproj=any(n.startswith("mmproj") for n in lower),
            )
        )
    return models


def _scan_gguf(root: Path, walk: _Walk) -> list[LocalModel]:
    models = []
    for path, _ in walk.files(root):
        if path.name.lower().endswith(".gguf") and _is_weights(path.name):
            projector = any(p.name.lower().startswith("mmproj") for p in path.parent.glob("*.gguf"))
            models.append(
                LocalModel(
                    name=path.stem,
                    source="gguf",
                    runtime="llama-server",
                    model_id=path.stem,
                    path=str(path),
                    size_gb=_gb(_size(path)),
                    format="gguf",
                    files=(path.name,),
                    has_mmproj=projector,
                )
            )
    return models


def store_roots(home: Path, env: Mapping[str, str]) -> list[tuple[str, Path]]:
    """(source, folder) pairs to look in, in the order results are reported."""
    hf_hub = env.get("HF_HUB_CACHE") or (
        str(Path(env["HF_HOME"]) / "hub") if env.get("HF_HOME") else str(home / ".cache/huggingface/hub")
    )
    ollama = env.get("OLLAMA_MODELS") or str(home / ".ollama/models")
    return [
        ("lmstudio", home / ".lmstudio/models"),
        ("lmstudio", home / ".cache/lm-studio/models"),
        ("ollama", Path(ollama)),
        ("huggingface", Path(hf_hub)),
        ("gguf", home / "models"),
        ("gguf", home / "Models"),
        ("gguf", home / ".cache/llama.cpp"),
        ("gguf", home / "llama.cpp/models"),
        ("gguf", home / "Downloads"),
    ]


_SCANNERS = {"lmstudio": _scan_lmstudio, "ollama": _scan_ollama, "huggingface": _scan_hf, "gguf": _scan_gguf}
_DEPTH = {"lmstudio": 4, "ollama": 6, "huggingface": 4, "gguf": 3}


def scan_stores(
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    max_entries: int = MAX_ENTRIES,
) -> StoresScan:
    home = home or Path.home()
    env = os.environ if env is None else env
    models: list[LocalModel] = []
    reports: list[StoreReport] = []
    seen_roots: set[Path] = set()
    for source, root in store_roots(home, env):
        resolved = root.expanduser().resolve()
        if resolved in seen_roots:
            continue  # case-insensitive file systems make ~/models and ~/Models one folder
        seen_roots.add(resolved)
        if not root.is_dir():
            reports.append(StoreReport(source, str(root), exists=False))
            continue
        walk = _Walk(_DEPTH[source], max_entries)
        found = _SCANNERS[source](root, walk)
        models.extend(found)
        reports.append(StoreReport(source, str(root), True, len(found), walk.limit_hit))
    return StoresScan(models=tuple(models), stores=tuple(reports))
