import pytest

from hrouter.engine.automaton import Automaton
from hrouter.engine.artifact import Pattern
from hrouter.engine.decision import Decider
from hrouter.engine.table import BoundedTable

from engine_fixtures import loc, make_artifact


@pytest.fixture
def decider(artifact):
    return Decider.from_artifact(artifact)


def test_every_expect_of_the_fixture_holds(decider):
    for expect in decider.artifact.expects:
        ok, outcome = decider.check_expect(expect)
        assert ok, (expect.prompt, outcome.target)


def test_check_expect_reports_failures(decider):
    from hrouter.engine.artifact import Expect

    ok, outcome = decider.check_expect(Expect("rewrite this text", "coding", loc(1)))
    assert not ok and outcome.target == "simple"
    ok, _ = decider.check_expect(Expect("rewrite this text", "simple", loc(1), negated=True))
    assert not ok


@pytest.mark.parametrize(
    "prompt",
    ["ｄｒｏｐ the database", "de\u200blete all files", "DROP THE DATABASE", "dеlеtе the tаble", "wi\u00adpe the schema"],
)
def test_disguised_destructive_prompts_need_confirmation(decider, prompt):
    assert decider.decide(prompt).target == "confirmation"


def test_approval_after_a_risky_proposal_is_confirmation(decider):
    chat = [{"role": "assistant", "content": "I can wipe the staging database. Shall I?"}, {"role": "user", "content": "yes, do it"}]
    assert decider.decide(chat).target == "confirmation"
    assert decider.decide("yes, do it").target == "balanced"  # without the context it is harmless


def test_refused_request_does_not_taint_a_later_benign_one(decider):
    chat = [
        {"role": "user", "content": "drop the production database"},
        {"role": "assistant", "content": "That needs confirmation."},
        {"role": "user", "content": "ok, then rewrite this paragraph"},
    ]
    assert decider.decide(chat).target == "simple"


def test_follow_up_after_an_image_is_vision(decider):
    chat = [
        {"role": "user", "content": [{"type": "text", "text": "look at this chart"}, {"type": "image_url", "image_url": {"url": "x"}}]},
        {"role": "assistant", "content": "It shows growth."},
        {"role": "user", "content": "and the second one?"},
    ]
    assert decider.decide(chat).target == "vision"


def test_attachments_and_latency_are_request_bits(decider):
    assert decider.decide("what is this?", attachments=("image",)).target == "vision"
    assert "latency_sensitive" in decider.decide("hi there friend", latency_sensitive=True).features


def test_malformed_messages_fail_closed(decider):
    for bad in (None, 3, [{"role": "user", "content": 7}], [{"nope": 1}]):
        assert decider.decide(bad).target == "confirmation"


def test_outcomes_are_memoised_by_bits(decider):
    a = decider.decide("fix the repo and run tests")
    b = decider.decide("please refactor the repository")
    assert a.bits == b.bits and a is b
    assert len(decider.table) == 1


def test_explain_lists_patterns_with_locations(decider):
    ex = decider.explain("please drop the database")
    hits = {(h.feature, h.scope, h.loc) for h in ex.patterns}
    assert ("destructive_verb", "message", "features.rules:1") in hits
    assert ("db_object", "message", "features.rules:2") in hits
    assert ex.derived == ("destructive_action",)
    assert ("risk", "add", 80, "destructive action", "scoring.rules:60") in ex.terms


def test_explain_shows_overridden_safety_rules(artifact):
    d = Decider.from_artifact(artifact, {"allow_destructive_actions": True})
    ex = d.explain("drop the database")
    assert ex.overridden == (("destructive", "safety.rules:11"),)
    assert ex.outcome.target != "confirmation"


def test_second_pattern_of_a_feature_sets_the_same_atom(decider):
    assert "destructive_verb" in decider.decide("erase it").features


def test_numeric_atoms_at_their_boundaries(decider):
    assert "long_prompt" not in decider.decide("x" * 1999).features
    assert "long_prompt" in decider.decide("x" * 2000).features
    assert "huge_prompt" not in decider.decide("x" * 23996).features  # 5999 tokens
    assert "huge_prompt" in decider.decide("x" * 23997).features  # 6000 tokens
    assert "wordy" not in decider.decide("a " * 119).features
    assert "wordy" in decider.decide("a " * 120).features
    assert "tiny" in decider.decide("x" * 11).features and "tiny" not in decider.decide("x" * 12).features


def test_one_megabyte_prompt_still_matches_everything():
    d = Decider.from_artifact(make_artifact())
    big = ("please delete the screenshot of the database chart " * 21000)[: 1 << 20]
    out = d.decide(big)
    assert {"destructive_verb", "db_object", "image_words", "long_prompt", "huge_prompt"} <= set(out.features)
    assert out.target == "confirmation"


def test_bad_pattern_is_refused():
    """A pattern without literals is in the literal set, compiled with the automaton: refused
    at construction. One with literals is compiled when first a candidate, so a damaged artifact
    loads; warming it up (the proxy does at start and reload) names the pattern, and routing
    without warming fails closed."""
    from hrouter.engine.automaton import AutomatonError
    from hrouter.engine.literal_scan import ScanError

    with pytest.raises(AutomatonError, match="main.rules:77"):
        Automaton(make_artifact(extra_patterns=(Pattern("(?<=x)y", "rewrite", loc(77)),)))
    art = make_artifact(extra_patterns=(Pattern("(?<=x)y", "rewrite", loc(77), (("rewrite",),)),))
    automaton = Automaton(art)
    with pytest.raises(ScanError, match="main.rules:77"):
        automaton.warm()
    with pytest.raises(ScanError, match="main.rules:77"):
        Automaton(art).match("rewrite this")


def test_table_is_bounded():
    table = BoundedTable(3)
    for i in range(10):
        table.put(i, str(i))
        assert len(table) <= 3
    assert table.clears == 3 and table.get(9) == "9"
    d = Decider(make_artifact(), table_size=2)
    for p in ("rewrite it", "fix the repo", "draw a cat", "search the web"):
        d.decide(p)
        assert len(d.table) <= 2


@pytest.mark.parametrize("pad", [0, 5000, 100_000])
def test_word_counts_on_long_padded_text(decider, pad):
    spaces = " " * pad
    assert "wordy" not in decider.decide(spaces + "a " * 119 + spaces).features
    assert "wordy" in decider.decide(spaces + "a " * 120 + spaces).features
    assert "wordy" in decider.decide(spaces + "a " * 3000).features
    assert "empty_prompt" in decider.decide(spaces + "\n\t" + spaces).features
    assert "empty_prompt" not in decider.decide(spaces + "x" + spaces).features


def test_word_bits_match_a_naive_count():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    automaton = Automaton(make_artifact())
    wordy = automaton.bit["wordy"]

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.sampled_from(["a", " ", "\n", "bb", " " * 700, "c" * 900]), max_size=400).map("".join))
    def check(text):
        bits = automaton.atom_bits(automaton.message_bits(text))
        assert bool(bits & wordy) == (len(text.split()) >= 120)
        assert bool(bits & automaton.empty_bit) == (not text.split())

    check()


def test_large_word_thresholds_are_counted_too():
    import attrs

    from hrouter.engine.artifact import Atom

    art = make_artifact()
    huge = Atom("essay", "numeric", loc(24, "features.rules"), measure="words", op=">=", value=500)
    art = attrs.evolve(art, atoms=art.atoms + (huge,))
    d = Decider.from_artifact(art)
    assert "essay" not in d.decide("w " * 499).features
    assert {"essay", "wordy"} <= set(d.decide("w " * 500).features)
    assert "wordy" not in d.decide("w " * 119).features
    assert d.decide("   ").target == "confirmation"
