"""The rules-language reference's recipes compile and their expect lines pass."""

from __future__ import annotations

import re
from pathlib import Path

from hrouter.compiler.compile import compile_rules
from hrouter.compiler.expect import run_expects

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules-language.md"

# The recipes use a few names they do not define; this frame supplies them.
FRAME = """targets balanced, vision, reasoning, research, image_generation, coding, confirmation
feature coding_intent = words(code)
feature multi_step = words(steps)
flag requires_tools = coding_intent
"""
TAIL = 'route use_bare: bare_delete -> balanced\ndefault -> balanced "ordinary"\n'


def test_recipes_compile_and_pass(tmp_path):
    text = DOC.read_text(encoding="utf-8")
    recipes = text[text.index("## Recipes"):text.index("## Errors")]
    blocks = re.findall(r"```\n(.*?)```", recipes, re.S)
    assert len(blocks) == 8
    (tmp_path / "main.rules").write_text(FRAME + "\n".join(blocks) + TAIL, encoding="utf-8")
    warnings: list = []
    artifact = compile_rules(tmp_path, warnings=warnings)
    assert not warnings
    results = run_expects(artifact)
    assert len(results) == 10 and all(r.passed for r in results)
