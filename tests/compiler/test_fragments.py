"""`fragment name = "..."` and `{name}` in regex strings: syntax, the brace rule, checks,
lowering, literals of the spliced pattern, and prompts end to end."""

from __future__ import annotations

import re2

from hrouter.compiler import ast
from hrouter.compiler.compile import compile_rules
from hrouter.compiler.fragments import interpolate, references, source_column
from hrouter.compiler.literals import required_literals
from hrouter.compiler.parser import parse
from hrouter.engine.decision import Decider
from hrouter.engine.normalize import normalize

from .conftest import FOOTER, HEADER

CLAUSE_START = r'fragment clause_start = "(?:^|[.!?;:,\n])\s*(?:[-*•>]\s*|\d+[.)]\s*)?"'


# ---- syntax ---------------------------------------------------------------------------------


def test_fragment_statement_parses_with_its_string_position():
    tree, diags = parse(CLAUSE_START + "\n", "t.rules")
    assert not diags
    (frag,) = tree.statements
    assert isinstance(frag, ast.FragmentDef)
    assert frag.name.name == "clause_start"
    assert frag.pattern == r"(?:^|[.!?;:,\n])\s*(?:[-*•>]\s*|\d+[.)]\s*)?"
    assert (frag.string_pos.line, frag.string_pos.column) == (1, 25)


def test_fragment_is_still_usable_as_a_feature_name():
    tree, diags = parse('feature fragment = words(x)\nroute r: fragment -> coding\n', "t.rules")
    assert not diags and tree.statements[0].name.name == "fragment"


# ---- the brace rule -------------------------------------------------------------------------


def test_only_name_in_braces_outside_classes_and_escapes_is_a_reference():
    pattern = r"{a}x{2}y{2,3}z{,3}\p{Greek}\x{263a}\P{L}[{b}]\{c}\\{d}\Q{e}\E{F_1}[]{g}][^]{h}][[:alpha:]{i}]{j}"
    assert [n for n, _ in references(pattern)] == ["a", "d", "f_1", "j"]
    assert references("{ a}{1a}{}{a b}") == []
    assert [at for _, at in references("ab{x}")] == [2]


def test_interpolate_replaces_each_reference():
    assert interpolate("{a}-{b}-{a}{3}", {"a": "(?:1)", "b": "2"}.__getitem__) == "(?:1)-2-(?:1){3}"
    assert interpolate(r"\{a}", lambda n: "X") == r"\{a}"


def test_source_column_counts_escaped_quotes_and_backslashes():
    line = r'feature r = regex("\"\\{x}")'
    col = line.index('"') + 1
    assert line[source_column(line, col, 2) - 1] == "{"  # the string's text is "\\{x}


# ---- checks ---------------------------------------------------------------------------------


def test_unknown_names_are_located_at_their_brace(errors_of):
    diags = errors_of(r"""
        fragment lead = "^\s*"
        feature verbs = words(delete)
        feature r = regex("{lead}\"{verbz}\" {nope}")
        route x: r or verbs -> coding
    """)
    got = [(d.code, d.location.line, d.location.column) for d in diags]
    assert got == [("unknown-fragment", 5, 28), ("unknown-fragment", 5, 38)]
    assert "did you mean 'verbs'" in diags[0].message and "\\{" in diags[0].message
    assert diags[0].render().splitlines()[2].index("^") - 4 == 27


def test_reference_to_a_feature_that_is_not_a_word_list(errors_of):
    (d,) = errors_of("""
        feature w = words(x)
        feature derived = w and has_context
        feature r = regex("a{derived}")
        route x: r or derived -> coding
    """)
    assert d.code == "bad-operand" and "'derived' must be a fragment or defined by words(...)" in d.message
    assert (d.location.line, d.location.column) == (5, 21)


def test_fragment_cycles_are_reported_with_their_path(errors_of):
    diags = errors_of("""
        fragment a = "x{b}"
        fragment b = "y{c}"
        fragment c = "z{a}"
        fragment self = "{self}"
        feature r = regex("{a}{self}")
        route x: r -> coding
    """)
    cycles = sorted(d.message for d in diags if d.code == "cycle")
    assert cycles == ["fragments form a cycle: a -> b -> c -> a", "fragments form a cycle: self -> self"]


def test_fragment_and_feature_share_one_namespace(errors_of):
    diags = errors_of("""
        feature lead = words(x)
        fragment lead = "y"
        route x: lead -> coding
    """)
    (d,) = [d for d in diags if d.code == "duplicate"]
    assert "fragment 'lead' is already defined at main.rules:3" in d.message and d.location.line == 4


def test_a_fragment_used_as_a_condition_says_how_to_use_it(errors_of):
    (d,) = errors_of("""
        fragment lead = "y"
        feature r = regex("{lead}")
        route x: lead or r -> coding
    """)
    assert d.code == "unknown-feature" and "use it inside a regex as {lead}" in d.message


def test_re2_rejects_a_fragment_once_at_the_fragment(errors_of):
    (d,) = errors_of("""
        fragment broken = "(unclosed"
        feature r = regex("{broken}x")
        route x: r -> coding
    """)
    assert d.code == "bad-pattern" and "fragment 'broken'" in d.message and d.location.line == 3


def test_unused_fragment_is_a_warning_and_a_spliced_feature_is_used(write_rules):
    warnings: list = []
    compile_rules(write_rules(HEADER + """
fragment spare = "x"
fragment lead = "^"
feature verbs = words(delete)
feature r = regex("{lead}{verbs}")
route x: r -> coding
""" + FOOTER), check_expects=False, warnings=warnings)
    assert [(w.code, w.message) for w in warnings] == [("unused", "fragment 'spare' is never used")]


# ---- lowering -------------------------------------------------------------------------------


def _pattern(artifact, feature):
    (p,) = [p for p in artifact.patterns if p.feature == feature]
    return p


def test_fragments_and_word_lists_are_spliced_and_escaped(compile_text):
    a = compile_text(CLAUSE_START + r"""
fragment item = "{clause_start}(?:please\s+)?"
feature verbs = words(drop, "rm -rf", c++, delet*; inflect)
feature start = regex("{item}{verbs}\s+\S")
feature braces = regex("a{2}b{1,}[{]\{verbs}")
route x: start or braces -> coding
""")
    start = _pattern(a, "start").regex
    assert start.startswith("(?i)(?:(?:(?:^|[.!?;:,\\n])")
    assert "c\\+\\+" in start and "rm[\\s\\-]+\\-rf" in start and "dropped" in start
    assert references(start) == []  # nothing left to splice
    assert _pattern(a, "braces").regex == "(?i)a{2}b{1,}[{]\\{verbs}"
    m = re2.compile(start)
    for text in ("Dropped the table", "ok. please rm -rf /", "- c++ is fun", "1) deleting the logs", "notes: drops all"):
        assert m.search(normalize(text)), text
    for text in ("we dropped", "I never drop it", "undrop x"):
        assert not m.search(normalize(text)), text


def test_literals_are_extracted_from_the_spliced_regex(compile_text):
    a = compile_text(CLAUSE_START + r"""
feature verbs = words(delete, wipe, send; inflect)
feature start = regex("{clause_start}{verbs}\s+\S")
route x: start -> coding
""")
    p = _pattern(a, "start")
    assert p.literals == required_literals(p.regex)
    (clause,) = [c for c in p.literals if "sent" in c]
    assert set(clause) == {"delete", "wipe", "send", "sent", "wiping", "deleting"}  # minimal: "wipes" holds "wipe"


# ---- end to end -----------------------------------------------------------------------------


RULES = HEADER + CLAUSE_START + r"""
fragment polite = "(?:please\s+|pls\s+|now\s+|just\s+)?"
feature send_verbs = words(send, email, wire, forward; inflect)
feature send_start = regex("{clause_start}{polite}{send_verbs}\s+[^\s:]")
feature money = words(invoice, payment, money, "$")
feature send_money = send_start and money
safety sending: send_money -> confirmation unless allow_send_actions "sending money"
expect "please wire the payment to acme" -> confirmation
expect "Done. Now email the invoice to Bob" -> confirmation
expect "how do I email an invoice?" -> not confirmation
""" + FOOTER


def test_end_to_end_routes_through_fragments(write_rules):
    artifact = compile_rules(write_rules(RULES), check_expects=True)
    decider = Decider.from_artifact(artifact)
    for text in ("- forward the invoice to finance", "1. wire the money", "ok; just sent the payment to them"):
        assert decider.decide(text).target == "confirmation", text
    for text in ("the wire money transfer is explained here", "an email about the payment", "{send_verbs} money"):
        assert decider.decide(text).target == "balanced", text
