import pytest
import yaml

from hrouter.engine.catalog import Catalog
from hrouter.engine.hints import HintError, RoutingHints, coerce
from hrouter.engine.resolve import Requirements, Resolver, profile_for

from engine_fixtures import DEFAULT


def catalog(**changes) -> Catalog:
    data = yaml.safe_load(DEFAULT.read_text())
    for name, fields in changes.items():
        data["engines"][name].update(fields)
    return Catalog.from_data(data)


def test_direct_hit_keeps_the_configured_fallback():
    res = Resolver(catalog()).resolve("coding", Requirements(needs_tools=True))
    assert (res.engine, res.fallback_engine, res.fallback_used, res.availability_valid) == ("code_agent", "reasoning_local", False, True)


def test_disabled_engine_falls_back():
    res = Resolver(catalog(fast_local={"enabled": False})).resolve("simple", Requirements())
    assert res.engine == "balanced_local" and res.fallback_used
    assert res.rejected[0].engine == "fast_local" and res.rejected[0].reason == "engine disabled"
    assert res.notes == ("fallback to balanced_local: fast_local engine disabled",)


def test_unavailable_engine_falls_back():
    cat = catalog(balanced_local={"availability": {"status": "unavailable"}})
    res = Resolver(cat).resolve("balanced", Requirements())
    assert res.engine == "reasoning_local"
    assert res.rejected[0].reason == "engine unavailable: marked unavailable"


def test_incompatible_chain_ends_at_human_confirm():
    # coding needs tools; code_agent disabled, reasoning_local has no tools, then the gate
    res = Resolver(catalog(code_agent={"enabled": False})).resolve("coding", Requirements(needs_tools=True))
    assert res.engine == "human_confirm" and not res.availability_valid and res.fallback_used
    assert [r.engine for r in res.rejected] == ["code_agent", "reasoning_local"]
    assert res.rejected[1].reason == "tools required but engine does not support tools"


def test_modalities_and_tier_caps():
    r = Resolver(catalog())
    assert r.resolve("balanced", Requirements(modalities=("image",))).engine == "human_confirm"
    assert r.resolve("vision", Requirements(modalities=("image", "pdf"))).engine == "multimodal_vision"
    capped = r.resolve("vision", Requirements(modalities=("image",), max_cost_tier="free"))
    assert capped.engine == "human_confirm" and "cost_tier medium exceeds max_cost_tier free" in capped.rejected[0].reason
    slow = r.resolve("reasoning", Requirements(max_latency_tier="medium"))
    assert slow.engine == "human_confirm" and "latency_tier high" in slow.rejected[0].reason
    assert r.resolve("research", Requirements(max_cost_tier="paid")).engine == "web_research"  # medium == paid


def test_loops_are_detected_even_in_an_unchecked_catalog():
    cat = catalog()
    engines = dict(cat.engines)
    import attrs

    engines["fast_local"] = attrs.evolve(engines["fast_local"], enabled=False, fallback="balanced_local")
    engines["balanced_local"] = attrs.evolve(engines["balanced_local"], enabled=False, fallback="fast_local")
    looped = attrs.evolve(cat, engines=engines)  # bypasses validation on purpose
    res = Resolver(looped).resolve("simple", Requirements())
    assert res.engine == "human_confirm" and res.rejected[-1].reason == "fallback cycle"


def test_confirmation_is_never_resolved_elsewhere_and_force_only_sets_the_start():
    r = Resolver(catalog())
    assert r.resolve("confirmation", Requirements(), "code_agent").engine == "human_confirm"
    forced = r.resolve("simple", Requirements(), "reasoning_local")
    assert forced.engine == "reasoning_local"
    assert r.resolve("simple", Requirements(), "codex").engine == "code_agent"  # codex disabled -> its fallback


def test_unmapped_target_fails_closed():
    res = Resolver(catalog()).resolve("poetry", Requirements())
    assert res.engine == "human_confirm" and not res.availability_valid


def test_resolutions_are_memoised():
    r = Resolver(catalog())
    assert r.resolve("simple", Requirements()) is r.resolve("simple", Requirements())


def test_alternatives_are_ranked_and_exclude_the_gate():
    r = Resolver(catalog())
    alts, rejected = r.alternatives("code_agent", Requirements(needs_tools=True), "general")
    names = [a.engine for a in alts]
    assert "human_confirm" not in names and "intent_router" not in names and "code_agent" not in names
    assert [a.rank_score for a in alts] == sorted((a.rank_score for a in alts), reverse=True)
    assert {x.engine for x in rejected} >= {"fast_local", "balanced_local", "reasoning_local"}
    assert r.alternatives("human_confirm", Requirements(), "general") == ((), ())
    fast = r.alternatives("web_research", Requirements(), "latency")[0]
    assert fast[0].engine == "fast_local" and "latency-sensitive ranking" in fast[0].reasons


def test_profiles():
    assert profile_for(0, 0, True) == "latency"
    assert profile_for(80, 90, False) == "risk"
    assert profile_for(10, 70, False) == "complexity"
    assert profile_for(10, 10, False) == "general"


def test_hints_are_canonical_and_strict():
    assert coerce(None) == RoutingHints()
    h = coerce({"attachments": ["pdf", "image", "image"], "max_cost_tier": "low"})
    assert h.attachments == ("image", "pdf") and h == coerce(RoutingHints(attachments=("image", "pdf"), max_cost_tier="low"))
    assert coerce({"latency_sensitive": True}).effective_latency_cap == "medium"
    assert coerce({"latency_sensitive": True, "max_latency_tier": "high"}).effective_latency_cap == "high"
    for bad in ({"attachment": ["image"]}, {"attachments": "image"}, {"attachments": ["video"]}, {"max_cost_tier": "cheap"},
                {"max_latency_tier": 3}, {"latency_sensitive": "yes"}, {"force_engine": ""}, ["image"], 5):
        with pytest.raises(HintError):
            coerce(bad)
