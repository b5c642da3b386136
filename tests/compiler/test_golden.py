"""Golden files per stage: small.rules -> AST dump -> artifact JSON.

Set UPDATE_GOLDEN=1 to rewrite them after an intended change, and say why in the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs

from hrouter.compiler.compile import compile_rules
from hrouter.compiler.parser import parse
from hrouter.compiler.wordchars import NON_WORD_CLASS_BODY, WORD_CLASS_BODY
from hrouter.engine.artifact_io import artifact_to_json

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _dump(node):
    if attrs.has(type(node)):
        out = {"node": type(node).__name__}
        for field in attrs.fields(type(node)):
            out[field.name] = _dump(getattr(node, field.name))
        return out
    if isinstance(node, tuple):
        return [_dump(n) for n in node]
    return node


def _readable(text: str) -> str:
    """The word classes are long code point lists; the golden file names them instead."""
    esc = lambda body: json.dumps(body)[1:-1]  # noqa: E731 - as the class appears inside JSON
    text = text.replace(f"[^{esc(WORD_CLASS_BODY)}]", "<NON_WORD>").replace(f"[{esc(WORD_CLASS_BODY)}]", "<WORD>")
    return text.replace(esc(NON_WORD_CLASS_BODY), "<NON_WORD_RANGES>")


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed; UPDATE_GOLDEN=1 rewrites it"


def test_ast_golden():
    tree, diags = parse((GOLDEN / "small.rules").read_text(encoding="utf-8"), "small.rules")
    assert not diags
    _check("small.ast.json", json.dumps(_dump(tree), indent=1, ensure_ascii=False) + "\n")


def test_artifact_golden():
    artifact = compile_rules(GOLDEN / "small.rules", check_expects=True)
    data = json.loads(artifact_to_json(artifact))
    data["compiler_version"] = "<version>"  # pinned elsewhere; a release must not churn the golden file
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    readable = _readable(text)
    assert "<WORD>" in readable and "<NON_WORD>" in readable and "<NON_WORD_RANGES>" in readable
    _check("small.artifact.json", readable)
