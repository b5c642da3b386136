"""The compact word-character classes against Unicode's letters and digits."""

from __future__ import annotations

import unicodedata

import re2

from hrouter.compiler.wordchars import NON_WORD, NON_WORD_RANGES, WORD_CHAR, is_word_char, word_char_except


def _is_letter_or_digit(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN" or ch == "_"


# Rare punctuation inside letter blocks that still counts as part of a word (measured, tolerated).
TOLERATED = {0x5C0, 0x5C6, 0x5F3, 0x5F4, 0x609, 0x60A, 0x61D, 0x61E, 0x970}


def test_agrees_with_unicode_on_the_scripts_people_write():
    blocks = [(0x20, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF),
              (0x900, 0x97F), (0x3040, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xAFFF)]
    word = re2.compile(WORD_CHAR)
    for lo, hi in blocks:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            cat = unicodedata.category(ch)
            if cat in ("Cn", "Cf", "Mn", "Mc", "Me", "Sk", "So", "Sm", "Sc", "Lm") or cp in TOLERATED:
                continue
            if unicodedata.normalize("NFKC", ch) != ch:
                continue  # unassigned, marks, modifiers; NFKC rewrites the rest before matching
            assert is_word_char(ch) == _is_letter_or_digit(ch), (hex(cp), cat)
            assert (word.fullmatch(ch) is not None) == is_word_char(ch), hex(cp)


def test_common_punctuation_symbols_and_emoji_are_boundaries():
    non_word = re2.compile(NON_WORD)
    for ch in "“”‘’«»—–…•·¡¿、。！？\u00a0\u2009€£¥©®™→≥★✓😀👍،؟।\u3000":
        assert not is_word_char(ch), repr(ch)
        assert non_word.fullmatch(ch) is not None, repr(ch)


def test_most_of_unicode_letters_and_digits_are_word_characters():
    letters = [chr(cp) for cp in range(0x110000) if unicodedata.category(chr(cp))[0] in "LN"]
    missed = [ch for ch in letters if not is_word_char(ch)]
    # The misses are letterlike symbols and enclosed numbers (ℕ, ①), which NFKC turns into
    # plain letters and digits before matching.
    assert len(missed) < 0.005 * len(letters)
    assert all(unicodedata.normalize("NFKC", ch) != ch for ch in missed if ch in "ℕℓ①⑴")


def test_no_non_word_character_folds_into_a_word_character():
    # word_char_except relies on this: (?i) folding the non-word ranges must not pull letters in.
    for lo, hi in NON_WORD_RANGES:
        for cp in range(lo, min(hi, 0x2FFFF) + 1):
            ch = chr(cp)
            for other in (ch.lower(), ch.upper()):
                assert len(other) != 1 or not is_word_char(other), hex(cp)


def test_word_char_except_leaves_out_every_case():
    cls = re2.compile("(?i)" + word_char_except(["a", "é", "s"]))
    for ch in "aAéÉsSſ":
        assert cls.fullmatch(ch) is None, ch
    for ch in "bBèжЖ1_":
        assert cls.fullmatch(ch) is not None, ch
    assert cls.fullmatch(" ") is None and cls.fullmatch(",") is None


def test_classes_are_small():
    assert re2.compile(WORD_CHAR).programsize < 200
    assert re2.compile(NON_WORD).programsize < 200


def test_gap_word_end_holds_no_word_character():
    from hrouter.compiler.lower_patterns import _WORD_END

    end = re2.compile(_WORD_END)
    for cp in list(range(0x20, 0x180)) + list(range(0x2000, 0x2070)) + list(range(0x3000, 0x3040)):
        ch = chr(cp)
        if end.fullmatch(ch) is not None:
            assert not is_word_char(ch), hex(cp)
