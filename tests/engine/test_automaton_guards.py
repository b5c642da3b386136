"""Guarded patterns (proximity) are left out of the set and verified on their own: the scan must
report exactly the patterns one RE2 set over every pattern reports, for every text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import attrs
import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.compiler.compile import build
from hrouter.compiler.lower_patterns import lexical_guards
from hrouter.engine.automaton import Automaton, GuardedSet, at_least_words
from hrouter.engine.normalize import normalize

ROOT = Path(__file__).resolve().parents[2]
CORPORA = [Path("/work/shared/corpus/dev.jsonl"), ROOT / "tests" / "data" / "corpus_extra.jsonl"]


def guarded_artifact(path):
    """The compiled artifact with every pattern's guards filled from its feature's body."""
    artifact, diags, sym = build(path)
    assert artifact is not None, diags

    def words_of(ident):
        return sym.features[ident.name].body

    patterns = tuple(
        attrs.evolve(p, guards=lexical_guards(sym.features[p.feature].body, words_of)) for p in artifact.patterns
    )
    return attrs.evolve(artifact, patterns=patterns)


class OneSet:
    """The reference: every pattern and internal word-count pattern in one RE2 set."""

    def __init__(self, automaton: Automaton):
        options = re2.Options()
        options.max_mem = 256 << 20
        options.never_capture = True
        s = re2.Set.SearchSet(options)
        for p in automaton.patterns:
            s.Add(p.regex)
        for t in automaton._thresholds:
            s.Add(at_least_words(t))
        s.Compile()
        self.match = s._set.Match

    def __call__(self, text: str) -> list[int]:
        return sorted(self.match(normalize(text).encode("utf-8")) or [])


def scan(automaton: Automaton, text: str) -> list[int]:
    return sorted(automaton._set.Match(normalize(text).encode("utf-8")))


@pytest.fixture(scope="module")
def default():
    automaton = Automaton(guarded_artifact(ROOT / "rules"))
    return automaton, OneSet(automaton)


@pytest.fixture(scope="module")
def unguarded():
    """The default rules as compile.py writes them today: no guards, but scanned in parts."""
    artifact, _, _ = build(ROOT / "rules")
    automaton = Automaton(artifact)
    return automaton, OneSet(automaton)


def test_default_rules_have_guarded_patterns_outside_the_set(default):
    automaton, _ = default
    guarded = [p for p in automaton.patterns if p.guards]
    assert len(guarded) >= 20
    assert isinstance(automaton._set, GuardedSet)
    # Operands that are features of their own share that feature's member.
    plain = {p.regex for p in automaton.patterns if not p.guards}
    assert any(g in plain for p in guarded for g in p.guards)
    extra = automaton._set.members - automaton._set.first_guard
    assert 0 < extra < 2 * len(guarded)


def _corpus_texts():
    texts = []
    for path in CORPORA:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    texts.append(row["prompt"])
                    texts.extend(turn["content"] for turn in row.get("context") or [])
    return texts


def test_same_patterns_as_one_set_on_both_corpora(default, unguarded):
    texts = _corpus_texts()
    assert len(texts) > 1000
    for automaton, one_set in (default, unguarded):
        assert isinstance(automaton._set, GuardedSet) and len(automaton._set.parts) > 1
        verified = 0
        for text in texts:
            expected = one_set(text)
            assert scan(automaton, text) == expected, text[:80]
            assert scan(automaton, text) == expected, text[:80]  # again, from the memo
            verified += any(automaton.patterns[i].guards for i in expected if i < len(automaton.patterns))
        assert verified > 50 or automaton is unguarded[0]  # the corpora exercise the verification path


def test_long_texts_use_one_set_with_the_same_answer(default):
    automaton, one_set = default
    text = "please drop the old users table and then email the finance team the report. " * 40
    assert len(text) > 2048
    assert scan(automaton, text) == one_set(text)
    assert not automaton._set.memo.get(normalize(text).encode())


def test_a_failed_pattern_part_fails_closed(default):
    automaton, _ = default
    g = automaton._set
    parts = list(g.parts)
    parts[1] = (lambda data: [], parts[1][1])
    broken = GuardedSet(parts, g.guard_part, g.members, g.first_guard, g.checks, None)
    assert broken.Match(b"please drop the production database") == []


def _rule_words(automaton: Automaton) -> list[str]:
    words = set()
    for p in automaton.patterns:
        if p.guards:
            for g in p.guards:
                words.update(re.findall(r"[^\W\d_]{2,}", g.replace("\\", " ")))
    return sorted(words)


def test_same_patterns_as_one_set_on_word_soups(default):
    automaton, one_set = default
    vocab = _rule_words(automaton) + ["the", "all", "my", "it", "and", "not", "files", "—", "“", "”", "•", "😀"]
    seps = [" ", "  ", ", ", ". ", "\n", " - ", "-", "'", "!", " the ", " my ", "_", "/"]

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(vocab), st.sampled_from(seps), st.booleans()), min_size=1, max_size=14))
    def check(parts):
        text = "".join((w.upper() if up else w) + sep for w, sep, up in parts)
        assert scan(automaton, text) == one_set(text)

    check()


def test_small_rule_set_guards_and_sharing(tmp_path):
    rules = tmp_path / "main.rules"
    rules.write_text(
        "targets simple, confirmation\n"
        'feature verb = words(drop, delete, "rm -rf", purg*)\n'
        "feature thing = words(table, database, c++)\n"
        "feature drop_thing = near(verb, thing, 3)\n"
        "feature drop_then = then(words(wipe), words(disk), 2)\n"
        "feature drop_other = next_not(verb, [the, my])\n"
        "safety empty: empty_prompt -> confirmation \"empty\"\n"
        'route r1: drop_thing or drop_then or drop_other -> simple "x"\n'
        'default -> simple "d"\n'
    )
    artifact = guarded_artifact(rules)
    by_feature = {p.feature: p for p in artifact.patterns}
    assert by_feature["drop_thing"].guards == (by_feature["verb"].regex, by_feature["thing"].regex)
    assert len(by_feature["drop_then"].guards) == 2 and by_feature["drop_other"].guards == (by_feature["verb"].regex,)
    automaton = Automaton(artifact)
    one_set = OneSet(automaton)
    names = lambda ids: {automaton.patterns[i].feature for i in ids if i < len(automaton.patterns)}  # noqa: E731
    assert automaton._set.members - automaton._set.first_guard == 2  # wipe and disk; verb, thing shared
    cases = {
        "please drop the old table": {"verb", "thing", "drop_thing"},
        "please drop the big old table": {"verb", "thing"},
        "drop it and then, much later on in the day, the table": {"verb", "thing", "drop_other"},
        "wipe the disk": {"drop_then"},
        "disk wipe": set(),
        "purging c++ now": {"verb", "thing", "drop_thing", "drop_other"},
        "table, no verb": {"thing"},
        "": set(),
    }
    for text, expected in cases.items():
        got = scan(automaton, text)
        assert got == one_set(text), text
        assert names(got) == expected, text


def test_an_artifact_without_guards_uses_the_plain_set(tmp_path):
    rules = tmp_path / "main.rules"
    rules.write_text(
        "targets simple, confirmation\nfeature verb = words(drop)\n"
        'safety empty: empty_prompt -> confirmation "empty"\nroute r1: verb -> simple "x"\ndefault -> simple "d"\n'
    )
    artifact, _, _ = build(rules)
    automaton = Automaton(artifact)
    assert not isinstance(automaton._set, GuardedSet)
    assert sorted(automaton._set.Match(b"drop it")) == [0, 1]


def test_a_failed_guard_set_verifies_every_guarded_pattern(default):
    # RE2 reports a set that ran out of memory as "no match": the guard set's own canary is
    # then missing, and every guarded pattern is searched alone instead of being dropped.
    automaton, one_set = default
    g = automaton._set
    broken = GuardedSet(g.parts, (lambda data: [], g.guard_part[1]), g.members, g.first_guard, g.checks, None)
    for text in ["please drop the production database", "send the invoice to the client by email", "hello"]:
        data = normalize(text).encode()
        assert sorted(broken.Match(data)) == one_set(text), text


def test_repeated_texts_are_answered_from_the_memo(default):
    automaton, one_set = default
    text = "wipe the old prod database and email the team"
    first = automaton._set.Match(text.encode())
    first.append(-1)  # the router appends to the list it gets: the memo must not see that
    assert sorted(automaton._set.Match(text.encode())) == one_set(text)
    assert text.encode() in automaton._set.memo


def test_a_guarded_pattern_re2_rejects_fails_closed_when_first_needed(default):
    from hrouter.engine.catalog import Catalog
    from hrouter.engine.router import ModelRouter

    automaton, _ = default
    artifact = guarded_artifact(ROOT / "rules")
    index = next(i for i, p in enumerate(artifact.patterns) if p.guards)
    # A prompt in which that pattern's operands occur, so its own search must run.
    prompt = next(t for t in _corpus_texts() if index in scan(automaton, t))
    broken = artifact.patterns[index]
    patterns = list(artifact.patterns)
    patterns[index] = attrs.evolve(broken, regex="(unclosed")
    router = ModelRouter(Catalog.from_file(), attrs.evolve(artifact, patterns=tuple(patterns)))
    assert router.route_fast(prompt) == "human_confirm"
    assert router.route(prompt).selected_engine == "human_confirm"
