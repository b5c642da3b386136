"""Request fields in conditions: `previous.TARGET`, `tool.NAME`, `tool_choice.VALUE`,
`reasoning.VALUE`, `model.NAME`, `context_tokens`, and the `system.` scope. A test that could
never hold where the rule runs is a located error."""

from __future__ import annotations

import pytest


def only(diags, code):
    found = [d for d in diags if d.code == code]
    assert found, f"no {code} in {[(d.code, d.message) for d in diags]}"
    return found[0]


def test_request_fields_become_request_atoms(compile_text):
    artifact = compile_text("""
        feature q = words(what)
        feature agent = words("coding agent")
        route a: previous.coding and q -> coding
        route b: tool.web_search and tool_choice.named -> simple
        route c: reasoning.any or model.hrouter_fast -> simple
        route d: context_tokens >= 5000 and system.agent -> coding
    """)
    request = {a.name: a for a in artifact.atoms if a.kind == "request"}
    assert set(request) == {"previous.coding", "tool.web_search", "tool_choice.named", "reasoning.any",
                            "model.hrouter_fast", "context_tokens>=5000"}
    assert (request["tool.web_search"].field, request["tool.web_search"].key) == ("tool", "web_search")
    assert (request["context_tokens>=5000"].op, request["context_tokens>=5000"].value) == (">=", 5000)
    assert any(a.name == "system.agent" and a.scope == "system" for a in artifact.atoms)


@pytest.mark.parametrize("condition, message", [
    ("previous.codng", "previous takes simple, balanced, coding, vision, confirmation (did you mean 'coding'?)"),
    ("tool_choice.sometimes", "tool_choice takes auto, none, required, named"),
    ("reasoning.extreme", "reasoning takes none, minimal, low, medium, high, thinking, any"),
])
def test_a_value_a_field_cannot_take_is_an_error(errors_of, condition, message):
    d = only(errors_of(f"route r: {condition} -> coding"), "bad-field")
    assert message in d.message and d.location.line == 2


def test_previous_with_no_lookback_is_an_error(errors_of):
    d = only(errors_of("set lookback = 0\nroute r: previous.coding -> coding"), "bad-field")
    assert "lookback = 0" in d.message


def test_an_unknown_field_is_suggested(errors_of):
    d = only(errors_of("route r: tols.web_search -> coding"), "unknown-scope")
    assert "did you mean 'tool'" in d.message or "request fields" in d.message


def test_a_field_name_is_reserved(errors_of):
    d = only(errors_of("feature tool = words(hammer)\nroute r: tool -> coding"), "reserved-name")
    assert "'tool'" in d.message


def test_the_system_scope_takes_only_lexical_features(errors_of):
    d = only(errors_of("feature a = words(x)\nfeature b = a and has_context\nroute r: system.b -> coding"), "bad-scope")
    assert "system.b" in d.message
