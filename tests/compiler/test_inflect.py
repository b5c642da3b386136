"""`inflect.py`: the verb forms `words(...; inflect)` adds, spelling rules and irregular verbs."""

from __future__ import annotations

import pytest

from hrouter.compiler.inflect import IRREGULAR, phrase_forms, verb_forms


def forms(word: str) -> set[str]:
    return set(verb_forms(word))


@pytest.mark.parametrize(
    "word, expected",
    [
        ("delete", {"deletes", "deleted", "deleting"}),  # e-drop
        ("wipe", {"wipes", "wiped", "wiping"}),
        ("wire", {"wires", "wired", "wiring"}),
        ("merge", {"merges", "merged", "merging"}),
        ("drop", {"drops", "dropped", "dropping"}),  # one syllable, vowel + consonant: doubled
        ("ship", {"ships", "shipped", "shipping"}),
        ("quit", {"quits", "quit", "quitted", "quitting"}),  # qu is a consonant
        ("fix", {"fixes", "fixed", "fixing"}),  # x, w, y never double
        ("show", {"shows", "showed", "shown", "showing"}),
        ("play", {"plays", "played", "playing"}),
        ("tweet", {"tweets", "tweeted", "tweeting"}),  # two vowels: no doubling
        ("open", {"opens", "opened", "opening"}),  # longer words do not double...
        ("edit", {"edits", "edited", "editing"}),
        ("visit", {"visits", "visited", "visiting"}),
        ("submit", {"submits", "submitted", "submitting"}),  # ...unless stressed at the end
        ("transfer", {"transfers", "transferred", "transferring"}),
        ("cancel", {"cancels", "canceled", "cancelled", "canceling", "cancelling"}),  # US and UK
        ("empty", {"empties", "emptied", "emptying"}),  # y after a consonant
        ("apply", {"applies", "applied", "applying"}),
        ("copy", {"copies", "copied", "copying"}),
        ("deploy", {"deploys", "deployed", "deploying"}),  # y after a vowel stays
        ("push", {"pushes", "pushed", "pushing"}),  # -es
        ("publish", {"publishes", "published", "publishing"}),
        ("echo", {"echoes", "echoed", "echoing"}),
        ("agree", {"agrees", "agreed", "agreeing"}),
        ("tie", {"ties", "tied", "tying"}),
        ("send", {"sends", "sent", "sending"}),  # irregular
        ("pay", {"pays", "paid", "paying"}),
        ("buy", {"buys", "bought", "buying"}),
        ("shut", {"shuts", "shut", "shutting"}),
        ("tear", {"tears", "tore", "torn", "tearing"}),
        ("sell", {"sells", "sold", "selling"}),
        ("put", {"puts", "put", "putting"}),
        ("set", {"sets", "set", "setting"}),
        ("get", {"gets", "got", "gotten", "getting"}),
        ("write", {"writes", "wrote", "written", "writing"}),
        ("take", {"takes", "took", "taken", "taking"}),
        ("give", {"gives", "gave", "given", "giving"}),
        ("make", {"makes", "made", "making"}),
        ("throw", {"throws", "threw", "thrown", "throwing"}),
        ("have", {"has", "had", "having"}),
        ("resend", {"resends", "resent", "resending"}),  # a prefix and an irregular verb
        ("undo", {"undoes", "undid", "undone", "undoing"}),
        ("forget", {"forgets", "forgot", "forgotten", "forgetting"}),
        ("unzip", {"unzips", "unzipped", "unzipping"}),  # a prefix and a doubling verb
        ("reset", {"resets", "reset", "resetting"}),
        ("relay", {"relays", "relayed", "relaying"}),  # not re + lay
        ("format", {"formats", "formatted", "formatting"}),
        ("forward", {"forwards", "forwarded", "forwarding"}),
    ],
)
def test_forms(word, expected):
    assert forms(word) == set(expected) - {word}


@pytest.mark.parametrize("word", ["удалить", "löschen", "e-mail", "don't", "c++", "v2", "dm", "rm", "cc", "", "Delete"])
def test_words_that_are_not_plain_lower_case_english_are_left_alone(word):
    assert verb_forms(word) == ()  # the caller normalises: "Delete" arrives as "delete"


def test_forms_are_sorted_and_never_the_word_itself():
    for word in ("delete", "put", "set", "cut", "read", "quit"):
        got = verb_forms(word)
        assert list(got) == sorted(got) and word not in got


def test_a_phrase_inflects_its_first_word():
    assert set(phrase_forms("tear down")) == {"tears down", "tore down", "torn down", "tearing down"}
    assert set(phrase_forms("drop table")) == {"drops table", "dropped table", "dropping table"}
    assert phrase_forms("удалить всё") == ()


def test_irregular_table_is_lower_case_a_z():
    for base, past in IRREGULAR.items():
        assert base.isalpha() and base.islower() and base.isascii()
        assert past and all(p.isalpha() and p.islower() for p in past)
