"""Word-list options -> the words each list matches: `words(delete; inflect, typos)`.

Runs after `symbols.collect` and before the checks, so that everything downstream (the
implication check of `reachability.py`, the lowering, `{name}` in a regex) sees one plain
list: each `Words` with options gets its generated words appended (at the position of the
word they came from) and keeps its `options` for the checks. Options it does not know are
left to `check.py` to report.

- `inflect` adds the verb forms of each plain a-z word, or of a phrase's first word
  (`inflect.py`).
- `plural` adds the plural of each plain a-z noun, or of a phrase's last word
  (`inflect.plural_forms`): object lists name things in the singular only.
- `typos` maps the one-slip misspellings of each plain a-z word of five letters or more, as
  written or as `inflect`/`plural` made it (`typos.py`), to that word in `Symbols.spellings`;
  the artifact carries the table and the engine writes each misspelling as its word before it
  scans (`engine/spelling.py`), so the list itself stays as written. (Appended to the lists,
  they made the long-text RE2 set outgrow its memory once object lists had them too.) A
  misspelling is left out when it is a common English word (`common_words.txt`, with its
  inflected forms) or a word of any word list in the rule set (written or inflected, and the
  words of next_not lists), since either would match text that never meant the word.

Every list, with options or none, also matches each of its words without the accents of its
Latin letters ("zapłać" -> "zaplac", "xóa" -> "xoa": `engine.normalize.unaccented`): people
type other languages without them, and the letters view reads a text with some of them that way.
Not when the bare form is shorter than four characters or a word of some list of the rule set
(Finnish "estä", block, would be "esta", Spanish for this).
"""

from __future__ import annotations

import attrs

from hrouter.compiler import ast
from hrouter.compiler.inflect import phrase_forms, plural_forms
from hrouter.compiler.lower_patterns import normal
from hrouter.compiler.symbols import Symbols
from hrouter.compiler.typos import typos
from hrouter.engine.normalize import unaccented

OPTIONS = ("inflect", "plural", "typos")


def word_lists(body):
    """The `Words` nodes of a lexical feature body: itself, or its inline operands."""
    if isinstance(body, ast.Words):
        yield body
    elif isinstance(body, ast.Near):
        yield from (x for x in (body.a, body.b) if isinstance(x, ast.Words))
    elif isinstance(body, ast.NextNot) and isinstance(body.a, ast.Words):
        yield body.a


def _inflected(words: ast.Words) -> list[ast.Word]:
    return [ast.Word(form, False, w.pos) for w in words.items if not w.prefix for form in phrase_forms(normal(w.text))]


def _plurals(words: ast.Words) -> list[ast.Word]:
    return [ast.Word(form, False, w.pos) for w in words.items if not w.prefix for form in plural_forms(normal(w.text))]


def _spellings(words: ast.Words, forms: list[ast.Word], known: frozenset[str], out: dict[str, str]) -> None:
    """Each misspelling of a word of the list (as written or inflected) -> that word; where two
    words share one, the first in sorted order keeps it, so a compile is reproducible."""
    for w in (*(x for x in words.items if not x.prefix), *forms):
        word = normal(w.text)
        for v in typos(word, known):
            if v not in out or word < out[v]:
                out[v] = word


def _unaccented(words: ast.Words, known: set[str]) -> list[ast.Word]:
    return [ast.Word(bare, False, w.pos) for w in words.items if not w.prefix
            if (bare := unaccented(text := normal(w.text))) != text and len(bare) >= 4 and bare not in known]


def _merge(words: ast.Words, extra: list[ast.Word]) -> ast.Words:
    seen = {(normal(w.text), w.prefix) for w in words.items}
    items = list(words.items)
    for w in extra:
        if (w.text, False) not in seen:
            seen.add((w.text, False))
            items.append(w)
    return attrs.evolve(words, items=tuple(items))


def expand(sym: Symbols) -> None:
    """Replace, in `sym.features`, every word list with options by the list it matches."""
    lists = [w for f in sym.features.values() if f.is_lexical for w in word_lists(f.body)]
    flagged = [w for w in lists if w.options]
    vocabulary: set[str] = {normal(w.text) for words in lists for w in words.items}
    accented = {id(w): forms for w in lists if (forms := _unaccented(w, vocabulary))}
    if not flagged and not accented:
        return
    for f in sym.features.values():
        if isinstance(f.body, ast.NextNot):
            vocabulary.update(normal(w.text) for w in f.body.excluded)
    extra: dict[int, list[ast.Word]] = {}
    for words in flagged:
        if any(o.name == "inflect" for o in words.options):
            extra[id(words)] = forms = _inflected(words)
            vocabulary.update(w.text for w in forms)
        if any(o.name == "plural" for o in words.options):
            forms = _plurals(words)
            extra.setdefault(id(words), []).extend(forms)
            vocabulary.update(w.text for w in forms)
    known = frozenset(vocabulary)
    for words in flagged:
        if any(o.name == "typos" for o in words.options):
            _spellings(words, extra.get(id(words), []), known, sym.spellings)
    for key, forms in accented.items():
        extra.setdefault(key, []).extend(forms)
    replaced = {id(w): _merge(w, extra.get(id(w), [])) for w in lists if id(w) in extra or w.options}

    def new(x):
        return replaced.get(id(x), x)

    for name, f in sym.features.items():
        body = f.body
        if isinstance(body, ast.Words):
            body = new(body)
        elif isinstance(body, ast.Near) and (new(body.a) is not body.a or new(body.b) is not body.b):
            body = attrs.evolve(body, a=new(body.a), b=new(body.b))
        elif isinstance(body, ast.NextNot) and new(body.a) is not body.a:
            body = attrs.evolve(body, a=new(body.a))
        if body is not f.body:
            sym.features[name] = attrs.evolve(f, body=body)
