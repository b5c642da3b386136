"""Paths and names shared by the default-rules tests (importable, unlike conftest)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "rules"
CATALOG = ROOT / "configs" / "model_router.yaml"
EXTRA_CORPUS = ROOT / "tests" / "data" / "corpus_extra.jsonl"

ENGINES = (
    "fast_local",
    "balanced_local",
    "reasoning_local",
    "code_agent",
    "web_research",
    "multimodal_vision",
    "image_generation",
    "human_confirm",
)
