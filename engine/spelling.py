"""The spelling view: misspelt rule words read as the words they slipped from.

``words(...; typos)`` makes a list match the one-slip misspellings of its words ("delte",
"databse"). The compiler (``compiler/expand.py``) lists them in the artifact as
``Artifact.spellings``, a misspelling -> word table; they are not added to the list's patterns.
Before a normalised text is scanned, ``Speller.correct`` writes each whole word that is in the
table as its word, so every list, phrase, proximity test and regex that knows the word reads the
misspelling as the word, and the patterns stay as small as the lists people wrote. (Added to the
patterns, fifty misspellings a word made the long-text RE2 set outgrow its memory budget once
object lists had them too.)

A misspelling is never a word of any list nor a common English word (the compiler leaves those
out), so text the rules would read anyway is never changed.

Cost: a text with none costs one ``isdisjoint`` over its words, which the token scan splits
anyway (under 1 us for a prompt); a text with one is corrected and split again.
"""

from __future__ import annotations

from collections.abc import Iterable

from hrouter.engine.token_scan import NON_WORD


class Speller:
    def __init__(self, spellings: Iterable[tuple[str, str]]) -> None:
        self.table = dict(spellings)
        self._isdisjoint = frozenset(self.table).isdisjoint

    def __bool__(self) -> bool:
        return bool(self.table)

    def found(self, words: Iterable[str]) -> bool:
        """Whether any of these words is a misspelling in the table."""
        return not self._isdisjoint(words)

    def pieces(self, text: str) -> list[str]:
        """The words of a text for ``found`` where the token scan does not split it (a long
        text): the same word boundaries as ``correct``, found by one ``str.translate`` (50 us
        for 6 KB, a third of splitting on spaces and stripping punctuation)."""
        return text.translate(_SPACES).split()

    def correct(self, text: str) -> str:
        """``text`` with every whole word the table lists written as its word."""
        table = self.table
        out: list[str] = []
        start, word = 0, -1
        n = len(text)
        for i in range(n + 1):
            inside = i < n and text[i] not in NON_WORD
            if inside:
                if word < 0:
                    word = i
                continue
            if word >= 0 and i > word:
                fix = table.get(text[word:i])
                if fix is not None:
                    out.append(text[start:word])
                    out.append(fix)
                    start = i
            word = -1
        if not out:
            return text
        out.append(text[start:])
        return "".join(out)


_SPACES = str.maketrans(dict.fromkeys(NON_WORD, " "))
