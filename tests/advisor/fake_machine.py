"""A fake home with LM Studio, Ollama, Hugging Face and loose GGUF stores; weight files are
sparse, so a "5 GB" model costs no disk. Shared by the advisor and the CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

GB = 1024**3


def sparse(path: Path, size_gb: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(int(size_gb * GB))
    return path


def build_fake_home(home: Path) -> Path:
    # LM Studio (current path): a general 8B model and a coder.
    lms = home / ".lmstudio/models"
    sparse(lms / "lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf", 5.0)
    sparse(lms / "lmstudio-community/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q4_k_m.gguf", 4.7)
    # LM Studio (older cache path): a vision model with its projector.
    old = home / ".cache/lm-studio/models"
    sparse(old / "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF/Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf", 1.9)
    sparse(old / "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF/mmproj-Qwen2.5-VL-3B-Instruct-f16.gguf", 1.3)
    # Ollama: a small chat model, and an embedding model that suits no route.
    manifests = home / ".ollama/models/manifests/registry.ollama.ai/library"
    for name, tag, size in (("llama3.2", "1b", 1.3), ("nomic-embed-text", "latest", 0.3)):
        manifest = {"schemaVersion": 2, "layers": [{"mediaType": "application/vnd.ollama.image.model", "size": int(size * GB)}]}
        path = manifests / name / tag
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest))
    # Hugging Face hub cache: a 32B reasoning model too big for a small machine.
    repo = home / ".cache/huggingface/hub/models--bartowski--DeepSeek-R1-Distill-Qwen-32B-GGUF"
    sparse(repo / "blobs/abc123", 19.9)
    snap = repo / "snapshots/0123abcd/DeepSeek-R1-Distill-Qwen-32B-Q4_K_M.gguf"
    snap.parent.mkdir(parents=True, exist_ok=True)
    snap.symlink_to(repo / "blobs/abc123")
    # A loose GGUF file in ~/models.
    sparse(home / "models/phi-3.5-mini-instruct-Q4_K_M.gguf", 2.2)
    return home
