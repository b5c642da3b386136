"""The symbol tables of a rule set: every definition by name, rules and expects in order.

Built once from the spliced statements; the first definition of a name wins and later ones are
left to the `duplicates` check to report.
"""

from __future__ import annotations

import attrs

from hrouter.compiler import ast
from hrouter.compiler.loader import LoadResult

DEFAULT_LOOKBACK = 4
MEASURES = {"chars": "chars", "tokens": "tokens", "word_count": "words"}  # rules name -> artifact measure
SCOPES = ("assistant", "history", "context", "system")
FLAG_NAMES = (
    "requires_tools",
    "requires_freshness",
    "requires_code_execution",
    "requires_vision",
    "requires_image_generation",
)
ATTACHMENTS = ("image", "pdf", "code")
# A setting takes a number in a range, or (None) names a feature.
OPTIONS: dict[str, tuple[int, int] | None] = {"lookback": (0, 20), "clause_safety": (0, 1), "clause_frame": None, "clause_whole": None}


@attrs.define
class Symbols:
    load: LoadResult
    options: dict[str, ast.SetOption] = attrs.field(factory=dict)
    targets: dict[str, ast.Ident] = attrs.field(factory=dict)
    features: dict[str, ast.FeatureDef] = attrs.field(factory=dict)
    fragments: dict[str, ast.FragmentDef] = attrs.field(factory=dict)
    scores: dict[str, ast.ScoreDef] = attrs.field(factory=dict)
    flags: dict[str, ast.FlagDef] = attrs.field(factory=dict)
    rules: list[ast.RuleDef] = attrs.field(factory=list)
    expects: list[ast.ExpectDef] = attrs.field(factory=list)
    call_expects: list[ast.CallExpectDef] = attrs.field(factory=list)
    # (kind, name, the definition, the first definition) for the duplicates check
    duplicates: list[tuple[str, str, object, object]] = attrs.field(factory=list)
    # misspelling -> word, from `words(...; typos)` (expand.py); the scan corrects them (engine/spelling.py)
    spellings: dict[str, str] = attrs.field(factory=dict)

    @property
    def lookback(self) -> int:
        opt = self.options.get("lookback")
        return opt.value if opt is not None else DEFAULT_LOOKBACK

    @property
    def clause_safety(self) -> bool:
        opt = self.options.get("clause_safety")
        return bool(opt.value) if opt is not None else False

    @property
    def clause_frame(self) -> str:
        return self._named_option("clause_frame")

    @property
    def clause_whole(self) -> str:
        return self._named_option("clause_whole")

    def _named_option(self, name: str) -> str:
        opt = self.options.get(name)
        return opt.value.name if opt is not None and isinstance(opt.value, ast.Ident) else ""

    def is_lexical(self, name: str) -> bool:
        f = self.features.get(name)
        return f is not None and f.is_lexical

    def is_numeric(self, name: str) -> bool:
        f = self.features.get(name)
        return f is not None and isinstance(f.body, ast.Compare) and f.body.name in MEASURES

    def is_derived(self, name: str) -> bool:
        f = self.features.get(name)
        return f is not None and not f.is_lexical and not self.is_numeric(name)


def _add(sym: Symbols, table: dict, kind: str, name: str, node) -> None:
    if name in table:
        sym.duplicates.append((kind, name, node, table[name]))
    else:
        table[name] = node


def collect(load: LoadResult) -> Symbols:
    sym = Symbols(load)
    rule_ids: dict[str, ast.RuleDef] = {}
    for st in load.statements:
        if isinstance(st, ast.SetOption):
            _add(sym, sym.options, "setting", st.name.name, st)
        elif isinstance(st, ast.Targets):
            for ident in st.names:
                _add(sym, sym.targets, "target", ident.name, ident)
        elif isinstance(st, ast.FeatureDef):
            _add(sym, sym.features, "feature", st.name.name, st)
        elif isinstance(st, ast.FragmentDef):
            _add(sym, sym.fragments, "fragment", st.name.name, st)
        elif isinstance(st, ast.ScoreDef):
            _add(sym, sym.scores, "score", st.name.name, st)
        elif isinstance(st, ast.FlagDef):
            _add(sym, sym.flags, "flag", st.name.name, st)
        elif isinstance(st, ast.RuleDef):
            sym.rules.append(st)
            if st.kind != "default":
                _add(sym, rule_ids, "rule", st.id.name, st)
        elif isinstance(st, ast.ExpectDef):
            sym.expects.append(st)
        elif isinstance(st, ast.CallExpectDef):
            sym.call_expects.append(st)
    return sym


def walk(expr: ast.Expr):
    """Every node of a condition, depth first."""
    yield expr
    if isinstance(expr, (ast.And, ast.Or)):
        for item in expr.items:
            yield from walk(item)
    elif isinstance(expr, ast.Not):
        yield from walk(expr.item)


def conditions(sym: Symbols):
    """Every condition in the rule set, with what it belongs to:
    (context, expr) where context is "feature", "score", "flag" or "rule"."""
    for f in sym.features.values():
        if not f.is_lexical and not sym.is_numeric(f.name.name):
            yield "feature", f.body
    for s in sym.scores.values():
        for t in s.terms:
            yield "score", t.when
    for fl in sym.flags.values():
        yield "flag", fl.expr
    for r in sym.rules:
        yield "rule", r.when
