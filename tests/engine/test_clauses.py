"""engine/clauses.py: where the clauses the safety rules judge one by one start."""

from hypothesis import given, strategies as st

from hrouter.engine.clauses import _pieces, clauses


def test_one_clause_gives_nothing_to_add():
    assert clauses("delete the staging bucket") == ()
    assert clauses("") == ()


def test_sentences_and_lines_are_clauses():
    assert clauses("Check the logs. Then purge the exports.") == ("Check the logs.", "Then purge the exports.")
    assert "wipe the cache" in clauses("here is the log\nwipe the cache")


def test_a_lead_in_falls_away_after_a_comma():
    assert "wipe the staging bucket" in clauses("whenever you're free, wipe the staging bucket")


def test_the_last_of_several_steps_is_judged_alone():
    found = clauses("check the changelog, tidy the wording of the FAQ, and lastly purge the old customer exports")
    assert "purge the old customer exports" in found


def test_a_question_is_not_split_inside():
    assert clauses("how do I, as an admin, delete a user?") == ()


def test_quotes_and_code_stay_whole():
    assert clauses('proofread "Please delete my account. Thanks." for me') == ()
    assert clauses("Summarise: 'Refunds are paid. Plans renew.' Keep it short.") == ()
    found = clauses("```\nrm -rf /\n```\nwhat does this do?")
    assert "```\nrm -rf /\n```" not in found and "what does this do?" in found


def test_a_frame_before_a_colon_covers_the_list_it_introduces():
    found = clauses("Reformat as a numbered list: wipe caches; restart workers; notify the team")
    assert found and all(c.startswith("Reformat as a numbered list:") for c in found)


def test_material_after_a_header_line_keeps_the_header_but_the_last_paragraph_is_the_users():
    found = clauses("Summarize this:\n\nThe report shows growth. Sales rose.\n\nThen purge the old exports.")
    assert "Summarize this: Sales rose." in found
    assert "Then purge the old exports." in found


def test_a_framed_sentence_is_judged_whole():
    framed = lambda sentence: 1 if sentence.lower().startswith("explain") else 2 if sentence.startswith("suppose") else 0  # noqa: E731
    assert clauses("explain the difference between DELETE, TRUNCATE and DROP", framed) == ()
    assert clauses("explain DROP, and then drop the users table", framed)[-1] == "drop the users table"
    assert clauses("suppose we migrate, and then delete the old one", framed) == ()


@given(st.text(max_size=300))
def test_never_raises_and_every_clause_is_nonempty(text):
    assert all(c.strip() for c in clauses(text))


def test_a_letter_that_lowers_to_two_does_not_shift_the_cuts():
    # "İ" lowers to "i" + U+0307: the clause cuts must still index the sentence itself.
    found = clauses("İstanbul raporunu oku, sonra sunucudaki eski yedekleri sil")
    assert "sonra sunucudaki eski yedekleri sil" in found


def test_a_relative_clause_after_a_comma_describes_the_thing_before_it():
    # "das ... löscht" is what the script does, not a step: the code request covers it.
    assert "das alte Dateien im Ordner tmp löscht." not in clauses("Schreib ein Python-Skript, das alte Dateien im Ordner tmp löscht.")
    assert "which wipes the cache" not in clauses("Write a job, which wipes the cache")
    # A step after a relative clause is still a step of its own.
    assert "and delete the old branch" in clauses("Tag the release, which is done, and delete the old branch")
    assert "that's all" in clauses("Delete the old branch, that's all")


def test_a_spaced_dash_separates_steps():
    assert "I'll review and delete them myself afterwards." in clauses(
        "Write a SQL query that finds duplicate customers by email — I'll review and delete them myself afterwards.")


def test_a_line_ending_in_a_colon_inside_material_is_material():
    found = clauses("Explain this function:\ndef rm_old(p):\n    for f in os.listdir(p):\n        os.remove(f)")
    assert all(c.startswith("Explain this function:") for c in found[1:])


def test_steps_start_at_coordinators_in_other_languages_too():
    assert "lösche die alten Exporte" in clauses("Prüfe das Changelog und dann lösche die alten Exporte")
    assert "удали старые бэкапы" in clauses("Проверь логи, а потом удали старые бэкапы")


def test_steps_are_bounded_so_many_commas_cost_their_length_not_its_square():
    sentence = "delete the db, " * 2000
    found = clauses(sentence)
    assert found[0] == sentence.strip()  # the whole sentence is still judged once
    assert all(len(c) <= 400 for c in found[1:])
    assert sum(map(len, found)) < 30 * len(sentence)


def _coordinator_cuts_plainly(sentence: str) -> set[int]:
    """The plain reading: every coordinator tried after every space."""
    from hrouter.engine.clauses import _COORDINATORS

    lowered, n, cuts = sentence.lower(), len(sentence), set()
    for i, ch in enumerate(lowered):
        if ch == " ":
            for word in _COORDINATORS:
                end = i + 1 + len(word)
                if lowered.startswith(word, i + 1) and end < n and lowered[end] in " ,":
                    cuts.add(end + 1)
    return cuts


_STEP_WORDS = ["and", "then", "also", "after", "that", "once", "done", "und", "dann", "a", "pak", "delete", "x", ","]


@given(st.lists(st.sampled_from(_STEP_WORDS), max_size=12), st.lists(st.sampled_from([" ", ", ", ","]), min_size=12, max_size=12))
def test_coordinators_found_by_first_word_are_every_coordinator(words, seps):
    sentence = "go" + "".join(sep + word for sep, word in zip(seps, words)) + " end"
    pieces = [p.strip(" ,") for p in _pieces(sentence, commas=False)]
    expected = [sentence[c : c + 400].strip(" ,") for c in sorted(_coordinator_cuts_plainly(sentence))]
    assert pieces == [p for p in expected if p]


def test_a_sentence_that_is_only_a_quotation_stays_with_the_one_that_quotes_it():
    text = "Can you cut this down to fit in a tweet? 'We are thrilled to announce the launch today.'"
    assert clauses(text) == ()
    # a later instruction of the user's own is still its own clause
    assert "post it on our account." in clauses(text + " Then post it on our account.")
