"""Receipts from the default rules: flags agree with the route, nothing falls back by accident,
and the prompt never appears."""

from __future__ import annotations

import json

from benchmarks.corpus_accuracy import request_of

FLAG_OF_ENGINE = {
    "web_research": "requires_freshness",
    "multimodal_vision": "requires_vision",
    "image_generation": "requires_image_generation",
}
TOOL_ENGINES = {"code_agent", "web_research", "multimodal_vision", "image_generation"}


def test_flags_match_the_chosen_route(extra_decisions):
    for row, d in extra_decisions:
        where = f"{row['id']}: {row['prompt'][:60]!r}"
        # With the default catalog every route's engine is available: a fallback would mean a
        # flag asked for something the routed engine cannot do.
        assert not d.fallback_used, where
        assert d.requires_confirmation == (d.selected_engine == "human_confirm"), where
        for engine, flag in FLAG_OF_ENGINE.items():
            if d.selected_engine == engine:
                assert getattr(d, flag), f"{where}: {flag} unset"
        if d.selected_engine in TOOL_ENGINES:
            assert d.requires_tools, where
        if d.requires_image_generation and "image" not in (row.get("attachments") or []):
            # (an attached image always sets requires_vision: the engine must read it)
            assert not d.requires_vision, where


def test_scores_carry_reasons(router):
    d = router.route("Design a distributed rate limiter and analyze the tradeoffs of each approach")
    assert d.selected_engine == "reasoning_local"
    assert d.complexity_score >= 55
    assert "multi-step planning, design or proof" in d.reasons
    risky = router.route("drop the production database")
    assert risky.risk_score >= 70
    assert "destructive or irreversible action" in risky.reasons
    assert risky.fired_rules[0].rule == "destructive"
    assert risky.fired_rules[0].loc.startswith("safety.rules:")


def test_simple_transforms_score_low_and_ambiguity_lowers_confidence(router):
    simple = router.route("rewrite this sentence so it is shorter")
    assert simple.selected_engine == "fast_local"
    assert simple.complexity_score <= 30
    vague = router.route("fix this")
    assert vague.confidence_score < simple.confidence_score


def test_receipts_never_hold_the_prompt(router, extra_rows):
    for row in extra_rows[::7]:
        prompt, hints = request_of(row)
        text = json.dumps(router.route(prompt, hints).to_dict(), ensure_ascii=False)
        if len(row["prompt"]) >= 12:
            assert row["prompt"] not in text, row["id"]
