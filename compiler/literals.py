"""The literals a regex cannot match without: the engine's prefilter (engine/automaton.py).

For every pattern the compiler records clauses of literal strings such that any text the
pattern matches contains, for each clause, at least one of its strings. `delete|drop` gives
one clause {delete, drop}; `near(verbs, targets, 3)` gives two, one per operand. Matching is
then "find which literals occur" (one RE2 set of plain strings, cheap to build and to run on
text never seen before) followed by the pattern's own RE2, run only where its clauses held.

This is RE2's own prefilter idea (FilteredRE2), computed here once at compile time so that a
process that routes one prompt compiles only the patterns that prompt can match. The analysis
only has to be sound, not complete: a construct it does not follow (a character class, `.`,
an optional part) simply demands nothing, and a pattern it cannot read at all gets no clauses,
which makes it a candidate for every text. Case is ignored: the engine looks the literals up
case-insensitively, which can only add candidates.
"""

from __future__ import annotations

import re

#: A concatenation keeps exact alternatives while their product stays this small: "drop" then
#: "s?" is {drop, drops}; "(a|b)(c|d)(e|f)..." stops growing and becomes clauses instead.
MAX_PRODUCT = 64
#: Clauses kept per pattern: the most selective ones; dropping clauses is always sound.
MAX_CLAUSES = 2

_SINGLE_ESCAPES = {"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}
_CLASS_ESCAPES = frozenset("dDsSwWpPC")
_EMPTY_ESCAPES = frozenset("bBAz")
# A run of characters that stand for themselves (outside a class), and a whole class.
_PLAIN = re.compile(r"[^\\\[().*+?{|^$]+")
_WORDS = re.compile(r"[^\\\[().*+?{|^$]+(?:\|[^\\\[().*+?{|^$]+)*(?=\)|$)")
_CLASS = re.compile(r"\[\^?\]?(?:\[:[^\]]*:\]|\\.|[^\]\\])*\]")


class _Unreadable(ValueError):
    pass


class _Info:
    """What a piece of regex can match: ``exact`` is every string it can match (None when not
    known or too many); ``clauses`` what it demands otherwise."""

    __slots__ = ("exact", "clauses")

    def __init__(self, exact: frozenset[str] | None, clauses: frozenset[frozenset[str]] = frozenset()):
        self.exact = exact
        self.clauses = clauses

    def demands(self) -> frozenset[frozenset[str]]:
        if self.exact is None:
            return self.clauses
        if "" in self.exact:
            return frozenset()
        return frozenset({self.exact})


_EMPTY = _Info(frozenset({""}))
_ANY = _Info(None)


def _concat(items: list[_Info]) -> _Info:
    clauses: set[frozenset[str]] = set()
    current: frozenset[str] = frozenset({""})
    exact_so_far = True
    for item in items:
        if item.exact is not None and len(current) * len(item.exact) <= MAX_PRODUCT:
            current = frozenset(a + b for a in current for b in item.exact)
            continue
        exact_so_far = False
        if "" not in current:
            clauses.add(current)
        if item.exact is not None:
            current = item.exact
        else:
            clauses |= item.clauses
            current = frozenset({""})
    if exact_so_far:
        return _Info(current)
    if "" not in current:
        clauses.add(current)
    return _Info(None, frozenset(clauses))


def _score(clause: frozenset[str]) -> tuple:
    """Higher is more selective: long shortest string first, then few strings; then the
    strings themselves, so that the choice never depends on set order."""
    return (min(map(len, clause)), -len(clause), sorted(clause))


def _alternate(items: list[_Info]) -> _Info:
    if all(item.exact is not None for item in items):
        return _Info(frozenset().union(*(item.exact for item in items)))
    demands = [item.demands() for item in items]
    if not all(demands):
        return _ANY  # one alternative demands nothing, so neither does the whole
    common = frozenset.intersection(*demands)
    if common:
        return _Info(None, common)
    best = frozenset().union(*(max(d, key=_score) for d in demands))
    return _Info(None, frozenset({best}))


class _Reader:
    def __init__(self, regex: str):
        self.s = regex
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self) -> str:
        if self.i >= len(self.s):
            raise _Unreadable("unexpected end")
        ch = self.s[self.i]
        self.i += 1
        return ch

    def alternation(self) -> _Info:
        words = _WORDS.match(self.s, self.i)
        if words:  # the common case, a list of plain words: read in one step
            self.i = words.end()
            return _Info(frozenset(words.group().split("|")))
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.concatenation())
        return branches[0] if len(branches) == 1 else _alternate(branches)

    def concatenation(self) -> _Info:
        items = []
        while self.peek() not in ("", "|", ")"):
            plain = _PLAIN.match(self.s, self.i)
            if plain:
                end = plain.end()
                if end < len(self.s) and self.s[end] in "*+?{":
                    end -= 1  # the last character is the one a quantifier repeats
                if end > self.i:
                    items.append(_Info(frozenset({self.s[self.i : end]})))
                    self.i = end
                    continue
            items.append(self.repeated(self.single()))
        if len(items) == 1:
            return items[0]
        return _concat(items) if items else _EMPTY

    def repeated(self, item: _Info) -> _Info:
        while True:
            ch = self.peek()
            if ch in ("*", "+", "?"):
                self.i += 1
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
            elif ch == "{" and (bounds := self._bounds()) is not None:
                low, high = bounds
            else:
                return item
            if self.peek() == "?":
                self.i += 1  # lazy: matches the same strings
            item = self._repeat(item, low, high)

    @staticmethod
    def _repeat(item: _Info, low: int, high: int | None) -> _Info:
        if low == high == 1:
            return item
        if low == 0:
            if high == 1 and item.exact is not None:
                return _Info(item.exact | {""})
            return _ANY
        return _Info(None, item.demands())

    def _bounds(self) -> tuple[int, int | None] | None:
        end = self.s.find("}", self.i)
        if end < 0:
            return None
        body = self.s[self.i + 1 : end]
        low, comma, high = body.partition(",")
        if not low.isdigit() or (high and not high.isdigit()):
            return None  # RE2 reads a "{" that starts no repetition as a literal
        self.i = end + 1
        return int(low), (int(high) if high else None) if comma else int(low)

    def single(self) -> _Info:
        ch = self.take()
        if ch == "(":
            return self.group()
        if ch == "[":
            return self.char_class()
        if ch == ".":
            return _ANY
        if ch in ("^", "$"):
            return _EMPTY
        if ch == "\\":
            return self.escape()
        if ch in ("*", "+", "?"):
            raise _Unreadable("repetition of nothing")
        return _Info(frozenset({ch}))

    def group(self) -> _Info:
        if self.peek() == "?":
            self.i += 1
            if self.peek() in ("P", "<"):
                if self.take() == "P":
                    self.take()
                close = self.s.find(">", self.i)
                if close < 0:
                    raise _Unreadable("unterminated group name")
                self.i = close + 1
            else:
                while self.peek() not in (":", ")"):
                    if not (self.peek().isalpha() or self.peek() == "-"):
                        raise _Unreadable("unknown group flag")
                    self.i += 1
                if self.take() == ")":
                    return _EMPTY  # a flag setting such as (?i) matches nothing itself
        inner = self.alternation()
        if self.take() != ")":
            raise _Unreadable("unbalanced group")
        return inner

    def escape(self) -> _Info:
        ch = self.take()
        if ch in _EMPTY_ESCAPES:
            return _EMPTY
        if ch in _CLASS_ESCAPES:
            if ch in ("p", "P") and self.peek() == "{":
                self.i = self.s.index("}", self.i) + 1
            elif ch in ("p", "P"):
                self.take()
            return _ANY
        if ch == "Q":
            end = self.s.find("\\E", self.i)
            text = self.s[self.i :] if end < 0 else self.s[self.i : end]
            self.i = len(self.s) if end < 0 else end + 2
            return _Info(frozenset({text}))
        if ch in _SINGLE_ESCAPES:
            return _Info(frozenset({_SINGLE_ESCAPES[ch]}))
        if ch == "x":
            return _Info(frozenset({chr(self._hex())}))
        if ch.isdigit():
            digits = ch
            while len(digits) < 3 and self.peek().isdigit():
                digits += self.take()
            return _Info(frozenset({chr(int(digits, 8))}))
        if ch.isalnum():
            raise _Unreadable(f"unknown escape \\{ch}")
        return _Info(frozenset({ch}))

    def _hex(self) -> int:
        if self.peek() == "{":
            end = self.s.index("}", self.i)
            value = self.s[self.i + 1 : end]
            self.i = end + 1
        else:
            value = self.s[self.i : self.i + 2]
            self.i += 2
        return int(value, 16)

    def char_class(self) -> _Info:
        """A class of a few listed characters is an alternation of them; anything with a
        range, a negation or a named class demands nothing."""
        whole = _CLASS.match(self.s, self.i - 1)
        if whole is None:
            raise _Unreadable("unterminated class")
        if self.peek() == "^" or len(whole.group()) > 20:
            self.i = whole.end()
            return _ANY
        chars: set[str] = set()
        simple = True
        first = True  # a "]" right after "[" or "[^" is a literal
        while True:
            ch = self.take()
            if ch == "]" and not first:
                break
            first = False
            if ch == "[" and self.peek() == ":":
                self.i = self.s.index(":]", self.i) + 2
                simple = False
            elif ch == "\\":
                esc = self.take()
                if esc.isalnum():
                    simple = False
                    if esc in ("p", "P"):
                        if self.peek() == "{":
                            self.i = self.s.index("}", self.i) + 1
                        else:
                            self.take()
                    elif esc == "x":
                        self._hex()
                else:
                    chars.add(esc)
            elif ch == "-" and self.peek() != "]" and chars:
                simple = False
            else:
                chars.add(ch)
        if simple and 0 < len(chars) <= 8:
            return _Info(frozenset(chars))
        return _ANY


def required_literals(regex: str) -> tuple[tuple[str, ...], ...]:
    """Clauses of literals for ``regex`` (RE2 syntax): every text it matches contains at least
    one string of each clause. Empty when nothing can be demanded (or the regex is unreadable)."""
    try:
        reader = _Reader(regex)
        info = reader.alternation()
        if reader.i != len(regex):
            raise _Unreadable("unbalanced ')'")
    except (_Unreadable, ValueError, IndexError):
        return ()
    clauses = [_minimal(c) for c in info.demands()]
    clauses.sort(key=lambda c: _score(frozenset(c)), reverse=True)
    return tuple(clauses[:MAX_CLAUSES])


def _minimal(clause: frozenset[str]) -> tuple[str, ...]:
    """The clause without strings that contain another of it: a text holding "deletes" holds
    "delete", so "delete" alone says as much.

    Shortest first, each string is kept unless one of its substrings was kept. The substrings
    are looked up in a set, only at the lengths kept so far: linear in the size of the clause
    (times the square of the longest string), where comparing every pair made a list of 20,000
    words take seconds."""
    kept: set[str] = set()
    lengths: list[int] = []  # the distinct lengths in `kept`, ascending
    for s in sorted(clause, key=lambda s: (len(s), s)):
        n = len(s)
        if any(s[i : i + k] in kept for k in lengths for i in range(n - k + 1)):
            continue
        kept.add(s)
        if not lengths or lengths[-1] != n:
            lengths.append(n)
    return tuple(sorted(kept))
