"""Every `expect` line of the default rules holds, and together they cover what must be shown."""

from __future__ import annotations

from collections import Counter

from hrouter.compiler.expect import run_expects

TARGETS = ("simple", "balanced", "reasoning", "coding", "research", "vision", "image_generation", "confirmation")


def test_every_expect_line_passes(artifact):
    results = run_expects(artifact)
    assert len(results) == len(artifact.expects) + len(artifact.call_expects)
    failures = ["\n".join((f"{r.expect.loc}:", *r.notes())) for r in results if not r.passed]
    assert not failures, "\n\n".join(failures)


def test_at_least_eighty_expects_across_all_targets(artifact):
    assert len(artifact.expects) >= 80
    positive = Counter(e.target for e in artifact.expects if not e.negated)
    for target in TARGETS:
        assert positive[target] >= 3, f"only {positive[target]} expect lines for {target}"


def test_expects_include_the_near_misses(artifact):
    negated = [e for e in artifact.expects if e.negated]
    with_image = [e for e in artifact.expects if "image" in e.attachments]
    in_context = [e for e in artifact.expects if e.context]
    # Benign mentions of risky words are pinned as "not confirmation".
    assert sum(e.target == "confirmation" for e in negated) >= 8
    # Vision versus generation, with and without an attachment.
    assert {e.target for e in with_image} >= {"vision", "image_generation"}
    # Approvals in context and image follow-ups.
    assert {e.target for e in in_context} >= {"confirmation", "vision"}
    # Coding work written from a risky verb ("write a script that deletes ...").
    assert any(e.target == "coding" and "delete" in e.prompt for e in artifact.expects)


def test_every_safety_rule_names_its_own_switch(artifact):
    safety = {r.id: r.override for r in artifact.rules if r.kind == "safety"}
    assert safety.pop("empty") is None  # an empty prompt can never be let through
    switches = set(safety.values())
    assert switches == {
        "allow_destructive_actions",
        "allow_send_actions",
        "allow_purchase_actions",
        "allow_high_impact_external_actions",
        "allow_ambiguous_high_impact",
    }
    assert all(r.target == "confirmation" for r in artifact.rules if r.kind == "safety")


def test_the_rules_are_split_by_concern(artifact):
    files = {s.path for s in artifact.sources}
    assert {"main.rules", "safety.rules", "intents.rules", "routes.rules", "scoring.rules"} <= files
    # Each concern keeps its own examples next to it.
    assert len({e.loc.file for e in artifact.expects}) >= 5
