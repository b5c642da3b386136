"""Which characters make up a word, as small RE2 character classes.

The rules language promises that a word boundary is any character that is not a letter, digit
or underscore, in any script. Spelled directly (RE2's `[\\pL\\pN_]`, or even a few dozen
Unicode blocks) that class costs many UTF-8 instructions, every lowered pattern carries two or
more of them, and the set's DFA steps through all of them at each byte of a prompt it has not
seen: first-seen prompts cost milliseconds. So the work is split with the engine's normaliser
(`engine/normalize.py`): before matching, every non-ASCII character that is not a letter, digit
or combining mark becomes an ASCII space, except the few symbols in `KEPT_SYMBOLS` that rules
name literally. On such text a word character is simply an ASCII letter, digit or `_`, or any
non-ASCII character but those few; a boundary is any other ASCII character or one of them.
Marks count as word characters so that scripts written with them (Devanagari vowel signs) keep
their words whole. `tests/compiler/test_wordchars.py` checks both halves of the contract.
"""

from __future__ import annotations

from hrouter.engine.normalize import KEPT_SYMBOLS

_WORD_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x30, 0x39),  # 0-9
    (0x41, 0x5A),  # A-Z
    (0x5F, 0x5F),  # _
    (0x61, 0x7A),  # a-z
    (0x80, 0x10FFFF),  # every non-ASCII character the normaliser leaves in place...
)
#: ...but the symbols it keeps for regex features, which are boundaries.
_KEPT = tuple(sorted((ord(c), ord(c)) for c in set(KEPT_SYMBOLS)))


def _minus(ranges, holes):
    out = []
    for lo, hi in ranges:
        for hlo, hhi in holes:
            if hlo > hi or hhi < lo:
                continue
            if hlo > lo:
                out.append((lo, hlo - 1))
            lo = hhi + 1
        if lo <= hi:
            out.append((lo, hi))
    return tuple(out)


#: Inclusive code point ranges of word characters.
WORD_RANGES = _minus(_WORD_BLOCKS, _KEPT)


def _complement(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    out = []
    nxt = 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= 0x10FFFF:
        out.append((nxt, 0x10FFFF))
    return tuple(out)


NON_WORD_RANGES = _complement(WORD_RANGES)


def _char(cp: int) -> str:
    if cp < 0x80 and chr(cp).isalnum() or chr(cp) == "_":
        return chr(cp)
    return f"\\x{{{cp:X}}}"


def class_body(ranges) -> str:
    return "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in ranges)


def escape_class_char(ch: str) -> str:
    return _char(ord(ch))


WORD_CLASS_BODY = class_body(WORD_RANGES)
NON_WORD_CLASS_BODY = class_body(NON_WORD_RANGES)

#: One word character / one character that is not part of a word.
WORD_CHAR = f"[{WORD_CLASS_BODY}]"
NON_WORD = f"[^{WORD_CLASS_BODY}]"


def word_char_except(chars) -> str:
    """A word character other than `chars` (lower case: prompts are lower-cased before
    matching). Written as "not (a non-word character or one of these)"."""
    if not chars:
        return WORD_CHAR
    listed = "".join(escape_class_char(c) for c in sorted(set(chars)))
    return f"[^{NON_WORD_CLASS_BODY}{listed}]"


def is_word_char(ch: str) -> bool:
    """On normalised text; characters the normaliser blanks never reach a pattern."""
    if ch.isascii():
        return ch.isalnum() or ch == "_"
    return ch not in KEPT_SYMBOLS
