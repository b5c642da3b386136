"""The token scan: word-based patterns read on a text's words instead of its bytes.

Most patterns are word lists, phrases and "A within N words of B" (``Pattern.tokens``, built by
the compiler beside each regex). A normalised text is split once into its words (maximal runs
of word characters, as ``compiler/wordchars.py`` defines them), the runs of other characters
between them, and which white-space separated chunk each word is in. Each word is then looked
up in tables built here once: the few word lists (``classes``) it belongs to. Phrases and
punctuated items are checked on the words and runs beside the hit; proximity, order and
``next_not`` on the positions of the few classes present. The cost is a dictionary lookup or
two per word, however many words the rules list.

The reading is exactly the regex's (``compiler/lower_patterns.py``; tests/engine/
test_token_scan.py compares the two on the corpora and on generated text) for normalised text
without ASCII control characters other than tab, newline, form feed and carriage return:
those change what RE2's ``\\s`` and ``\\S`` mean against white space, and such a text is left
to the regexes (``tokenize`` returns None).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hrouter.engine.artifact import Pattern, TokenItem
from hrouter.engine.normalize import KEPT_SYMBOLS

# Characters that end a word: every ASCII character but a letter, digit or `_`, and the symbols
# the normaliser keeps; any other non-ASCII character in a normalised text is part of a word.
NON_WORD = frozenset(c for c in map(chr, range(128)) if not (c.isalnum() or c == "_")) | frozenset(KEPT_SYMBOLS)
# White space str.split() knows but RE2's \s does not, and the other control characters.
_ODD_SPACE = ("\x0b", "\x1c", "\x1d", "\x1e", "\x1f")
_CONTROL = frozenset(map(chr, [*range(0, 9), *range(14, 32), 127])) - frozenset(_ODD_SPACE)
_GAP = " -"  # what a phrase's gap may hold (white space, as tokenize spells it, and hyphens)


def tokenize(text: str) -> tuple[list[str], list[str], list[int]] | None:
    """(words, runs, chunk) of a normalised text, or None when it holds a control character.

    ``runs[i]`` is the text between word i-1 and word i (``runs[0]`` before the first word,
    ``runs[-1]`` after the last), every stretch of white space in it written as one space;
    ``chunk[i]`` numbers the white-space separated chunks that hold a word."""
    for odd in _ODD_SPACE:
        if odd in text:
            return None
    words: list[str] = []
    runs: list[str] = []
    chunk: list[int] = []
    run = ""
    number = -1
    for piece in text.split():
        if words or run:
            run += " "
        if piece.isalnum():  # the common case: one word and nothing else
            number += 1
            runs.append(run)
            words.append(piece)
            chunk.append(number)
            run = ""
            continue
        start = -1
        counted = False
        for i, ch in enumerate(piece):
            if ch in NON_WORD:
                if ch in _CONTROL:
                    return None
                if start >= 0:
                    words.append(piece[start:i])
                    start = -1
                run += ch
            elif start < 0:
                if not counted:
                    number += 1
                    counted = True
                start = i
                runs.append(run)
                chunk.append(number)
                run = ""
        if start >= 0:
            words.append(piece[start:])
    runs.append(run)
    return words, runs, chunk


def _run_fits(run: str, sep: tuple[str, bool, str]) -> bool:
    head, gap, tail = sep
    if not gap:
        return run == head + tail
    middle = len(run) - len(head) - len(tail)
    return middle > 0 and run.startswith(head) and run.endswith(tail) and not run[len(head):len(run) - len(tail)].strip(_GAP)


def _ends_at(item: TokenItem, words: list[str], runs: list[str], i: int) -> int:
    """The index of the last word of ``item`` if it occurs from word ``i`` (whose first word
    the caller has matched), else -1. Its lead and trail need only touch its words here (a
    words list sets no boundary beyond them); near and next_not ask for more (``_fits``)."""
    n = len(item.words)
    last = i + n - 1
    if last >= len(words):
        return -1
    for k in range(1, n):
        word = words[i + k]
        if not (word.startswith(item.words[k]) if k == n - 1 and item.prefix else word == item.words[k]):
            return -1
        if not _run_fits(runs[i + k], item.seps[k - 1]):
            return -1
    if item.lead and not runs[i].endswith(item.lead):
        return -1
    if item.trail and not runs[last + 1].startswith(item.trail):
        return -1
    return last


# An occurrence: (first word, last word, length of the item's lead, of its trail).
Occurrence = tuple[int, int, int, int]


class TokenScan:
    """Built once from the patterns that have a token form; ``match`` gives their indexes."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        # A class per list; the compiler shares one tuple per list however many features use it,
        # so lists are told apart by identity (an equal copy is merely a second class).
        class_of: dict[int, tuple[int, tuple[TokenItem, ...]]] = {}

        def cls(items: tuple[TokenItem, ...]) -> int:
            return class_of.setdefault(id(items), (len(class_of), items))[0]

        # Per pattern: (index, kind, class a, class b, distance, ordered, excluded words, stems)
        self.forms = []
        for index, p in enumerate(patterns):
            form = p.tokens
            if form is None:
                continue
            a = cls(form.a)
            b = cls(form.b) if form.kind == "near" else -1
            excluded = frozenset(x.words[0] for x in form.b if not x.prefix) if form.kind == "next_not" else frozenset()
            stems = tuple(x.words[0] for x in form.b if x.prefix) if form.kind == "next_not" else ()
            self.forms.append((index, form.kind, a, b, form.distance, form.ordered, excluded, stems))
        self.indexes = frozenset(f[0] for f in self.forms)
        by_class: dict[int, list] = defaultdict(list)  # the forms a class can set, by their first operand
        for form in self.forms:
            by_class[form[2]].append(form)
        self._forms_of = {c: tuple(fs) for c, fs in by_class.items()}
        # One lookup per word: the lists it is a plain item of, the items that start with it and
        # need checking, and whether a phrase starts with it (phrases are then found by their first
        # two words). Prefix items are found by the first few letters of their stem.
        single: dict[str, set[int]] = defaultdict(set)
        checked: dict[str, list[tuple[int, TokenItem]]] = defaultdict(list)
        pairs: dict[tuple[str, str], list[tuple[int, TokenItem]]] = defaultdict(list)
        stemmed: list[tuple[str, int, TokenItem | None]] = []
        for c, items in class_of.values():
            for item in items:
                words = item.words
                if not (item.seps or item.prefix or item.lead or item.trail):
                    single[words[0]].add(c)
                elif len(words) == 1 and item.prefix:
                    stemmed.append((words[0], c, None if not (item.lead or item.trail) else item))
                elif len(words) > 2 or (len(words) == 2 and not item.prefix):
                    pairs[words[0], words[1]].append((c, item))
                else:
                    checked[words[0]].append((c, item))
        firsts = {first for first, _ in pairs}
        self._table = {
            w: (tuple(single.get(w, ())), tuple(checked.get(w, ())), w in firsts)
            for w in set(single) | set(checked) | firsts
        }
        self._pairs = {k: tuple(v) for k, v in pairs.items()}
        self._key = min((len(stem) for stem, _, _ in stemmed), default=1)
        by_key: dict[str, list[tuple[str, int, TokenItem | None]]] = defaultdict(list)
        for entry in stemmed:
            by_key[entry[0][: self._key]].append(entry)
        self._stems = {k: tuple(v) for k, v in by_key.items()}
        self.classes = len(class_of)

    def occurrences(self, words: list[str], runs: list[str]) -> dict[int, list[Occurrence]]:
        """Class -> the occurrences of its items."""
        found: dict[int, list[Occurrence]] = {}
        table, pairs, stems, key = self._table, self._pairs, self._stems, self._key
        last_index = len(words) - 1

        def add(c: int, item: TokenItem, i: int) -> None:
            last = _ends_at(item, words, runs, i)
            if last >= 0:
                found.setdefault(c, []).append((i, last, len(item.lead), len(item.trail)))

        for i, word in enumerate(words):
            entry = table.get(word)
            if entry is not None:
                plain, more, paired = entry
                for c in plain:
                    found.setdefault(c, []).append((i, i, 0, 0))
                for c, item in more:
                    add(c, item, i)
                if paired and i < last_index:
                    for c, item in pairs.get((word, words[i + 1]), ()):
                        add(c, item, i)
            candidates = stems.get(word[:key])
            if candidates is not None:
                for stem, c, item in candidates:
                    if word.startswith(stem):
                        if item is None:
                            found.setdefault(c, []).append((i, i, 0, 0))
                        else:
                            add(c, item, i)
        return found

    def match(self, text: str) -> list[int] | None:
        """Indexes of the token patterns that match normalised ``text``; None when the text is
        one to leave to the regexes (see ``tokenize``)."""
        parts = tokenize(text)
        return None if parts is None else self.read(parts)

    def read(self, parts: tuple[list[str], list[str], list[int]]) -> list[int]:
        """``match`` on a text ``tokenize`` has split."""
        words, runs, chunk = parts
        found = self.occurrences(words, runs)
        if not found:
            return []
        hits = []
        forms_of = self._forms_of
        for a, xs in found.items():
            for index, kind, _, b, distance, ordered, excluded, stems in forms_of.get(a, ()):
                if kind == "words":
                    hits.append(index)
                elif kind == "near":
                    ys = found.get(b)
                    if ys is not None and (_within(xs, ys, runs, chunk, distance)
                                           or (not ordered and _within(ys, xs, runs, chunk, distance))):
                        hits.append(index)
                elif any(_next_is_other(words, runs, x, excluded, stems) for x in xs):
                    hits.append(index)
        return hits


def _bounded_before(runs: list[str], start: int, lead: int) -> bool:
    """Is an item's lead punctuation at the start of the text or after another non-word
    character (the regex's boundary before the first operand)?"""
    return start == 0 or len(runs[start]) > lead


def _within(xs: list[Occurrence], ys: list[Occurrence], runs: list[str], chunk: list[int], distance: int) -> bool:
    """Does some y follow some x with at most distance-1 words (chunks holding a word) between?
    The regex: a boundary, x, at least one non-word character, the words between, y, a
    boundary; an item's own lead and trail punctuation do not count as those characters."""
    end = len(runs) - 2  # the last word
    for x_start, x_end, x_lead, x_trail in xs:
        if not _bounded_before(runs, x_start, x_lead):
            continue
        for y_start, y_end, y_lead, y_trail in ys:
            if y_start <= x_end or not (y_end == end or len(runs[y_end + 1]) > y_trail):
                continue
            if y_start == x_end + 1:
                if len(runs[y_start]) > x_trail + y_lead:
                    return True
            elif (len(runs[x_end + 1]) > x_trail and len(runs[y_start]) > y_lead
                  and chunk[y_start - 1] - chunk[x_end + 1] + 1 <= distance - 1):
                return True
    return False


def _next_is_other(words: list[str], runs: list[str], x: Occurrence, excluded: frozenset[str], stems) -> bool:
    """next_not: after the item, white space only, then a word that is not excluded."""
    start, last, lead, trail = x
    nxt = last + 1
    if nxt >= len(words) or len(runs[nxt]) != trail + 1 or runs[nxt][-1] != " " or not _bounded_before(runs, start, lead):
        return False
    word = words[nxt]
    return word not in excluded and not any(word.startswith(s) for s in stems)
