"""Rules that can never fire, found by implication over truth tables.

A later rule cannot fire when its condition implies the condition of an earlier rule that
cannot be switched off (a route, or a safety rule without `unless`). Derived features are
inlined; every remaining leaf (a lexical atom, a measure test, a builtin, a score comparison)
is a variable. Known relations between leaves are kept: comparisons on the same quantity
(`complexity >= 80` implies `complexity >= 60`), and lexical features that imply others
(`near(a, b)` implies `a`; `words(delete)` implies `words(delete, drop)`). Other leaves are
treated as independent, so this finds fewer implications than exist, never a false one: every
report is sound.

Truth tables are Python integers with one bit per assignment, so `and`/`or`/`not` over all
2^n assignments are single big-integer operations.
"""

from __future__ import annotations

import functools

from hrouter.compiler import ast
from hrouter.compiler.lower_patterns import normal
from hrouter.compiler.symbols import MEASURES, Symbols
from hrouter.compiler.wordchars import is_word_char
from hrouter.engine.program import COMPARE

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
        if node.scope is not None:  # a request field: previous.research, tool.web_search
            return ("request", node.scope, node.name)
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


# The engine's own comparison table: reachability must judge thresholds exactly as routing does.
_OPS = COMPARE


def _quantity(leaf: tuple) -> tuple | None:
    """Comparisons on one quantity are related: `complexity >= 80` implies `complexity >= 60`.
    Tokens are ceil(chars / 4), so token tests are read as tests on chars."""
    if leaf[0] == "cmp":
        return ("score", leaf[1])
    if leaf[0] == "num":
        return ("measure", "words" if leaf[1] == "word_count" else "chars")
    return None


def _predicate(leaf: tuple):
    op, value = _OPS[leaf[2]], leaf[3]
    if leaf[0] == "num" and leaf[1] == "tokens":
        return lambda c: op(-(-c // 4), value)
    return lambda c: op(c, value)


def _critical_points(leaf: tuple) -> list[int]:
    v = leaf[3]
    if leaf[0] == "num" and leaf[1] == "tokens":
        return [4 * (v - 1), 4 * (v - 1) + 1, 4 * v, 4 * v + 1]
    return [v - 1, v, v + 1]


def _word_keys(words: ast.Words) -> set[tuple[str, bool]]:
    return {(normal(w.text).lower(), w.prefix) for w in words.items}


def _covers(general: set[tuple[str, bool]], specific: set[tuple[str, bool]]) -> bool:
    """Every word of `specific` is matched wherever it occurs by some word of `general`."""
    stems = [text for text, prefix in general if prefix]
    for text, prefix in specific:
        if (text, prefix) in general:
            continue
        if any(text.startswith(stem) and all(is_word_char(c) for c in text[len(stem):]) for stem in stems):
            continue
        return False
    return True


def _lexical_implies(sym: Symbols, specific: str, general: str, depth: int = 0) -> bool:
    """Whenever the lexical feature `specific` matches a text, `general` matches it too:
    near/then/next_not imply their named operands, and a words(...) list implies any list
    that covers its words."""
    if specific == general:
        return True
    if depth > 8:
        return False
    body, target = sym.features[specific].body, sym.features[general].body
    if isinstance(body, ast.Words):
        return isinstance(target, ast.Words) and _covers(_word_keys(target), _word_keys(body))
    operands = [body.a, body.b] if isinstance(body, ast.Near) else [body.a] if isinstance(body, ast.NextNot) else []
    for op in operands:
        if isinstance(op, ast.Ident):
            if op.name in sym.features and _lexical_implies(sym, op.name, general, depth + 1):
                return True
        elif isinstance(target, ast.Words) and _covers(_word_keys(target), _word_keys(op)):
            return True
    return False


def _consistent(sym: Symbols, variables: list, columns: dict, mask: int) -> int:
    """The assignments that real prompts can produce, as far as pairs of leaves tell: two
    comparisons on the same quantity that no value satisfies together, or a lexical feature
    that holds without one it implies (in the same scope). Removing only impossible
    assignments keeps every implication found sound."""
    valid = mask
    lexical = [v for v in variables if v[0] == "lex"]
    for a in lexical:
        for b in lexical:
            if a != b and a[2] == b[2] and _lexical_implies(sym, a[1], b[1]):
                valid &= ~(columns[a] & ~columns[b])
    comparisons = [v for v in variables if _quantity(v) is not None]
    for i, a in enumerate(comparisons):
        for b in comparisons[i + 1:]:
            if _quantity(a) != _quantity(b):
                continue
            points = {0, 10**9}
            for p in _critical_points(a) + _critical_points(b):
                if p >= 0:
                    points.add(p)
            pa, pb = _predicate(a), _predicate(b)
            seen = {(pa(x), pb(x)) for x in points}
            ca, cb = columns[a], columns[b]
            for va in (True, False):
                for vb in (True, False):
                    if (va, vb) not in seen:
                        valid &= ~((ca if va else mask & ~ca) & (cb if vb else mask & ~cb))
    return valid & mask


class _Tables:
    def __init__(self, sym: Symbols, variables: list):
        self.sym = sym
        n = len(variables)
        self.mask = (1 << (1 << n)) - 1
        self.columns = {v: _column(i, n) for i, v in enumerate(variables)}
        self.valid = _consistent(sym, variables, self.columns, self.mask)

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
            t = _Tables(sym, sorted(own, key=repr))
            if t.eval(later.when) & t.valid == 0:
                found.append((later.pos, f"{_describe(later)} can never fire: its condition can never hold"))
                continue
        blockers = [i for i in range(j) if not (order[i].kind == "safety" and order[i].override is not None)]
        # (a safety rule with `unless` may be switched off, and then the later rule gets its turn)
        found_one = False
        for i in blockers:
            earlier = order[i]
            variables = own | var_sets[i]
            if len(variables) > MAX_VARS:
                continue
            tables = _Tables(sym, sorted(variables, key=repr))
            c_later, c_earlier = tables.eval(later.when), tables.eval(earlier.when)
            if c_later & ~c_earlier & tables.valid == 0:
                where = f"{earlier.pos.file}:{earlier.pos.line}"
                why = "always fires" if c_earlier & tables.valid == tables.valid else "fires whenever it would"
                found.append((later.pos, f"{_describe(later)} can never fire: {_describe(earlier)} ({where}) comes first and {why}"))
                found_one = True
                break
        if found_one or len(blockers) < 2:
            continue
        # Together, earlier rules may cover every case the later one has (`x` then `not x`).
        variables = set(own)
        for i in blockers:
            variables |= var_sets[i]
        if len(variables) <= MAX_VARS:
            tables = _Tables(sym, sorted(variables, key=repr))
            covered = 0
            for i in blockers:
                covered |= tables.eval(order[i].when)
            if tables.eval(later.when) & ~covered & tables.valid == 0:
                names = ", ".join(f"'{order[i].id.name}'" for i in blockers)
                found.append((later.pos, f"{_describe(later)} can never fire: the rules before it ({names}) cover every case"))
    return found
