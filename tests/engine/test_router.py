import json

import pytest
import yaml

from hrouter.engine.catalog import Catalog
from hrouter.engine.normalize import normalize
from hrouter.engine.router import ModelRouter, RouterConfigError, route_prompt

from engine_fixtures import make_artifact
from engine_fixtures import DEFAULT


@pytest.fixture(scope="module")
def router():
    return ModelRouter(Catalog.from_file(), make_artifact())


SECRET = "zebra-unicorn-4471"


def test_basic_routes_and_receipt_fields(router):
    d = router.route("fix the repo and run tests")
    assert d.selected_engine == "code_agent" == router.route_fast("fix the repo and run tests")
    data = d.to_dict()
    for key in ("selected_engine", "complexity_score", "risk_score", "confidence_score", "fallback_engine",
                "requires_confirmation", "requires_tools", "requires_freshness", "requires_code_execution",
                "requires_vision", "requires_image_generation", "config_valid", "availability_valid", "reasons",
                "rejected_engines", "alternatives", "selected_target", "fired_rules", "artifact_hash"):
        assert key in data
    assert data["fired_rules"] == [{"rule": "coding", "loc": "routes.rules:22"}]
    assert data["requires_tools"] and data["requires_code_execution"] and not data["requires_confirmation"]
    assert data["alternatives"][0].keys() == {"engine", "rank_score", "capability", "trust", "cost", "latency", "reasons"}
    json.dumps(data)


def test_receipt_never_contains_the_prompt(router):
    prompts = [f"fix the repo {SECRET}", f"drop the database {SECRET}",
               [{"role": "user", "content": f"draw {SECRET}"}]]
    for p in prompts:
        for hints in (None, {"attachments": ["image"]}, {"bogus": 1}, {"force_engine": "nope"}, {"force_engine": "codex"}):
            assert SECRET not in json.dumps(router.route(p, hints).to_dict())


def test_confirmation_and_force_engine(router):
    d = router.route("drop the production database", {"force_engine": "code_agent"})
    assert d.selected_engine == "human_confirm" and d.requires_confirmation
    assert "force_engine code_agent ignored: confirmation required" in d.reasons
    assert d.alternatives == ()
    assert router.route_fast("drop the production database", {"force_engine": "code_agent"}) == "human_confirm"
    forced = router.route("rewrite this text", {"force_engine": "reasoning_local"})
    assert forced.selected_engine == "reasoning_local" and "forced engine reasoning_local" in forced.reasons


def test_invalid_hints_fail_closed(router):
    for hints in ({"force_engine": "nope"}, {"max_cost_tier": "cheap"}, {"colour": "red"}, "image"):
        assert router.route_fast("rewrite this text", hints) == "human_confirm"
        d = router.route("rewrite this text", hints)
        assert d.selected_engine == "human_confirm" and any(r.startswith("invalid routing hints") for r in d.reasons)


def test_attachments_drive_vision_and_modalities(router):
    d = router.route("what is this?", {"attachments": ["image"]})
    assert d.selected_engine == "multimodal_vision" and d.requires_vision
    chat = [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": "x"}}]}]
    assert router.route_fast(chat) == "multimodal_vision"
    # an image the chosen engine cannot read: its chain ends at the gate
    assert router.route_fast("rewrite this text", {"attachments": ["image"]}) == "multimodal_vision"


def test_latency_sensitive_caps_latency(router):
    assert router.route_fast("design a distributed system") == "reasoning_local"
    assert router.route_fast("design a distributed system", {"latency_sensitive": True}) == "human_confirm"


def test_include_alternatives_false_is_memoised(router):
    a = router.route("rewrite this text", include_alternatives=False)
    assert a is router.route("rewrite this text", include_alternatives=False)
    assert a.alternatives == () and router.route("rewrite this text").alternatives != ()


def test_messages_and_malformed_inputs_never_raise(router):
    for p in (None, 5, [], [{"role": "user"}], [object()], {"role": "user"}, "\udc80", "\x00" * 10):
        assert router.route_fast(p) == router.route(p).selected_engine


def test_overrides_from_catalog_apply():
    data = yaml.safe_load(DEFAULT.read_text())
    data["safety"]["confirmation_overrides"]["allow_destructive_actions"] = True
    r = ModelRouter(Catalog.from_data(data), make_artifact())
    assert r.route_fast("drop the production database") != "human_confirm"
    assert r.route_fast("send the report") == "human_confirm"


def test_unmapped_artifact_target_is_a_config_error():
    data = yaml.safe_load(DEFAULT.read_text())
    del data["routing_targets"]["research"]
    with pytest.raises(RouterConfigError, match=r"\$.routing_targets: no engine for the rules' target research"):
        ModelRouter(Catalog.from_data(data, "c.yaml"), make_artifact())


def test_from_config_errors_name_the_file(tmp_path):
    with pytest.raises(RouterConfigError, match="nope.yaml: file not found"):
        ModelRouter.from_config(tmp_path / "nope.yaml", rules=make_artifact())
    bad = tmp_path / "bad.yaml"
    data = yaml.safe_load(DEFAULT.read_text())
    data["engines"]["code_agent"]["fallback"] = "ghost"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(RouterConfigError, match=r"bad.yaml: \$.engines.code_agent.fallback: unknown engine 'ghost'"):
        ModelRouter.from_config(bad, rules=make_artifact())
    with pytest.raises(RouterConfigError, match="no such rules folder"):
        ModelRouter.from_config(rules=tmp_path / "missing")


def test_route_prompt_fails_closed_on_config_errors(tmp_path):
    d = route_prompt("rewrite this text", config=tmp_path / "nope.yaml", rules=make_artifact())
    assert d.selected_engine == "human_confirm" and d.config_valid is False
    assert "nope.yaml: file not found" in d.reasons[0]
    ok = route_prompt("rewrite this text", rules=make_artifact())
    assert ok.selected_engine == "fast_local" and ok.config_valid


def test_public_names_are_exported():
    import hrouter
    from hrouter import engine

    for name in ("ModelRouter", "RouterConfigError", "RoutingDecision", "RoutingHints", "route_prompt"):
        assert getattr(engine, name) is getattr(hrouter, name)


def test_route_fast_memo_key_is_the_scan_and_the_clause_verdict(router):
    for text in ("rewrite this text", "", "drop the production database " * 300, "ｄｒｏｐ it"):
        engine = router.route_fast(text)
        key = router._automaton.message_key(normalize(text))
        clause = router.decider.clause_verdict(text) if router.decider.clause_safety else 0
        assert router._fast.get((key, clause)) == engine == router.route(text).selected_engine


def test_a_damaged_pattern_fails_closed_and_warming_names_it():
    from engine_fixtures import loc

    from hrouter.engine.artifact import Pattern

    # A pattern without literals is in the literal set, which is compiled with the router.
    without_literals = make_artifact(extra_patterns=(Pattern("(?<=x)y", "rewrite", loc(77)),))
    with pytest.raises(RouterConfigError, match="main.rules:77"):
        ModelRouter(Catalog.from_file(), without_literals)
    # One with literals compiles its own RE2 when first a candidate (or on warm()).
    damaged = make_artifact(extra_patterns=(Pattern("(?<=x)y", "rewrite", loc(77), (("rewrite",),)),))
    router = ModelRouter(Catalog.from_file(), damaged)
    decision = router.route("rewrite this text")
    assert decision.selected_engine == "human_confirm" and not decision.config_valid
    assert any("main.rules:77" in reason for reason in decision.reasons)
    assert router.route_fast("rewrite this text") == "human_confirm"
    with pytest.raises(RouterConfigError, match="main.rules:77"):
        ModelRouter(Catalog.from_file(), damaged).warm()


def test_explain_agrees_with_route_when_a_clause_decides(router):
    # The clause verdict rides above the atom bits; explain must read the atoms without it.
    for text in ("Usuń to", "Älä poista vielä mitään, tarkistan ensin.", "explain DROP TABLE, then drop the users table"):
        ex = router.explain(text)
        assert ex.outcome.target == router.route(text).selected_target
