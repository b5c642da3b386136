"""Syntax: the grammar accepts the documented forms and explains what it rejects."""

from __future__ import annotations

import pytest

from hrouter.compiler import ast
from hrouter.compiler.parser import grammar, parse


def statements(text: str):
    tree, diags = parse(text, "t.rules")
    assert not diags, [d.render() for d in diags]
    return tree.statements


def syntax_error(text: str):
    tree, diags = parse(text, "t.rules")
    assert tree is None
    (d,) = diags
    assert d.code == "syntax"
    return d


def test_parser_is_built_once():
    assert grammar() is grammar()


def test_statements_spanning_lines_and_comments():
    (f, r) = statements("""
feature destructive = words(delete,   # verbs
    drop, "rm -rf",
    purg*)   # trailing comment
route r: destructive
    and not empty_prompt -> coding "multi-line condition"
""")
    assert [w.text for w in f.body.items] == ["delete", "drop", "rm -rf", "purg"]
    assert [w.prefix for w in f.body.items] == [False, False, False, True]
    assert isinstance(r.when, ast.And) and r.reason == "multi-line condition"


def test_precedence_not_and_or():
    (f,) = statements("feature d = not a and b or c and not d2\n")
    e = f.body
    assert isinstance(e, ast.Or)
    left, right = e.items
    assert isinstance(left, ast.And) and isinstance(left.items[0], ast.Not)
    assert isinstance(right, ast.And) and isinstance(right.items[1], ast.Not)


def test_scoped_refs_and_comparisons():
    (r,) = statements("route r: assistant.x and complexity >= 60 and chars < 10 -> t\n")
    a, b, c = r.when.items
    assert (a.scope, a.name) == ("assistant", "x")
    assert (b.name, b.op, b.value) == ("complexity", ">=", 60)
    assert (c.name, c.op, c.value) == ("chars", "<", 10)


def test_strings_keep_backslashes_except_quote_and_backslash():
    (f, g) = statements(r'''feature s = regex("\d+\.\"x\"\\")
feature w = words("say \"hi\"")
''')
    assert f.body.pattern == '\\d+\\."x"\\'
    assert g.body.items[0].text == 'say "hi"'


def test_unicode_and_punctuated_bare_words():
    (f,) = statements("feature w = words(удалить, c++, e-mail, don't, naïve, 削除)\n")
    assert [w.text for w in f.body.items] == ["удалить", "c++", "e-mail", "don't", "naïve", "削除"]


def test_keywords_are_usable_as_feature_names_where_unambiguous():
    (f, r) = statements("feature base = words(x)\nroute user: base -> image\n")
    assert f.name.name == "base" and r.id.name == "user" and r.target.name == "image"


def test_score_block():
    (s,) = statements('score confidence base 100 saturation 40 { + 5 when a "r1" - 25 when b floor 10 when c cap 90 when d "r4" }\n')
    assert (s.base, s.saturation) == (100, 40)
    assert [(t.kind, t.value, t.reason) for t in s.terms] == [("add", 5, "r1"), ("add", -25, ""), ("floor", 10, ""), ("cap", 90, "r4")]


def test_safety_unless_and_reason_optional():
    (a, b) = statements("safety a: x -> confirmation unless allow_send_actions\nsafety b: y -> confirmation \"why\"\n")
    assert a.override.name == "allow_send_actions" and a.reason == ""
    assert b.override is None and b.reason == "why"


def test_expect_forms():
    (e1, e2, e3) = statements('''
expect "what is in this picture?" with image, pdf -> vision
expect "x" -> not confirmation
expect "and the second chart?" with code after user "compare" with image, pdf, assistant "The first one." -> vision
''')
    assert e1.attachments and [a.name for a in e1.attachments] == ["image", "pdf"]
    assert e2.negated and e2.target.name == "confirmation"
    assert [a.name for a in e3.attachments] == ["code"]
    assert [(t.role, t.text, [a.name for a in t.attachments]) for t in e3.context] == [
        ("user", "compare", ["image", "pdf"]),
        ("assistant", "The first one.", []),
    ]


def test_names_are_case_insensitive():
    (f,) = statements("feature Destructive_Verb = words(x)\n")
    assert f.name.name == "destructive_verb"


@pytest.mark.parametrize(
    "text, line, column, fragment",
    [
        ("feature x = words(a b)\n", 1, 21, "a comma is missing"),
        ("route r = x -> y\n", 1, 9, "expected ':'"),
        ('feature x = words("abc)\n', 1, 19, "unterminated string"),
        ("route r: a and -> x\n", 1, 16, "expected '(', 'not', 'true' or a name"),
        ("feature\n", 1, 8, "unexpected end of file; expected a name"),
        ("feature x = words(a)\nfeature y = words(b\n", 2, 20, "unexpected end of file"),
        ("route r: a => x\n", 1, 12, "unexpected '=>'; expected '->'"),
        ("featur x = words(a)\n", 1, 1, "a statement keyword"),
        ("route r: a && b -> x\n", 1, 12, "(write `and`)"),
        ("route r: a || b -> x\n", 1, 12, "(write `or`)"),
        ("route r: complexity = 3 -> x\n", 1, 21, "(compare with `==`)"),
        ("route r: !a -> x\n", 1, 10, "(write `not`"),
    ],
)
def test_syntax_errors_are_located_and_readable(text, line, column, fragment):
    d = syntax_error(text)
    assert (d.location.line, d.location.column) == (line, column)
    assert fragment in d.message, d.message
    rendered = d.render().splitlines()
    assert rendered[0].startswith(f"t.rules:{line}:{column}: ")
    assert rendered[2] == "    " + " " * (column - 1) + "^"


def test_each_bare_word_of_a_run_keeps_its_own_position():
    # The lexer reads "a, bb,\n   c" as one token; every word still points at itself.
    (f,) = statements('feature x = words(a, bb,\n   c,  # note\n d, "e f", g,h,\n  i*; inflect)\n')
    got = [(w.text, w.prefix, w.pos.line, w.pos.column) for w in f.body.items]
    assert got == [("a", False, 1, 19), ("bb", False, 1, 22), ("c", False, 2, 4), ("d", False, 3, 2),
                   ("e f", False, 3, 5), ("g", False, 3, 12), ("h", False, 3, 14), ("i", True, 4, 3)]
    assert (f.body.options[0].pos.line, f.body.options[0].pos.column) == (4, 7)
    (n,) = statements("feature y = next_not(words(a), [the,\n  my, old*])\n")
    assert [(w.text, w.pos.line, w.pos.column) for w in n.body.excluded] == [("the", 1, 33), ("my", 2, 3), ("old", 2, 7)]
