"""Parse tree -> typed AST. Builds nodes only; every judgement belongs to `check.py`."""

from __future__ import annotations

import re

from lark import Token, Transformer, v_args

from hrouter.compiler import ast

_ESCAPE = re.compile(r'\\(["\\])')
_BARE = re.compile(r"[^\s,]+")  # one bare word of a WORD token


def unquote(token: str) -> str:
    """A double-quoted string: only `\\"` and `\\\\` are escapes, every other backslash stays."""
    return _ESCAPE.sub(r"\1", token[1:-1])


@v_args(meta=True)
class ToAst(Transformer):
    def __init__(self, file: str):
        super().__init__()
        self.file = file

    # ---- helpers -------------------------------------------------------------------------
    def _pos(self, meta) -> ast.Pos:
        return ast.Pos(self.file, getattr(meta, "line", 0), getattr(meta, "column", 0))

    def _tpos(self, token: Token) -> ast.Pos:
        return ast.Pos(self.file, token.line or 0, token.column or 0)

    # ---- leaves --------------------------------------------------------------------------
    def ident(self, meta, children):
        (tok,) = children
        return ast.Ident(str(tok).lower(), self._tpos(tok))

    def reason(self, meta, children):
        return unquote(children[0])

    def _words(self, tok: Token) -> list[ast.Word]:
        """The words of a STRING token, or of a WORD token (a run of bare words and the commas
        between them, possibly over several lines), each at its own line and column."""
        if tok.type == "STRING":
            return [self._word(unquote(tok), tok.line or 0, tok.column or 0)]
        text, line, column = str(tok), tok.line or 0, tok.column or 0
        if "," not in text:
            return [self._word(text, line, column)]
        out: list[ast.Word] = []
        line_start, prev = 1 - column, 0  # offset of the current line's first character
        for m in _BARE.finditer(text):
            at = m.start()
            breaks = text.count("\n", prev, at)
            if breaks:
                line += breaks
                line_start = text.rindex("\n", prev, at) + 1
            out.append(self._word(m.group(), line, at - line_start + 1))
            prev = at
        return out

    def _word(self, text: str, line: int, column: int) -> ast.Word:
        prefix = text.endswith("*")
        if prefix:
            text = text[:-1]
        return ast.Word(text, prefix, ast.Pos(self.file, line, column))

    # ---- statements -------------------------------------------------------------------------
    def start(self, meta, children):
        return tuple(children)

    def include(self, meta, children):
        return ast.Include(unquote(children[0]), self._pos(meta))

    def set_option(self, meta, children):
        name, value = children
        if value.type == "NAME":  # a setting that names a feature
            return ast.SetOption(ast.Ident(str(name).lower(), self._tpos(name)), ast.Ident(str(value), self._tpos(value)), self._pos(meta))
        return ast.SetOption(ast.Ident(str(name).lower(), self._tpos(name)), int(value), self._pos(meta))

    def targets(self, meta, children):
        return ast.Targets(tuple(children), self._pos(meta))

    def feature(self, meta, children):
        name, body = children
        return ast.FeatureDef(name, body, self._pos(meta))

    def words(self, meta, children):
        words = tuple(w for c in children if isinstance(c, Token) for w in self._words(c))
        options = tuple(c for c in children if isinstance(c, ast.Ident))
        return ast.Words(words, self._pos(meta), options)

    def fragment(self, meta, children):
        name, string = children
        return ast.FragmentDef(name, unquote(string), self._pos(meta), self._tpos(string))

    def near(self, meta, children):
        a, b, n = children
        return ast.Near(a, b, int(n), self._pos(meta))

    def then(self, meta, children):
        a, b, n = children
        return ast.Near(a, b, int(n), self._pos(meta), ordered=True)

    def next_not(self, meta, children):
        return ast.NextNot(children[0], tuple(w for c in children[1:] for w in self._words(c)), self._pos(meta))

    def regex(self, meta, children):
        return ast.Regex(unquote(children[0]), self._pos(meta), self._tpos(children[0]))

    # ---- conditions --------------------------------------------------------------------------
    def or_(self, meta, children):
        return children[0] if len(children) == 1 else ast.Or(tuple(children), self._pos(meta))

    def and_(self, meta, children):
        return children[0] if len(children) == 1 else ast.And(tuple(children), self._pos(meta))

    def not_(self, meta, children):
        return ast.Not(children[0], self._pos(meta))

    def true_(self, meta, children):
        return ast.TrueExpr(self._pos(meta))

    def ref(self, meta, children):
        if len(children) == 1:
            return ast.Ref(str(children[0]).lower(), self._tpos(children[0]))
        scope, name = children
        return ast.Ref(str(name).lower(), self._tpos(scope), scope=str(scope).lower())

    def compare(self, meta, children):
        name, op, value = children
        return ast.Compare(str(name).lower(), str(op), int(value), self._tpos(name))

    # ---- scores, flags, rules -------------------------------------------------------------------
    def score_option(self, meta, children):
        key, value = children
        return (str(key), int(value))

    def term(self, meta, children):
        kind_tok, value, when = children[0], int(children[1]), children[2]
        reason = children[3] if len(children) > 3 else ""
        kind = str(kind_tok)
        if kind in ("+", "-"):
            return ast.Term("add", value if kind == "+" else -value, when, reason, self._pos(meta))
        return ast.Term(kind, value, when, reason, self._pos(meta))

    def score(self, meta, children):
        name = children[0]
        options = dict(c for c in children[1:] if isinstance(c, tuple))
        terms = tuple(c for c in children[1:] if isinstance(c, ast.Term))
        return ast.ScoreDef(name, options.get("base", 0), options.get("saturation", 0), terms, self._pos(meta))

    def flag(self, meta, children):
        name, expr = children
        return ast.FlagDef(name, expr, self._pos(meta))

    def unless(self, meta, children):
        return ("unless", children[0])

    def safety(self, meta, children):
        rule_id, when, _arrow, target = children[:4]
        override = None
        reason = ""
        for extra in children[4:]:
            if isinstance(extra, tuple):
                override = extra[1]
            else:
                reason = extra
        return ast.RuleDef("safety", rule_id, when, target, reason, self._pos(meta), override)

    def route(self, meta, children):
        rule_id, when, _arrow, target = children[:4]
        reason = children[4] if len(children) > 4 else ""
        return ast.RuleDef("route", rule_id, when, target, reason, self._pos(meta))

    def call(self, meta, children):
        rule_id, when, _arrow, decision = children[:4]
        reason = children[4] if len(children) > 4 else ""
        return ast.RuleDef("call", rule_id, when, decision, reason, self._pos(meta))

    def default(self, meta, children):
        kw, _arrow, target = children[:3]
        reason = children[3] if len(children) > 3 else ""
        pos = self._pos(meta)
        return ast.RuleDef("default", ast.Ident("default", self._tpos(kw)), ast.TrueExpr(pos), target, reason, pos)

    # ---- expectations -----------------------------------------------------------------------------
    def with_clause(self, meta, children):
        return ("with", tuple(children))

    def turn(self, meta, children):
        role, text = children[0], children[1]
        attachments = tuple(children[2:])
        return ast.TurnDef(str(role), unquote(text), attachments, self._tpos(role))

    def after_clause(self, meta, children):
        turns: list[ast.TurnDef] = []
        for item in children:
            if isinstance(item, ast.TurnDef):
                turns.append(item)
            else:  # a bare attachment name continues the previous turn's `with` list
                last = turns[-1]
                turns[-1] = ast.TurnDef(last.role, last.text, last.attachments + (item,), last.pos)
        return ("after", tuple(turns))

    def call_part(self, meta, children):
        kind, text = children
        return (ast.Ident(str(kind), self._tpos(kind)), unquote(text))

    def call_expect(self, meta, children):
        tool, decision = unquote(children[0]), children[-1]
        parts = tuple(c for c in children[1:-1] if isinstance(c, tuple))
        negated = any(isinstance(c, Token) and c.type == "NEGATION" for c in children[1:-1])
        return ast.CallExpectDef(tool, parts, negated, decision, self._pos(meta))

    def expect(self, meta, children):
        prompt = unquote(children[0])
        attachments: tuple = ()
        context: tuple = ()
        negated = False
        target = children[-1]
        for item in children[1:-1]:
            if isinstance(item, tuple) and item[0] == "with":
                attachments = item[1]
            elif isinstance(item, tuple) and item[0] == "after":
                context = item[1]
            elif isinstance(item, Token) and item.type == "NEGATION":
                negated = True
        return ast.ExpectDef(prompt, attachments, context, negated, target, self._pos(meta))
