"""The scan of a prompt: literals first, then only the patterns they make possible.

``LiteralScan.Match(data)`` reports exactly the indexes one RE2 set over every pattern (and
the internal word-count patterns) would report, in some order. How, for a prompt:

1. One RE2 set holds the literals of all patterns (``Pattern.literals``: plain strings the
   compiler proved a pattern cannot match without), the patterns that have none, and the
   internal patterns. One pass over the text says which of them occur.
2. A pattern whose every clause had a literal in the text is a candidate; its own RE2,
   compiled the first time it is needed, decides.

A set of plain strings is quick to compile and its lazily built DFA stays small on text never
seen before, where a set of a few hundred word-list patterns with their boundary classes took
tens of milliseconds to compile and built a costly DFA state for nearly every new byte. A
process that routes one prompt (``hrouter decide``) compiles the literal set and the handful
of patterns that prompt can match, not every pattern.

Texts longer than ``MEMO_BYTES`` go to one set over every pattern instead (built on first
use): a long text holds the literals of most patterns, and one pass beats a hundred. Results
for shorter texts are remembered, so a repeated prompt costs one dictionary lookup.

RE2 reports a set that ran out of memory as no match. The internal "the text has a word"
pattern is in the literal set, so a failed pass reads as an empty prompt, which the safety
rules refuse: a failed scan fails closed. A single pattern's RE2 never fails that way (it
falls back to a slower exact method).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import re2

from hrouter.engine.artifact import Pattern

#: Texts up to this size are scanned literal-first and remembered; the memo holds MEMO_SIZE
#: of them and is emptied when full.
MEMO_BYTES = 2048
MEMO_SIZE = 4096


class ScanError(ValueError):
    """A pattern or literal RE2 rejects (only a damaged artifact holds one)."""


def options(max_mem: int | None = None):
    opts = re2.Options()
    if max_mem:
        opts.max_mem = max_mem
    opts.never_capture = True
    return opts


# Every ASCII character but a letter or digit is spelled as a code point, so none is syntax.
_ESCAPE = {c: f"\\x{{{c:X}}}" for c in range(128) if not chr(c).isalnum()}


def literal_regex(text: str) -> str:
    """``text`` as a case-insensitive RE2 literal."""
    return "(?i)" + text.translate(_ESCAPE)


def _verifier(pattern: Pattern) -> Callable[[bytes], bool]:
    """Does ``pattern`` match? Its RE2 is compiled on first use."""
    compiled = None
    unanchored = re2._re2.RE2.Anchor.UNANCHORED

    def verify(data: bytes) -> bool:
        nonlocal compiled
        if compiled is None:
            try:
                compiled = re2.compile(pattern.regex, options())._regexp.Match
            except Exception as exc:
                raise ScanError(f"{pattern.loc}: RE2 rejects pattern {pattern.regex!r}: {exc}") from None
        return compiled(unanchored, data, 0, len(data))[0][0] >= 0

    return verify


def compile_set(regexes: Sequence[str], what: str, max_mem: int, where: Callable[[str], str] | None = None):
    """One RE2 set; its ``Match(bytes)`` returns member indexes (or None)."""
    regex_set = re2.Set.SearchSet(options(max_mem))
    for regex in regexes:
        try:
            regex_set.Add(regex)
        except Exception as exc:
            raise ScanError(f"{where(regex) if where else 'RE2 rejects ' + what} {regex!r}: {exc}") from None
    try:
        regex_set.Compile()
    except Exception as exc:
        raise ScanError(f"the {what} set does not compile: {exc}") from None
    # The wrapper's Match encodes and converts; the inner object takes bytes directly.
    return getattr(regex_set, "_set", None) or regex_set


class LiteralScan:
    __slots__ = ("Match", "memo", "literal_count", "candidates", "_whole")

    def __init__(self, patterns: Sequence[Pattern], internal: Sequence[str], max_mem: int, whole: Callable[[], object]):
        """``internal``: the word-count patterns, whose indexes follow the patterns';
        ``whole()`` builds the one set used for long texts."""
        n = len(patterns)
        members: list[str] = []
        direct: list[int] = []  # per member: the index it reports itself, or -1 for a literal
        users: list[tuple[tuple[int, int, int], ...]] = []  # per literal: (pattern, clause bit, all bits)
        slot: dict[str, int] = {}
        uses: dict[int, list[tuple[int, int, int]]] = {}
        for index, pattern in enumerate(patterns):
            if not pattern.literals:
                continue
            full = (1 << len(pattern.literals)) - 1
            for bit, clause in enumerate(pattern.literals):
                for literal in clause:
                    j = slot.setdefault(literal, len(slot))
                    uses.setdefault(j, []).append((index, 1 << bit, full))
        members.extend(map(literal_regex, slot))
        direct.extend([-1] * len(slot))
        users.extend(tuple(uses[j]) for j in range(len(slot)))
        self.literal_count = len(slot)
        for index, pattern in enumerate(patterns):
            if not pattern.literals:
                members.append(pattern.regex)
                direct.append(index)
        for k, regex in enumerate(internal):
            members.append(regex)
            direct.append(n + k)

        def where(regex: str) -> str:
            return next((f"{p.loc}: RE2 rejects pattern" for p in patterns if p.regex == regex), "RE2 rejects literal")

        find = compile_set(members, "literal", max_mem, where).Match
        verifiers = tuple(_verifier(p) for p in patterns)
        direct_of = tuple(direct)
        users_of = tuple(users) + ((),) * (len(members) - len(users))
        memo: dict[bytes, tuple[int, ...]] = {}
        remembered = memo.get
        self.memo = memo
        self.candidates = 0  # patterns verified so far, for tests and benchmarks

        def match(data: bytes) -> list[int]:
            if len(data) > MEMO_BYTES:
                return self._long(data)
            known = remembered(data)
            if known is not None:
                return list(known)
            hits: list[int] = []
            candidates: list[int] = []
            held: dict[int, int] = {}
            for j in find(data) or ():
                target = direct_of[j]
                if target >= 0:
                    hits.append(target)
                    continue
                for index, bit, full in users_of[j]:
                    before = held.get(index, 0)
                    now = before | bit
                    if now != before:
                        held[index] = now
                        if now == full:
                            candidates.append(index)
            self.candidates += len(candidates)
            hits.extend(index for index in candidates if verifiers[index](data))
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[data] = tuple(hits)
            return hits

        self.Match = match
        self._whole = whole

    def _long(self, data: bytes) -> list[int]:
        if callable(self._whole):
            self._whole = self._whole()
        return self._whole.Match(data) or []
