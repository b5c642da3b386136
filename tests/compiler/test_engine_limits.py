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
