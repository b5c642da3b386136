"""End to end: a small rule set compiles to the artifact the engine expects."""

from __future__ import annotations

from hrouter.engine.artifact import BUILTIN_ATOMS, FORMAT_VERSION
from hrouter.engine.artifact_io import artifact_from_json, artifact_to_json

BODY = """
set lookback = 3
feature destructive_verb = words(delete, drop, wipe, purg*, "rm -rf")
feature db_object = words(database, table)
feature drop_db = near(destructive_verb, db_object, 4)
feature explain = words(explain, "how does")
feature short_yes = words(yes, "go ahead")
feature long_prompt = chars >= 2000
feature destructive_action = drop_db and not explain
feature approval = short_yes and assistant.destructive_verb
feature code_words = words(code, repo, function)
score complexity saturation 50 {
    + 30 when code_words "coding intent"
    floor 60 when long_prompt "long prompt"
}
flag requires_tools = code_words
safety destructive: destructive_action -> confirmation unless allow_destructive_actions "destructive action"
safety approve: approval -> confirmation "approval of a risky proposal"
route vision: attachment_image -> vision "image to understand"
route coding: code_words and complexity >= 20 -> coding "coding work"
route big: tokens >= 6000 -> coding "huge prompt"
expect "drop the production database" -> confirmation
expect "explain how DROP TABLE works" -> not confirmation
expect "what is this?" with image -> vision
expect "yes, go ahead" after assistant "I can delete the old backups. Proceed?" -> confirmation
"""


def test_artifact_shape(compile_text):
    a = compile_text(BODY)
    assert a.format_version == FORMAT_VERSION
    assert a.lookback == 3
    assert a.targets == ("simple", "balanced", "coding", "vision", "confirmation")
    assert [r.id for r in a.rules] == ["destructive", "approve", "vision", "coding", "big", "default"]
    assert [r.kind for r in a.rules] == ["safety", "safety", "route", "route", "route", "default"]
    assert a.rules[0].override == "allow_destructive_actions"
    assert a.rules[1].override is None
    assert a.rules[-1].when == ["true"]
    names = [x.name for x in a.atoms]
    assert names[:5] == ["destructive_verb", "db_object", "drop_db", "explain", "short_yes"]
    assert "assistant.destructive_verb" in names
    assert "tokens>=6000" in names  # inline measure test became an atom
    assert names[-len(BUILTIN_ATOMS):] == list(BUILTIN_ATOMS)
    scoped = next(x for x in a.atoms if x.name == "assistant.destructive_verb")
    assert (scoped.feature, scoped.scope, scoped.kind) == ("destructive_verb", "assistant", "lexical")
    numeric = next(x for x in a.atoms if x.name == "long_prompt")
    assert (numeric.measure, numeric.op, numeric.value) == ("chars", ">=", 2000)
    assert {p.feature for p in a.patterns} == {"destructive_verb", "db_object", "drop_db", "explain", "short_yes", "code_words"}
    assert [d.name for d in a.derived] == ["destructive_action", "approval"]
    assert a.rules[3].when == ["and", ["ref", "code_words"], ["cmp", "complexity", ">=", 20]]
    (score,) = a.scores
    assert (score.name, score.saturation, [t.kind for t in score.terms]) == ("complexity", 50, ["add", "floor"])
    assert len(a.expects) == 4
    assert a.expects[1].negated and a.expects[1].target == "confirmation"
    assert a.expects[2].attachments == ("image",)
    assert a.expects[3].context[0].role == "assistant"


def test_locations_point_at_the_source(compile_text):
    a = compile_text(BODY)
    # HEADER is line 1 and BODY starts with a blank line, so `set` is on line 3.
    drop_db = next(p for p in a.patterns if p.feature == "drop_db")
    assert (drop_db.loc.file, drop_db.loc.line) == ("main.rules", 6)
    assert str(a.rules[0].loc) == "main.rules:18"
    assert a.rules[-1].loc.line == BODY.count("\n") + 3


def test_json_round_trip_and_determinism(compile_text):
    first = artifact_to_json(compile_text(BODY))
    second = artifact_to_json(compile_text(BODY))
    assert first == second
    assert artifact_to_json(artifact_from_json(first)) == first


def test_derived_features_are_topologically_sorted(compile_text):
    a = compile_text("""
        feature top = middle and not bottom
        feature middle = bottom or w
        feature bottom = w and has_context
        feature w = words(x)
        feature other = w
        route r: top or other -> coding
    """)
    order = [d.name for d in a.derived]
    assert order.index("bottom") < order.index("middle") < order.index("top")
    assert sorted(order) == ["bottom", "middle", "other", "top"]
    seen = {x.name for x in a.atoms}
    for d in a.derived:  # each refers only to atoms and earlier entries
        refs = []
        stack = [d.expr]
        while stack:
            e = stack.pop()
            if e[0] == "ref":
                refs.append(e[1])
            elif e[0] in ("and", "or", "not"):
                stack.extend(e[1:])
        assert all(r in seen for r in refs), (d.name, refs)
        seen.add(d.name)


def test_reason_defaults_and_safety_order(compile_text):
    a = compile_text("""
        route first: empty_prompt -> simple
        safety late: has_context -> confirmation
        safety later: latency_sensitive -> confirmation unless allow_send_actions
    """)
    assert [r.id for r in a.rules] == ["late", "later", "first", "default"]
    assert a.rules[0].reason == "safety rule late"
    assert a.rules[2].reason == "route rule first"
