"""Checked symbols -> the artifact's decision program: atoms, derived features (topologically
sorted), scores, flags, rules (safety first, default last) and expects.

Atom order is the bit order of the engine's key: lexical atoms of the latest message in
definition order, then scoped lexical atoms, then numeric atoms, then every builtin.
"""

from __future__ import annotations

from hrouter.compiler import ast
from hrouter.compiler.symbols import MEASURES, Symbols, conditions, walk
from hrouter.engine.artifact import (BUILTIN_ATOMS, CALL_SCOPES, Atom, CallExpect, Derived, Expect, Flag, Location, Rule, Score,
                                     ScoreTerm, Turn)
from hrouter.engine.request import FIELDS, MEASURE_FIELDS
from hrouter.engine.tool_call import CALL_FIELDS

_SCOPE_ORDER = ("assistant", "history", "system", *CALL_SCOPES)


def loc(pos: ast.Pos) -> Location:
    return Location(pos.file, pos.line, pos.column)


def measure_atom_name(measure: str, op: str, value: int) -> str:
    """Inline measure tests (`chars >= 2000` inside a condition) become anonymous atoms."""
    return f"{measure}{op}{value}"


class ProgramLowering:
    def __init__(self, sym: Symbols):
        self.sym = sym
        self.inline_measures: dict[str, ast.Compare] = {}
        self.request_atoms: dict[str, Atom] = {}  # request fields and measures, by atom name
        self.call_atoms: dict[str, Atom] = {}  # tool-call fields, by atom name

    # ---- conditions ---------------------------------------------------------------------------
    def expr(self, node) -> list:
        if isinstance(node, ast.TrueExpr):
            return ["true"]
        if isinstance(node, ast.And):
            return ["and", *(self.expr(i) for i in node.items)]
        if isinstance(node, ast.Or):
            return ["or", *(self.expr(i) for i in node.items)]
        if isinstance(node, ast.Not):
            return ["not", self.expr(node.item)]
        if isinstance(node, ast.Compare):
            if node.name in MEASURE_FIELDS:
                name = measure_atom_name(node.name, node.op, node.value)
                self.request_atoms.setdefault(name, Atom(name, "request", loc(node.pos), field=node.name, op=node.op, value=node.value))
                return ["ref", name]
            if node.name in MEASURES:
                name = measure_atom_name(node.name, node.op, node.value)
                self.inline_measures.setdefault(name, node)
                return ["ref", name]
            return ["cmp", node.name, node.op, node.value]
        if isinstance(node, ast.Ref):
            if node.scope in FIELDS:
                name = f"{node.scope}.{node.name}"
                self.request_atoms.setdefault(name, Atom(name, "request", loc(node.pos), field=node.scope, key=node.name))
                return ["ref", name]
            if node.scope in CALL_FIELDS:
                name = f"{node.scope}.{node.name}"
                self.call_atoms.setdefault(name, Atom(name, "call", loc(node.pos), field=node.scope, key=node.name))
                return ["ref", name]
            if node.scope == "context":
                return ["or", ["ref", f"assistant.{node.name}"], ["ref", f"history.{node.name}"]]
            if node.scope is not None:
                return ["ref", f"{node.scope}.{node.name}"]
            return ["ref", node.name]
        raise TypeError(f"not a condition: {node!r}")

    # ---- pieces ----------------------------------------------------------------------------------
    def scoped_uses(self) -> set[tuple[str, str]]:
        uses = set()
        for _ctx, e in conditions(self.sym):
            for node in walk(e):
                if isinstance(node, ast.Ref) and node.scope is not None:
                    scopes = ("assistant", "history") if node.scope == "context" else (node.scope,)
                    uses.update((node.name, s) for s in scopes)
        return uses

    def derived(self) -> list[Derived]:
        sym = self.sym
        order: list[str] = []
        done: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            done.add(name)  # checks ruled out cycles before lowering runs
            for node in walk(sym.features[name].body):
                if isinstance(node, ast.Ref) and node.scope is None and sym.is_derived(node.name):
                    visit(node.name)
            order.append(name)

        for name in sym.features:
            if sym.is_derived(name):
                visit(name)
        return [Derived(n, self.expr(sym.features[n].body), loc(sym.features[n].pos)) for n in order]

    def atoms(self) -> list[Atom]:
        sym = self.sym
        out = []
        for name, f in sym.features.items():
            if f.is_lexical:
                out.append(Atom(name, "lexical", loc(f.pos), feature=name))
        uses = self.scoped_uses()
        for name, f in sym.features.items():
            for scope in _SCOPE_ORDER:
                if (name, scope) in uses and f.is_lexical:
                    out.append(Atom(f"{scope}.{name}", "lexical", loc(f.pos), feature=name, scope=scope))
        for name, f in sym.features.items():
            if sym.is_numeric(name):
                b = f.body
                out.append(Atom(name, "numeric", loc(f.pos), measure=MEASURES[b.name], op=b.op, value=b.value))
        for name, node in sorted(self.inline_measures.items()):
            out.append(Atom(name, "numeric", loc(node.pos), measure=MEASURES[node.name], op=node.op, value=node.value))
        out.extend(Atom(b, "builtin") for b in BUILTIN_ATOMS)
        out.extend(atom for _, atom in sorted(self.request_atoms.items()))
        out.extend(atom for _, atom in sorted(self.call_atoms.items()))
        return out

    def scores(self) -> list[Score]:
        out = []
        for s in self.sym.scores.values():
            terms = tuple(ScoreTerm(t.kind, t.value, self.expr(t.when), t.reason, loc(t.pos)) for t in s.terms)
            out.append(Score(s.name.name, s.base, s.saturation, terms, loc(s.pos)))
        return out

    def flags(self) -> list[Flag]:
        return [Flag(f.name.name, self.expr(f.expr), loc(f.pos)) for f in self.sym.flags.values()]

    def rules(self) -> list[Rule]:
        by_kind = {"safety": [], "route": [], "default": [], "call": []}
        for r in self.sym.rules:
            reason = r.reason or ("default route" if r.kind == "default" else f"{r.kind} rule {r.id.name}")
            override = r.override.name if r.override is not None else None
            by_kind[r.kind].append(Rule(r.id.name, r.kind, self.expr(r.when), r.target.name, reason, loc(r.pos), override))
        self._call_rules = by_kind["call"]
        return by_kind["safety"] + by_kind["route"] + by_kind["default"][:1]

    def call_rules(self) -> list[Rule]:
        """The `call` rules in source order (after ``rules()``, which sorts them out)."""
        return self._call_rules

    def expects(self) -> list[Expect]:
        out = []
        for e in self.sym.expects:
            turns = tuple(Turn(t.role, t.text, tuple(a.name for a in t.attachments)) for t in e.context)
            out.append(Expect(e.prompt, e.target.name, loc(e.pos), e.negated, tuple(a.name for a in e.attachments), turns))
        return out

    def call_expects(self) -> list[CallExpect]:
        import json

        from hrouter.compiler.check_calls import CALL_EXPECT_KEYS

        out = []
        for e in self.sym.call_expects:
            parts = {kind.name: text for kind, text in e.parts}
            arguments = json.loads(parts["arguments"]) if "arguments" in parts else {}
            for part, key in CALL_EXPECT_KEYS.items():
                if part in parts:
                    arguments[key] = parts[part]
            text = json.dumps(arguments, sort_keys=True, ensure_ascii=False)
            out.append(CallExpect(e.tool, text, e.decision.name, loc(e.pos), parts.get("in", ""), e.negated))
        return out
