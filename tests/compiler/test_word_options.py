"""`words(...; inflect, typos)`: syntax, checks, expansion, lowering, and prompts end to end."""

from __future__ import annotations

import re2

from hrouter.compiler import ast
from hrouter.compiler.compile import compile_rules
from hrouter.compiler.expand import expand
from hrouter.compiler.loader import load
from hrouter.compiler.parser import parse
from hrouter.compiler.symbols import collect
from hrouter.compiler.typos import typos
from hrouter.engine.decision import Decider
from hrouter.engine.normalize import normalize

from .conftest import FOOTER, HEADER


def statements(text: str):
    tree, diags = parse(text, "t.rules")
    assert not diags, [d.render() for d in diags]
    return tree.statements


def expanded(write_rules, body: str) -> dict[str, ast.FeatureDef]:
    sym = collect(load(write_rules(HEADER + body + FOOTER)))
    expand(sym)
    return sym.features


def texts(words: ast.Words) -> set[str]:
    return {w.text for w in words.items}


# ---- syntax ---------------------------------------------------------------------------------


def test_options_follow_a_semicolon():
    (f, g, h) = statements(
        "feature a = words(delete, drop; inflect)\n"
        "feature b = words(wipe;inflect,typos,)\n"
        "feature c = near(words(tear, \"tear down\"; inflect), words(db), 3)\n"
    )
    assert [w.text for w in f.body.items] == ["delete", "drop"]
    assert [o.name for o in f.body.options] == ["inflect"]
    assert (f.body.options[0].pos.line, f.body.options[0].pos.column) == (1, 33)
    assert [o.name for o in g.body.options] == ["inflect", "typos"]
    assert [o.name for o in h.body.a.options] == ["inflect"] and h.body.b.options == ()


def test_a_list_without_options_has_none():
    (f,) = statements("feature a = words(delete, drop)\n")
    assert f.body.options == ()


def test_semicolon_ends_a_bare_word():
    (f,) = statements("feature a = words(x;typos)\n")
    assert [w.text for w in f.body.items] == ["x"]
    (g,) = statements('feature a = words("a;b")\n')  # quoted, it is part of the word
    assert [w.text for w in g.body.items] == ["a;b"]


def test_option_syntax_errors_say_what_was_expected():
    for text, col, needle in [
        ("feature a = words(x;)\n", 21, "expected a name"),
        ("feature a = words(x; inflect typos)\n", 30, "a comma is missing"),
        ("feature a = words(x y)\n", 21, "')', ',' or ';'"),
    ]:
        tree, diags = parse(text, "t.rules")
        assert tree is None
        (d,) = diags
        assert (d.code, d.location.line, d.location.column) == ("syntax", 1, col), d.render()
        assert needle in d.message, d.message


# ---- checks ---------------------------------------------------------------------------------


def test_unknown_and_repeated_options_are_located(errors_of):
    diags = errors_of("""
        feature a = words(delete; inflect, tpyos)
        feature b = words(drop; typos, typos)
        feature c = near(words(x; plurals), b, 2)
        route r: a or c -> coding
    """)
    got = [(d.code, d.location.line, d.location.column) for d in diags]
    assert got == [("unknown-option", 3, 36), ("duplicate", 4, 32), ("unknown-option", 5, 27)]
    assert "did you mean 'plural'" in diags[2].message
    assert "did you mean 'typos'" in diags[0].message and "options: inflect, plural, typos" in diags[0].message
    assert str(diags[0].location).endswith("main.rules:3:36")
    assert diags[0].source_line.strip() == "feature a = words(delete; inflect, tpyos)"


# ---- expansion ------------------------------------------------------------------------------


def test_inflect_adds_verb_forms_at_the_words_position(write_rules):
    f = expanded(write_rules, """
feature a = words(delete, "tear down", delet*, удалить, ship; inflect)
route r: a -> coding
""")["a"]
    got = texts(f.body)
    assert {"deletes", "deleted", "deleting", "tore down", "tearing down", "shipped", "shipping"} <= got
    assert "удалить" in got and not any(t.startswith("удалить") and t != "удалить" for t in got)
    assert [w.text for w in f.body.items if w.prefix] == ["delet"]  # a prefix* is left as written
    assert "delets" not in got and "deleting" in got
    deleted = next(w for w in f.body.items if w.text == "deleted")
    written = next(w for w in f.body.items if w.text == "delete")
    assert deleted.pos == written.pos  # a generated word points at the word it came from
    assert [o.name for o in f.body.options] == ["inflect"]


def expanded_symbols(write_rules, body: str):
    sym = collect(load(write_rules(HEADER + body + FOOTER)))
    expand(sym)
    return sym


def test_typos_are_a_spelling_table_not_list_words(write_rules):
    sym = expanded_symbols(write_rules, """
feature a = words(delete, purge, wipe; typos)
feature b = words(delte)
feature c = next_not(words(go), [dlete])
route r: a or b or c -> coding
""")
    assert texts(sym.features["a"].body) == {"delete", "purge", "wipe"}  # the list stays as written
    table = sym.spellings
    assert {table[t] for t in ("deelte", "dleete", "deletee", "deleye")} == {"delete"}
    assert table["pruge"] == "purge"
    assert "delte" not in table  # written in another list
    assert "dlete" not in table  # excluded by a next_not list
    assert "pure" not in table and "urge" not in table  # common words
    assert not any(v == "wipe" for v in table.values())  # four letters: no typos
    assert "deleted" not in table.values()  # no inflections without `inflect`


def test_typos_of_inflected_forms_map_to_those_forms(write_rules):
    sym = expanded_symbols(write_rules, """
feature a = words(delete; inflect, typos)
route r: a -> coding
""")
    assert {"delete", "deleted", "deleting", "deletes"} <= texts(sym.features["a"].body)
    assert sym.spellings["delte"] == "delete"
    assert sym.spellings["deleetd"] == "deleted" and sym.spellings["deletign"] == "deleting"
    assert not set(sym.spellings) & texts(sym.features["a"].body)


def test_a_misspelling_two_words_share_goes_to_the_first_in_order(write_rules):
    sym = expanded_symbols(write_rules, """
feature a = words(trace, track; typos)
route r: a -> coding
""")
    shared = set(typos("trace")) & set(typos("track"))
    assert shared and all(sym.spellings[v] == "trace" for v in shared)


def test_options_on_inline_operands_are_expanded(write_rules):
    feats = expanded(write_rules, """
feature a = near(words(drop; inflect), words(table), 3)
feature b = next_not(words(send; inflect), [it])
route r: a or b -> coding
""")
    assert "dropped" in texts(feats["a"].body.a)
    assert "sent" in texts(feats["b"].body.a)


def test_expansion_leaves_lists_without_options_alone(write_rules):
    body = "feature a = words(delete)\nfeature n = near(a, words(x), 2)\nroute r: n -> coding\n"
    sym = collect(load(write_rules(HEADER + body + FOOTER)))
    before = dict(sym.features)
    expand(sym)
    assert all(sym.features[k] is v for k, v in before.items())


# ---- lowering and the artifact --------------------------------------------------------------


def _matcher(artifact, feature):
    (p,) = [p for p in artifact.patterns if p.feature == feature]
    compiled = re2.compile(p.regex)
    return lambda text: compiled.search(normalize(text)) is not None


def test_lowered_list_matches_forms_as_whole_words_and_lists_typos_apart(compile_text):
    a = compile_text("""
        feature verbs = words(delete, ship, "tear down"; inflect, typos)
        route r: verbs -> coding
    """)
    m = _matcher(a, "verbs")
    for text in ("Deleted it", "shipping now", "we tore down the stack", "tearing-down"):
        assert m(text), text
    for text in ("undeleted", "shipment", "tear", "remote", "delte the row"):
        assert not m(text), text
    (p,) = [p for p in a.patterns if p.feature == "verbs"]
    # The token scan reads the list: every form is one of its items (no RE2 prefilter); the
    # misspellings are in the artifact's spelling table, which the engine applies first.
    listed = {item.words for item in p.tokens.a}
    assert {("deleted",), ("tore", "down"), ("shipping",)} <= listed and not p.literals
    assert ("delte",) not in listed and dict(a.spellings)["delte"] == "delete"
    decider = Decider.from_artifact(a)
    for text in ("delte the row", "Deelte it", "shiping now"):
        assert decider.decide(text).target == "coding", text


def test_reachability_sees_the_expanded_list(errors_of):
    (d,) = errors_of("""
        feature verbs = words(delete; inflect)
        feature past = words(deleted)
        route a: verbs -> coding
        route b: past -> simple
    """)
    assert d.code == "unreachable" and "'b'" in d.message


def test_compiling_twice_gives_the_same_artifact(compile_text):
    from hrouter.engine.artifact_io import artifact_to_json

    body = "feature v = words(delete, purge, send; inflect, typos)\nroute r: v -> coding\n"
    assert artifact_to_json(compile_text(body)) == artifact_to_json(compile_text(body))


# ---- end to end -----------------------------------------------------------------------------

RULES = HEADER + """
feature destroy = words(delete, drop, wipe, erase, purge, truncate, "tear down"; inflect, typos)
feature data = words(database, table, backups, files, cluster)
feature destroy_data = near(destroy, data, 4)
feature send = words(send, email, forward; inflect)
feature money = words(invoice, payment, money)
feature send_money = near(send, money, 3)
safety destructive: destroy_data -> confirmation unless allow_destructive_actions "destructive"
safety sending: send_money -> confirmation unless allow_send_actions "sending"
expect "we deleted the production database yesterday" -> confirmation
expect "plz delte the users table" -> confirmation
expect "tore down the cluster" -> confirmation
expect "the pure tables are fine" -> not confirmation
""" + FOOTER


def test_end_to_end_routes_inflections_and_typos(write_rules):
    artifact = compile_rules(write_rules(RULES), check_expects=True)  # the expects pass
    decider = Decider.from_artifact(artifact)
    for text in (
        "Wiped the backups",
        "truncating the table now",
        "erasing all files",
        "pruge the database",  # typos
        "truncate teh table",
        "she emailed the invoice",  # inflections
        "forwarding the payment",
        "sent the money",
    ):
        assert decider.decide(text).target == "confirmation", text
    for text in (
        "please urge the database team",  # urge is a word, not a typo of purge
        "is the table pure enough",
        "a purgeing of files",  # neither a form nor a one-slip typo
        "send me the table",  # sending, but no money
    ):
        assert decider.decide(text).target == "balanced", text
