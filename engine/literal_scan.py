"""The RE2 part of the scan: literals first, then only the patterns they make possible.

The token scan (``token_scan.py``) reads the word-based patterns; this reads the rest of a short
text's patterns, ``regex(...)`` features and the few word patterns without a token form.
``LiteralScan.Match(data)`` reports exactly the indexes one RE2 set over its patterns (and the
internal "the text has a word" pattern) would report, in some order. How, for a prompt:

1. One RE2 set holds the literals of its patterns (``Pattern.literals``: plain strings the
   compiler proved a pattern cannot match without), the patterns that have none, and the
   internal pattern. One pass over the text says which of them occur. The set is compiled
   when the scan is built (~11 ms for the default rules), so no request pays for it.
2. A pattern whose every clause had a literal in the text is a candidate; its own RE2,
   compiled the first time it is needed, decides.

A set of plain strings is quicker to compile and its lazily built DFA stays small on text never
seen before. Texts longer than 2 KB never come here: the automaton scans them with one set over
every pattern. The automaton remembers whole scans; nothing is remembered here.

RE2 reports a set that ran out of memory as no match. The internal "the text has a word"
pattern is in the literal set, so a failed pass reads as an empty prompt, which the safety
rules refuse: a failed scan fails closed. A single pattern's RE2 never fails that way (it
falls back to a slower exact method).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence

import re2

from hrouter.engine.artifact import Pattern



class ScanError(ValueError):
    """A pattern or literal RE2 rejects (only a damaged artifact holds one)."""


def options(max_mem: int | None = None):
    opts = re2.Options()
    if max_mem:
        opts.max_mem = max_mem
    opts.never_capture = True
    opts.log_errors = False  # a rejected pattern is reported by us, once, not logged by RE2 too
    return opts


# Every ASCII character but a letter or digit is spelled as a code point, so none is syntax.
_ESCAPE = {c: f"\\x{{{c:X}}}" for c in range(128) if not chr(c).isalnum()}


def literal_regex(text: str) -> str:
    """``text`` as an RE2 literal that finds it in normalised (lower-cased) prompts wherever its
    pattern could match. An ASCII literal is lower-cased and matched as is: a prompt's ASCII
    letters are lower case, and the only other characters RE2 equates with ASCII letters (the
    Kelvin sign, the long s) are gone after NFKC. Other literals keep RE2's case folding."""
    if text.isascii():
        return text.lower().translate(_ESCAPE)
    return "(?i)" + text.translate(_ESCAPE)


# The only non-ASCII characters RE2's case folding equates with ASCII letters (K, s).
_ASCII_FOLDS = frozenset("\u212a\u017f")


def _needs_non_ascii(literal: str) -> bool:
    """Can ``literal`` only occur in a text with a non-ASCII character?"""
    return any(ord(c) > 127 and c not in _ASCII_FOLDS for c in literal)


def _verifier(regex: str, what: str) -> Callable[[bytes], bool]:
    """Does ``regex`` match? Its RE2 is compiled on first use (or by ``warm``)."""
    compiled = None
    unanchored = re2._re2.RE2.Anchor.UNANCHORED

    def verify(data: bytes | None) -> bool:
        nonlocal compiled
        if compiled is None:
            # The inner RE2 object directly: re2.compile's wrapper and cache add nothing here.
            regexp = re2._re2.RE2(regex.encode("utf-8"), options())
            if not regexp.ok():
                detail = regexp.error()
                detail = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else detail
                raise ScanError(f"{what}: RE2 rejects pattern {regex!r}: {detail}")
            compiled = regexp.Match
        return data is not None and compiled(unanchored, data, 0, len(data))[0][0] >= 0

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
    __slots__ = ("Match", "warm", "literal_count", "candidates")

    def __init__(self, patterns: Sequence[Pattern], internal: Sequence[str], max_mem: int):
        """``internal``: the automaton's own patterns, whose indexes follow the patterns'."""
        n = len(patterns)
        # What reports itself rather than through literals: patterns without literals and the
        # internal patterns, with the index each reports.
        itself = [(index, p.regex, str(p.loc)) for index, p in enumerate(patterns) if not p.literals]
        itself += [(n + k, regex, "internal") for k, regex in enumerate(internal)]
        verifiers = tuple(_verifier(p.regex, str(p.loc)) for p in patterns)
        self.literal_count = len({literal for p in patterns for clause in p.literals for literal in clause})

        def where(regex: str) -> str:
            return next((f"{p.loc}: RE2 rejects pattern" for p in patterns if p.regex == regex), "RE2 rejects literal")

        # One RE2 set of every literal, and the tables behind it, built now: compiling it is
        # ~11 ms for the default rules, and no request should pay for it.
        slot: dict[str, int] = {}
        # Per literal: the one-clause patterns it makes candidates, and (pattern, clause
        # bit, all bits) for patterns with several clauses, which need every clause.
        single: dict[int, list[int]] = defaultdict(list)
        several: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for index, pattern in enumerate(patterns):
            clauses = pattern.literals
            if len(clauses) == 1:
                for literal in clauses[0]:
                    single[slot.setdefault(literal, len(slot))].append(index)
                continue
            full = (1 << len(clauses)) - 1
            for bit, clause in enumerate(clauses):
                entry = (index, 1 << bit, full)
                for literal in clause:
                    several[slot.setdefault(literal, len(slot))].append(entry)
        direct_of = (-1,) * len(slot) + tuple(index for index, _, _ in itself)
        single_of = tuple(tuple(single.get(j, ())) for j in range(len(slot))) + ((),) * len(itself)
        several_of = tuple(tuple(several.get(j, ())) for j in range(len(slot))) + ((),) * len(itself)
        # Two sets: a lazily built DFA state holds every member's start, so a set's cost on new
        # text grows with its size, and most prompts are ASCII. The literals only non-ASCII text
        # can hold (~40% of them, most of the other languages) are scanned only for such text:
        # 24 -> 5 us median on an ASCII prompt. The first set keeps the internal patterns and
        # with them the "has a word" canary; the second has its own (\A matches any text) and
        # a failed pass there drops the first canary's hit too, so it fails closed the same way.
        literals = list(slot)
        wide = [j for j, literal in enumerate(literals) if _needs_non_ascii(literal)]
        wide_set = set(wide)
        narrow = [j for j in range(len(literals)) if j not in wide_set] + list(range(len(literals), len(direct_of)))
        members = [literal_regex(literal) for literal in literals] + [regex for _, regex, _ in itself]
        find_narrow = compile_set([members[j] for j in narrow], "literal", max_mem, where).Match
        find_wide = compile_set([members[j] for j in wide] + ["\\A"], "literal", max_mem, where).Match if wide else None
        narrow_of, wide_of, wide_canary = tuple(narrow), tuple(wide), len(wide)

        def scan_with_set(data: bytes) -> tuple[list[int], Collection[int]]:
            hits: list[int] = []
            candidates: set[int] = set()
            held: dict[int, int] = {}
            found = [narrow_of[j] for j in find_narrow(data) or ()]
            if find_wide is not None and not data.isascii():
                more = find_wide(data) or ()
                if wide_canary not in more:
                    return [], ()  # out of memory: read as an empty prompt (no canary hit)
                found.extend(wide_of[j] for j in more if j != wide_canary)
            for j in found:
                target = direct_of[j]
                if target >= 0:
                    hits.append(target)
                    continue
                candidates.update(single_of[j])
                for index, bit, full in several_of[j]:
                    now = held.get(index, 0) | bit
                    held[index] = now
                    if now == full:
                        candidates.add(index)
            return hits, candidates

        self.candidates = 0  # patterns verified so far, for tests and benchmarks

        def match(data: bytes) -> list[int]:
            hits, candidates = scan_with_set(data)
            hits.extend(index for index in candidates if verifiers[index](data))
            self.candidates += len(candidates)
            return hits

        def warm() -> None:
            """Compile every pattern's own RE2 now (a server does this at start and on reload,
            off the request path); otherwise each is compiled when first a candidate."""
            for verify in verifiers:
                verify(None)

        self.Match = match
        self.warm = warm
