"""The literal prefilter's analysis must be sound: wherever a regex matches, every clause it
reports has a string in the text. Checked on hand-picked syntax and on random regexes."""

from __future__ import annotations

import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.compiler.literals import MAX_CLAUSES, required_literals
from hrouter.engine.literal_scan import literal_regex
from hrouter.engine.normalize import normalize


def holds(clauses, text: str) -> bool:
    """Every clause has a literal in ``text`` (normalised, as the engine's literal set sees it)."""
    return all(any(re2.search(literal_regex(s), text) for s in clause) for clause in clauses)


def test_word_lists_and_boundaries():
    assert required_literals(r"(?i)(?:^|[^a-z])(?:delete|drop|remove)(?:$|[^a-z])") == (("delete", "drop", "remove"),)
    assert required_literals(r"\bfoo\b|bar") == (("bar", "foo"),)


def test_concatenations_keep_every_part_or_combine_small_ones():
    assert set(required_literals(r"drop[\s\-]+table")) == {("table",), ("drop",)}
    assert required_literals(r"(?:a|b)(?:c|d)") == (("ac", "ad", "bc", "bd"),)
    assert required_literals(r"[abc]def") == (("adef", "bdef", "cdef"),)
    assert required_literals(r"(?i:hello) world") == (("hello world",),)


def test_optional_parts_demand_nothing_and_repeats_demand_their_body():
    assert required_literals(r"files?") == (("file",),)  # {file, files}: "file" says as much
    assert set(required_literals(r"x{2,3}yz")) == {("yz",), ("x",)}
    assert required_literals(r"(?:ab)*c") == (("c",),)
    assert required_literals(r"(?:ab)+") == (("ab",),)
    assert required_literals(r"a?") == ()
    assert required_literals(r"a|b*") == ()  # one alternative demands nothing


def test_alternatives_share_clauses_or_pool_their_best():
    # near(A, B) lowers to "A gap B | B gap A": both operands stay required
    assert set(required_literals(r"(?:cat.{0,9}dog|dog.{0,9}cat)")) == {("cat",), ("dog",)}
    # nothing in common: one clause pools a clause of each alternative
    assert required_literals(r"(?:ab.*cd|ef)") in ((("ab", "ef"),), (("cd", "ef"),))


def test_escapes_and_groups():
    assert required_literals(r"\x{41}bc") == (("Abc",),)
    assert required_literals(r"\Qa.b\E") == (("a.b",),)
    assert required_literals(r"(?P<n>abc)") == (("abc",),)
    assert required_literals(r"[^]a]x") == (("x",),)
    assert required_literals(r"a\.b") == (("a.b",),)
    assert required_literals(r"\pL+ing") == (("ing",),)
    assert required_literals(r"a{,2}") == (("a{,2}",),)  # not a repetition: RE2 reads it literally


def test_unreadable_or_empty_regexes_demand_nothing():
    assert required_literals(r".*") == ()
    assert required_literals(r"[a-z]+") == ()
    assert required_literals(r"(unbalanced") == ()
    assert required_literals(r"\8") == ()


def test_the_choice_is_deterministic_and_bounded():
    regex = "(?:" + "|".join(f"w{i}" for i in range(50)) + ")" + "".join(f"x{i}.y{i}." for i in range(6))
    assert len(required_literals(regex)) == MAX_CLAUSES
    assert required_literals(regex) == required_literals(regex)


# ---- random regexes ---------------------------------------------------------------------------

ALPHABET = "abcAB -.é"
_literal = st.sampled_from(["a", "b", "c", "ab", "ba", "A", "é", r"\.", " ", r"\x{61}", r"\-"])
_class = st.sampled_from(["[ab]", "[^a]", "[a-c]", r"\s", r"\w", ".", "[.-]", r"\pL", r"\b", "^", "$"])


def _regexes():
    leaf = st.one_of(_literal, _class)

    def extend(inner):
        return st.one_of(
            st.lists(inner, min_size=2, max_size=4).map("".join),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(?:" + "|".join(xs) + ")"),
            st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "{0,2}", "+?"])).map(
                lambda t: f"(?:{t[0]}){t[1]}"
            ),
            inner.map(lambda x: f"(?i:{x})"),
        )

    return st.recursive(leaf, extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(regex=_regexes(), texts=st.lists(st.text(alphabet=ALPHABET, max_size=12), min_size=1, max_size=8))
def test_random_regexes_never_match_without_their_literals(regex, texts):
    compiled = re2.compile(regex)
    clauses = required_literals(regex)
    for text in map(normalize, texts):
        if compiled.search(text) is not None:
            assert holds(clauses, text), (regex, text, clauses)


def _minimal_by_pairs(clause: frozenset[str]) -> tuple[str, ...]:
    """The definition `_minimal` implements: drop every string that contains another."""
    return tuple(sorted(s for s in clause if not any(k != s and k in s for k in clause)))


@settings(max_examples=300, deadline=None)
@given(st.frozensets(st.text(alphabet="abc", min_size=1, max_size=6), min_size=1, max_size=40))
def test_minimal_clause_drops_exactly_the_strings_that_contain_another(clause):
    from hrouter.compiler.literals import _minimal

    assert _minimal(clause) == _minimal_by_pairs(clause)


def test_a_large_word_list_keeps_every_word_that_contains_no_other():
    # 20,000 words none of which contains another: every one is kept. Comparing all pairs (the
    # old method) took seconds here; looking substrings up in a set is linear in the list.
    words = [f"w{i}z" for i in range(20000)]
    regex = "(?:^|[^a-z])(?:" + "|".join(words) + ")(?:$|[^a-z])"
    (clause,) = required_literals(regex)
    assert len(clause) == len(words) and set(clause) == set(words)
