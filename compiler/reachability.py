"""Rules that can never fire, found by implication over truth tables.

A later rule cannot fire when its condition implies the condition of an earlier rule that
cannot be switched off (a route, or a safety rule without `unless`). Derived features are
inlined; every remaining leaf (a lexical atom, a measure test, a builtin, a score comparison)
is treated as an independent variable. Real leaves are correlated (`near(a, b)` implies `a`),
so this finds fewer implications than exist, never a false one: every report is sound.

Truth tables are Python integers with one bit per assignment, so `and`/`or`/`not` over all
2^n assignments are single big-integer operations.
"""

from __future__ import annotations

import functools

from hrouter.compiler import ast
from hrouter.compiler.symbols import MEASURES, Symbols

MAX_VARS = 20  # 2^20-bit integers: still microseconds per operation


def _leaf(sym: Symbols, node) -> tuple | None:
    if isinstance(node, ast.Compare):
        kind = "num" if node.name in MEASURES else "cmp"
        return (kind, node.name, node.op, node.value)
    if isinstance(node, ast.Ref):
        if sym.is_numeric(node.name):
            body = sym.features[node.name].body
            return ("num", body.name, body.op, body.value)
        if sym.is_lexical(node.name):
            return ("lex", node.name, node.scope or "message")
        return ("builtin", node.name)
    return None


def _vars(sym: Symbols, expr, acc: set) -> None:
    if isinstance(expr, ast.TrueExpr):
        return
    if isinstance(expr, (ast.And, ast.Or)):
        for item in expr.items:
            _vars(sym, item, acc)
    elif isinstance(expr, ast.Not):
        _vars(sym, expr.item, acc)
    elif isinstance(expr, ast.Ref) and expr.scope == "context":
        acc.add(("lex", expr.name, "assistant"))
        acc.add(("lex", expr.name, "history"))
    elif isinstance(expr, ast.Ref) and sym.is_derived(expr.name):
        _vars(sym, sym.features[expr.name].body, acc)
    else:
        acc.add(_leaf(sym, expr))


@functools.lru_cache(maxsize=None)
def _column(i: int, n: int) -> int:
    """The truth table of variable i among n: bit k is set when bit i of k is set."""
    half = 1 << i
    block = ((1 << half) - 1) << half
    width = half * 2
    size = 1 << n
    while width < size:
        block |= block << width
        width *= 2
    return block


class _Tables:
    def __init__(self, sym: Symbols, variables: list):
        self.sym = sym
        n = len(variables)
        self.mask = (1 << (1 << n)) - 1
        self.columns = {v: _column(i, n) for i, v in enumerate(variables)}

    def eval(self, expr) -> int:
        if isinstance(expr, ast.TrueExpr):
            return self.mask
        if isinstance(expr, ast.And):
            out = self.mask
            for item in expr.items:
                out &= self.eval(item)
            return out
        if isinstance(expr, ast.Or):
            out = 0
            for item in expr.items:
                out |= self.eval(item)
            return out
        if isinstance(expr, ast.Not):
            return self.mask & ~self.eval(expr.item)
        if isinstance(expr, ast.Ref) and expr.scope == "context":
            return self.columns[("lex", expr.name, "assistant")] | self.columns[("lex", expr.name, "history")]
        if isinstance(expr, ast.Ref) and self.sym.is_derived(expr.name):
            return self.eval(self.sym.features[expr.name].body)
        return self.columns[_leaf(self.sym, expr)]


def _evaluation_order(sym: Symbols) -> list[ast.RuleDef]:
    safety = [r for r in sym.rules if r.kind == "safety"]
    routes = [r for r in sym.rules if r.kind == "route"]
    defaults = [r for r in sym.rules if r.kind == "default"][:1]
    return safety + routes + defaults


def _describe(rule: ast.RuleDef) -> str:
    return "the default route" if rule.kind == "default" else f"{rule.kind} rule '{rule.id.name}'"


def unreachable_rules(sym: Symbols) -> list[tuple[ast.Pos, str]]:
    order = _evaluation_order(sym)
    var_sets = []
    for r in order:
        acc: set = set()
        _vars(sym, r.when, acc)
        var_sets.append(acc)
    found: list[tuple[ast.Pos, str]] = []
    for j, later in enumerate(order):
        own = var_sets[j]
        if len(own) <= MAX_VARS and later.kind != "default":
            if _Tables(sym, sorted(own, key=repr)).eval(later.when) == 0:
                found.append((later.pos, f"{_describe(later)} can never fire: its condition can never hold"))
                continue
        for i in range(j):
            earlier = order[i]
            if earlier.kind == "safety" and earlier.override is not None:
                continue  # it may be switched off, and then the later rule gets its turn
            variables = own | var_sets[i]
            if len(variables) > MAX_VARS:
                continue
            tables = _Tables(sym, sorted(variables, key=repr))
            c_later, c_earlier = tables.eval(later.when), tables.eval(earlier.when)
            if c_later & ~c_earlier & tables.mask == 0:
                where = f"{earlier.pos.file}:{earlier.pos.line}"
                why = "always fires" if c_earlier == tables.mask else "fires whenever it would"
                found.append((later.pos, f"{_describe(later)} can never fire: {_describe(earlier)} ({where}) comes first and {why}"))
                break
    return found
