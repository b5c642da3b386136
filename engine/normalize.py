"""Text normalisation before matching, so disguised spellings route like their plain forms.

"ｄｒｏｐ the database", "de\\u200blete all files" and "dеlеtе" written with Cyrillic е must
not slip past a safety rule that looks for "drop" or "delete". Text is lower-cased, so the
compiler can write word patterns without RE2's case folding (a third of their compile time, and
cheaper DFA states on text never seen before); ASCII text (nearly every prompt) needs nothing
else.

Other text also has every non-ASCII character that is not a letter, digit or combining mark
(punctuation, symbols, emoji, odd spaces, private use) turned into an ASCII space, except the
few symbols that rules name literally (``KEPT_SYMBOLS``). After this, a non-ASCII character is
part of a word unless it is one of those few, so the compiler's word boundary is a small
ASCII class plus that list (``compiler/wordchars.py``), which keeps the RE2 set's DFA states
cheap to build.

Python's ``re`` is not used here: prompts only ever meet RE2 and plain string methods.
"""

from __future__ import annotations

import unicodedata

# Every code point of general category Cf (format characters: zero-width space and joiners,
# soft hyphen, bidi controls, tags...), written as ranges so importing this module stays cheap;
# tests check the ranges against unicodedata. A few invisible non-Cf characters join them:
# combining grapheme joiner, Hangul fillers and variation selectors.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    (0xE0100, 0xE01EF),
)

_DROP = {cp: None for lo, hi in _INVISIBLE_RANGES for cp in range(lo, hi + 1)}

#: Non-ASCII symbols that rules use literally in regex features (currency, math, quotation
#: marks, bullet): kept in the text, and never part of a word. Every other non-ASCII character
#: outside the letter, digit and mark categories becomes a space. Adding a symbol here is a
#: compiler change too (the word class leaves it out), so the two always agree.
KEPT_SYMBOLS = "€£¥₹₩₽₺₴∫∑√“”‘’«»•؟"  # currencies rules name; ؟ ends an Arabic or Persian question

_SPACE = 0x20
# Distinct code points whose verdict is remembered; beyond this, verdicts are recomputed.
_MEMO_LIMIT = 1 << 16


class _Table(dict):
    """str.translate table: invisible characters dropped, non-word symbols blanked, computed
    per code point on first sight (a full table would make importing slow)."""

    def __missing__(self, cp: int):
        ch = chr(cp)
        value = cp if ch in KEPT_SYMBOLS or unicodedata.category(ch)[0] in "LNM" else _SPACE
        if len(self) < _MEMO_LIMIT:
            self[cp] = value
        return value


_TABLE = _Table(_DROP)
_TABLE.update((cp, cp) for cp in range(128))
# Emoji that answer "yes" ("👍" to "shall I delete them?") read as the word, so an approval
# given by emoji is judged like one given in words.
_TABLE.update((ord(ch), " ok ") for ch in "👍👌✅✔☑🆗🙆")


def blank_symbols(text: str) -> str:
    """Drop invisible characters and turn non-word symbols into spaces (already NFKC text).
    The compiler applies the same to the words of the rules."""
    return text.translate(_TABLE)

# Letters from other scripts that render like Latin ones (after NFKC, which already folds
# full-width and mathematical forms).
_LOOKALIKES = {
    # Cyrillic
    # (lower-case в к м н т are left out: they do not look Latin in running text, and
    # folding them would garble ordinary Russian words such as "все" or "как")
    "а": "a", "е": "e", "ё": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ѵ": "v", "ү": "y",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ԁ": "D", "Ү": "Y", "Ԛ": "Q",
    "Ԝ": "W",
    # Greek
    "α": "a", "ι": "i", "ν": "v", "ο": "o", "ρ": "p", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Armenian and others
    "ո": "n", "ս": "u", "օ": "o", "ց": "g", "ɑ": "a", "ı": "i", "ȷ": "j",
}
_FOLD = str.maketrans(_LOOKALIKES)
_LOOKALIKE_SET = frozenset(_LOOKALIKES)


def normalize(text: str) -> str:
    """Return the form of ``text`` that patterns are matched against. Never raises on a str."""
    if text.isascii():
        return text.lower()
    text = _without_surrogates(text)
    text = unicodedata.normalize("NFKC", text).translate(_TABLE)
    if _LOOKALIKE_SET.isdisjoint(text):
        return text.lower()
    # Fold only words that become plain Latin: a genuine Russian or Greek word keeps its
    # letters (rules may be written in those languages), a disguised English one does not.
    return " ".join(_fold_word(word) for word in text.split(" ")).lower()


def _fold_word(word: str) -> str:
    if word.isascii() or _LOOKALIKE_SET.isdisjoint(word):
        return word
    for ch in word:
        if not ch.isascii() and ch not in _LOOKALIKE_SET and ch.isalpha():
            return word
    return word.translate(_FOLD)


def _without_surrogates(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        # Pairs written as two surrogates become their character; lone ones become U+FFFD.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# Latin letters whose plain form is not their decomposition (ł has none) or is two letters.
_UNACCENT = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss",
                           "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "ħ": "h", "ŧ": "t"})


def _latin(cp: int) -> bool:
    return cp < 0x250 or 0x1E00 <= cp <= 0x1EFF


# Vietnamese spells its tones with marks: without them "chớ" (don't) is "cho" (for) and "đừng"
# (don't) is "dùng" (use), so a word with a letter only Vietnamese uses keeps its marks.
_TONAL = frozenset(map(chr, [*range(0x1EA0, 0x1EFA), 0x1A0, 0x1A1, 0x1AF, 0x1B0]))


def unaccented(text: str) -> str:
    """``text`` with the marks of its Latin letters dropped ("Zapłać fakturę" -> "Zaplac fakture",
    "xóa tất cả" -> "xoa tat ca"). People type other languages without their accents, or with
    some of them: the compiler adds this form of every word of a word list, and the letters view
    reads the text in it, so either spelling meets either form. Marks on letters of other
    scripts (Devanagari, Arabic, Hebrew) stay: there they spell the word."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", text)  # tones typed as combining marks are tones too
    if not _TONAL.isdisjoint(text):
        return " ".join(word if not _TONAL.isdisjoint(word) else unaccented(word) for word in text.split(" "))
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text.translate(_UNACCENT)):
        if unicodedata.category(ch) == "Mn" and out and _latin(ord(out[-1][-1])):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))
