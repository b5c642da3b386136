"""Which model runtimes and agent tools are on PATH."""

from __future__ import annotations

import shutil
from collections.abc import Callable

#: command -> what it is, for humans reading `setup scan`.
COMMANDS = {
    "ollama": "Ollama runtime",
    "lms": "LM Studio CLI",
    "llama-server": "llama.cpp server",
    "hf": "Hugging Face CLI",
    "huggingface-cli": "Hugging Face CLI (older name)",
    "claude": "Claude Code agent",
    "codex": "Codex agent",
}


def scan_commands(which: Callable[[str], str | None] = shutil.which) -> dict[str, str | None]:
    """command -> its full path, or None when it is not on PATH."""
    return {name: which(name) for name in COMMANDS}


def hf_command(found: dict[str, str | None]) -> str | None:
    """The Hugging Face download CLI to use: `hf` first, its older name second."""
    return found.get("hf") or found.get("huggingface-cli")
