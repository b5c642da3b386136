"""Lexical features -> RE2 patterns for the single `re2.Set`.

Everything lowers to plain RE2: no lookaround, no backreferences. Word boundaries work in any
script because they are spelled as "a character that is not part of a word" (see
`wordchars.py`), consumed rather than asserted: the Set only reports *which* patterns match,
so consuming a neighbouring character costs nothing. Prompts are lower-cased by the
normaliser and words by `normal()`, so word patterns need no `(?i)`; a `regex(...)` feature
keeps it, since its author may have written capitals.
"""

from __future__ import annotations

import re
import unicodedata

import attrs

from hrouter.compiler import ast
from hrouter.compiler.wordchars import NON_WORD, WORD_CHAR, escape_class_char, is_word_char, word_char_except
from hrouter.engine.artifact import TokenForm, TokenItem
from hrouter.engine.normalize import KEPT_SYMBOLS, blank_symbols

BEFORE = rf"(?:^|{NON_WORD})"
AFTER = rf"(?:$|{NON_WORD})"
# Inside a phrase one space stands for any run of white space or hyphens ("prod db" = "prod-db").
PHRASE_GAP = r"[\s\-]+"
MAX_DISTANCE = 50


class LoweringError(ValueError):
    """A lexical construct that cannot be lowered; `pos` says where."""

    def __init__(self, message: str, pos: ast.Pos):
        super().__init__(message)
        self.pos = pos


def normal(text: str) -> str:
    """Words are compared with normalised prompts (NFKC, symbols blanked, lower case:
    engine/normalize.py), so a word typed with a combining accent, in full-width letters or in
    capitals is normalised the same way."""
    if text.isascii():  # NFKC and the symbol table leave ASCII as it is
        return text.strip().lower()
    return blank_symbols(unicodedata.normalize("NFKC", text)).strip().lower()


def word_regex(word: ast.Word) -> str:
    """One word or phrase, without the outer boundaries: those depend on its edge characters."""
    text = normal(word.text)
    if not text:
        raise LoweringError("empty word", word.pos)
    if "*" in text:
        raise LoweringError("'*' may only end a word (a prefix match such as delet*)", word.pos)
    if len(text) > 1 and text[0] == text[-1] == "'":
        raise LoweringError(f"{text} keeps its single quotes as part of the word; quote with double quotes", word.pos)
    body = PHRASE_GAP.join(re.escape(part) for part in text.split())
    if word.prefix:
        body += WORD_CHAR + "*"
    return body


def words_alternation(words: ast.Words) -> str:
    """Any of the words, each with the boundaries its edge characters need.

    Words are grouped by those needs so that each group spells its boundaries once: a boundary
    class is the costly part of a pattern, and a list of a hundred words would otherwise carry
    two hundred of them. `c++` or `.env` begin or end with punctuation, which is a boundary in
    itself; demanding a non-word character beyond it would stop `.env` from matching in
    `cat .env`."""
    groups: dict[tuple[bool, bool, bool], set[str]] = {}
    for w in words.items:
        text = normal(w.text)
        body = word_regex(ast.Word(text, False, w.pos))
        before = bool(text) and is_word_char(text[0])
        after = w.prefix or (bool(text) and is_word_char(text[-1]))
        groups.setdefault((before, after, w.prefix), set()).add(body)
    parts = []
    for (before, after, prefix), bodies in sorted(groups.items()):
        part = "(?:" + "|".join(sorted(bodies)) + ")"  # sorted: deterministic and duplicate-free
        if prefix:
            part += WORD_CHAR + "*"
        parts.append((BEFORE if before else "") + part + (AFTER if after else ""))
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def inner_alternation(words: ast.Words) -> str:
    """Any of the words with no outer boundaries, for use between explicit separators; the
    prefix words share one trailing word-character class."""
    plain = sorted({word_regex(w) for w in words.items if not w.prefix})
    stems = sorted({word_regex(ast.Word(w.text, False, w.pos)) for w in words.items if w.prefix})
    parts = plain + ([f"(?:{'|'.join(stems)}){WORD_CHAR}*"] if stems else [])
    return "(?:" + "|".join(parts) + ")"


# What may end an intervening word: white space and punctuation, which on normalised text is
# any ASCII character but a letter, digit or `_` (a word character), or a symbol the normaliser
# keeps; so a dash or a quotation mark standing between spaces is not counted as a word.
_WORD_END = r"[\s!-/:-@\[-^`{-~" + "".join(escape_class_char(c) for c in sorted(set(KEPT_SYMBOLS))) + "]+"


def gap(distance: int) -> str:
    """Between two words: a boundary, then up to distance-1 other words, then any punctuation
    before the second word. Intervening words are counted by white space (`old-style` is one
    word); punctuation may also end one, so "drop the,table" has one word between, and a dash
    between spaces is not a word.

    Counting this way keeps the exact word classes out of the repeated part: one near(..., 4)
    used to carry eight of them, and near/then patterns were most of the RE2 set's size."""
    if distance == 1:
        return rf"{NON_WORD}+"
    return rf"{NON_WORD}+(?:\S+?{_WORD_END}){{0,{distance - 1}}}{NON_WORD}*"


def near_regex(a: ast.Words, b: ast.Words, distance: int, ordered: bool) -> str:
    if not 1 <= distance <= MAX_DISTANCE:
        raise LoweringError(f"distance must be between 1 and {MAX_DISTANCE}, got {distance}", a.pos)
    x, y = inner_alternation(a), inner_alternation(b)
    g = gap(distance)
    if ordered:
        return f"{BEFORE}{x}{g}{y}{AFTER}"
    return f"{BEFORE}(?:{x}{g}{y}|{y}{g}{x}){AFTER}"


# ---- complement of a finite set of words -------------------------------------------------------


@attrs.define
class _Node:
    children: dict[str, "_Node"] = attrs.field(factory=dict)
    ends: bool = False  # a listed word ends here
    all_below: bool = False  # a listed prefix* ends here: every continuation is excluded too


def _trie(words: list[ast.Word]) -> _Node:
    root = _Node()
    for w in words:
        text = normal(w.text)  # lower case, as prompts are
        if not text:
            raise LoweringError("empty word", w.pos)
        if "*" in text or any(not is_word_char(c) for c in text):
            raise LoweringError("next_not excludes single words (letters, digits, _), optionally with a trailing *", w.pos)
        node = root
        for ch in text:
            node = node.children.setdefault(ch, _Node())
        if w.prefix:
            node.all_below = True
        else:
            node.ends = True
    return root


def _tail(node: _Node, at_root: bool) -> str | None:
    """A regex for the rest of a word, given the prefix that led to `node`, such that the
    whole word is not listed; None when no such continuation exists."""
    if node.all_below:
        return None
    alts = []
    if not at_root and not node.ends:
        alts.append("")  # the word may end here: this prefix is itself not listed
    kids = sorted(node.children)
    alts.append(word_char_except(kids) + WORD_CHAR + "*")
    for ch in kids:
        rest = _tail(node.children[ch], at_root=False)
        if rest is not None:
            alts.append(re.escape(ch) + rest)
    return "(?:" + "|".join(alts) + ")"


def complement_regex(excluded: list[ast.Word]) -> str:
    """A whole word (a maximal run of word characters, followed by a boundary) that is none of
    `excluded`; a listed `prefix*` also excludes every word starting with it."""
    tail = _tail(_trie(excluded), at_root=True)
    assert tail is not None  # the root always allows a first letter outside the list
    return tail + AFTER


def next_not_regex(a: ast.Words, excluded: list[ast.Word]) -> str:
    return rf"{BEFORE}{inner_alternation(a)}\s+{complement_regex(excluded)}"


# ---- features -------------------------------------------------------------------------------


def lower_lexical(body, resolve_words, splice=None) -> list[str]:
    """Patterns for one lexical feature body. `resolve_words(ident)` returns the `Words` of the
    feature an operand names (checks guarantee it exists); `splice(pattern)` expands the
    `{name}` references of a regex (`fragments.Splicer.expand`)."""

    def operand(x) -> ast.Words:
        return resolve_words(x) if isinstance(x, ast.Ident) else x

    if isinstance(body, ast.Words):
        return [words_alternation(body)]
    if isinstance(body, ast.Near):
        return [near_regex(operand(body.a), operand(body.b), body.distance, body.ordered)]
    if isinstance(body, ast.NextNot):
        return [next_not_regex(operand(body.a), list(body.excluded))]
    if isinstance(body, ast.Regex):
        if not body.pattern:
            raise LoweringError("empty regex", body.pos)
        pattern = splice(body.pattern) if splice is not None else body.pattern
        return ["(?i)" + narrow_punctuation(pattern)]
    raise TypeError(f"not a lexical feature: {body!r}")


# The punctuation (Unicode category P) left in a normalised prompt: ASCII's, and the kept
# symbols that are punctuation. Everything else in category P has become a space.
_PUNCT = "".join(
    escape_class_char(c) if not c.isascii() else ("\\" + c if c in "[]\\^-" else c)
    for c in sorted({chr(i) for i in range(128)} | set(KEPT_SYMBOLS))
    if unicodedata.category(c).startswith("P")
)


def narrow_punctuation(pattern: str) -> str:
    """``pattern`` with ``\\pP`` spelled as the punctuation a normalised prompt can hold.

    RE2 compiles ``\\pP`` to hundreds of UTF-8 ranges, which every prompt then pays for in
    compile time and DFA states; on normalised text the short class matches exactly the same
    characters. Inside a character class the class body is inserted, elsewhere a class."""
    if "\\pP" not in pattern:
        return pattern
    out: list[str] = []
    i, in_class, body_start = 0, False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if pattern.startswith("\\pP", i):
                out.append(_PUNCT if in_class else f"[{_PUNCT}]")
            else:
                out.append(pattern[i : i + 2])
            i += 3 if pattern.startswith("\\pP", i) else 2
            continue
        if in_class and ch == "[" and pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)  # a POSIX class such as [:alpha:]
            if end >= 0:
                out.append(pattern[i : end + 2])
                i = end + 2
                continue
        if in_class and ch == "]" and i > body_start:
            in_class = False
        elif not in_class and ch == "[":
            in_class = True
            body_start = i + 2 if pattern.startswith("[^", i) else i + 1  # a "]" first is literal
        out.append(ch)
        i += 1
    return "".join(out)


# ---- the same features for the token scan ------------------------------------------------------


def token_item(word: ast.Word) -> TokenItem | None:
    """A listed word or phrase as runs of word characters and what stands between them (see
    ``TokenItem``); None when its regex says something tokens cannot: a phrase with nothing but
    punctuation at one end of a gap, no word character at all, or a prefix after punctuation."""
    parts = normal(word.text).split()
    if all(part.isalnum() for part in parts):  # the common case: words and gaps (isalnum implies word characters)
        return TokenItem(tuple(parts), (("", True, ""),) * (len(parts) - 1), prefix=word.prefix) if parts else None
    words: list[str] = []
    seps: list[tuple[str, bool, str]] = []
    lead = head = tail = ""
    gap = False
    for index, part in enumerate(parts):
        if index:
            if gap and tail:
                return None  # "a - b": a gap, punctuation, a gap
            gap = True
        for run, is_word in _runs(part):
            if not is_word:
                if gap:
                    tail += run
                else:
                    head += run
                continue
            if not words:
                if gap:
                    return None  # punctuation, a gap, then the first word
                lead = head
            else:
                seps.append((head, gap, tail))
            words.append(run)
            head = tail = ""
            gap = False
    if not words or (word.prefix and head):
        return None
    return TokenItem(tuple(words), tuple(seps), lead, head, word.prefix)


def _runs(part: str):
    """(run, is a word) for the maximal runs of word and of other characters of ``part``."""
    start = 0
    for i in range(1, len(part) + 1):
        if i == len(part) or is_word_char(part[i]) != is_word_char(part[start]):
            yield part[start:i], is_word_char(part[start])
            start = i


def token_form(body, resolve_words, shared: dict | None = None) -> TokenForm | None:
    """The token form of a word-based feature body, or None (a regex, or an item ``token_item``
    cannot express): the engine then reads that feature with its regex alone. ``shared`` (one
    dict per rule set) gives a list used by several features one tuple, stored once."""
    shared = {} if shared is None else shared

    def items(x) -> tuple[TokenItem, ...] | None:
        listed = resolve_words(x) if isinstance(x, ast.Ident) else x
        if id(listed) not in shared:
            out = tuple(dict.fromkeys(token_item(w) for w in listed.items))
            shared[id(listed)] = (listed, None if None in out else out)  # the node too: its id stays its own
        return shared[id(listed)][1]

    if isinstance(body, ast.Words):
        a = items(body)
        return None if a is None else TokenForm("words", a)
    if isinstance(body, ast.Near):
        a, b = items(body.a), items(body.b)
        if a is None or b is None:
            return None
        return TokenForm("near", a, b, body.distance, body.ordered)
    if isinstance(body, ast.NextNot):
        a = items(body.a)
        excluded = tuple(dict.fromkeys(TokenItem((normal(w.text),), prefix=w.prefix) for w in body.excluded))
        return None if a is None else TokenForm("next_not", a, excluded)
    return None
