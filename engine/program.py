"""The decision program: derived features, scores, flags and rules over a bit set.

Expressions from the artifact are compiled once into closures (no ``eval`` of strings); the
program then runs once per distinct bit set and its result, an ``Outcome``, is memoised by the
caller. Semantics are those of ``docs/rules-language.md``: safety rules first in order (a rule
whose override switch is on is skipped), then route rules, first match wins, the default last.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from hrouter.engine.artifact import OVERRIDE_SWITCHES, SCORE_NAMES, Artifact, Rule, ScoreTerm
from hrouter.engine.model import frozen

Cond = Callable[[int, dict[str, int]], bool]


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
    features: tuple[str, ...]  # names of the true atoms and derived features
    bits: int
    applied_terms: tuple[tuple[str, ScoreTerm], ...] = attrs.field(default=(), eq=False, repr=False)


COMPARE: dict[str, Callable[[int, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def compile_expr(expr: Any, bit_of: Mapping[str, int], scores: frozenset[str]) -> Cond:
    if not isinstance(expr, list) or not expr or not isinstance(expr[0], str):
        raise ProgramError(f"malformed expression {expr!r}")
    head, args = expr[0], expr[1:]
    if head == "true" and not args:
        return lambda bits, values: True
    if head == "ref" and len(args) == 1:
        mask = bit_of.get(args[0])
        if mask is None:
            raise ProgramError(f"unknown feature {args[0]!r}")
        return lambda bits, values: bits & mask != 0
    if head == "not" and len(args) == 1:
        inner = compile_expr(args[0], bit_of, scores)
        return lambda bits, values: not inner(bits, values)
    if head in ("and", "or") and args:
        parts = tuple(compile_expr(a, bit_of, scores) for a in args)
        if head == "and":
            return lambda bits, values: all(p(bits, values) for p in parts)
        return lambda bits, values: any(p(bits, values) for p in parts)
    if head == "cmp" and len(args) == 3:
        name, op, number = args
        compare = COMPARE.get(op)
        if name not in scores or compare is None or isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ProgramError(f"malformed comparison {expr!r}")
        return lambda bits, values: compare(values[name], number)
    raise ProgramError(f"malformed expression {expr!r}")


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
        self.names: list[tuple[str, int]] = list(bit_of.items())
        score_names = frozenset(s.name for s in artifact.scores) | frozenset(SCORE_NAMES)
        self.derived: list[tuple[int, Cond]] = []
        for offset, derived in enumerate(artifact.derived):
            if derived.name in bit_of:
                raise ProgramError(f"{derived.loc}: {derived.name!r} is defined twice")
            # Only earlier names are known yet, and features cannot compare scores.
            cond = compile_expr(derived.expr, bit_of, frozenset())
            bit = 1 << (len(artifact.atoms) + offset)
            bit_of[derived.name] = bit
            self.names.append((derived.name, bit))
            self.derived.append((bit, cond))
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

    def expand(self, bits: int) -> int:
        """Add the bits of the derived features that hold."""
        for bit, cond in self.derived:
            if cond(bits, {}):
                bits |= bit
        return bits

    def run(self, atom_bits: int) -> Outcome:
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
        for rule, cond in self.rules:
            if rule.kind == "safety" and rule.override and self.overrides[rule.override]:
                continue
            if rule.kind != "default" and not cond(bits, values):
                continue
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
            features=tuple(name for name, bit in self.names if bits & bit),
            bits=atom_bits,
            applied_terms=tuple(applied),
        )
