"""Which characters make up a word, as compact RE2 character classes.

The rules language promises that a word boundary is any character that is not a letter, digit
or underscore, in any script. RE2's `[\\pL\\pN_]` says exactly that, but it compiles to about
1,350 instructions, and every lowered pattern carries two or more of them: with a few hundred
patterns the single RE2 set took seconds to build. These ranges say nearly the same in a few
dozen instructions: ASCII letters, digits and `_`, and every non-ASCII block that holds
letters or digits, leaving out the blocks of punctuation, symbols, spaces, emoji and private
use. The engine normalises text (NFKC) before matching, so full-width and other compatibility
forms arrive as their plain letters. `tests/compiler/test_wordchars.py` measures the few places
where the two definitions differ (punctuation inside letter blocks, such as the Arabic comma).
"""

from __future__ import annotations

#: Common sentence punctuation inside letter blocks, carved out of the ranges below.
_PUNCTUATION_IN_LETTER_BLOCKS = (
    (0x037E, 0x037E),  # Greek question mark
    (0x0387, 0x0387),  # Greek ano teleia
    (0x0589, 0x0589),  # Armenian full stop
    (0x05BE, 0x05BE),  # Hebrew maqaf
    (0x05C3, 0x05C3),  # Hebrew sof pasuq
    (0x060C, 0x060D),  # Arabic comma
    (0x061B, 0x061B),  # Arabic semicolon
    (0x061F, 0x061F),  # Arabic question mark
    (0x066A, 0x066D),  # Arabic percent and separators
    (0x06D4, 0x06D4),  # Arabic full stop
    (0x0964, 0x0965),  # Devanagari danda
    (0x1361, 0x1368),  # Ethiopic word space and punctuation
    (0x1680, 0x1680),  # Ogham space mark
    (0x1800, 0x180A),  # Mongolian punctuation
    (0x30A0, 0x30A0),  # katakana double hyphen
    (0x30FB, 0x30FB),  # katakana middle dot
)

_WORD_BLOCKS: tuple[tuple[int, int], ...] = (
    (0x30, 0x39),  # 0-9
    (0x41, 0x5A),  # A-Z
    (0x5F, 0x5F),  # _
    (0x61, 0x7A),  # a-z
    (0xAA, 0xAA),  # ª
    (0xB2, 0xB3),  # ² ³
    (0xB5, 0xB5),  # µ
    (0xB9, 0xBA),  # ¹ º
    (0xC0, 0xD6),  # Latin-1 letters (not ×)
    (0xD8, 0xF6),  # (not ÷)
    (0xF8, 0x1FFF),  # Latin Extended .. Greek Extended: alphabets of most scripts
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x2126, 0x2126),  # Ohm, Kelvin and Angstrom signs: case-fold partners of ω, k and å,
    (0x212A, 0x212B),  # kept on the same side as their partners for (?i)
    (0x2C00, 0x2DFF),  # Glagolitic .. Ethiopic Extended
    (0x2E80, 0x2FFF),  # CJK radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x3038, 0x303C),
    (0x3040, 0xD7FF),  # kana, CJK ideographs, Yi, Hangul
    (0xF900, 0xFDFF),  # CJK compatibility, presentation forms
    (0xFE70, 0xFEFE),  # Arabic presentation forms B
    (0xFF10, 0xFF19),  # full-width digits
    (0xFF21, 0xFF3A),  # full-width letters
    (0xFF41, 0xFF5A),
    (0xFF66, 0xFFDC),  # half-width kana and Hangul
    (0x10000, 0x1CFFF),  # historic and minority scripts
    (0x1D400, 0x1D7FF),  # mathematical letters and digits
    (0x1E000, 0x1EFFF),
    (0x20000, 0x3FFFF),  # CJK extensions
)


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
WORD_RANGES = _minus(_WORD_BLOCKS, _PUNCTUATION_IN_LETTER_BLOCKS)


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
    """A word character other than `chars`. Written as "not (a non-word character or one of
    these)": under `(?i)` RE2 folds the listed letters' other cases into the class before
    negating it, so every case of a listed letter is left out."""
    if not chars:
        return WORD_CHAR
    listed = "".join(escape_class_char(c) for c in sorted(set(chars)))
    return f"[^{NON_WORD_CLASS_BODY}{listed}]"


def is_word_char(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum() or ch == "_"
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in WORD_RANGES)
