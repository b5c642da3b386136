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


def _junction(head: str, args: list[Any], bit_of: Mapping[str, int], scores: frozenset[str]) -> Cond:
    """``and``/``or``. Most operands are features or negated features, which fold into two
    masks tested at once; a first-seen prompt evaluates every derived feature, so this is
    what a new bit set costs."""
    plain = negated = 0
    rest: list[Cond] = []
    for arg in args:
        mask = _ref_mask(arg, bit_of)
        if mask is not None:
            plain |= mask
            continue
        mask = _negated_mask(arg, bit_of)
        if mask is not None:
            negated |= mask
            continue
        rest.append(compile_expr(arg, bit_of, scores))
    others: Cond | None
    if not rest:
        others = None
    elif len(rest) == 1:
        others = rest[0]
    else:
        parts = tuple(rest)
        if head == "and":
            others = lambda bits, values: all(p(bits, values) for p in parts)  # noqa: E731
        else:
            others = lambda bits, values: any(p(bits, values) for p in parts)  # noqa: E731
    if head == "and":
        if others is None:
            return lambda bits, values: bits & plain == plain and not bits & negated
        return lambda bits, values: bits & plain == plain and not bits & negated and others(bits, values)
    # or: a plain operand set, a negated operand clear, or another operand true
    if others is None:
        return lambda bits, values: bool(bits & plain) or bits & negated != negated
    return lambda bits, values: bool(bits & plain) or bits & negated != negated or others(bits, values)


def compile_expr(expr: Any, bit_of: Mapping[str, int], scores: frozenset[str]) -> Cond:
    if not isinstance(expr, list) or not expr or not isinstance(expr[0], str):
        raise ProgramError(f"malformed expression {expr!r}")
    head, args = expr[0], expr[1:]
    if head == "true" and not args:
        return lambda bits, values: True
    if head == "ref" and len(args) == 1:
        mask = _ref_mask(expr, bit_of)
        return lambda bits, values: bits & mask != 0
    if head == "not" and len(args) == 1:
        mask = _ref_mask(args[0], bit_of)
        if mask is not None:
            return lambda bits, values: not bits & mask
        inner = compile_expr(args[0], bit_of, scores)
        return lambda bits, values: not inner(bits, values)
    if head in ("and", "or") and args:
        return _junction(head, args, bit_of, scores)
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
        names: list[tuple[str, int]] = list(bit_of.items())
        score_names = frozenset(s.name for s in artifact.scores) | frozenset(SCORE_NAMES)
        self.derived: list[tuple[int, Cond]] = []
        for offset, derived in enumerate(artifact.derived):
            if derived.name in bit_of:
                raise ProgramError(f"{derived.loc}: {derived.name!r} is defined twice")
            # Only earlier names are known yet, and features cannot compare scores.
            cond = compile_expr(derived.expr, bit_of, frozenset())
            bit = 1 << (len(artifact.atoms) + offset)
            bit_of[derived.name] = bit
            names.append((derived.name, bit))
            self.derived.append((bit, cond))
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

    def expand(self, bits: int) -> int:
        """Add the bits of the derived features that hold."""
        for bit, cond in self.derived:
            if cond(bits, {}):
                bits |= bit
        return bits

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
