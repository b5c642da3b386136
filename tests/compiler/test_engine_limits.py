"""`hrouter compile` refuses a pattern the engine cannot run, with file:line; an artifact that
holds one anyway (written by an older compiler) is a RouterConfigError, not a traceback."""

from __future__ import annotations

import json

import pytest

from hrouter.compiler import RulesError
from hrouter.compiler.compile import compile_rules
from hrouter.engine.artifact_io import artifact_from_json, artifact_to_json
from hrouter.engine.router import ModelRouter, RouterConfigError

RULES = "targets simple, confirmation\nfeature big = words({word})\nroute r: big -> simple\ndefault -> simple\n"


def test_a_100k_character_literal_is_refused_at_compile_time_with_its_location(write_rules):
    folder = write_rules(RULES.format(word="a" * 100_000))
    with pytest.raises(RulesError) as info:
        compile_rules(folder, check_expects=False)
    (d,) = info.value.diagnostics
    assert d.code == "bad-pattern" and "too large for the engine" in d.message
    assert (d.location.line, d.location.column) == (2, 15)


def test_an_artifact_holding_such_a_pattern_fails_to_load_cleanly(write_rules):
    artifact = compile_rules(write_rules(RULES.format(word="a" * 1000)), check_expects=False)
    data = json.loads(artifact_to_json(artifact))
    for p in data["patterns"]:
        p["regex"] = p["regex"].replace("a" * 1000, "a" * 100_000)
    with pytest.raises(RouterConfigError, match="cannot be compiled for long prompts"):
        ModelRouter.from_config(None, rules=artifact_from_json(json.dumps(data))).warm()


def test_patterns_that_outgrow_the_long_text_set_together_are_refused_at_compile_time(write_rules, monkeypatch):
    from hrouter.engine import automaton

    features = "".join(
        f'feature f{i} = regex("(?:{"|".join(f"w{i}x{j}yz" for j in range(300))})(?:\\\\s+\\\\w+){{0,20}}\\\\s+end{i}")\n'
        f"route r{i}: f{i} -> simple\n" for i in range(4))
    folder = write_rules("targets simple, confirmation\n" + features + "default -> simple\n")
    compile_rules(folder, check_expects=False)  # each alone, and all together, fit the real budget
    monkeypatch.setattr(automaton, "MAX_MEM", 1 << 16)  # a budget they outgrow together
    with pytest.raises(RulesError) as info:
        compile_rules(folder, check_expects=False)
    (d,) = info.value.diagnostics
    assert d.code == "engine-rejects" and "long-text scan" in d.message
    assert any("'f0'" in note or "'f1'" in note for note in d.notes)


def test_typos_on_a_huge_list_is_refused_before_it_is_expanded(write_rules):
    import time

    words = ", ".join(f"word{i:05d}x" for i in range(20_000))
    folder = write_rules(f"targets simple, confirmation\nfeature big = words({words}; typos)\nroute r: big -> simple\ndefault -> simple\n")
    start = time.perf_counter()
    with pytest.raises(RulesError) as info:
        compile_rules(folder, check_expects=False)
    (d,) = info.value.diagnostics
    assert d.code == "too-large" and "20,000 words" in d.message
    assert time.perf_counter() - start < 30  # refused up front, not after expanding a million variants
