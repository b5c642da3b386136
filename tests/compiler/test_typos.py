"""`typos.py`: one-slip variants, keyboard neighbours and the common-word exclusions."""

from __future__ import annotations

from hrouter.compiler.typos import MIN_LENGTH, NEIGHBOURS, common_words, typo_candidates, typos

RISKY = (
    "delete remove erase purge destroy truncate cancel transfer publish deploy merge release "
    "schedule reschedule invite revoke rotate submit refund purchase order email message "
    "forward reply share upload uninstall format reset terminate unsubscribe approve charge"
).split()


def test_the_four_kinds_of_slip():
    got = typo_candidates("delete")
    assert "delte" in got  # a letter left out
    assert "dleete" in got  # two neighbouring letters swapped
    assert "deletee" in got and "ddelete" in got  # a letter doubled
    assert "deleye" in got and "selete" in got  # a neighbouring key (t -> y, d -> s)
    assert "delete" not in got
    assert "deleet" in got  # swapped at the end
    assert "delxte" not in got  # x does not touch e
    assert "deletex" not in got  # arbitrary insertions are not slips we generate


def test_neighbours_are_the_touching_keys_and_symmetric():
    assert set(NEIGHBOURS["d"]) == set("serfcx")
    assert set(NEIGHBOURS["q"]) == set("wa")
    assert set(NEIGHBOURS["m"]) == set("njk")
    for key, near in NEIGHBOURS.items():
        for other in near:
            assert key in NEIGHBOURS[other], (key, other)
    assert set(NEIGHBOURS) == set("abcdefghijklmnopqrstuvwxyz")


def test_short_and_non_plain_words_get_none():
    assert len("wipe") < MIN_LENGTH and typo_candidates("wipe") == frozenset()
    assert typo_candidates("удалить") == frozenset()
    assert typo_candidates("e-mail") == frozenset()
    assert typo_candidates("rm -rf") == frozenset()


def test_common_words_are_never_typos():
    common = common_words()
    for word, real in [("purge", "pure"), ("purge", "urge"), ("merge", "mere"), ("share", "shade"), ("share", "shard"),
                       ("reply", "rely"), ("email", "mail"), ("reset", "rest"), ("invite", "incite"), ("revoke", "evoke"),
                       ("refund", "defund"), ("order", "odder"), ("terminate", "germinate"), ("erase", "ease")]:
        assert real in typo_candidates(word), (word, real)  # the slip exists...
        assert real in common and real not in typos(word), (word, real)  # ...and is left out


def test_inflected_forms_of_common_words_are_common_too():
    common = common_words()
    assert {"order", "orders", "ordered", "ordering", "rests", "mailed"} <= common


def test_known_words_are_left_out():
    assert "delte" in typos("delete")
    assert "delte" not in typos("delete", known=frozenset({"delte"}))


def test_no_risky_verb_typo_is_a_word_of_the_list_itself():
    common = common_words()
    assert 1000 < len(common) < 20000
    for word in RISKY:
        got = set(typos(word))
        assert not got & common
        assert not got & set(RISKY)


def test_typos_are_deterministic_and_sorted():
    assert typos("truncate") == typos("truncate") == tuple(sorted(typos("truncate")))
