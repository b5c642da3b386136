"""Misspellings for `words(...; typos)`: the one-key slips people actually type.

For a plain lower-case a-z word of `MIN_LENGTH` letters or more, the variants at edit distance
one of four kinds: a letter left out (`delte`), two neighbouring letters swapped (`dleete`), a
letter doubled (`deletee`), a letter replaced by a key that touches it on a QWERTY keyboard
(`deleye`). Insertions of arbitrary letters are not generated: they are rarer than these and
would multiply the list.

A variant that is itself a word would make the list match text that never meant the word
(remove -> remote, cancel -> cancer, purge -> purse), so `expand.py` drops a variant that is
listed in any word list of the rule set or in `common_words.txt`, a hand-written list of
common English words (with no system dictionary to consult, it concentrates on the words one
slip away from risky verbs). Shorter words are left alone: one slip from a four-letter word is
usually another word (drop -> drip, crop, drops).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from hrouter.compiler.inflect import verb_forms

MIN_LENGTH = 5
_PLAIN = re.compile(r"[a-z]+")

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    """Keys that touch on a staggered QWERTY layout: left and right on the row, and the two
    keys above and below (each row sits half a key to the right of the one above)."""
    out: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for i, key in enumerate(row):
            near = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            if r > 0:
                near += [_ROWS[r - 1][j] for j in (i, i + 1) if j < len(_ROWS[r - 1])]
            if r < len(_ROWS) - 1:
                near += [_ROWS[r + 1][j] for j in (i - 1, i) if 0 <= j < len(_ROWS[r + 1])]
            out[key] = "".join(sorted(near))
    return out


#: The keys touching each letter key.
NEIGHBOURS = _neighbours()


@functools.lru_cache(maxsize=1 << 16)
def typo_candidates(word: str) -> frozenset[str]:
    """Every one-slip variant of `word` (before removing real words); empty for a word that is
    not plain a-z or shorter than `MIN_LENGTH`."""
    if len(word) < MIN_LENGTH or _PLAIN.fullmatch(word) is None:
        return frozenset()
    out: set[str] = set()
    for i, ch in enumerate(word):
        head, tail = word[:i], word[i + 1 :]
        out.add(head + tail)  # left out
        out.add(head + ch + ch + tail)  # doubled
        out.update(head + k + tail for k in NEIGHBOURS[ch])  # a neighbouring key
        if tail:
            out.add(head + tail[0] + ch + tail[1:])  # swapped with the next letter
    out.discard(word)
    return frozenset(out)


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The words of `common_words.txt` (any number a line; `#` starts a comment) and their
    inflected forms (`inflect.verb_forms`: the -s form doubles as a noun's plural), so the
    file lists "order", not "orders", "ordered", "ordering"."""
    text = Path(__file__).with_name("common_words.txt").read_text(encoding="utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        words.update(line.split("#", 1)[0].lower().split())
    for w in list(words):
        words.update(verb_forms(w))
    return frozenset(words)


def typos(word: str, known: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...]:
    """The variants of `word` that are neither common words nor in `known`, sorted."""
    common = common_words()
    return tuple(sorted(v for v in typo_candidates(word) if v not in common and v not in known))
