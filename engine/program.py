"""The decision program: derived features, scores, flags and rules over a bit set.

Expressions from the artifact are compiled once into closures (no ``eval`` of strings); the
program then runs once per distinct bit set and its result, an ``Outcome``, is memoised by the
caller. Semantics are those of ``docs/rules-language.md``: safety rules first in order (a rule
whose override switch is on is skipped), then route rules, first match wins, the default last.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from hrouter.engine.artifact import OVERRIDE_SWITCHES, SCORE_NAMES, Artifact, Rule, ScoreTerm
from hrouter.engine.model import frozen

Cond = Callable[[int, dict[str, int]], bool]

# Conditions read scores from this mapping; a safety check without scores gets an empty one.
_NO_SCORES: dict[str, int] = {}


class ProgramError(ValueError):
    """A decision program that cannot be evaluated: unknown names or malformed expressions."""


@frozen
class Outcome:
    target: str
    rule_id: str
    rule_loc: str
    scores: Mapping[str, int]  # complexity, risk, confidence
    flags: Mapping[str, bool]
    reasons: tuple[str, ...]
    matched_rules: tuple[tuple[str, str], ...]  # (rule id, "file:line") of every rule that held
    bits: int
    applied_terms: tuple[tuple[str, ScoreTerm], ...] = attrs.field(default=(), eq=False, repr=False)
    # The bits with derived features added, and every (name, bit): ``features`` is only read
    # by explanations, so it is worked out when asked for rather than for every new bit set.
    expanded: int = attrs.field(default=0, eq=False, repr=False)
    names: tuple[tuple[str, int], ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def features(self) -> tuple[str, ...]:
        """Names of the true atoms and derived features."""
        expanded = self.expanded
        return tuple(name for name, bit in self.names if expanded & bit)


COMPARE: dict[str, Callable[[int, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _ref_mask(expr: Any, bit_of: Mapping[str, int]) -> int | None:
    """The bit of ``["ref", name]``, None for any other expression."""
    if isinstance(expr, list) and len(expr) == 2 and expr[0] == "ref":
        mask = bit_of.get(expr[1])
        if mask is None:
            raise ProgramError(f"unknown feature {expr[1]!r}")
        return mask
    return None


def _negated_mask(expr: Any, bit_of: Mapping[str, int]) -> int | None:
    """The bit of ``["not", ["ref", name]]``, None for any other expression."""
    if isinstance(expr, list) and len(expr) == 2 and expr[0] == "not":
        return _ref_mask(expr[1], bit_of)
    return None


def expr_source(expr: Any, bit_of: Mapping[str, int], scores: frozenset[str]) -> str:
    """``expr`` as a Python expression over ``b`` (the bits) and ``v`` (the scores so far).

    Only integers the program computed, operators from a fixed table and ``repr`` of score
    names (checked against ``scores``) are written, never rule text, so the generated code
    can do nothing but test bits and compare numbers. An ``and``/``or`` folds its feature and
    negated-feature operands into two masks tested at once."""
    if not isinstance(expr, list) or not expr or not isinstance(expr[0], str):
        raise ProgramError(f"malformed expression {expr!r}")
    head, args = expr[0], expr[1:]
    if head == "true" and not args:
        return "True"
    if head == "ref" and len(args) == 1:
        return f"b & {_ref_mask(expr, bit_of)}"
    if head == "not" and len(args) == 1:
        mask = _ref_mask(args[0], bit_of)
        return f"not b & {mask}" if mask is not None else f"not ({expr_source(args[0], bit_of, scores)})"
    if head in ("and", "or") and args:
        plain = negated = 0
        rest: list[str] = []
        for arg in args:
            mask = _ref_mask(arg, bit_of)
            if mask is not None:
                plain |= mask
                continue
            mask = _negated_mask(arg, bit_of)
            if mask is not None:
                negated |= mask
                continue
            rest.append(f"({expr_source(arg, bit_of, scores)})")
        if head == "and":
            parts = ([f"b & {plain} == {plain}"] if plain else []) + ([f"not b & {negated}"] if negated else [])
            return " and ".join(parts + rest)
        parts = ([f"b & {plain}"] if plain else []) + ([f"b & {negated} != {negated}"] if negated else [])
        return " or ".join(parts + rest)
    if head == "cmp" and len(args) == 3:
        name, op, number = args
        if (name not in scores or op not in COMPARE or isinstance(number, bool)
                or not isinstance(number, (int, float)) or not math.isfinite(number)):
            raise ProgramError(f"malformed comparison {expr!r}")
        return f"v[{name!r}] {op} {number!r}"
    raise ProgramError(f"malformed expression {expr!r}")


def _generate(source: str, name: str, **names: Any) -> Callable:
    namespace: dict[str, Any] = {"__builtins__": {"bool": bool, "min": min, "max": max}, **names}
    try:
        code = compile(source, f"<hrouter {name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError) as exc:  # nesting past Python's parser limits
        raise ProgramError(f"an expression is too deeply nested to compile ({type(exc).__name__})") from None
    exec(code, namespace)  # noqa: S102 - only what expr_source writes, see there
    return namespace[name]


def compile_expr(expr: Any, bit_of: Mapping[str, int], scores: frozenset[str]) -> Cond:
    """A condition as one generated function ``cond(bits, values)``."""
    return _generate(f"def cond(b, v):\n    return bool({expr_source(expr, bit_of, scores)})\n", "cond")


def saturate(total: int, k: int) -> int:
    """100 * s / (s + k), rounded half up, in integers so every platform agrees."""
    if k <= 0 or total <= 0:
        return total
    return (200 * total + total + k) // (2 * (total + k))


class Program:
    def __init__(self, artifact: Artifact, overrides: Mapping[str, bool] | None = None) -> None:
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(OVERRIDE_SWITCHES))
        if unknown:
            raise ProgramError(f"unknown override switch: {', '.join(unknown)}")
        self.overrides = {name: bool(overrides.get(name, False)) for name in OVERRIDE_SWITCHES}
        bit_of = {atom.name: 1 << i for i, atom in enumerate(artifact.atoms)}
        names: list[tuple[str, int]] = list(bit_of.items())
        score_names = frozenset(s.name for s in artifact.scores) | frozenset(SCORE_NAMES)
        lines = ["def expand(b):"]
        for offset, derived in enumerate(artifact.derived):
            if derived.name in bit_of:
                raise ProgramError(f"{derived.loc}: {derived.name!r} is defined twice")
            # Only earlier names are known yet, and features cannot compare scores.
            source = expr_source(derived.expr, bit_of, frozenset())
            bit = 1 << (len(artifact.atoms) + offset)
            bit_of[derived.name] = bit
            names.append((derived.name, bit))
            lines.append(f"    if {source}:\n        b |= {bit}")
        lines.append("    return b\n")
        self._expand = _generate("\n".join(lines), "expand")
        self.names = tuple(names)
        self.scores = [
            (s.name, s.base, s.saturation, [(t, compile_expr(t.when, bit_of, score_names)) for t in s.terms])
            for s in artifact.scores
        ]
        self.flags = [(f.name, compile_expr(f.expr, bit_of, score_names)) for f in artifact.flags]
        self.rules: list[tuple[Rule, Cond]] = []
        defaults = [r for r in artifact.rules if r.kind == "default"]
        if len(defaults) != 1 or artifact.rules[-1].kind != "default":
            raise ProgramError("a rule set needs exactly one default rule, last")
        for rule in artifact.rules:
            if rule.override is not None and rule.override not in OVERRIDE_SWITCHES:
                raise ProgramError(f"{rule.loc}: unknown override switch {rule.override!r}")
            if rule.target not in artifact.targets:
                raise ProgramError(f"{rule.loc}: rule {rule.id!r} routes to unknown target {rule.target!r}")
            self.rules.append((rule, compile_expr(rule.when, bit_of, score_names)))
        # Safety before routes whatever order the artifact lists them in; stable within a kind.
        order = {"safety": 0, "route": 1, "default": 2}
        self.rules.sort(key=lambda pair: order[pair[0].kind])
        # 1-based positions of the safety rules, as the clause field of a bit set names them.
        self.safety_index = {rule.id: i for i, (rule, _) in enumerate(self.rules, 1) if rule.kind == "safety"}
        self.target = self._target_code(artifact, bit_of, score_names)

    def _target_code(self, artifact: Artifact, bit_of: Mapping[str, int], score_names: frozenset[str]):
        """``target(atom_bits, clause_rule) -> (target, requires_tools)``: what ``run`` decides,
        as one generated function, for ``route_fast``, which needs no receipt. Building the
        ``Outcome`` (scores, reasons, every matching rule) cost ~55 us of a first-seen prompt;
        this costs the expansion and a few us. tests/engine/test_program.py checks the two agree."""

        def src(expr: Any) -> str:
            return expr_source(expr, bit_of, score_names)

        lines = ["def target(a, clause_rule):", "    b = expand(a)", f"    v = {dict.fromkeys(SCORE_NAMES, 0)!r}"]
        for name, base, saturation, terms in self.scores:
            lines.append("    p = n = 0; lo = hi = None")
            for term, _ in terms:
                if term.kind == "add":
                    update = f"p += {term.value!r}" if term.value >= 0 else f"n += {term.value!r}"
                elif term.kind == "floor":
                    update = f"lo = {term.value!r} if lo is None else max(lo, {term.value!r})"
                else:
                    update = f"hi = {term.value!r} if hi is None else min(hi, {term.value!r})"
                lines.append(f"    if {src(term.when)}:\n        {update}")
            lines.append(f"    x = min(100, max(0, {base!r} + saturate(p, {saturation!r}) + n))")
            lines.append("    if lo is not None:\n        x = max(x, lo)")
            lines.append("    if hi is not None:\n        x = min(x, hi)")
            lines.append(f"    v[{name!r}] = x")
        tools = next((f.expr for f in artifact.flags if f.name == "requires_tools"), None)
        lines.append(f"    t = bool({src(tools)})" if tools is not None else "    t = False")
        for position, (rule, _) in enumerate(self.rules, 1):
            if rule.kind == "safety" and rule.override and self.overrides[rule.override]:
                continue
            if rule.kind == "default":
                lines.append(f"    return ({rule.target!r}, t)")
                break
            lines.append(f"    if clause_rule == {position} or ({src(rule.when)}):\n        return ({rule.target!r}, t)")
        return _generate("\n".join(lines) + "\n", "target", expand=self._expand, saturate=saturate)

    def expand(self, bits: int) -> int:
        """Add the bits of the derived features that hold (generated straight-line code: a
        first-seen prompt evaluates every derived feature)."""
        return self._expand(bits)

    def first_safety(self, expanded: int) -> int | None:
        """The 1-based position of the first safety rule that holds on ``expanded`` bits (0:
        none), which is the rule ``run`` would pick, since safety rules come first; without the
        scores, flags and receipts ``run`` builds. None when a safety condition reads a score
        (the empty mapping raises): then only ``run`` can tell."""
        for position, (rule, cond) in enumerate(self.rules, 1):
            if rule.kind != "safety":
                return 0
            if rule.override and self.overrides[rule.override]:
                continue
            try:
                if cond(expanded, _NO_SCORES):
                    return position
            except KeyError:
                return None
        return 0

    def run(self, atom_bits: int, clause_rule: int = 0) -> Outcome:
        """``clause_rule``: the position of a safety rule that held on a clause of the message
        (``set clause_safety``); that rule holds for the message too."""
        bits = self.expand(atom_bits)
        values: dict[str, int] = {name: 0 for name in SCORE_NAMES}
        reasons: list[str] = []
        applied: list[tuple[str, ScoreTerm]] = []
        for name, base, saturation, terms in self.scores:
            positive = negative = 0
            floors: list[int] = []
            caps: list[int] = []
            for term, cond in terms:
                if not cond(bits, values):
                    continue
                applied.append((name, term))
                reasons.append(term.reason)
                if term.kind == "add":
                    if term.value >= 0:
                        positive += term.value
                    else:
                        negative += term.value
                elif term.kind == "floor":
                    floors.append(term.value)
                else:
                    caps.append(term.value)
            value = min(100, max(0, base + saturate(positive, saturation) + negative))
            if floors:
                value = max(value, max(floors))
            if caps:
                value = min(value, min(caps))
            values[name] = value
        flags = {name: bool(cond(bits, values)) for name, cond in self.flags}
        winner: Rule | None = None
        matched: list[tuple[str, str]] = []
        for position, (rule, cond) in enumerate(self.rules, 1):
            if rule.kind == "safety" and rule.override and self.overrides[rule.override]:
                continue
            if rule.kind != "default" and not cond(bits, values):
                if position != clause_rule:
                    continue
                if winner is None:
                    reasons.append("held on one clause of the message")
            if winner is None:
                winner = rule
            if rule.kind != "default" or winner is rule:
                matched.append((rule.id, str(rule.loc)))
        if winner is None:  # unreachable: the constructor checked there is a default rule
            raise ProgramError("no rule applies")
        reasons.append(winner.reason)
        return Outcome(
            target=winner.target,
            rule_id=winner.id,
            rule_loc=str(winner.loc),
            scores=values,
            flags=flags,
            reasons=tuple(dict.fromkeys(r for r in reasons if r)),
            matched_rules=tuple(matched),
            bits=atom_bits,
            applied_terms=tuple(applied),
            expanded=bits,
            names=self.names,
        )
