"""The scan (the token scan for word-based patterns, literal-first RE2 for the rest) must
report exactly the patterns one RE2 set over every pattern reports, for every text; and the
RE2 part must verify only the patterns a text's literals allow."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.compiler.compile import build
from hrouter.engine.automaton import Automaton, at_least_words
from hrouter.engine.literal_scan import LiteralScan
from hrouter.engine.normalize import normalize

ROOT = Path(__file__).resolve().parents[2]
#: the calibration corpus beside the checkout (../shared/corpus/), where the team keeps it; a
#: clean clone (CI) may not have it, so the test that reads it says so instead of passing quietly
DEV_CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
#: in the repository: every test that scans a corpus relies on this one
EXTRA_CORPUS = ROOT / "tests" / "data" / "corpus_extra.jsonl"


def compiled(path):
    artifact, diags, _ = build(path)
    assert artifact is not None, diags
    return artifact


class OneSet:
    """The reference: every pattern and internal word-count pattern in one RE2 set, over the
    text as the spelling view writes it (misspellings of `typos` words as their words)."""

    def __init__(self, automaton: Automaton):
        self.correct = automaton._speller.correct
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
        return sorted(self.match(self.correct(normalize(text)).encode("utf-8")) or [])


def scan(automaton: Automaton, text: str) -> list[int]:
    return sorted(automaton._match(normalize(text)))


@pytest.fixture(scope="module")
def default():
    automaton = Automaton(compiled(ROOT / "rules"))
    return automaton, OneSet(automaton)


def test_default_rules_patterns_all_have_literals(default):
    automaton, _ = default
    assert isinstance(automaton._set, LiteralScan)
    # The patterns RE2 reads (those without a token form) all have literals to prefilter on.
    assert all(p.literals for p in automaton.patterns if p.tokens is None)
    assert automaton._set.literal_count > 500


def _corpus_texts(path=EXTRA_CORPUS):
    if not path.is_file():
        if path == DEV_CORPUS:
            pytest.skip(f"the calibration corpus is not beside this checkout ({path}): this corpus is not checked")
        raise AssertionError(f"{path} is missing: the tests rely on it")
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts.append(row["prompt"])
            for turn in row.get("context") or []:
                content = turn.get("content") or ""  # an assistant turn may carry only tool_calls
                parts = [content] if isinstance(content, str) else [p.get("text", "") for p in content]
                texts.extend(t for t in parts if t)
    return texts


@pytest.mark.parametrize("corpus, at_least", [(EXTRA_CORPUS, 1000), (DEV_CORPUS, 150)], ids=["corpus_extra", "shared_dev"])
def test_same_patterns_as_one_set_on_each_corpus(default, corpus, at_least):
    automaton, one_set = default
    texts = _corpus_texts(corpus)
    assert len(texts) > at_least
    before = automaton._set.candidates
    for text in texts:
        expected = one_set(text)
        assert scan(automaton, text) == expected, text[:80]
        assert scan(automaton, text) == expected, text[:80]  # again, from the memo
    verified = automaton._set.candidates - before
    # Literals rule out most patterns: far fewer verifications than texts times patterns.
    assert 0 < verified < len(texts) * len(automaton.patterns) / 4


def test_long_texts_use_one_set_with_the_same_answer(default):
    automaton, one_set = default
    text = "please drop the old users table and then email the finance team the report. " * 40
    assert len(text) > 2048
    assert scan(automaton, text) == one_set(text)
    assert normalize(text) not in automaton._memo  # a long text is not remembered


def test_a_failed_literal_pass_fails_closed(monkeypatch):
    """RE2 reports a set out of memory as no match: then no word is found either, the key reads
    as an empty prompt, and the safety rules refuse it."""
    from hrouter.engine import literal_scan
    from hrouter.engine.artifact import Pattern

    class OutOfMemory:
        def Match(self, data):
            return None

    monkeypatch.setattr(literal_scan, "compile_set", lambda *a, **k: OutOfMemory())
    patterns = (Pattern(r"(?i)\bdrop\b", "verb", None, (("drop",),)),)
    scanner = LiteralScan(patterns, [at_least_words(1)], 1 << 20)
    assert scanner.Match(b"please drop the production database") == []
    # Through the whole decider: the word counts come from Python, but emptiness from the set.
    from engine_fixtures import make_artifact

    from hrouter.engine.decision import Decider

    outcome = Decider.from_artifact(make_artifact()).decide("please drop the production database")
    assert "empty_prompt" in outcome.features and outcome.target == "confirmation"


def _rule_words(automaton: Automaton) -> list[str]:
    words = set()
    for p in automaton.patterns:
        if len(p.literals) == 2:
            for clause in p.literals:
                words.update(w for s in clause for w in re.findall(r"[^\W\d_]{2,}", s))
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


def test_small_rule_set(tmp_path):
    rules = tmp_path / "main.rules"
    rules.write_text(
        "targets simple, confirmation\n"
        'feature verb = words(drop, delete, "rm -rf", purg*)\n'
        "feature thing = words(table, database, c++)\n"
        "feature drop_thing = near(verb, thing, 3)\n"
        "feature drop_then = then(words(wipe), words(disk), 2)\n"
        "feature drop_other = next_not(verb, [the, my])\n"
        'feature anything = regex("[a-z]+ing")\n'
        "safety empty: empty_prompt -> confirmation \"empty\"\n"
        'route r1: drop_thing or drop_then or drop_other or anything -> simple "x"\n'
        'default -> simple "d"\n'
    )
    artifact = compiled(rules)
    by_feature = {p.feature: p for p in artifact.patterns}
    # Word-based patterns are read by the token scan; only the regex needs RE2's prefilter.
    for name in ("verb", "thing", "drop_thing", "drop_then", "drop_other"):
        assert by_feature[name].tokens is not None and by_feature[name].literals == ()
    assert by_feature["anything"].tokens is None
    assert by_feature["anything"].literals == (("ing",),)
    automaton = Automaton(artifact)
    one_set = OneSet(automaton)
    names = lambda ids: {automaton.patterns[i].feature for i in ids if i < len(automaton.patterns)}  # noqa: E731
    cases = {
        "please drop the old table": {"verb", "thing", "drop_thing"},
        "please drop the big old table": {"verb", "thing"},
        "drop it and then, much later on in the day, the table": {"verb", "thing", "drop_other"},
        "wipe the disk": {"drop_then"},
        "disk wipe": set(),
        "purging c++ now": {"verb", "thing", "drop_thing", "drop_other", "anything"},
        "table, no verb": {"thing"},
        "": set(),
    }
    for text, expected in cases.items():
        got = scan(automaton, text)
        assert got == one_set(text), text
        assert names(got) == expected, text


def test_a_pattern_without_literals_is_a_member_of_the_literal_set(tmp_path):
    rules = tmp_path / "main.rules"
    rules.write_text(
        "targets simple, confirmation\nfeature verb = words(drop)\nfeature shout = regex(\"[A-Z]{5}\")\n"
        'safety empty: empty_prompt -> confirmation "empty"\nroute r1: verb or shout -> simple "x"\n'
        'default -> simple "d"\n'
    )
    artifact = compiled(rules)
    assert [p.literals for p in artifact.patterns] == [(), ()]  # "drop" has a token form instead
    assert artifact.patterns[0].tokens is not None and artifact.patterns[1].tokens is None
    automaton = Automaton(artifact)
    before = automaton._set.candidates
    assert scan(automaton, "drop it") == [0, 2]
    assert sorted(automaton._set.Match(b"HELLO")) == [0, 1]  # the regex (index 0 of the RE2 part) found by the set itself
    # "drop" is a word list, which the token scan reads: no pattern needed its own RE2.
    assert automaton._set.candidates - before == 0


def test_casefold_containment_finds_what_re2_ignoring_case_finds():
    """The Python lookup used before the literal set exists is sound only if RE2's `(?i)` never
    equates two characters whose casefold() differs. Checked for every code point against
    every character that has a case."""
    import sys

    cased = [
        chr(c) for c in range(sys.maxunicode + 1)
        if not 0xD800 <= c <= 0xDFFF and (chr(c).lower() != chr(c) or chr(c).upper() != chr(c) or chr(c).casefold() != chr(c))
    ]
    options = re2.Options()
    options.never_capture = True
    folds = re2.Set.SearchSet(options)
    for c in cased:
        folds.Add("(?i)\\x{%X}" % ord(c))
    folds.Compile()
    match = folds._set.Match
    wrong = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        d = chr(cp)
        wrong.extend((cased[j], d) for j in match(d.encode()) or () if cased[j].casefold() != d.casefold())
    assert len(cased) > 2000 and wrong == []
