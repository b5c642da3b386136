"""Source text -> typed AST, with syntax errors turned into located diagnostics."""

from __future__ import annotations

import functools

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from hrouter.compiler import ast
from hrouter.compiler.diagnostics import Diagnostic, SourceText
from hrouter.compiler.transform import ToAst

#: How expected terminals are named in messages.
_READABLE = {
    "ARROW": "'->'",
    "COMMA": "','",
    "COLON": "':'",
    "SEMICOLON": "';'",
    "EQUAL": "'='",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "DOT": "'.'",
    "NAME": "a name",
    "STRING": 'a "quoted string"',
    "INT": "a number",
    "WORD": "a word",
    "CMP_OP": "a comparison (>=, <, ...)",
    "TERM_KIND": "a score term (+, -, floor, cap)",
    "CALL_PART": "a tool-call part (command, path, arguments, in)",
    "NEGATION": "'not'",
    "DEFAULT": "'default'",
    "BASE": "'base'",
    "SATURATION": "'saturation'",
    "USER": "'user'",
    "ASSISTANT": "'assistant'",
    "$END": "end of file",
}

_CHARACTER_HINTS = {
    "&": " (write `and`)",
    "|": " (write `or`)",
    "!": " (write `not`, or `!=` to compare)",
    "'": ' (strings use double quotes: "...")',
    "=": " (compare with `==`, `>=`, `<=`)",
}

_STATEMENT_KEYWORDS = ("include", "set", "targets", "feature", "fragment", "score", "flag", "safety", "route", "call", "default", "expect")


@functools.lru_cache(maxsize=1)
def grammar() -> Lark:
    # cache=True keeps the built LALR tables in a temp file keyed by the grammar's content,
    # which makes a cold `hrouter compile` start faster; lru_cache keeps it per process.
    return Lark.open("grammar.lark", rel_to=__file__, parser="lalr", propagate_positions=True, cache=True)


def _readable(names: set[str]) -> str:
    words = []
    for name in sorted(names):
        if name in _READABLE:
            words.append(_READABLE[name])
        elif name.startswith("__") or name.startswith("$"):
            continue
        else:
            words.append(f"'{name.lower()}'")
    words = sorted(set(words))
    if len(words) > 6:
        return "a statement keyword (" + ", ".join(_STATEMENT_KEYWORDS) + ")" if "'feature'" in words else ", ".join(words[:6]) + ", ..."
    return " or ".join(words) if len(words) <= 2 else ", ".join(words[:-1]) + " or " + words[-1]


def _syntax_diagnostic(src: SourceText, exc: UnexpectedInput) -> Diagnostic:
    line, column = exc.line or 0, exc.column or 0
    if isinstance(exc, UnexpectedCharacters):
        char = exc.char
        if char == '"':
            message = "unterminated string: a string ends with '\"' on the same line"
        else:
            message = f"unexpected character {char!r}" + _CHARACTER_HINTS.get(char, "")
    elif isinstance(exc, UnexpectedEOF):
        message = f"unexpected end of file; expected {_readable(set(exc.expected))}"
        if not line:
            line = len(src.lines)
            column = len(src.line(line)) + 1
    else:
        assert isinstance(exc, UnexpectedToken)
        token = exc.token
        expected = set(exc.accepts or exc.expected)
        if token.type == "$END":
            message = f"unexpected end of file; expected {_readable(expected)}"
            line = len(src.lines) or 1
            column = len(src.line(line)) + 1
        else:
            text = str(token).split(",")[0].rstrip() if token.type == "WORD" else str(token)  # a run of bare words
            shown = text if len(text) <= 30 else text[:27] + "..."
            message = f"unexpected {shown!r}; expected {_readable(expected)}"
            if token.type == "EQUAL" and "CMP_OP" in expected:
                message += " (compare with `==`)"
            elif "ARROW" in expected and token.type in ("EQUAL", "COLON"):
                message += " (rules read `NAME: condition -> target`)"
            elif str(token)[:1] in _CHARACTER_HINTS and token.type != "EQUAL":
                message += _CHARACTER_HINTS[str(token)[:1]]
            elif token.type in ("NAME", "WORD") and "COMMA" in expected:
                message += " (a comma is missing between list items?)"
            elif token.type in ("WORD", "NAME") and str(token).lower() in ("and", "or") and "ARROW" in expected:
                message += f" ('{token}' needs a condition on both sides)"
    return src.diagnostic("syntax", message, line, column)


def parse(text: str, file: str, display_path: str | None = None) -> tuple[ast.RulesFile | None, list[Diagnostic]]:
    """Parse one file; on a syntax error, return no tree and one diagnostic.

    Results are kept per (text, name): the tree is immutable, so a process that recompiles
    (the proxy's reload, `hrouter diff`) re-parses only the files that changed."""
    tree, diags = _parse_cached(text, file, display_path or file)
    return tree, list(diags)


@functools.lru_cache(maxsize=128)
def _parse_cached(text: str, file: str, display_path: str) -> tuple[ast.RulesFile | None, tuple[Diagnostic, ...]]:
    tree, diags = _parse(text, file, display_path)
    return tree, tuple(diags)


def _parse(text: str, file: str, display_path: str) -> tuple[ast.RulesFile | None, list[Diagnostic]]:
    src = SourceText(display_path, text)
    try:
        tree = grammar().parse(text)
    except UnexpectedInput as exc:
        return None, [_syntax_diagnostic(src, exc)]
    try:
        statements = ToAst(file).transform(tree)
    except RecursionError:
        return None, [src.diagnostic("syntax", "expression nested too deeply", 1, 1)]
    except VisitError as exc:  # a bug in the transformer, not in the user's rules
        if isinstance(exc.orig_exc, RecursionError):
            return None, [src.diagnostic("syntax", "expression nested too deeply", 1, 1)]
        raise exc.orig_exc from None
    return ast.RulesFile(file, statements), []
