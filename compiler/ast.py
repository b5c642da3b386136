"""The typed syntax tree of a rule set: frozen attrs nodes built by `transform.py`.

Every node keeps a `Pos` (file relative to the rules root, line, column) so that checks and
the lowered program can point back at the source.
"""

from __future__ import annotations

from typing import Union

import attrs


@attrs.frozen(order=True)
class Pos:
    file: str  # relative to the rules root
    line: int
    column: int


@attrs.frozen
class Ident:
    name: str
    pos: Pos


# ---- lexical features -------------------------------------------------------------------


@attrs.frozen
class Word:
    """A word or a quoted phrase; `prefix` when written with a trailing `*`."""

    text: str
    prefix: bool
    pos: Pos


@attrs.frozen
class Words:
    """`words(...)`. `options` are the names after a semicolon (`inflect`, `typos`), as
    written; `expand.py` replaces `items` by every word the list matches and keeps them."""

    items: tuple[Word, ...]
    pos: Pos
    options: tuple[Ident, ...] = ()


@attrs.frozen
class Near:
    a: Union[Words, Ident]
    b: Union[Words, Ident]
    distance: int
    pos: Pos
    ordered: bool = False  # True for then(A, B, N): A must come first


@attrs.frozen
class NextNot:
    a: Union[Words, Ident]
    excluded: tuple[Word, ...]
    pos: Pos


@attrs.frozen
class Regex:
    """`regex("...")`; `{name}` in the pattern is a fragment or a words feature
    (`fragments.py`). `string_pos` is where the string starts, for the column of a `{name}`."""

    pattern: str
    pos: Pos
    string_pos: Pos | None = None


Lexical = Union[Words, Near, NextNot, Regex]


# ---- conditions --------------------------------------------------------------------------


@attrs.frozen
class Ref:
    name: str
    pos: Pos
    # "assistant", "history", "context", "system", a request or tool-call field, a tool-call text
    # scope ("command", ...), or None for the latest message
    scope: str | None = None


@attrs.frozen
class Compare:
    name: str  # a score (complexity, risk, confidence) or a measure (chars, tokens, word_count)
    op: str
    value: int
    pos: Pos


@attrs.frozen
class Not:
    item: "Expr"
    pos: Pos


@attrs.frozen
class And:
    items: tuple["Expr", ...]
    pos: Pos


@attrs.frozen
class Or:
    items: tuple["Expr", ...]
    pos: Pos


@attrs.frozen
class TrueExpr:
    pos: Pos


Expr = Union[Ref, Compare, Not, And, Or, TrueExpr]


# ---- statements ---------------------------------------------------------------------------


@attrs.frozen
class Include:
    path: str
    pos: Pos


@attrs.frozen
class SetOption:
    name: Ident
    value: int | Ident  # a number, or the feature a setting names
    pos: Pos


@attrs.frozen
class Targets:
    names: tuple[Ident, ...]
    pos: Pos


@attrs.frozen
class FeatureDef:
    name: Ident
    body: Union[Lexical, Expr]
    pos: Pos

    @property
    def is_lexical(self) -> bool:
        return isinstance(self.body, (Words, Near, NextNot, Regex))


@attrs.frozen
class FragmentDef:
    """`fragment name = "regex"`: a piece of regex, used inside regex strings as `{name}`."""

    name: Ident
    pattern: str
    pos: Pos
    string_pos: Pos


@attrs.frozen
class Term:
    kind: str  # "add" (weight may be negative), "floor", "cap"
    value: int
    when: Expr
    reason: str
    pos: Pos


@attrs.frozen
class ScoreDef:
    name: Ident
    base: int
    saturation: int
    terms: tuple[Term, ...]
    pos: Pos


@attrs.frozen
class FlagDef:
    name: Ident
    expr: Expr
    pos: Pos


@attrs.frozen
class RuleDef:
    kind: str  # "safety", "route", "default", "call" (a tool call's judge)
    id: Ident
    when: Expr
    target: Ident  # call rules: the decision, allow, ask or deny
    reason: str
    pos: Pos
    override: Ident | None = None


@attrs.frozen
class TurnDef:
    role: str
    text: str
    attachments: tuple[Ident, ...]
    pos: Pos


@attrs.frozen
class ExpectDef:
    prompt: str
    attachments: tuple[Ident, ...]
    context: tuple[TurnDef, ...]
    negated: bool
    target: Ident
    pos: Pos


@attrs.frozen
class CallExpectDef:
    """`expect call "TOOL" [command|path|arguments|in "..."]* -> [not] DECISION`."""

    tool: str
    parts: tuple[tuple[Ident, str], ...]  # (command/path/arguments/in, its text)
    negated: bool
    decision: Ident  # allow, ask, deny, or none
    pos: Pos


Statement = Union[Include, SetOption, Targets, FeatureDef, FragmentDef, ScoreDef, FlagDef, RuleDef, ExpectDef, CallExpectDef]


@attrs.frozen
class RulesFile:
    path: str  # relative to the rules root
    statements: tuple[Statement, ...]
