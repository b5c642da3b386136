import attrs
import pytest

from hrouter.engine.artifact import Rule, Score, ScoreTerm
from hrouter.engine.decision import Decider
from hrouter.engine.program import ProgramError, saturate

from engine_fixtures import loc, make_artifact, ref


def test_saturation_rounds_half_up_and_stays_below_100():
    assert saturate(50, 50) == 50
    assert saturate(30, 50) == 38  # 37.5
    assert saturate(10_000, 50) == 100 or saturate(10_000, 50) == 99
    assert saturate(30, 0) == 30
    assert all(saturate(s, 50) < 100 for s in range(0, 5000))


def test_safety_rules_come_first_whatever_the_route_order():
    art = make_artifact()
    # put a route that would also match ahead of the safety rules in the artifact
    grab_all = Rule("grab", "route", ref("destructive_verb"), "coding", "grab", loc(1, "routes.rules"))
    art = attrs.evolve(art, rules=(grab_all,) + art.rules)
    d = Decider.from_artifact(art)
    out = d.decide("drop the production database")
    assert out.target == "confirmation" and out.rule_id == "destructive"
    assert ("grab", "routes.rules:1") in out.matched_rules


def test_first_matching_route_wins_and_all_matches_are_listed():
    d = Decider.from_artifact(make_artifact())
    out = d.decide("draw a chart")  # both generate and vision hold
    assert out.target == "image_generation" and out.rule_id == "generate"
    assert [r for r, _ in out.matched_rules] == ["generate", "vision"]


def test_override_switch_is_scoped_to_its_own_rules():
    d = Decider.from_artifact(make_artifact(), {"allow_destructive_actions": True})
    assert d.decide("drop the production database").target != "confirmation"
    assert d.decide("send the report").target == "confirmation"  # send has its own switch
    assert d.decide("   ").target == "confirmation"  # empty has no switch at all
    d2 = Decider.from_artifact(make_artifact(), {"allow_send_actions": True})
    assert d2.decide("drop the production database").target == "confirmation"
    assert d2.decide("send the report").target == "balanced"


def test_unknown_override_switch_is_refused():
    with pytest.raises(ProgramError, match="allow_everything"):
        Decider.from_artifact(make_artifact(), {"allow_everything": True})


def test_scores_floor_cap_and_negative_weights():
    d = Decider.from_artifact(make_artifact())
    huge = "word " * 6000  # 30000 chars: long_prompt, huge_prompt, wordy
    out = d.decide(huge)
    assert out.scores["complexity"] == 60  # saturate(20) = 29, floor 60
    assert "huge prompt" in out.reasons and "long prompt" in out.reasons
    empty = d.decide("")
    assert empty.scores["confidence"] == 40  # 100 - 40 - 20
    assert empty.scores["complexity"] == 0


def test_cap_lowers_a_score():
    art = make_artifact()
    complexity = art.scores[0]
    capped = attrs.evolve(complexity, terms=complexity.terms + (ScoreTerm("cap", 20, ref("rewrite"), "trivial", loc(99)),))
    art = attrs.evolve(art, scores=(capped,) + art.scores[1:])
    out = Decider.from_artifact(art).decide("rewrite the repo code in python")
    assert out.scores["complexity"] == 20
    assert out.target == "simple"  # coding needs complexity >= 30, the cap prevents it


def test_clamped_to_0_100():
    art = make_artifact()
    risk = Score("risk", 90, 0, (ScoreTerm("add", 80, ref("destructive_verb"), "x", loc(1)),), loc(1))
    conf = Score("confidence", 10, 0, (ScoreTerm("add", -80, ref("destructive_verb"), "y", loc(2)),), loc(2))
    art = attrs.evolve(art, scores=(art.scores[0], risk, conf))
    out = Decider.from_artifact(art).decide("delete")
    assert out.scores["risk"] == 100 and out.scores["confidence"] == 0


def test_score_comparisons_gate_routes():
    d = Decider.from_artifact(make_artifact())
    assert d.decide("refactor the repo").target == "coding"  # complexity 38 >= 30


@pytest.mark.parametrize(
    "bad",
    [["ref", "nope"], ["cmp", "speed", ">", 1], ["cmp", "risk", "=~", 1], ["xor", ["true"]], "true", [], ["not"]],
)
def test_malformed_expressions_are_refused_at_load(bad):
    art = make_artifact()
    rules = (Rule("bad", "route", bad, "simple", "bad", loc(5)),) + art.rules
    with pytest.raises(ProgramError):
        Decider.from_artifact(attrs.evolve(art, rules=rules))


def test_default_rule_must_be_last_and_unique():
    art = make_artifact()
    with pytest.raises(ProgramError, match="default"):
        Decider.from_artifact(attrs.evolve(art, rules=art.rules[:-1]))
    with pytest.raises(ProgramError, match="default"):
        Decider.from_artifact(attrs.evolve(art, rules=art.rules[-1:] + art.rules[:-1]))


def test_rule_to_unknown_target_is_refused():
    art = make_artifact()
    rules = (Rule("odd", "route", ["true"], "nowhere", "x", loc(5)),) + art.rules
    with pytest.raises(ProgramError, match="nowhere"):
        Decider.from_artifact(attrs.evolve(art, rules=rules))


# ---- compiled expressions against a plain reading -------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hrouter.engine.program import compile_expr  # noqa: E402

_NAMES = ("a", "b", "c", "d")
_BITS = {name: 1 << i for i, name in enumerate(_NAMES)}
_exprs = st.recursive(
    st.one_of(st.sampled_from(_NAMES).map(lambda n: ["ref", n]), st.just(["true"]),
              st.tuples(st.sampled_from(["<", ">=", "=="]), st.integers(0, 100)).map(lambda t: ["cmp", "risk", t[0], t[1]])),
    lambda inner: st.one_of(
        inner.map(lambda e: ["not", e]),
        st.lists(inner, min_size=1, max_size=4).map(lambda es: ["and", *es]),
        st.lists(inner, min_size=1, max_size=4).map(lambda es: ["or", *es]),
    ),
    max_leaves=10,
)


def _plain(expr, bits, values):
    head, args = expr[0], expr[1:]
    if head == "true":
        return True
    if head == "ref":
        return bool(bits & _BITS[args[0]])
    if head == "not":
        return not _plain(args[0], bits, values)
    if head == "and":
        return all(_plain(a, bits, values) for a in args)
    if head == "or":
        return any(_plain(a, bits, values) for a in args)
    name, op, number = args
    return {"<": values[name] < number, ">=": values[name] >= number, "==": values[name] == number}[op]


@given(_exprs, st.integers(0, 15), st.integers(0, 100))
def test_compiled_expressions_agree_with_a_plain_reading(expr, bits, risk):
    cond = compile_expr(expr, _BITS, frozenset({"risk"}))
    assert bool(cond(bits, {"risk": risk})) == _plain(expr, bits, {"risk": risk})


def test_compiled_expressions_refuse_what_they_cannot_write():
    with pytest.raises(ProgramError, match="malformed comparison"):
        compile_expr(["cmp", "risk", ">", float("inf")], _BITS, frozenset({"risk"}))
    with pytest.raises(ProgramError, match="malformed comparison"):
        compile_expr(["cmp", "risk", "in", 3], _BITS, frozenset({"risk"}))
    with pytest.raises(ProgramError, match="unknown feature"):
        compile_expr(["ref", "__import__('os')"], _BITS, frozenset({"risk"}))


@pytest.fixture(scope="module")
def default_program():
    from hrouter.engine.program import Program
    from hrouter.engine.router import load_artifact_for

    artifact = load_artifact_for(None)
    return artifact, Program(artifact)


@given(st.data())
def test_the_generated_expand_is_the_derived_features_read_in_order(default_program, data):
    """Straight-line code for the default rules against a plain reading: each derived feature
    in order, over the bits the earlier ones set."""
    artifact, program = default_program
    atoms = len(artifact.atoms)
    bits = data.draw(st.integers(0, (1 << atoms) - 1) | st.sets(st.integers(0, atoms - 1), max_size=12).map(
        lambda s: sum(1 << i for i in s)))
    names = {a.name: 1 << i for i, a in enumerate(artifact.atoms)}
    expected = bits
    for offset, derived in enumerate(artifact.derived):
        names[derived.name] = 1 << (atoms + offset)
        if _plain_named(derived.expr, expected, names):
            expected |= names[derived.name]
    assert program.expand(bits) == expected


def _plain_named(expr, bits, names):
    head, args = expr[0], expr[1:]
    if head == "true":
        return True
    if head == "ref":
        return bool(bits & names[args[0]])
    if head == "not":
        return not _plain_named(args[0], bits, names)
    if head == "and":
        return all(_plain_named(a, bits, names) for a in args)
    assert head == "or", expr
    return any(_plain_named(a, bits, names) for a in args)


@given(st.data())
def test_the_generated_target_code_decides_as_run(default_program, data):
    """``Program.target`` (route_fast's decision) picks the same target and requires_tools
    flag as the full ``run``, for any atoms, any clause verdict and the override switches."""
    from hrouter.engine.artifact import OVERRIDE_SWITCHES
    from hrouter.engine.program import Program

    artifact, program = default_program
    atoms = len(artifact.atoms)
    bits = data.draw(st.integers(0, (1 << atoms) - 1) | st.sets(st.integers(0, atoms - 1), max_size=16).map(
        lambda s: sum(1 << i for i in s)))
    clause_rule = data.draw(st.sampled_from([0, *program.safety_index.values()]))
    if data.draw(st.booleans()):
        program = Program(artifact, {name: data.draw(st.booleans()) for name in OVERRIDE_SWITCHES})
    outcome = program.run(bits, clause_rule)
    assert program.target(bits, clause_rule) == (outcome.target, bool(outcome.flags.get("requires_tools", False)))
