"""The checks of the tool-call scope: `call.NAME` values, `expect call` lines, and that a
tool-call field is read only where a tool call is judged (and a message feature only where a
message is)."""

from __future__ import annotations

import json

from hrouter.compiler import ast
from hrouter.compiler.diagnostics import Diagnostic, did_you_mean
from hrouter.compiler.symbols import Symbols, walk
from hrouter.engine.artifact import CALL_SCOPES
from hrouter.engine.tool_call import CALL_FIELDS, DECISIONS


def check_call_ref(sym: Symbols, ref: ast.Ref, out: list[Diagnostic]) -> None:
    """`FIELD.VALUE` on a tool-call field: as for request fields, a value it cannot take."""
    values = CALL_FIELDS[ref.scope]
    if values is not None and ref.name not in values:
        out.append(sym.load.diag(
            "bad-field", f"'{ref.scope}.{ref.name}' cannot hold: {ref.scope} takes {', '.join(values)}{did_you_mean(ref.name, values)} (values)", ref.pos))


#: where each part of an `expect call` goes in the call's tool_input (`in` is the hook's cwd)
CALL_EXPECT_KEYS = {"command": "command", "path": "file_path"}


def check_call_expects(sym: Symbols) -> list[Diagnostic]:
    """An `expect call` answers a decision or `none`; each part once; `arguments` is a JSON object."""
    out = []
    for e in sym.call_expects:
        wanted = (*DECISIONS, "none")
        if e.decision.name not in wanted:
            out.append(sym.load.diag("bad-decision", f"an expect call answers {', '.join(wanted)}, not '{e.decision.name}'{did_you_mean(e.decision.name, wanted)}", e.decision.pos))
        seen: set[str] = set()
        for kind, text in e.parts:
            if kind.name in seen:
                out.append(sym.load.diag("duplicate", f"'{kind.name}' is given twice", kind.pos))
            seen.add(kind.name)
            if kind.name == "arguments":
                try:
                    value = json.loads(text)
                except ValueError as exc:
                    value = exc
                if not isinstance(value, dict):
                    out.append(sym.load.diag("bad-expect", "arguments must be a JSON object, as a tool call's input is "
                                             "(\\\" escapes a quote: \"{\\\"text\\\": \\\"hi\\\"}\")", kind.pos))
    return out


def _side(sym: Symbols, node) -> str | None:
    """What a condition's leaf reads: "call" (a proposed tool call), "message" (the
    conversation or the request), or None (true, or a derived feature: look inside)."""
    if isinstance(node, ast.Compare):
        return "message"  # measures, request measures and scores are all of the message
    if not isinstance(node, ast.Ref):
        return None
    if ref_is_call(node):
        return "call"
    if node.scope is None and sym.is_derived(node.name):
        return None
    return "message"


def ref_is_call(ref: ast.Ref) -> bool:
    return ref.scope in CALL_FIELDS or ref.scope in CALL_SCOPES


def _text(node) -> str:
    if isinstance(node, ast.Compare):
        return f"{node.name} {node.op} {node.value}"
    return f"{node.scope}.{node.name}" if node.scope else node.name


def check_call_scope(sym: Symbols) -> list[Diagnostic]:
    """A tool-call field holds only where a tool call is judged (a `call` rule) and a message
    feature only where a message is (every other rule, score and flag): a test that cannot
    exist where its rule runs is an error at the test, naming the rule (and the derived
    features it came through), like a request field that cannot hold."""
    out: list[Diagnostic] = []
    reported: set[tuple[ast.Pos, str]] = set()
    users = [(r.kind == "call", f"{r.kind} rule '{r.id.name}' ({r.pos.file}:{r.pos.line})" if r.kind != "default"
              else f"the default route ({r.pos.file}:{r.pos.line})", r.when) for r in sym.rules]
    users += [(False, f"score '{s.name.name}' ({t.pos.file}:{t.pos.line})", t.when) for s in sym.scores.values() for t in s.terms]
    users += [(False, f"flag '{f.name.name}' ({f.pos.file}:{f.pos.line})", f.expr) for f in sym.flags.values()]
    for in_call, where, expr in users:
        want = "call" if in_call else "message"
        stack: list[tuple[ast.Expr, tuple[str, ...]]] = [(expr, ())]
        seen: set[str] = set()
        while stack:
            top, via = stack.pop()
            for node in walk(top):
                side = _side(sym, node)
                if side is None and isinstance(node, ast.Ref) and node.name in sym.features and node.name not in seen:
                    seen.add(node.name)  # each derived feature once per user: shared ones are common
                    stack.append((sym.features[node.name].body, (*via, node.name)))
                if side is None or side == want or (node.pos, want) in reported:
                    continue
                reported.add((node.pos, want))
                through = f", and reaches it through {' -> '.join(via)}" if via else ""
                if in_call:
                    message = (f"'{_text(node)}' reads the message or the request, which a call rule never sees: "
                               f"{where} judges a tool call{through}; use a tool-call field "
                               f"({', '.join(f + '.' for f in CALL_FIELDS)}) or a tool-call text scope ({', '.join(s + '.' for s in CALL_SCOPES)})")
                else:
                    message = (f"'{_text(node)}' is a tool-call field, which holds only in a call rule: "
                               f"{where} judges a message, where no tool call exists{through}")
                out.append(sym.load.diag("bad-scope", message, node.pos))
    return out
