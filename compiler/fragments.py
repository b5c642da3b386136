"""`{name}` in regex strings: named fragments and word lists spliced into a pattern.

The rule that keeps this apart from RE2's own braces: outside a character class, and not in
an escape, `{` + a name (`[a-z_][a-z0-9_]*`, any case) + `}` is a reference. Everything else
is left to RE2: a repetition always starts with a digit or a comma (`{2}`, `{2,3}`, `{,3}`),
`\\p{Greek}` and `\\x{263a}` are escapes, `[{}]` is a class, `\\{` is a literal brace, and
`\\Q...\\E` is literal text. A reference to a name that is neither a fragment nor a words
feature is an error, never a literal, so a misspelt name cannot quietly match braces.

- `{fragment}` becomes `(?:` + the fragment's pattern + `)`, the fragment's own references
  spliced in first (a cycle is an error);
- `{feature}`, for a feature defined by `words(...)`, becomes the alternation of its words
  (after `inflect` and `typos`), escaped as in a word list and without word boundaries:
  a phrase's space matches runs of white space or hyphens, and `prefix*` matches the stem
  followed by word characters.
"""

from __future__ import annotations

import re
from typing import Callable

from hrouter.compiler import ast
from hrouter.compiler.lower_patterns import LoweringError, inner_alternation

_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def references(pattern: str) -> list[tuple[str, int]]:
    """(name in lower case, offset of its `{`) for every reference in `pattern`."""
    out: list[tuple[str, int]] = []
    i, n = 0, len(pattern)
    in_class, body_start = False, 0
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt == "Q":  # literal text up to \E
                end = pattern.find("\\E", i + 2)
                i = n if end < 0 else end + 2
            elif nxt in ("p", "P", "x") and pattern.startswith("{", i + 2):
                end = pattern.find("}", i + 2)
                i = n if end < 0 else end + 1
            else:
                i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i) and (end := pattern.find(":]", i + 2)) >= 0:
                i = end + 2  # a POSIX class such as [:alpha:]
                continue
            if ch == "]" and i > body_start:
                in_class = False
        elif ch == "[":
            in_class = True
            body_start = i + 2 if pattern.startswith("[^", i) else i + 1  # a "]" first is literal
        elif ch == "{" and (m := _NAME.match(pattern, i)):
            out.append((m.group(1).lower(), i))
            i = m.end()
            continue
        i += 1
    return out


def interpolate(pattern: str, lookup: Callable[[str], str]) -> str:
    """`pattern` with every reference replaced by `lookup(name)`."""
    refs = references(pattern)
    if not refs:
        return pattern
    out, last = [], 0
    for name, at in refs:
        out.append(pattern[last:at])
        out.append(lookup(name))
        last = at + len(name) + 2
    out.append(pattern[last:])
    return "".join(out)


def source_column(line: str, string_column: int, offset: int) -> int:
    """The 1-based column of character `offset` of a string's text, given the source line and
    the column of the string's opening quote (`\\"` and `\\\\` are two columns for one
    character; strings never span lines)."""
    j = string_column  # the index just after the quote
    for _ in range(offset):
        j += 2 if line[j : j + 1] == "\\" and line[j + 1 : j + 2] in ('"', "\\") else 1
    return j + 1


class Skip(Exception):
    """A reference whose target another diagnostic already covers (unknown, cyclic, bad)."""


class Splicer:
    """Expands references for the lowering; `check.py` has reported every bad one already."""

    def __init__(self, fragments: dict[str, ast.FragmentDef], words_of: Callable[[str], ast.Words | None]):
        self.fragments = fragments
        self.words_of = words_of
        self.bad: set[str] = set()  # fragments RE2 rejects (reported at the fragment)
        self._done: dict[str, str] = {}
        self._active: list[str] = []

    def fragment(self, name: str) -> str:
        """The fragment's pattern with its own references spliced in."""
        if name in self._active or name in self.bad:
            raise Skip(name)
        if name in self._done:
            return self._done[name]
        self._active.append(name)
        try:
            text = interpolate(self.fragments[name].pattern, self._lookup)
        finally:
            self._active.pop()
        self._done[name] = text
        return text

    def _lookup(self, name: str) -> str:
        if name in self.fragments:
            return "(?:" + self.fragment(name) + ")"
        words = self.words_of(name)
        if words is None:
            raise Skip(name)
        try:
            return inner_alternation(words)
        except LoweringError:
            raise Skip(name) from None  # the words feature reports its own malformed word

    def expand(self, pattern: str) -> str:
        return interpolate(pattern, self._lookup)
