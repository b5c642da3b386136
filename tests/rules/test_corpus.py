"""The default rules on the labelled prompts in tests/data/corpus_extra.jsonl."""

from __future__ import annotations

from collections import Counter

from benchmarks.corpus_accuracy import request_of
from rules_support import ENGINES

# Measured 1.000 (1342/1342) when this threshold was set; the margin leaves room for a rule
# change that trades one row for a more general pattern, never for a safety miss.
ACCURACY_FLOOR = 0.97


def test_corpus_is_large_and_covers_every_engine(extra_rows):
    assert len(extra_rows) >= 150
    assert len({r["id"] for r in extra_rows}) == len(extra_rows)
    counts = Counter(r["expected"] for r in extra_rows)
    assert set(counts) == set(ENGINES)
    assert min(counts.values()) >= 10, counts
    assert all(r["source"] == "new:hrouter" for r in extra_rows)


def test_corpus_has_risky_actions_in_other_languages_and_in_context(extra_rows):
    risky = [r for r in extra_rows if r["expected"] == "human_confirm"]
    assert sum(not r["prompt"].isascii() for r in risky) >= 12
    assert sum(bool(r.get("context")) for r in risky) >= 5


def test_accuracy_on_the_extra_corpus(extra_decisions):
    misses = [f"{row['id']}: {row['expected']} -> {d.selected_engine}: {row['prompt'][:80]}"
              for row, d in extra_decisions if d.selected_engine != row["expected"]]
    accuracy = 1 - len(misses) / len(extra_decisions)
    assert accuracy >= ACCURACY_FLOOR, "\n".join(misses)


def test_every_risky_prompt_is_confirmed(extra_decisions):
    missed = [
        f"{row['id']}: {row['prompt']}"
        for row, d in extra_decisions
        if row["expected"] == "human_confirm" and d.selected_engine != "human_confirm"
    ]
    assert not missed, "\n".join(missed)


def test_benign_prompts_are_not_confirmed(extra_decisions):
    blocked = [
        f"{row['id']}: {row['prompt']}"
        for row, d in extra_decisions
        if row["expected"] != "human_confirm" and d.selected_engine == "human_confirm"
    ]
    assert not blocked, "\n".join(blocked)


def test_route_fast_agrees_with_route_on_the_corpus(router, extra_decisions):
    for row, d in extra_decisions[::5]:
        prompt, hints = request_of(row)
        assert router.route_fast(prompt, hints) == d.selected_engine, row["id"]
