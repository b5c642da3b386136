"""The spelling view: whole misspelt words are written as their words, nothing else changes."""

from hypothesis import given
from hypothesis import strategies as st

from hrouter.engine.spelling import Speller
from hrouter.engine.token_scan import tokenize

SPELLER = Speller([("delte", "delete"), ("databse", "database"), ("pruge", "purge")])


def test_whole_words_are_corrected_wherever_they_stand():
    assert SPELLER.correct("pls delte the databse.") == "pls delete the database."
    assert SPELLER.correct("delte/pruge") == "delete/purge"
    assert SPELLER.correct("(delte)\ndatabse!") == "(delete)\ndatabase!"


def test_parts_of_words_and_other_cases_are_left_alone():
    for text in ("undelte", "deltes", "delte2", "Delte", "database", ""):
        assert SPELLER.correct(text) == text


def test_found_asks_only_whole_words():
    assert SPELLER.found(["please", "delte"]) and not SPELLER.found(["please", "delete"])
    assert SPELLER.found(SPELLER.pieces("drop the databse, now")) and not SPELLER.found(SPELLER.pieces("del te"))
    assert SPELLER.found(SPELLER.pieces("x delte/drop y")) and SPELLER.found(SPELLER.pieces("(databse)"))


def test_found_with_token_words_agrees_with_correct():
    for text in ("a delte b", "x-databse", "nothing here", "“pruge”"):
        words = tokenize(text)[0]
        assert SPELLER.found(words) == (SPELLER.correct(text) != text), text


def test_an_empty_table_is_false_and_changes_nothing():
    empty = Speller([])
    assert not empty and empty.correct("delte") == "delte"


@given(st.lists(st.sampled_from(["delte", "databse", "the", " ", ".", "x", "é", "\n", "delete"]), max_size=30).map("".join))
def test_correcting_twice_is_correcting_once(text):
    once = SPELLER.correct(text)
    assert SPELLER.correct(once) == once
    assert ("delte" in text.split()) <= ("delte" not in once.split())
