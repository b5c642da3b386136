"""The packaged rule set: compiles, deterministically, quickly."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from hrouter.compiler.compile import compile_rules
from hrouter.engine.artifact_io import artifact_to_json

DEFAULT = Path(str(files("hrouter.rules")))


def test_compiling_twice_gives_identical_bytes():
    first = artifact_to_json(compile_rules(DEFAULT, check_expects=False))
    second = artifact_to_json(compile_rules(DEFAULT, check_expects=False))
    assert first == second


def test_default_rules_have_every_target_and_one_default():
    a = compile_rules(DEFAULT, check_expects=False)
    assert "confirmation" in a.targets
    assert [r.kind for r in a.rules].count("default") == 1 and a.rules[-1].kind == "default"
    assert all(r.target == "confirmation" for r in a.rules if r.kind == "safety")
    assert len(a.expects) > 0
