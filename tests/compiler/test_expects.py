"""`expect` lines run through the engine's Decider while compiling."""

from __future__ import annotations

import pytest

from hrouter.compiler import RulesError
from hrouter.compiler.compile import compile_rules
from hrouter.compiler.expect import run_expects

from .conftest import HEADER

RULES = HEADER + """\
feature wipe = words(delete, drop, wipe)
feature db = words(database, table)
feature drop_db = near(wipe, db, 3)
feature explain = words(explain, "how does")
feature yes = words(yes, "go ahead")
feature code_words = words(code, repo)
safety destructive: drop_db and not explain -> confirmation unless allow_destructive_actions "destructive"
safety approve: yes and assistant.wipe -> confirmation "approval"
route vision: attachment_image -> vision "image"
route followup: history_image and has_context -> vision "image follow-up"
route coding: code_words -> coding "code"
default -> balanced "ordinary"
"""

PASSING = """\
expect "drop the production database" -> confirmation
expect "explain how DROP TABLE works" -> not confirmation
expect "what is this?" with image -> vision
expect "yes, go ahead" after assistant "I can delete the old backups. Proceed?" -> confirmation
expect "yes" after assistant "Shall I summarise it?" -> balanced
expect "and the second one?" after user "compare these" with image, assistant "The first shows growth." -> vision
expect "fix the code" -> coding
"""


def test_passing_expects_compile(write_rules):
    a = compile_rules(write_rules(RULES + PASSING))
    assert len(a.expects) == 7
    results = run_expects(a)
    assert [r.passed for r in results] == [True] * 7


def test_failed_expect_shows_prompt_expected_got_and_rules(write_rules):
    text = RULES + PASSING + 'expect "drop the users table now" -> balanced\nexpect "hello" -> not balanced\n'
    with pytest.raises(RulesError) as info:
        compile_rules(write_rules(text))
    first, second = info.value.diagnostics
    assert first.code == second.code == "expect-failed"
    assert first.message == "expect failed: expected balanced, got confirmation"
    assert first.location.line == text.count("\n") - 1
    notes = "\n".join(first.notes)
    assert "prompt:   'drop the users table now'" in notes
    assert "got:      confirmation by rule 'destructive' (main.rules:8)" in notes
    assert "fired:    destructive (main.rules:8)" in notes
    assert "drop_db (main.rules:4)" in notes and "wipe (main.rules:2)" in notes
    assert second.message == "expect failed: expected not balanced, got balanced"
    rendered = str(info.value)
    assert 'expect "hello" -> not balanced' in rendered and rendered.endswith("2 errors")


def test_expects_can_be_skipped(write_rules):
    a = compile_rules(write_rules(RULES + 'expect "hello" -> coding\n'), check_expects=False)
    assert not run_expects(a)[0].passed


def test_engine_refusing_the_artifact_is_a_diagnostic(write_rules, monkeypatch):
    from hrouter.engine import decision

    def refuse(artifact, overrides=None):
        raise ValueError("the pattern set does not compile: out of memory")

    monkeypatch.setattr(decision.Decider, "from_artifact", staticmethod(refuse))
    with pytest.raises(RulesError) as info:
        compile_rules(write_rules(RULES + PASSING))
    (d,) = info.value.diagnostics
    assert d.code == "engine-rejects"
    assert "out of memory" in d.message and d.location.file.endswith("main.rules")
