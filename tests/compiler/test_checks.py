"""Every semantic check reports a located diagnostic with a stable code; several at once."""

from __future__ import annotations

import pytest

from hrouter.compiler import RulesError
from hrouter.compiler.compile import compile_rules

from .conftest import HEADER


def codes(diags):
    return [d.code for d in diags]


def only(diags, code):
    found = [d for d in diags if d.code == code]
    assert found, f"no {code} in {[(d.code, d.message) for d in diags]}"
    return found[0]


def test_unknown_feature_with_suggestion_and_caret(errors_of):
    (d,) = errors_of("""
        feature code_words = words(code)
        route coding: code_wrds -> coding "coding"
    """)
    assert d.code == "unknown-feature"
    assert "'code_wrds'" in d.message and "did you mean 'code_words'" in d.message
    assert (d.location.line, d.location.column) == (4, 15)
    assert d.source_line.strip() == 'route coding: code_wrds -> coding "coding"'
    rendered = d.render().splitlines()
    assert rendered[0].endswith("main.rules:4:15: unknown feature 'code_wrds' (did you mean 'code_words'?)")
    assert rendered[2].index("^") - 4 == 14


def test_several_errors_reported_at_once_sorted(errors_of):
    diags = errors_of("""
        route b: nope_b -> coding
        route a: nope_a -> nowhere
        feature x = words(a)
        feature x = words(b)
    """)
    assert codes(diags) == ["unknown-feature", "unknown-feature", "unknown-target", "duplicate"]
    lines = [d.location.line for d in diags]
    assert lines == sorted(lines)
    dup = only(diags, "duplicate")
    assert "feature 'x' is already defined at main.rules:5" in dup.message


def test_rules_error_str_renders_every_diagnostic(write_rules):
    folder = write_rules(HEADER + "route a: x -> balanced\nroute b: y -> balanced\ndefault -> balanced\n")
    with pytest.raises(RulesError) as info:
        compile_rules(folder)
    text = str(info.value)
    assert "main.rules:2:10: unknown feature 'x'" in text
    assert "main.rules:3:10: unknown feature 'y'" in text
    assert text.endswith("2 errors")


def test_unknown_target_switch_score_flag_setting_attachment(errors_of):
    diags = errors_of("""
        set lookbak = 3
        feature w = words(wipe)
        score complexty { + 10 when w "x" }
        flag requires_tool = w
        safety s: w -> confirmation unless allow_destruction "d"
        route r: w and risk >= 3 -> codng
        expect "x" with photo -> balanced
    """)
    assert sorted(codes(diags)) == sorted([
        "unknown-setting", "unknown-score", "unknown-flag", "unknown-switch", "unknown-score",
        "unknown-target", "unknown-attachment",
    ])
    assert "did you mean 'complexity'" in only(diags, "unknown-score").message
    assert "did you mean 'coding'" in only(diags, "unknown-target").message
    assert "allow_destructive_actions" in only(diags, "unknown-switch").message
    assert "did you mean 'requires_tools'" in only(diags, "unknown-flag").message


def test_duplicates_of_each_kind(errors_of):
    diags = errors_of("""
        targets coding
        feature w = words(a)
        score risk { + 1 when w }
        score risk { + 2 when w }
        route r: w -> coding
        route r: not w -> balanced
        set lookback = 2
        set lookback = 3
        default -> simple
    """)
    messages = [d.message for d in diags if d.code == "duplicate"]
    assert any(m.startswith("target 'coding'") for m in messages)
    assert any(m.startswith("score 'risk'") for m in messages)
    assert any(m.startswith("rule 'r'") for m in messages)
    assert any(m.startswith("setting 'lookback'") for m in messages)
    assert any(m.startswith("a second default route") for m in messages)


def test_cycle_reports_its_path(errors_of):
    diags = errors_of("""
        feature w = words(a)
        feature a1 = w and b1
        feature b1 = c1 or not w
        feature c1 = a1
        route r: a1 -> coding
    """)
    d = only(diags, "cycle")
    assert d.message == "derived features form a cycle: a1 -> b1 -> c1 -> a1"
    assert d.location.line == 6  # the reference that closes the cycle
    assert codes(diags).count("cycle") == 1


def test_self_reference_is_a_cycle(errors_of):
    d = only(errors_of("feature a = a or empty_prompt\n"), "cycle")
    assert d.message.endswith("a -> a")


def test_scope_only_on_lexical_features(errors_of):
    diags = errors_of("""
        feature w = words(a)
        feature d = w
        feature n = chars > 5
        route r1: assistant.d -> coding
        route r2: history.n -> coding
        route r3: context.empty_prompt -> coding
        route r4: elsewhere.w -> coding
    """)
    assert codes(diags) == ["bad-scope", "bad-scope", "bad-scope", "unknown-scope"]


def test_scopes_lower_to_scoped_atoms(compile_text):
    a = compile_text("""
        feature w = words(wipe)
        route r: context.w -> coding
    """)
    assert a.rules[0].when == ["or", ["ref", "assistant.w"], ["ref", "history.w"]]
    assert {"assistant.w", "history.w"} <= {x.name for x in a.atoms}


def test_lookback_range(errors_of, compile_text):
    assert compile_text("set lookback = 20\n").lookback == 20
    assert compile_text("set lookback = 0\n").lookback == 0
    d = only(errors_of("set lookback = 21\n"), "out-of-range")
    assert "between 0 and 20" in d.message


def test_near_then_distance_and_operands(errors_of):
    diags = errors_of("""
        feature a = words(x)
        feature r = regex("y")
        feature n1 = near(a, words(z), 0)
        feature n2 = then(a, words(z), 51)
        feature n3 = near(r, a, 2)
        feature n4 = next_not(missing, [the])
    """)
    assert codes(diags) == ["bad-distance", "bad-distance", "bad-operand", "unknown-feature"]
    assert "near(...) distance must be between 1 and 50 words, got 0" in diags[0].message
    assert diags[1].message.startswith("then(...)")


def test_measures_and_scores_need_comparisons(errors_of):
    diags = errors_of("""
        score risk { + 10 when empty_prompt }
        route r1: chars -> coding
        route r2: risk -> coding
        route r3: bogus >= 3 -> coding
    """)
    assert codes(diags) == ["bad-measure", "bad-score", "unknown-score"]


def test_scores_not_allowed_in_features_or_terms(errors_of):
    diags = errors_of("""
        score risk { + 10 when empty_prompt }
        score complexity { + 10 when risk > 5 }
        feature d = risk > 50
    """)
    assert codes(diags) == ["score-in-feature", "score-in-feature"]


def test_undefined_score_compared(errors_of):
    d = only(errors_of("route r: confidence < 40 -> coding\n"), "unknown-score")
    assert "not defined" in d.message


def test_score_bounds(errors_of):
    diags = errors_of("score risk base 120 { floor 101 when empty_prompt }\n")
    assert codes(diags) == ["out-of-range", "out-of-range"]


def test_reserved_feature_names(errors_of):
    diags = errors_of("feature has_context = words(a)\nfeature chars = words(b)\n")
    assert codes(diags) == ["reserved-name", "reserved-name"]


def test_safety_must_route_to_confirmation(errors_of):
    d = only(errors_of("safety s: empty_prompt -> balanced\n"), "safety-target")
    assert "confirmation" in d.message


def test_missing_default(errors_of):
    d = only(errors_of("route r: empty_prompt -> coding\n", footer=""), "no-default")
    assert "no default route" in d.message


def test_missing_targets(errors_of):
    diags = errors_of("default -> x\n", header="", footer="")
    assert "no-targets" in codes(diags)


def test_route_after_default_is_unreachable(errors_of, compile_text):
    d = only(errors_of('default -> balanced "d"\nroute late: empty_prompt -> coding\n', footer=""), "unreachable")
    assert "route 'late' comes after the default route (main.rules:2)" in d.message
    # safety rules are evaluated first wherever they appear
    a = compile_text('default -> balanced\nsafety late: empty_prompt -> confirmation\n', footer="")
    assert [r.id for r in a.rules] == ["late", "default"]


def test_shadowed_by_constant_true(errors_of):
    diags = errors_of("""
        feature w = words(a)
        route always: true -> coding
        route r: w -> simple
    """)
    ds = [d for d in diags if d.code == "unreachable"]
    assert any("route rule 'r' can never fire: route rule 'always' (main.rules:4) comes first and always fires" in d.message for d in ds)
    assert any(d.message.startswith("the default route can never fire") for d in ds)


def test_shadowed_by_identical_or_weaker_condition(errors_of):
    diags = errors_of("""
        feature w = words(a)
        feature v = words(b)
        feature wv = w and v
        route first: w -> coding
        route same: w -> simple
        route narrower: wv and not empty_prompt -> simple
        route wider: w or v -> simple
    """)
    unreachable = [d for d in diags if d.code == "unreachable"]
    assert [d.location.line for d in unreachable] == [7, 8]
    assert "route rule 'first' (main.rules:6) comes first and fires whenever it would" in unreachable[0].message


def test_condition_that_never_holds(errors_of):
    d = only(errors_of("feature w = words(a)\nroute r: w and not w -> coding\n"), "unreachable")
    assert "its condition can never hold" in d.message


def test_safety_with_override_does_not_shadow(compile_text, errors_of):
    compile_text("""
        feature w = words(wipe)
        safety s: w -> confirmation unless allow_destructive_actions
        route r: w -> coding
    """)
    d = only(errors_of("""
        feature w = words(wipe)
        safety s: w -> confirmation
        route r: w -> coding
    """), "unreachable")
    assert "safety rule 's'" in d.message


def test_context_scope_in_implication(errors_of):
    d = only(errors_of("""
        feature w = words(a)
        route r1: assistant.w or history.w -> coding
        route r2: context.w -> simple
    """), "unreachable")
    assert "'r2'" in d.message


def test_inline_measure_and_numeric_feature_are_the_same_test(errors_of):
    d = only(errors_of("""
        feature big = tokens >= 6000
        route r1: big -> coding
        route r2: tokens >= 6000 and empty_prompt -> simple
    """), "unreachable")
    assert "'r2'" in d.message


def test_bad_pattern_points_at_the_feature(errors_of):
    diags = errors_of("""
        feature ok = words(fine)
        feature look = regex("foo(?=bar)")
        feature star = words(de*lete)
    """)
    assert codes(diags) == ["bad-pattern", "bad-pattern"]
    assert "RE2 rejects the pattern of 'look'" in diags[0].message and "(?=" in diags[0].message
    assert (diags[0].location.line, diags[0].location.column) == (4, 16)
    assert (diags[1].location.line, diags[1].location.column) == (5, 22)


def test_next_not_excludes_single_words_only(errors_of):
    d = only(errors_of('feature n = next_not(words(send), ["the end"])\n'), "bad-pattern")
    assert "single words" in d.message


def test_score_thresholds_are_related(errors_of, compile_text):
    d = only(errors_of("""
        score complexity { + 50 when empty_prompt }
        route hard: complexity >= 60 -> coding
        route harder: complexity > 80 and has_context -> simple
    """), "unreachable")
    assert "'harder'" in d.message and "'hard'" in d.message
    # the other way round both can fire
    compile_text("""
        score complexity { + 50 when empty_prompt }
        route harder: complexity > 80 -> simple
        route hard: complexity >= 60 -> coding
    """)


def test_contradictory_thresholds_never_hold(errors_of):
    d = only(errors_of("route r: chars < 100 and tokens > 200 -> coding\n"), "unreachable")
    assert "its condition can never hold" in d.message


def test_complementary_thresholds_cover_everything(errors_of):
    diags = errors_of("""
        route short: word_count < 10 -> simple
        route long: word_count >= 10 -> coding
    """)
    (d,) = [d for d in diags if d.code == "unreachable"]
    assert d.message == "the default route can never fire: the rules before it ('short', 'long') cover every case"


def test_rules_covering_a_case_together(errors_of, compile_text):
    d = only(errors_of("""
        feature a = words(a)
        route one: a and has_context -> simple
        route two: a and not has_context -> coding
        route three: a -> vision
    """), "unreachable")
    assert d.message.startswith("route rule 'three' can never fire: the rules before it ('one', 'two')")
    # a switchable safety rule does not count: the switch may turn it off
    compile_text("""
        feature a = words(a)
        safety one: a and has_context -> confirmation unless allow_send_actions
        route two: a and not has_context -> coding
        route three: a -> vision
    """)


def test_single_quoted_word_is_explained(errors_of):
    d = only(errors_of("feature w = words('rm')\n"), "bad-pattern")
    assert "double quotes" in d.message


def test_unused_feature_is_a_warning(compile_text, errors_of):
    a = compile_text("feature spare = words(x)\nfeature used = words(y)\nroute r: used -> coding\n")
    assert "spare" in {x.name for x in a.atoms}
    diags = errors_of("feature spare = words(x)\nroute r: nope -> coding\n")
    assert codes(diags) == ["unknown-feature"]  # warnings do not join the errors


def test_warnings_are_returned_on_request(write_rules):
    warnings = []
    compile_rules(write_rules(HEADER + "feature spare = words(x)\ndefault -> balanced\n"), warnings=warnings)
    (w,) = warnings
    assert (w.code, w.severity, w.location.line) == ("unused", "warning", 2)
    assert w.render().splitlines()[0].endswith("main.rules:2:9: warning: feature 'spare' is never used")


def test_lexical_implications(errors_of, compile_text):
    diags = errors_of("""
        feature destroy = words(delete, drop, wip*)
        feature data = words(database, table)
        feature destroy_data = near(destroy, data, 4)
        feature just_delete = words(delete, wiping)
        feature bare = next_not(destroy, [the])
        route any_destroy: destroy -> coding
        route r1: destroy_data -> simple
        route r2: just_delete -> simple
        route r3: bare -> simple
    """)
    unreachable = sorted(d.message.split(" can never fire")[0] for d in diags if d.code == "unreachable")
    assert unreachable == ["route rule 'r1'", "route rule 'r2'", "route rule 'r3'"]
    # implications hold within one scope only, and not the other way round
    compile_text("""
        feature destroy = words(delete, drop)
        feature data = words(database, table)
        feature destroy_data = near(destroy, data, 4)
        route r1: destroy_data -> simple
        route any_destroy: destroy -> coding
        route earlier: assistant.destroy -> vision
    """)


def test_history_with_zero_lookback_warns(write_rules):
    warnings = []
    text = HEADER + "set lookback = 0\nfeature w = words(x)\nroute r: history.w or history_image -> coding\ndefault -> balanced\n"
    compile_rules(write_rules(text), warnings=warnings)
    assert [(w.code, w.location.line, w.location.column) for w in warnings] == [
        ("empty-history", 4, 10), ("empty-history", 4, 23),
    ]
