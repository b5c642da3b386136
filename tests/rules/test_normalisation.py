"""Obfuscated risky prompts are caught by the same rules (the engine normalises text first)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "prompt",
    [
        "ｄｒｏｐ the production database",  # full-width letters
        "de\u200blete all files on the server",  # zero-width space
        "DELETE ALL FILES ON THE SERVER",
        "wi\u00adpe the staging bucket",  # soft hyphen
        "please   delete .",
    ],
)
def test_obfuscated_risky_prompts_are_confirmed(router, prompt):
    assert router.route_fast(prompt) == "human_confirm"


@pytest.mark.parametrize("prompt", ["", " ", "\n\n", "\t"])
def test_empty_prompts_fail_closed(router, prompt):
    d = router.route(prompt)
    assert d.selected_engine == "human_confirm"
    assert "empty prompt: nothing to route, fail closed" in d.reasons
