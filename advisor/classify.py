"""Which routes a model found on disk suits, judged from its name, size and files.

Names are all a scan has (weights are never loaded), so this is a heuristic: specialised names
(coder, vision, reasoning, diffusion) decide first, then the parameter count puts a general chat
model in the fast, balanced or reasoning band.
"""

from __future__ import annotations

import re

_PARAMS = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z0-9])")
_UNSUITED = ("embed", "rerank", "whisper", "tts", "bge-", "e5-", "clip-", "vae")
_IMAGE = ("stable-diffusion", "sdxl", "sd-turbo", "sd3", "flux", "sana", "kolors", "playground-v")
_VISION = (
    "-vl", "vl-", "vision", "llava", "moondream", "smolvlm", "pixtral", "minicpm-v",
    "gemma-3-", "gemma3:", "gemma3-", "qwen2.5vl", "llama4",
)
_CODE = ("coder", "codestral", "devstral", "starcoder", "codellama", "codegemma", "code-")
_REASONING = ("-r1", "r1-", "qwq", "reason", "thinking", "gpt-oss", "magistral", "phi-4")

# Parameter bands (billions) where a general chat model serves each route.
_BANDS = {"fast": (0.3, 4.5), "balanced": (3.0, 15.0), "reasoning": (12.0, 1000.0)}
# Quantised GGUF weights take roughly this many GB per billion parameters.
_GB_PER_B = 0.6


def parameters_b(name: str, size_gb: float = 0.0) -> float | None:
    """Billions of parameters from the name ("qwen2.5-7b", "Qwen3-30B-A3B"), else from size."""
    match = _PARAMS.search(name.lower().replace("_", "-"))
    if match:
        return float(match.group(1))
    return round(size_gb / _GB_PER_B, 1) if size_gb > 0 else None


def _has(lower: str, words: tuple[str, ...]) -> bool:
    return any(word in lower for word in words)


def route_fit(name: str, size_gb: float = 0.0, has_mmproj: bool = False) -> dict[str, int]:
    """route -> suitability (higher is better; 3 specialised, 2 general band); empty if unsuited."""
    lower = name.lower().replace("_", "-")
    if _has(lower, _UNSUITED):
        return {}
    if _has(lower, _IMAGE):
        return {"image_generation": 3}
    fit: dict[str, int] = {}
    if has_mmproj or _has(lower, _VISION):
        fit["vision"] = 3
    if _has(lower, _CODE):
        fit["coding"] = 3
        return fit  # a code model is a poor general chat model
    params = parameters_b(name, size_gb)
    if _has(lower, _REASONING):
        fit["reasoning"] = 3
    for route, (low, high) in _BANDS.items():
        if params is not None and low <= params <= high:
            fit.setdefault(route, 2)
    if params is not None and params >= 7:
        fit.setdefault("coding", 1)  # a capable general model can stand in for a coder
    return fit
