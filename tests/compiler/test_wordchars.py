"""The small word-character classes, and the normaliser half of their contract."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import re2

from hrouter.compiler.wordchars import NON_WORD, NON_WORD_RANGES, WORD_CHAR, is_word_char, word_char_except
from hrouter.engine.normalize import KEPT_SYMBOLS, blank_symbols, normalize

RULES = Path(__file__).resolve().parents[2] / "rules"


def _is_letter_digit_or_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM" or ch == "_"


def test_classes_agree_with_is_word_char_everywhere():
    word, non_word = re2.compile(WORD_CHAR), re2.compile(NON_WORD)
    for cp in list(range(0x0, 0x3400)) + list(range(0xA000, 0xD800)) + list(range(0xE000, 0x10000)) + [0x1F600, 0x10FFFF]:
        ch = chr(cp)
        inside = word.fullmatch(ch) is not None
        assert inside == is_word_char(ch), hex(cp)
        assert (non_word.fullmatch(ch) is not None) == (not inside), hex(cp)


def test_after_normalising_word_characters_are_exactly_letters_digits_and_marks():
    # Every character that can reach a pattern: what normalize leaves of each code point.
    wrong = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        for ch in normalize("a" + chr(cp)):
            if is_word_char(ch) != _is_letter_digit_or_mark(ch):
                wrong.append((hex(cp), ch))
    assert wrong == []


def test_common_punctuation_symbols_and_emoji_become_spaces():
    for ch in "—–·¡¿、。\u00a0\u2009\u2028©®→≥★✓😀،।\u3000\ue000\U0010fffd\u0378":
        assert normalize("x" + ch + "y") == "x y", ch


def test_emoji_that_answer_yes_read_as_ok():
    for ch in "👍👌✅":
        assert normalize(ch) == " ok ", ch
    for ch in "…！？":  # NFKC first: ASCII punctuation, a boundary too
        assert re2.compile(f"x{NON_WORD}+y").fullmatch(normalize("x" + ch + "y")), ch


def test_kept_symbols_stay_and_are_boundaries():
    assert normalize("“drop” «it» ‘x’ • €5 £3 ¥9 ∫∑√ é") == "“drop” «it» ‘x’ • €5 £3 ¥9 ∫∑√ é"
    for ch in KEPT_SYMBOLS:
        assert not is_word_char(ch) and re2.compile(NON_WORD).fullmatch(ch), ch


def _literal_non_ascii(source: str) -> set[str]:
    return {ch for ch in source if not ch.isascii() and not _is_letter_digit_or_mark(ch)}


def test_every_symbol_the_rules_use_in_a_regex_is_kept():
    used = set()
    for path in RULES.glob("*.rules"):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
        for body in re.findall(r'regex\("((?:[^"\\]|\\.)*)"\)', "\n".join(lines)):
            used |= _literal_non_ascii(body)
    assert used, "the default rules use some symbols literally (currency, quotes): the scan must see them"
    assert used <= set(KEPT_SYMBOLS), sorted(used - set(KEPT_SYMBOLS))


def test_kept_list_holds_only_symbols():
    assert len(set(KEPT_SYMBOLS)) == len(KEPT_SYMBOLS)
    for ch in KEPT_SYMBOLS:
        assert not ch.isascii() and unicodedata.category(ch)[0] in "PS", ch
        assert unicodedata.normalize("NFKC", ch) == ch and blank_symbols(ch) == ch, ch


def test_no_non_word_character_folds_into_a_word_character():
    # word_char_except relies on this: (?i) folding the non-word ranges must not pull letters in.
    for lo, hi in NON_WORD_RANGES:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            for other in (ch.lower(), ch.upper()):
                assert len(other) != 1 or not is_word_char(other), hex(cp)


def test_word_char_except_leaves_out_every_case():
    cls = re2.compile("(?i)" + word_char_except(["a", "é", "s"]))
    for ch in "aAéÉsSſ":
        assert cls.fullmatch(ch) is None, ch
    for ch in "bBèжЖ1_":
        assert cls.fullmatch(ch) is not None, ch
    assert cls.fullmatch(" ") is None and cls.fullmatch(",") is None and cls.fullmatch("“") is None


def test_classes_are_small():
    # The point of the contract: a boundary is a few ASCII ranges and a dozen code points.
    assert re2.compile(WORD_CHAR).programsize < 60
    assert re2.compile(NON_WORD).programsize < 60


def test_gap_word_end_holds_no_word_character():
    from hrouter.compiler.lower_patterns import _WORD_END

    end = re2.compile(_WORD_END)
    for cp in list(range(0x0, 0x3000)) + list(range(0x3000, 0x3100)):
        ch = chr(cp)
        if end.fullmatch(ch) is not None:
            assert not is_word_char(ch), hex(cp)
