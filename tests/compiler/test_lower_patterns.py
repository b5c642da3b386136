"""The RE2 lowering, tested on real strings: words, phrases, prefixes, near/then, next_not."""

from __future__ import annotations

import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.compiler import ast
from hrouter.engine.normalize import normalize
from hrouter.compiler.lower_patterns import complement_regex, lower_lexical, near_regex, next_not_regex

P = ast.Pos("t.rules", 1, 1)


def W(*items: str) -> ast.Words:
    return ast.Words(tuple(ast.Word(i.rstrip("*"), i.endswith("*"), P) for i in items), P)


def matcher(body):
    """The lowered pattern, run as the engine runs it: on normalised (lower-cased) text."""
    (regex,) = lower_lexical(body, resolve_words=None)
    compiled = re2.compile(regex)
    return lambda text: compiled.search(normalize(text)) is not None


def test_words_are_whole_words_in_any_script():
    m = matcher(W("delete", "drop", "удалить", "削除"))
    assert m("please delete the file")
    assert m("DROP it")
    assert m("drop.")
    assert m("(delete)")
    assert not m("undeleted files")
    assert not m("dropbox")
    assert not m("droplet_count")
    assert m("надо удалить базу")
    assert not m("удалитьвсё")
    assert m("ファイルを 削除 して")
    assert not m("")


def test_non_ascii_boundaries_are_letters_not_ascii():
    m = matcher(W("café"))
    assert m("un café noir")
    assert not m("cafés")  # 's' follows: not a whole word
    assert not m("écafé")
    m2 = matcher(W("naïve"))
    assert m2("a NAÏVE approach")


def test_prefix_matches_any_word_starting_with_it():
    m = matcher(W("delet*", "purg*"))
    for text in ("delete", "deleted files", "Deleting now", "purge", "purging the cache", "delet"):
        assert m(text), text
    assert not m("undelete")
    assert not m("spurge")


def test_phrases_allow_runs_of_space_and_hyphens():
    m = matcher(W("go ahead", "rm -rf", "prod db"))
    assert m("ok, go   ahead")
    assert m("go\nahead")
    assert m("run rm -rf /")
    assert m("the prod-db is slow")
    assert not m("goahead")
    assert not m("ago ahead")


def test_punctuation_edges_need_no_boundary():
    m = matcher(W("c++", ".env"))
    assert m("I write C++ daily")
    assert m("cat .env")
    assert m("cat app/.env please")
    assert not m("abc++")  # 'c++' preceded by a letter is not the word c++


def test_near_either_order_within_distance():
    m = matcher(ast.Near(W("drop", "delete"), W("database", "table"), 3, P))
    assert m("drop the database")
    assert m("drop the old database")  # two words between: within 3
    assert not m("drop the old prod database")  # three words between
    assert m("the database, drop it")
    assert m("database drop")
    assert not m("dropdatabase")
    assert not m("drop")


def test_near_distance_one_means_adjacent():
    m = matcher(ast.Near(W("drop"), W("table"), 1, P))
    assert m("drop table users")
    assert m("table drop")
    assert not m("drop the table")


def test_then_is_ordered():
    m = matcher(ast.Near(W("search"), W("web", "internet"), 3, P, ordered=True))
    assert m("search the web")
    assert m("Search on the internet for x")
    assert not m("the web search")


def test_near_with_prefix_and_phrase_operands():
    m = matcher(ast.Near(W("delet*"), W("prod db"), 2, P))
    assert m("deleting the prod db")
    assert m("prod db deleted")
    assert not m("prod dbx deleted")


def test_next_not():
    m = matcher(ast.NextNot(W("delete", "remove"), (ast.Word("the", False, P), ast.Word("a", False, P), ast.Word("my", False, P)), P))
    assert m("delete everything")
    assert m("remove them")  # 'them' starts like 'the' but is another word
    assert m("delete th")  # a proper prefix of a listed word
    assert m("delete thee")
    assert m("delete mystuff")
    assert not m("delete the file")
    assert not m("delete my files")
    assert not m("delete a file")
    assert not m("delete")  # nothing follows
    assert not m("undelete everything")
    assert m("DELETE EVERYTHING")
    assert not m("DELETE THE FILE")
    assert m("delete всё")


def test_next_not_with_excluded_prefix():
    m = matcher(ast.NextNot(W("send"), (ast.Word("draft", True, P),), P))
    assert not m("send drafts")
    assert not m("send draft")
    assert m("send dra")
    assert m("send money")


_ALPHABET = "abtheé_1ж"
word = st.text(alphabet=_ALPHABET, min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(listed=st.lists(word, min_size=1, max_size=6), candidate=word)
def test_complement_matches_exactly_the_unlisted_words(listed, candidate):
    regex = re2.compile("(?i)^" + complement_regex([ast.Word(w, False, P) for w in listed]))
    assert (regex.search(candidate) is not None) == (candidate.lower() not in {w.lower() for w in listed})


@settings(max_examples=100, deadline=None)
@given(listed=st.lists(word, min_size=1, max_size=4), prefixes=st.lists(word, min_size=1, max_size=3), candidate=word)
def test_complement_with_prefixes(listed, prefixes, candidate):
    words = [ast.Word(w, False, P) for w in listed] + [ast.Word(p, True, P) for p in prefixes]
    regex = re2.compile("(?i)^" + complement_regex(words))
    c = candidate.lower()
    excluded = c in {w.lower() for w in listed} or any(c.startswith(p.lower()) for p in prefixes)
    assert (regex.search(candidate) is not None) == (not excluded)


@settings(max_examples=100, deadline=None)
@given(listed=st.lists(word, min_size=1, max_size=5), candidate=word, before=st.sampled_from(["", "x ", "ok. "]))
def test_next_not_in_a_sentence(listed, candidate, before):
    regex = re2.compile(next_not_regex(W("delete"), [ast.Word(w, False, P) for w in listed]))
    text = f"{before}delete {candidate} now"
    assert (regex.search(text) is not None) == (candidate.lower() not in {w.lower() for w in listed})


def test_near_regex_rejects_bad_distance():
    import pytest

    from hrouter.compiler.lower_patterns import LoweringError

    with pytest.raises(LoweringError):
        near_regex(W("a"), W("b"), 0, ordered=False)


def test_near_counts_intervening_words_by_spaces_and_ascii_punctuation():
    m3 = matcher(ast.Near(W("drop"), W("table"), 3, P))
    m4 = matcher(ast.Near(W("drop"), W("table"), 4, P))
    assert m3("drop the,table")  # a comma ends a word just as a space does
    assert m3("drop the (users) table")
    assert m3("drop the old-style table")  # white space separates words: old-style is one
    assert not m3("drop the old big prod table")
    assert m4("drop the old big table")
    assert m3("drop the naïve table")
    assert m3("drop “the” table")


def test_underscore_does_not_end_an_intervening_word():
    # found by the property test: "1_b" is one word, so b is not a word of its own
    assert not matcher(ast.Near(W("1"), W("b"), 2, P))("1 1_b")
    assert matcher(ast.Near(W("1"), W("b"), 2, P))("1 1, b")


def test_words_are_normalised_like_prompts():
    # a decomposed é (e + combining accent) and full-width letters in the rules still match the
    # NFKC-normalised prompt text the engine scans
    m = matcher(W("cafe\u0301", "ｒｍ"))
    assert m("un café noir")
    assert m("run rm now")
    n = matcher(ast.NextNot(W("send"), (ast.Word("cafe\u0301", False, P),), P))
    assert not n("send café")
    assert n("send tea")


def test_punctuation_class_is_narrowed_exactly_for_normalised_text():
    import sys

    from hrouter.compiler.lower_patterns import narrow_punctuation

    assert narrow_punctuation(r"\\pP [x]") == r"\\pP [x]"  # an escaped backslash, not a class
    wide, narrow = re2.compile(r"[\s\pP]"), re2.compile(narrow_punctuation(r"[\s\pP]"))
    assert narrow_punctuation(r"[[:alpha:]\pP]").startswith("[[:alpha:]!")
    differ = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        text = normalize(chr(cp))
        if (wide.search(text) is None) != (narrow.search(text) is None):
            differ.append(hex(cp))
    assert differ == []
