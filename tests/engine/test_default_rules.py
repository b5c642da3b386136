"""The packaged catalog and rules together: the seed's example table, through the API and CLI."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.cli.main import main
from hrouter.engine import ModelRouter, route_prompt

SEED_TABLE = [
    ("rewrite this text", "fast_local"),
    ("summarize these notes", "balanced_local"),
    ("design a distributed task scheduler architecture", "reasoning_local"),
    ("fix the repo and run tests", "code_agent"),
    ("search the web for the latest TypeScript release notes", "web_research"),
    ("extract text from this screenshot", "multimodal_vision"),
    ("generate an image of a router dashboard", "image_generation"),
    ("drop the production database", "human_confirm"),
]


@pytest.fixture(scope="module")
def router(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HROUTER_CACHE_DIR", str(tmp_path_factory.mktemp("default-cache")))
        return ModelRouter.from_config()


@pytest.mark.parametrize(("prompt", "engine"), SEED_TABLE)
def test_seed_table_through_the_api(router, prompt, engine):
    assert router.route_fast(prompt) == engine
    decision = router.route(prompt)
    assert decision.selected_engine == engine
    assert decision.fired_rules and all(":" in r.loc for r in decision.fired_rules)
    assert decision.artifact_hash == router.artifact_hash


def test_seed_table_through_the_cli(capsys):
    for prompt, engine in SEED_TABLE:
        assert main(["decide", "--json", prompt]) == 0
        assert json.loads(capsys.readouterr().out)["selected_engine"] == engine


def test_seed_receipt_shape(router):
    d = router.route("fix the repo and run tests").to_dict()
    assert d["requires_tools"] and d["requires_code_execution"] and not d["requires_confirmation"]
    assert d["fallback_engine"] == "reasoning_local"
    assert any(r["engine"] == "fast_local" for r in d["rejected_engines"])
    assert d["alternatives"] and "fix the repo" not in json.dumps(d)


def test_route_prompt_with_defaults():
    assert route_prompt("drop the production database").selected_engine == "human_confirm"


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(
    ["delete", "the", "database", "explain", "fix", "repo", "image", "draw", "latest", "news", "yes", "send", "email",
     "pay", "invoice", "deploy", "summarize", "rewrite", "design", "screenshot"]), max_size=8).map(" ".join)),
    st.one_of(st.none(), st.just({"attachments": ["image"]}), st.just({"force_engine": "code_agent"}),
              st.just({"latency_sensitive": True})))
def test_default_route_fast_equals_route(router, prompt, hints):
    assert router.route_fast(prompt, hints) == router.route(prompt, hints).selected_engine
