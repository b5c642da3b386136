"""Invariants over arbitrary input: same engine from both paths, determinism, nothing raises."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hrouter.engine.catalog import Catalog
from hrouter.engine.router import ModelRouter

from engine_fixtures import LEXICAL, make_artifact

ROUTER = ModelRouter(Catalog.from_file(), make_artifact())
FRESH = ModelRouter(Catalog.from_file(), make_artifact())

WORDS = ["delete", "drop", "database", "table", "explain", "repo", "python", "draw", "chart", "screenshot",
         "send", "email", "yes", "do it", "rewrite", "latest", "design", "ｄｒｏｐ", "de\u200blete", "dеlеtе"]
any_char = st.characters(codec=None, categories=None)  # every code point, lone surrogates included
texts = st.one_of(
    st.text(alphabet=any_char, max_size=80),
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    st.builds(lambda a, b: a + " " + b, st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join), st.text(max_size=20)),
)
parts = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, texts),
    st.just({"type": "image_url", "image_url": {"url": "data:,"}}),
    st.just({"type": "input_image", "image_url": "x"}),
    st.just({"type": "audio"}),
    st.none(),
    st.integers(),
)
contents = st.one_of(texts, st.none(), st.lists(parts, max_size=3), st.integers())
messages = st.lists(
    st.one_of(
        st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "tool", "bogus"]), "content": contents}),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
        st.none(),
        st.text(max_size=5),
    ),
    max_size=6,
)
prompts = st.one_of(texts, messages, st.none(), st.integers(), st.binary(max_size=10))
hint_values = st.fixed_dictionaries(
    {},
    optional={
        "attachments": st.one_of(st.lists(st.sampled_from(["image", "pdf", "code", "video"]), max_size=3), st.text(max_size=4)),
        "force_engine": st.one_of(st.none(), st.sampled_from(["code_agent", "fast_local", "human_confirm", "codex", "nope", ""])),
        "max_cost_tier": st.one_of(st.none(), st.sampled_from(["none", "free", "low", "medium", "paid", "high", "cheap"])),
        "max_latency_tier": st.one_of(st.none(), st.sampled_from(["low", "medium", "high", "manual", "fast"]), st.integers()),
        "latency_sensitive": st.one_of(st.booleans(), st.just("yes")),
        "surprise": st.integers(),
    },
)
hints = st.one_of(st.none(), hint_values, st.just("image"), st.integers())

settings.register_profile("engine", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("engine")


@given(prompts, hints)
def test_route_fast_equals_route_selected_engine(prompt, hint):
    engine = ROUTER.route_fast(prompt, hint)
    decision = ROUTER.route(prompt, hint)
    assert engine == decision.selected_engine
    assert engine == ROUTER.route(prompt, hint, include_alternatives=False).selected_engine
    assert engine in ROUTER.catalog.engines


@given(prompts, hints)
def test_routing_is_deterministic_across_routers(prompt, hint):
    first = ROUTER.route(prompt, hint).to_dict()
    again = FRESH.route(prompt, hint).to_dict()
    assert first == again
    json.dumps(first)  # always serialisable


@given(prompts, hints)
def test_confirmation_is_never_bypassed_by_force_engine(prompt, hint):
    decision = ROUTER.route(prompt, hint)
    if decision.selected_target == "confirmation":
        assert decision.selected_engine == "human_confirm" and decision.requires_confirmation
        assert decision.alternatives == ()


@given(st.lists(st.sampled_from(WORDS + list(LEXICAL)), max_size=10).map(" ".join))
def test_normalised_disguises_route_like_plain_text(text):
    plain = text.replace("ｄｒｏｐ", "drop").replace("de\u200blete", "delete").replace("dеlеtе", "delete")
    assert ROUTER.route_fast(text) == ROUTER.route_fast(plain)
