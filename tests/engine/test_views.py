import ast
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hrouter.engine import views
from hrouter.engine.normalize import normalize
from hrouter.engine.normalize import unaccented
from hrouter.engine.views import letters_view

PHRASES = ["delete all files", "drop the users table", "send the invoice", "pay the bill", "deploy to production"]


def read(text: str) -> str:
    """What the gate would judge: the view, normalised, with runs of spaces as one."""
    view = letters_view(text)
    assert view is not None, f"nothing recovered from {text!r}"
    return " ".join(normalize(view).split())


def each_letter(fn):
    return lambda phrase: " ".join("".join(fn(ch) for ch in word) for word in phrase.split())


def first_word(fn):
    return lambda phrase: " ".join([fn(phrase.split()[0]), *phrase.split()[1:]])


UPSIDE_DOWN = dict(zip("abcdefghijklmnopqrstuvwxyz", "ɐqɔpǝɟƃɥᴉɾʞlɯuodbɹsʇnʌʍxʎz"))
SUPERSCRIPT = dict(zip("abcdefghijklmnoprstuvwxyz", "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"))
SMALL_CAPS = dict(zip("abcdefghijklmnoprstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ"))


def at(base: int, ch: str) -> str:
    return chr(base + ord(ch) - ord("a"))


OBFUSCATIONS = {
    "spaced": first_word(" ".join),
    "dotted": lambda p: " ".join(".".join(w) if len(w) > 2 else w for w in p.split()),  # t.o: two stay
    "dashed capitals": first_word(lambda w: "-".join(w.upper())),
    "underscored": first_word("_".join),
    "starred": first_word("*".join),
    "slashed": first_word("/".join),
    "piped": first_word("|".join),
    "strike-through": lambda p: "".join(ch + "\u0336" for ch in p),
    "short strike": each_letter(lambda ch: ch + "\u0335"),
    "slash overlay": each_letter(lambda ch: ch + "\u0338"),
    "underline": each_letter(lambda ch: ch + "\u0332"),
    "stacked accents": each_letter(lambda ch: ch + "\u0301\u0308\u0323"),
    "parenthesised": each_letter(lambda ch: at(0x249C, ch)),
    "parenthesised capitals": each_letter(lambda ch: at(0x1F110, ch)),
    "negative circled": each_letter(lambda ch: at(0x1F150, ch)),
    "negative squared": each_letter(lambda ch: at(0x1F170, ch)),
    "circled and spaced": first_word(lambda w: " ".join(at(0x24D0, ch) for ch in w)),
    "full-width and spaced": first_word(lambda w: "\u3000".join(at(0xFF41, ch) for ch in w)),
    "math bold and dotted": first_word(lambda w: ".".join(at(0x1D41A, ch) for ch in w)),
    "small capitals": each_letter(SMALL_CAPS.get),
    "small capitals, spaced": first_word(lambda w: " ".join(SMALL_CAPS[ch] for ch in w)),
    "superscripts, spaced": first_word(lambda w: " ".join(SUPERSCRIPT[ch] for ch in w)),
    "superscripts, dashed": first_word(lambda w: "-".join(SUPERSCRIPT[ch] for ch in w)),
    "upside down": lambda p: "".join(UPSIDE_DOWN.get(ch, ch) for ch in reversed(p)),
    "upside down with ן": lambda p: "".join(UPSIDE_DOWN.get(ch, ch) for ch in reversed(p)).replace("l", "ן"),
    "regional indicators": lambda p: " ".join("".join(at(0x1F1E6, c) for c in w) if len(w) > 2 else w for w in p.split()),
    "zero-width in spaced letters": first_word(lambda w: " ".join(w).replace(" ", "\u200b \u200b")),
}


@pytest.mark.parametrize("phrase", PHRASES)
@pytest.mark.parametrize("kind", OBFUSCATIONS)
def test_every_obfuscation_is_recovered(kind, phrase):
    disguised = OBFUSCATIONS[kind](phrase)
    assert " ".join(normalize(disguised).split()) != phrase  # a disguise normalize() alone misses
    assert read(disguised) == phrase


@pytest.mark.parametrize("base", [0x1F130, 0x24D0, 0x24B6, 0xFF41, 0x1D41A, 0x1D552])
def test_what_normalize_reads_already_needs_no_view(base):
    disguised = " ".join("".join(at(base, ch) for ch in w) for w in "delete all files".split())
    assert normalize(disguised) == "delete all files"
    assert letters_view(disguised) is None


LEET = {
    "delete all files": ["d3l3t3 @ll f1l3s", "d3lete all files", "de|ete a|| files", "d\u200b3lete all files"],
    "drop the users table": ["dr0p th3 us3rs t4bl3", "DR0P THE U5ERS TABLE", "dr0p the u$ers table"],
    "send the invoice": ["$end the invoice", "s3nd th3 1nv0ic3", "s3nd the inv0ice"],
    "pay the bill": ["p4y the bill", "p@y th3 b1ll", "p4y the b!ll"],
    "deploy to production": ["d3pl0y to production", "d3ploy t0 pr0duct1on", "depl0y to pr0duction"],
}


@pytest.mark.parametrize(("phrase", "disguised"), [(p, d) for p, ds in LEET.items() for d in ds])
def test_leetspeak_is_recovered(phrase, disguised):
    assert read(disguised) == phrase


def test_punctuation_after_a_leet_word_stays_punctuation():
    assert read("dr0p it!") == "drop it!"
    assert read("| dr0p | it |") == "| drop | it |"


@pytest.mark.parametrize(
    ("token", "plain"),
    [
        ("d3lete", "delete"), ("dr0p", "drop"), ("p4y", "pay"), ("r3m0v3", "remove"), ("$end", "send"),
        ("de|ete", "delete"), ("@ll", "all"), ("p@$$w0rd", "password"), ("pa$$", "pass"), ("1gnore", "ignore"),
        ("c00l", "cool"), ("h4x0r", "haxor"), ("pwn3d", "pwned"), ("purg3", "purge"),
        ("python3", "pythone"),  # one trailing 3 after four letters reads as leet; the view is harmless
        # names, numbers and ids stay as they are
        ("mp3", None), ("mp4", None), ("s3", None), ("ec2", None), ("h264", None), ("utf8", None), ("2fa", None),
        ("b2b", None), ("4k", None), ("4o", None), ("sha1", None), ("md5", None), ("gpt4", None),
        ("ipv4", None), ("x86", None), ("l10n", None), ("i18n", None), ("100ms", None), ("1st", None), ("3rd", None),
        ("4th", None), ("5min", None), ("8bit", None), ("3D", None), ("v1", None), ("v1beta1", None), ("0x1f3a", None),
        ("c0de", None), ("3fa85f", None), ("d3adb33f", None), ("1337", None), ("node18", None), ("win10", None),
        ("a" * 20 + "3" + "b" * 4, None),
    ],
)
def test_the_leet_rule(token, plain):
    assert views._unleet_token(token) == plain


ORDINARY = [
    "Please summarise the attached quarterly report and list the three main risks for the board.",
    "Can you help me write a cover letter for a junior data analyst position? I have 2 years of experience.",
    "What's the difference between a list and a tuple in Python 3.12?",
    "Translate 'good morning' into French, Spanish and German!",
    "I need 3 ideas for a 10-minute talk on climate change, due on 2024-05-01 at 9:30 a.m.",
    "Hello! How are you today? Let's plan a trip to Rome for 4 people in May.",
    "Upload the mp4 to s3, then start an ec2 instance with python3.12 and gpt-4o via the API.",
    "Enable 2fa for our b2b portal; the 4k screenshots and the mp3 files are in the utf8 folder.",
    "Our release v1.2.3 fixed CVE-2024-12345; the next one is 1.3.0-rc.1 (see CHANGELOG.md).",
    "See https://github.com/org/repo/blob/main/src/app.py#L10 and https://example.com/a/b/c?x=1&y=2",
    "def area(r):\n    return 3.14159 * r ** 2\n\nprint(area(10))",
    "SELECT name, email FROM users WHERE created_at > '2024-01-01' ORDER BY name LIMIT 50;",
    "for (let i = 0; i < n; i++) { total += items[i].price * items[i].qty; }",
    "const url = `${base}/api/v2/items/${id}`; // x86_64, arm64, h264, sha256, base64",
    "e.g. the U.K. and i.e. the rest; a.m. and p.m.; 100ms, 30s, 5min, 1st, 2nd, 3rd and 4th.",
    "Call me at +1 (555) 010-9999 or mail jane.doe@example.com about the 3D model and the k-means run.",
    "The ratio is 3:1, the temperature 21 C, and the budget $1,200 for Q3.",
    "Model names: GPT-4, Claude 3.5 Sonnet, Llama-3.1-8B, o1, o3-mini, Qwen2.5, RTX 4090, A100, H100.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_prompts_take_the_none_path(text, monkeypatch):
    for step in ("_join_runs", "_unleet", "_strip_marks", "_unturn"):
        monkeypatch.setattr(views, step, lambda t, step=step: pytest.fail(f"{step} ran on {text!r}"))
    assert letters_view(text) is None


OTHER_SCRIPTS = [
    "Xóa tất cả các tệp trong thư mục này và gửi hóa đơn cho khách hàng người được ở đó",
    unicodedata.normalize("NFD", "Xóa tất cả các tệp trong thư mục này, người được ở đâu"),
    "कृपया सभी फ़ाइलें हटाएँ और ग्राहक को चालान भेजें।",
    "يرجى حذف جميع الملفات وإرسال الفاتورة إلى العميل.",
    "กรุณาลบไฟล์ทั้งหมดและส่งใบแจ้งหนี้ให้ลูกค้า",
    "请删除所有文件，并把发票发送给客户！谢谢。",
    "שלח את החשבונית ללקוח ומחק את כל הקבצים.",
    "Пожалуйста, удалите все файлы и отправьте счёт клиенту. Всё, ещё, её.",
    "Supprimé, réélu, créée, façade, naïve, Ærøskøbing, Straße, żółć, čí",
    "I love 🇫🇷 and 🇮🇹 ❤️ 👨‍👩‍👧 — prix\u00a0: 10\u00a0000\u00a0€, 20°C, № 5",
]


LATIN = {0, 1, 8}  # the texts with accented Latin letters: their view is read without the accents


@pytest.mark.parametrize("text", [t for i, t in enumerate(OTHER_SCRIPTS) if i not in LATIN])
def test_other_scripts_are_left_alone(text):
    assert letters_view(text) is None


@pytest.mark.parametrize("text", [OTHER_SCRIPTS[i] for i in sorted(LATIN)])
def test_accented_latin_is_read_without_its_accents(text):
    view = letters_view(text)
    assert view is not None
    assert normalize(view).split() == unaccented(normalize(text)).split()


def test_unaccented_keeps_vietnamese_tones_and_other_scripts():
    assert unaccented("Zapłać fakturę, Straße, Ærø") == "Zaplac fakture, Strasse, AEro"
    # a word with a letter only Vietnamese has keeps every mark: "chớ" (don't) is not "cho" (for)
    assert unaccented("chớ xóa đừng") == "chớ xoa đừng"
    assert unaccented("कृपया हटाएँ удалите все") == "कृपया हटाएँ удалите все"


@pytest.mark.parametrize("text", OTHER_SCRIPTS[:8])
def test_other_scripts_keep_their_words_beside_a_recovered_one(text):
    view = letters_view(text + " d3lete")
    assert view is not None
    assert normalize(view).split() == unaccented(normalize(text)).split() + ["delete"]


def test_marks_are_stripped_from_latin_words_only():
    hindi = "हिंदी"
    assert read(f"d\u0336e\u0336l\u0336e\u0336t\u0336e\u0336 {hindi}") == f"delete {normalize(hindi)}"
    assert read("ḋëḷëṫë the repo") == "delete the repo"  # accents NFC composes, on every letter
    assert read("dе\u0336lе\u0336tе\u0336") == "delete"  # Cyrillic е under the strokes


def test_names_and_neighbours_are_not_joined():
    for text in ("src/a/b/c.py", "obj.a.b.c", "a-b-c-long", "x_y_zed", "is a b"):
        assert letters_view(text) is None, text
    assert letters_view("naïve a b cd") == "naive a b cd"  # accents go, single letters stay apart
    assert read("please D-E-L-E-T-E it, then p a y") == "please delete it, then pay"


def test_upside_down_runs_stop_at_ordinary_words():
    assert read("ok: sǝlᴉɟ llɐ ǝʇǝlǝp, thanks") == "ok: delete all files, thanks"
    assert read("ǝʇǝlǝp llɐ sǝlᴉɟ") == "files all delete"  # turned word by word: words come out backwards
    assert letters_view("Azərbaycan dəniz bəs səs") is None  # schwa alone is not a turned e


def test_a_lone_flag_stays_a_flag():
    assert letters_view("🇩🇪 flag") is None
    assert read("🇩🇪🇱🇪🇹🇪 🇦🇱🇱") == "delete all"


def test_invisible_characters_stay_dropped():
    assert letters_view("de\u200blete all\u00ad files") is None  # normalize() already reads it
    assert read("d\u200b3\u00adl\u2060ete") == "delete"
    assert "\u200b" not in letters_view("d\u200b3lete")


def test_lone_surrogates_do_not_raise():
    assert read("\ud800 d3lete \udfff") == "delete"
    assert letters_view("abc \ud83d") is None


SPECIAL = "0134578@$!|._-*/ \u0336\u0301\u200b\u00ad\u3000ɐǝʇᴉɹʎן∀⊥ᴅᴇꜱ⒟🅓🅳🇩🇪éëḋđơưआिक中ІеоÅ\n"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from(SPECIAL), st.characters(), st.sampled_from("abdelopstu")), max_size=60))
def test_never_raises_and_a_view_of_a_view_adds_nothing(text):
    view = letters_view(text)
    assert view is None or isinstance(view, str)
    if view is not None:
        again = letters_view(view)
        assert again is None or again == view


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["the", "report", "3", "2024", "Hello!", "files", "e.g.", "s3", "mp4", "i.e.", "4k"]),
                max_size=40))
def test_plain_words_and_numbers_give_none(words):
    assert letters_view(" ".join(words)) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=9),
                                    st.integers(0, 10**6).map(str)),
                          st.sampled_from([" ", ", ", ". ", "\n", "! ", "? ", " - ", ": ", "; "])), max_size=60))
def test_ascii_prose_without_leet_or_single_letters_gives_none(parts):
    assert letters_view("".join(word + sep for word, sep in parts)) is None


def in_ranges(cp: int, ranges) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def test_compat_ranges_cover_every_character_nfkc_makes_an_ascii_letter_or_digit():
    missing = []
    for cp in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= cp < 0xE000 or in_ranges(cp, views._COMPAT) or cp in views._PRE:
            continue
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch)
        if folded != ch and any(c.isascii() and c.isalnum() for c in folded):
            missing.append(hex(cp))
    assert not missing


def test_tables_hold_what_nfkc_leaves():
    for ch in views._STRONG + "".join(map(chr, views._POST)):
        assert unicodedata.normalize("NFKC", ch) == ch, ch
    assert len(views._TURNED) == len(views._STRONG) + 30
    assert all(v.isascii() for v in views._TURNED.values())
    for ch in "".join(map(chr, views._PRE)):
        assert letters_view(f"x {ch}{ch}{ch}") is not None


def test_the_engine_module_imports_no_front_end_or_re():
    tree = ast.parse(Path(views.__file__).read_text())
    names = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not names & {"re", "lark", "starlette", "httpx"}
    assert len(Path(views.__file__).read_text().splitlines()) <= 400  # no engine module over 400 lines


@pytest.mark.parametrize("text, view", [
    ("del.ete the old repos", "delete the old repos"),
    ("del*te every file in /data", "delte every file in /data"),
    ("wipe_the_production_database", "wipe the production database"),
])
def test_a_mark_inside_a_short_word_and_a_snake_case_message_are_read_as_words(text, view):
    assert letters_view(text) == view


def test_an_identifier_inside_a_text_stays_an_identifier():
    assert letters_view("fix delete_user_avatar_file in utils.py") is None
