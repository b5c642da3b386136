"""The letters view: a second text for the safety gate, with disguised words in plain letters.

``normalize()`` undoes NFKC equivalents, invisible characters and Cyrillic or Greek lookalikes;
what it cannot undo without changing ordinary text is left to this view, which the gate judges
*besides* the normal text: a word recovered by mistake costs little, one missed lets "d3l3t3 @ll"
through. ``letters_view`` takes the raw text and returns the view (the caller normalises it) or
None when there is nothing to recover. Recovered, in this order:

1. letters NFKC leaves alone or breaks: parenthesised (⒟, 🄓: NFKC makes "(d)"), negative
   circled and squared (🅓, 🅳), runs of three or more regional indicators (🇩🇪🇱🇪🇹🇪; a lone
   flag is two and stays a flag), small capitals (ᴅᴇʟᴇᴛᴇ, and ᶦ after NFKC) and ɩ;
2. combining marks: a word whose letters are all Latin (or lookalikes) loses every mark if one
   does not compose under NFC (strike-through, underline, stacked accents) or three marked
   letters stand in a row ("ḋëḷëṫë"). Vietnamese composes and never marks three in a row, and
   Devanagari, Thai, Arabic and Hebrew are not Latin: they keep their marks;
3. upside-down text: a stretch of one line's words holding a turned letter (ɐ ǝ ɹ ʇ ʎ ∀ ⊥...)
   and otherwise only letters that read the same turned (b d l n o p q s u x z) is turned back
   and read backwards ("sǝlᴉɟ llɐ ǝʇǝlǝp" -> "delete all files");
4. spaced letters: three or more single letters (or leet digits) joined by one and the same
   space . - _ * / or |, not part of a longer name, become one word ("d e l e t e", "D-E-L");
5. leetspeak, by the rule in ``_unleet_token``;
6. a star inside a short word, or a dot between two groups of three or four letters ("del*te",
   "del.ete"; not "app.py", "jane.doe@", "a.b.c"), and a message that is one snake_case token of
   three or more words ("wipe_the_production_database"; an identifier in a text stays one).

Cost (CPython 3.11, this container, best of 5): ASCII text with nothing to recover costs
``isascii()`` and one RE2 search: 0.9 µs for a 100-character prompt, 46 µs for 30 KB of prose.
Other text, one RE2 search of its UTF-8: 1.1 µs for 100 bytes, 65-85 µs for 30 KB of Chinese,
Russian, Vietnamese or Hindi (NFKC only runs on the slow path). A 100-character prompt holding a
disguise costs 8-40 µs, 30 KB with one about 0.2 ms. Importing takes 1.2-1.5 ms from bytecode; the
other patterns compile on first use (2 ms). Python's ``re`` is not used: prompts meet RE2 only.
"""

from __future__ import annotations

import functools
import unicodedata

import re2

from hrouter.engine.normalize import _DROP, _INVISIBLE_RANGES, _LOOKALIKE_SET, _without_surrogates, unaccented

_LEET = str.maketrans("0134578@$!|", "oieastbasil")
_NAME_DIGITS = frozenset("269")  # never leet: b2b, h264, x86, 2fa are names
_HEX = frozenset("0123456789abcdefABCDEF")


def _cls(chars) -> str:  # characters as the body of an RE2 class
    return "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars))


_span = "\\x{{{:X}}}-\\x{{{:X}}}".format  # a range of code points in an RE2 class
_L = "A-Za-z" + _cls(_LOOKALIKE_SET)  # letters, as normalize() will read them
_W = f"{_L}0-9@$!|"  # what a word is made of
_TOKEN = f"[{_W}]"
# p@y but not an e-mail address (an @ with a dot and a letter or digit after its word)
_AT = f"[{_L}]@+{_TOKEN}*(?:$|[^{_W}.]|\\.(?:$|[^A-Za-z0-9]))"
_EDGE = f"(?:^|[^{_W}])"
_LEET_HINT = f"[{_L}][0134578$!|]+[{_L}]|{_AT}|{_EDGE}[@$!][{_L}]{{2}}|{_EDGE}[0134578][{_L}]{{4}}|[{_L}]{{4}}[0134](?:$|[^{_W}.])"
_LEET_WORD = f"[{_L}][0134578@$!|]+[{_L}]|[@$!][{_L}]{{2}}|[0134578][{_L}]{{4}}|[{_L}]{{4}}[0134]"
_LEET_PAIR = f"[{_L}][0134578@$|]|[0134578@$!|][{_L}]"  # the loose pass: leet beside a letter (not Hi!)
_UNIT = f"[{_L}0134578@$]"
_SEPS = (" ", r"\.", "-", "_", r"\*", "/", r"\|")


def _run(sep: str, capture: bool = False, after: bool = False) -> str:
    """Three or more single letters joined by ``sep``, from a letter (not 1.3.0), but for spaces with
    no ``sep`` before (/a/b/c) nor a word after one after (a.b.c.foo: ``after``, or _join_runs)."""
    run = f"[{_L}@$](?:{sep}{_UNIT}){{2,}}"
    before = _EDGE if sep == " " else f"(?:^|[^{_W}{sep}])"
    end = f"(?:$|[^{_W}])" if sep == " " else f"(?:$|[^{_W}{sep}]|{sep}(?:$|[^{_W}]))"
    return before + (f"({run})" if capture else run) + (end if after else "")


_HINT = "|".join((_LEET_HINT, *(_run(sep, after=True) for sep in _SEPS)))  # a leet word or a run of letters
_RUN_AT = "|".join(_run(sep, capture=True) for sep in _SEPS)

# 1. letters NFKC leaves alone or breaks: parenthesised, negative circled and squared, tortoise
_ALPHABETS = ((0x249C, 97), (0x1F110, 65), (0x1F150, 65), (0x1F170, 65))  # first code point, its letter
_PRE = {lo + i: chr(a + i) for lo, a in _ALPHABETS for i in range(26)}
_PRE[0x1F12A] = "S"
_REGIONAL = _span(0x1F1E6, 0x1F1FF)
_POST = str.maketrans("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘꞯʀꜱᴛᴜᴠᴡʏᴢɩ", "abcdefghijklmnopqrstuvwyzi")

# 2. marks: the Latin blocks, and a mark after a Latin character or a space (NFC left it alone)
_LATIN = ((0xC0, 0x2AF), (0x1D00, 0x1DBF), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F))
_MARKED = _span(0xC0, 0x24F) + _span(0x1E00, 0x1EFF)
_BEFORE_MARK = _span(0, 0x24F) + "".join(_span(lo, hi) for lo, hi in _LATIN) + _cls(_LOOKALIKE_SET)
_MARK_HINT = f"[{_BEFORE_MARK}][\\p{{Mn}}\\p{{Me}}]|[{_MARKED}]{{3}}"

# 3. upside-down letters; the strong ones are never in ordinary words (ə ı ɔ Ɔ Λ are: Azerbaijani,
# Turkish, Akan, Greek), the ASCII ones read the same turned
_STRONG = "ɐǝɟƃᵷɥᴉɾʞןꞁɯɹʇʌʍʎ∀ⱯꓭᗡƎℲ⅁ꓘꞰ˥⅂ꞀƜᴚ⊥Ʇ∩Ʌ⅄"
_TURNED = dict(zip(_STRONG, "aefgghijkllmrtvwyAABDEFGKKLLLMRTTUVY"))
_TURNED.update(zip("əıɔƆΛԀ¡¿bdpqnulosxzHINOSXZMW69", "eicCVP!?qpdbunlosxzHINOSXZWM96"))
_UNTURN = str.maketrans(_TURNED)


# Worth the slow path besides a leet word or a run of letters: invisible characters beside a letter,
# characters NFKC makes ASCII letters or digits (_COMPAT: tests check it against unicodedata), its
# spaces and punctuation between or beside letters, and the characters of steps 1-3.
_COMPAT = [tuple(int(x, 16) for x in (r + "-" + r).split("-")[:2]) for r in """AA B2-B3 B9-BA BC-BE 132-133
    13F-140 149 17F 1C4-1CC 1F1-1F3 2B0-2E3 1D2C-1DBF 1E9A 2070-209C 20A8 2100-218F 2460-24EA 2C7C-2C7D
    3250-325F 32B1-32CF 3358-33FF A7F2-A7F4 FB00-FB06 FF10-FF19 FF21-FF3A FF41-FF5A 107A5 1D400-1D7FF
    1F100-1F10A 1F110-1F14F 1F16A-1F16C 1F190 1FBF0-1FBF9""".split()]
_COMPAT_SEPS = "\u00a0\u202f\u205f\u3000\u2024\ufe33\ufe34\ufe52\ufe61\ufe63\uff0a\uff0d\uff0e\uff0f\uff3f\uff5c"
_COMPAT_SEPS += "".join(map(chr, range(0x2000, 0x200B)))
_COMPAT_LEET = "\ufe57\ufe69\ufe6b\uff01\uff04\uff20\uff5c"
_INVISIBLE = "".join(_span(lo, hi) for lo, hi in _INVISIBLE_RANGES)
_DROP_KEYS, _PRE_KEYS, _POST_KEYS = f"[{_INVISIBLE}]", f"[{_cls(map(chr, _PRE))}]", f"[{_cls(map(chr, _POST))}]"
_UNICODE_HINT = "|".join((
    _HINT, _MARK_HINT, f"[{_REGIONAL}]{{3}}", f"[{_L}0-9@$!|][{_INVISIBLE}]|[{_INVISIBLE}][{_L}0-9@$!|]",
    f"[{''.join(_span(lo, hi) for lo, hi in _COMPAT)}{_cls(_STRONG)}]|{_PRE_KEYS}|{_POST_KEYS}",
    f"{_EDGE}{_UNIT}[{_cls(_COMPAT_SEPS)}]{_UNIT}|[{_L}][{_cls(_COMPAT_LEET)}]|[{_cls(_COMPAT_LEET)}][{_L}]",
))

_UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED
_re = functools.cache(re2.compile)
# RE2's own objects, without the wrapper's 15 µs a call of turning offsets into str ones. Only
# the ASCII hint is compiled at import, the other patterns on first use (about 2 ms).
_inner = functools.cache(lambda pattern: re2._re2.RE2(pattern.encode(), re2.Options()).Match)
_ASCII_HINT = _HINT.replace(_cls(_LOOKALIKE_SET), "")  # ASCII text holds no lookalikes
_inner(_ASCII_HINT)


def _found(pattern: str, text: str) -> bool:
    return _inner(pattern)(_UNANCHORED, (data := text.encode()), 0, len(data))[0][0] >= 0


def _spans(pattern: str, text: str):
    """(start, end) of each match of ``pattern``, or of its first group that took part."""
    if not text.isascii():
        for m in _re(pattern).finditer(text):
            yield next((m.span(g) for g in range(1, m.re.groups + 1) if m.start(g) >= 0), m.span())
        return
    data, pos, match = text.encode(), 0, _inner(pattern)
    while (spans := match(_UNANCHORED, data, pos, len(data)))[0][0] >= 0:
        yield next((span for span in spans[1:] if span[0] >= 0), spans[0])
        pos = spans[0][1]


_REGIONAL_RUN = f"[{_REGIONAL}]{{3,}}"
_MARK_WORD = f"[^ ]*(?:{_MARK_HINT})[^ ]*"
_TURNED_WORD = f"[^\\s]*[{_cls(_STRONG)}][^\\s]*"
_LEET_TOKEN = f"{_TOKEN}*(?:{_LEET_WORD}){_TOKEN}*"
_LEET_PAIRED = f"{_TOKEN}*(?:{_LEET_PAIR}){_TOKEN}*"


_MARKED_WORD = ("(^|[\\s(])([A-Za-z]{2,4})\\*([A-Za-z]{1,4})($|[\\s,.!?;:)])",
                "(^|[\\s(])([A-Za-z]{3,4})\\.([A-Za-z]{3,4})($|[\\s,!?;:)])")
_SNAKE = "^\\s*[A-Za-z]{2,}(?:_[A-Za-z]{2,}){2,}\\s*$"


# Empty quotes inside a word, which a shell drops: r""m -r''f, 'DEL''ETE'.
_EMPTY_QUOTES = "([A-Za-z0-9-])(?:''|\"\")+([A-Za-z0-9])"
_UNMARK_HINT = "|".join((_SNAKE, _EMPTY_QUOTES, *_MARKED_WORD))  # one search on the common path


def _unmark(text: str) -> str:
    if not _found(_UNMARK_HINT, text):
        return text
    if _found(_EMPTY_QUOTES, text):
        text = _re(_EMPTY_QUOTES).sub("\\1\\2", text)
    if _found(_SNAKE, text):
        return text.replace("_", " ")
    for pattern in _MARKED_WORD:
        text = _re(pattern).sub("\\1\\2\\3\\4", text) if _found(pattern, text) else text
    return text


# 7. accents: a word holding a Latin letter with a mark, read without them (the word lists match
# both forms, so "Zaplać fakturę" typed half without its accents is read as "zaplac fakture")
_ACCENTED_WORD = f"[^\\s]*[{_MARKED}\\x{{142}}\\x{{111}}\\x{{F8}}\\x{{DF}}][^\\s]*"


def letters_view(text: str) -> str | None:
    """``text`` with disguised words spelled in plain letters, or None if none is disguised."""
    if text.isascii():
        return _disguised(text)
    text = _without_surrogates(text)
    bare = unicodedata.normalize("NFC", text)  # accents typed as combining marks are accents too
    if _found(_ACCENTED_WORD, bare):
        bare = _re(_ACCENTED_WORD).sub(lambda m: unaccented(m.group()), bare)
    else:
        bare = text
    view = _disguised(bare)
    return view if view is not None else (bare if bare != text else None)


def _disguised(text: str) -> str | None:
    if text.isascii():
        if not _found(_ASCII_HINT, text):
            view = _unmark(text)
            return None if view == text else view
        view = _unmark(_unleet(_join_runs(text)))
        return None if view == text else view
    text = _without_surrogates(text)
    if not _found(_UNICODE_HINT, text):
        view = _unmark(text)
        return None if view == text else view
    text = _translate(text, _DROP, _DROP_KEYS)
    view = _translate(text, _PRE, _PRE_KEYS)
    view = _re(_REGIONAL_RUN).sub(lambda m: "".join(chr(ord(c) - 0x1F185) for c in m.group()), view)
    changed, text = view != text, unicodedata.normalize("NFKC", view)
    for step in (lambda t: _translate(t, _POST, _POST_KEYS), _strip_marks, _unturn, _join_runs, _unleet, _unmark):
        view = step(text)
        changed, text = changed or view != text, view
    return text if changed else None


def _translate(text: str, table: dict, keys: str) -> str:  # translate() costs ~80 ns a character
    return text.translate(table) if _found(keys, text) else text


def _splice(text: str, found: list[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end, new) of ``found``, in order, put in."""
    pieces, pos = [], 0
    for start, end, new in found:
        pieces += [text[pos:start], new]
        pos = end
    return "".join(pieces) + text[pos:]


def _glued(ch: str) -> bool:
    """Does ``ch`` continue a word (so a letter beside it is not alone)? CJK letters do not."""
    if ch.isascii():
        return ch.isalnum() or ch in "@$"
    return ch.isupper() or ch.islower() or unicodedata.category(ch) in ("Mn", "Me", "Mc")


def _strip_marks(text: str) -> str:
    return _re(_MARK_WORD).sub(lambda m: " ".join(map(_bare, m.group().split(" "))), text)


def _bare(word: str) -> str:
    """A Latin word without its marks, if they decorate rather than spell it."""
    others = [ord(ch) for ch in word if ch.isalpha() and not ch.isascii() and ch not in _LOOKALIKE_SET]
    if not all(any(lo <= cp <= hi for lo, hi in _LATIN) for cp in others):  # a letter of another script
        return word
    nfc = unicodedata.normalize("NFC", word)
    row = most = 0
    for ch in nfc:  # the longest row of letters that carry a mark
        row = row + 1 if ch.isalpha() and len(unicodedata.normalize("NFD", ch)) > 1 else 0
        most = max(most, row)
    if most < 3 and all(unicodedata.category(ch) not in ("Mn", "Me") for ch in nfc):
        return word
    bare = "".join(ch for ch in unicodedata.normalize("NFD", word) if unicodedata.category(ch) not in ("Mn", "Me"))
    return unicodedata.normalize("NFC", bare)


def _turnable(word: str) -> bool:
    return all(ch in _TURNED or not ch.isalpha() for ch in word)


def _unturn(text: str) -> str:
    """Upside-down stretches read the right way up."""
    runs: list[list[int]] = []
    for start, end in _spans(_TURNED_WORD, text):
        if not _turnable(text[start:end]):
            continue
        gap = text[runs[-1][1]:start] if runs else "\n"
        if "\n" not in gap and all(map(_turnable, gap.split())):
            runs[-1][1] = end
        else:
            runs.append([start, end])
    for run in runs:
        while not (text[run[0]].isalpha() or text[run[0]] in _TURNED):
            run[0] += 1  # punctuation at the edges stays where it is: "(sǝlᴉɟ)," -> "(files),"
        while not (text[run[1] - 1].isalpha() or text[run[1] - 1] in _TURNED):
            run[1] -= 1
    return _splice(text, [(start, end, text[start:end][::-1].translate(_UNTURN)) for start, end in runs])


def _join_runs(text: str) -> str:
    """Single letters in a row, one separator apart, as one word."""
    found, n = [], len(text)
    for start, end in _spans(_RUN_AT, text):
        sep = text[start + 1]
        if end < n and _glued(text[end]):
            end -= 2  # the last letter begins a word
        if start and _glued(text[start - 1]):
            continue
        if sep != " " and end + 1 < n and text[end] == sep and _glued(text[end + 1]):
            continue  # part of a dotted or dashed name: a.b.c.foo, x-y-z-long
        units = text[start:end:2]
        letters = sum(ch.isalpha() for ch in units)
        if len(units) >= 3 and letters >= 2 and 2 * letters >= len(units):
            found.append((start, end, units))
    return _splice(text, found)


def _unleet(text: str) -> str:
    """Leet words spelled out; once one is certain, the looser ones too (th3, t0, a||)."""
    return _splice(text, _leet_words(text, _LEET_TOKEN, False) and _leet_words(text, _LEET_PAIRED, True))


def _leet_words(text: str, pattern: str, loose: bool) -> list[tuple[int, int, str]]:
    found, n = [], len(text)
    for start, end in _spans(pattern, text):
        if (start and _glued(text[start - 1])) or (end < n and _glued(text[end])):
            continue  # beside a non-ASCII letter: part of a longer word
        if text[end:end + 1] == "." and end + 1 < n and text[end + 1].isalnum():
            if "@" in text[start:end] or text[end - 1].isdigit():
                continue  # an e-mail address, a version (python3.12)
        while text[start] == "|":
            start += 1  # a | before, or a ! or | after, is punctuation (in the loose pass | is l)
        token = text[start:end].rstrip("!") if loose else text[start:end].rstrip("!|")
        plain = _unleet_token(token, loose)
        if plain is not None:
            found.append((start, start + len(token), plain))
    return found


def _unleet_token(token: str, loose: bool = False) -> str | None:
    """The plain spelling of a token of letters, digits and @ $ ! |, or None if it is a name.

    A token is spelled out (0 1 3 4 5 7 8 @ $ ! | -> o i e a s t b a s i l) when it has two
    letters or more and a leet character between two of them (d3lete, dr0p, p4y, de|ete: then
    every leet character, also leading or trailing ones: r3m0v3), or leads with @ $ ! ($end, @ll),
    or with a digit before four letters or more (1gnore; not 1st, 5min, 8bit), or ends in @ or $
    (pa$$). It stays as it is when:
    - it has fewer than two letters (4k, s3, v1, 3D, o1) or more than 24 characters;
    - its only leet characters are trailing digits, a version or model (mp3, utf8, md5), except
      one 0, 1, 3 or 4 after four letters or more (purg3; python3 reads "pythone", harmless);
    - it holds 2, 6 or 9 (b2b, h264, x86, 2fa, ec2) or two different digits in a row (l10n,
      100ms, node18), or is a hex id (digits and a-f, 4 or more: c0de, 3fa85f), 0x1f or v1beta1.
    In a text that has a word spelled out by these rules, the first two relax (``loose``): one
    letter is enough and trailing leet counts, so "dr0p th3 t4bl3" and "t0 a||" read in full.
    """
    letters = [i for i, ch in enumerate(token) if ch.isalpha()]
    if len(letters) < (1 if loose else 2) or len(token) > 24 or not _NAME_DIGITS.isdisjoint(token):
        return None
    lower = token.lower()
    if lower.startswith("0x") or (lower[0] == "v" and token[1:2].isdigit()) or (len(token) > 3 and _HEX >= set(token)):
        return None
    if any(a != b and a.isdigit() and b.isdigit() for a, b in zip(token, token[1:])):
        return None
    first, last = letters[0], letters[-1]
    head, tail = token[:first], token[last + 1:]
    inner = len(letters) != last - first + 1
    lead = head and (loose or not head.isdigit() or len(letters) >= 4)
    # One trailing leet digit after four letters is a disguise too (purg3, wip3); a version or
    # model has a shorter stem or other digits (mp3, es5, utf8).
    trail = tail and (loose or not tail.isdigit() or len(tail) == 1 and len(letters) >= 4 and tail in "0134")
    return token.translate(_LEET) if inner or lead or trail else None
