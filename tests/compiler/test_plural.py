"""`words(...; plural)`: object lists name things in the singular and still match plurals."""

from hrouter.compiler.inflect import plural_forms
from hrouter.engine.decision import Decider


def test_plural_spelling():
    assert plural_forms("invoice") == ("invoices",)
    assert plural_forms("policy") == ("policies",)
    assert plural_forms("box") == ("boxes",)
    assert plural_forms("gift card") == ("gift cards",)
    assert plural_forms("access") == ()  # already ends in s
    assert plural_forms("счёт") == ()  # another script is left as written


def test_plural_option_matches_the_plural_and_not_other_forms(compile_text):
    artifact = compile_text("""
        feature thing = words(invoice, "gift card"; plural)
        route r: thing -> coding "a thing"
    """)
    decider = Decider(artifact)
    assert decider.decide("pay the invoices").target == "coding"
    assert decider.decide("buy three gift cards").target == "coding"
    assert decider.decide("we invoiced them").target == "balanced"


def test_unknown_option_names_plural_among_the_options(errors_of):
    errors = errors_of("""
        feature thing = words(invoice; plurals)
        route r: thing -> coding "a thing"
    """)
    assert any("plural" in str(e) for e in errors)
