import sys
import unicodedata

import pytest

from hrouter.engine.normalize import _DROP, normalize


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("ｄｒｏｐ the database", "drop the database"),
        ("de\u200blete all files", "delete all files"),
        ("de\u00adlete all files", "delete all files"),
        ("del\u200dete\u2060 all\ufeff files", "delete all files"),
        ("\u202edelete\u202c files", "delete files"),
        ("dеlеtе the rеpо", "delete the repo"),  # Cyrillic е and о
        ("wіре the disk", "wipe the disk"),  # Cyrillic і р е
        ("ΡΟЅΤ it", "post it"),  # Greek and Cyrillic capitals
        ("drop\u00a0the\u3000table", "drop the table"),  # compatibility spaces
        ("𝐝𝐞𝐥𝐞𝐭𝐞 it", "delete it"),  # mathematical bold
    ],
)
def test_disguised_forms_become_plain(disguised, plain):
    assert normalize(disguised) == plain


def test_ascii_is_only_lower_cased():
    text = "Rewrite THIS text\twith\nnewlines"
    assert normalize(text) == text.lower()


def test_every_text_comes_out_lower_case():
    assert normalize("ＤＲＯＰ the TABLE") == "drop the table"
    assert normalize("Supprimé ΣΟΦΙΑ") == "supprimé σοφια"


def test_genuine_words_of_other_scripts_are_kept():
    assert normalize("удалить все файлы") == "удалить все файлы"
    assert normalize("συνάρτηση") == "συνάρτηση"
    assert normalize("supprimé") == "supprimé"


@pytest.mark.parametrize("text", ["a\udc80b", "\ud800", "x\udfff\ud800y", "\ud83d\ude00 ok"])
def test_lone_surrogates_never_raise(text):
    out = normalize(text)
    out.encode("utf-8")  # must be encodable for RE2


def test_surrogate_pair_becomes_its_character():
    assert normalize("x\ud840\udc00y") == "x\U00020000y"  # a CJK ideograph, a letter


def test_every_format_character_is_dropped():
    missing = [hex(cp) for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf" and cp not in _DROP]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("drop—the table", "drop the table"),  # em dash between words is a boundary
        ("delete ✓ 😀 it", "delete     it"),  # one space per symbol: lengths stay put
        ("¡borra todo!", " borra todo!"),
        ("de\u200blete", "delete"),  # invisible characters are dropped, not spaced
        ("«sí» “ok” €5", "«sí» “ok” €5"),  # symbols rules name are kept
        ("नमस्ते दुनिया", "नमस्ते दुनिया"),  # combining vowel signs stay inside words
    ],
)
def test_symbols_become_spaces(text, plain):
    assert normalize(text) == plain
