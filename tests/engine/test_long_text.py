"""Long varied texts are scanned through a FilteredRE2: same answer as the set, every time."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.engine import automaton as automaton_module
from hrouter.engine.automaton import Automaton
from hrouter.engine.router import load_artifact_for

from engine_fixtures import make_artifact


@pytest.fixture(scope="module")
def automata(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HROUTER_CACHE_DIR", str(tmp_path_factory.mktemp("long-cache")))
        default = load_artifact_for(None)
    return {"fixture": Automaton(make_artifact()), "default": Automaton(default)}


def vocabulary(automaton):
    words = set()
    for pattern in automaton.patterns:
        words.update(w for w in re.findall(r"[a-z]{3,}", pattern.regex.lower()) if w not in ("pln", "x"))
    return sorted(words)[:400] + ["DROP", "Delete", "ｄｒｏｐ", "dеlеtе", "é", "rm -rf", "\n", "...", "!!"]


@pytest.mark.parametrize("name", ["fixture", "default"])
def test_filter_and_set_agree_on_long_varied_text(automata, name):
    automaton = automata[name]
    vocab = vocabulary(automaton)

    @settings(max_examples=15, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(vocab), st.integers(0, 999), st.sampled_from([" ", ", ", ". ", "\n", " the "])),
                    min_size=300, max_size=600))
    def check(parts):
        text = "".join(f"{w}{'' if n % 3 else n}{sep}" for w, n, sep in parts)
        while len(text.encode("utf-8")) <= automaton_module.LONG_TEXT:  # short words: 300 can fall short
            text += text
        text = automaton._speller.correct(text)  # the spelling view runs before any scan
        data = text.encode("utf-8")
        assert len(data) > automaton_module.LONG_TEXT
        expected = sorted(automaton._whole_set().Match(data) or [])
        assert sorted(automaton.long_match(data, text)) == expected
        assert sorted(automaton.message_key(text)[:-2]) == expected  # then the length and word buckets

    check()
    assert automaton._filter is not None  # the varied texts took the filter path


def test_repetitive_long_text_stays_on_the_set(automata):
    automaton = Automaton(make_artifact())
    text = "delete the screenshot of the chart " * 2000
    assert sorted(automaton.long_match(text.encode(), text)) == sorted(automaton._whole_set().Match(text.encode()))
    assert automaton._filter is None
