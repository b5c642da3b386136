"""Property tests: lowered patterns agree with a plain Python reading of the same text."""

from __future__ import annotations

import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.compiler import ast
from hrouter.compiler.lower_patterns import lower_lexical
from hrouter.compiler.wordchars import is_word_char

P = ast.Pos("t.rules", 1, 1)
LETTERS = "abeéжд_1"
SEPARATORS = [" ", "  ", ", ", ". ", "\n", "“", "” ", " — ", "!", "(", ") ", "、", "…"]

token = st.text(alphabet=LETTERS, min_size=1, max_size=4)


def tokens_of(text: str) -> list[str]:
    """The reference reading: maximal runs of word characters, lower-cased."""
    out, cur = [], ""
    for ch in text:
        if is_word_char(ch):
            cur += ch
        else:
            if cur:
                out.append(cur.lower())
            cur = ""
    if cur:
        out.append(cur.lower())
    return out


def text_from(parts: list[str], seps: list[str]) -> str:
    out = ""
    for i, part in enumerate(parts):
        out += part + (seps[i % len(seps)] if i < len(parts) - 1 else "")
    return out


def regex_for(body) -> re2._Regexp:
    (regex,) = lower_lexical(body, resolve_words=None)
    return re2.compile(regex)


def words(items):
    return ast.Words(tuple(ast.Word(w, False, P) for w in items), P)


@settings(max_examples=120, deadline=None)
@given(
    listed=st.lists(token, min_size=1, max_size=4),
    parts=st.lists(token, min_size=1, max_size=8),
    seps=st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=3),
    upper=st.booleans(),
)
def test_words_match_exactly_when_a_listed_word_is_in_the_text(listed, parts, seps, upper):
    text = text_from(parts, seps)
    if upper:
        text = text.upper()
    from hrouter.engine.normalize import normalize

    text = normalize(text)  # what the engine matches against
    found = regex_for(words(listed)).search(text) is not None
    assert found == any(w.lower() in tokens_of(text) for w in listed)


def spans_of(text: str) -> list[tuple[str, int, int]]:
    """Word tokens with their positions, by the exact word-character reading."""
    out, begin = [], None
    for i, ch in enumerate(text + " "):
        if i < len(text) and is_word_char(ch):
            begin = i if begin is None else begin
        elif begin is not None:
            out.append((text[begin:i].lower(), begin, i))
            begin = None
    return out


def words_between(text: str) -> int:
    """The documented count: white-space separated chunks that hold a word character."""
    return sum(1 for chunk in text.split() if any(is_word_char(c) for c in chunk))


@settings(max_examples=150, deadline=None)
@given(
    a=st.lists(token, min_size=1, max_size=2),
    b=st.lists(token, min_size=1, max_size=2),
    parts=st.lists(token, min_size=2, max_size=9),
    seps=st.lists(st.sampled_from(SEPARATORS + [",", "-", ";", "!"]), min_size=1, max_size=3),
    distance=st.integers(min_value=1, max_value=4),
    ordered=st.booleans(),
)
def test_near_and_then_agree_with_word_positions(a, b, parts, seps, distance, ordered):
    text = text_from(parts, seps)
    toks = spans_of(text)
    a_set, b_set = {w.lower() for w in a}, {w.lower() for w in b}
    expected = False
    for x, _, x_end in toks:
        for y, y_start, _ in toks:
            if y_start <= x_end:
                continue
            gap_words = words_between(text[x_end:y_start])
            if gap_words <= distance - 1:  # distance 1: nothing but separators between them
                if x in a_set and y in b_set:
                    expected = True
                if not ordered and x in b_set and y in a_set:
                    expected = True
    found = regex_for(ast.Near(words(a), words(b), distance, P, ordered=ordered)).search(text) is not None
    assert found == expected, (text, toks)


@settings(max_examples=300, deadline=None)
@given(
    a=st.lists(token, min_size=1, max_size=2),
    b=st.lists(token, min_size=1, max_size=2),
    parts=st.lists(token, min_size=1, max_size=9),
    seps=st.lists(st.sampled_from(SEPARATORS + [",", "-", ";", "_", "'"]), min_size=1, max_size=3),
    distance=st.integers(min_value=1, max_value=4),
    kind=st.sampled_from(["near", "then", "next_not"]),
    prefix=st.booleans(),
)
def test_literals_occur_wherever_their_pattern_matches(a, b, parts, seps, distance, kind, prefix):
    from hrouter.compiler.literals import required_literals
    from hrouter.engine.literal_scan import literal_regex
    from hrouter.engine.normalize import normalize

    first = ast.Words(tuple(ast.Word(w, prefix and i == 0, P) for i, w in enumerate(a)), P)
    if kind == "next_not":
        body = ast.NextNot(first, tuple(ast.Word(w, False, P) for w in b if "_" not in w and w.isalnum()) or (ast.Word("zz", False, P),), P)
    else:
        body = ast.Near(first, words(b), distance, P, ordered=kind == "then")
    (regex,) = lower_lexical(body, resolve_words=None)
    clauses = required_literals(regex)
    assert 1 <= len(clauses) <= 2  # near/then demand both operands, next_not its first
    text = normalize(text_from(parts + a + b, seps))
    if regex_for(body).search(text) is not None:
        for clause in clauses:
            assert any(re2.search(literal_regex(s), text) for s in clause), (clause, text)
