"""Semantic checks: an ordered table of named stages, each returning diagnostics.

Ordering: `duplicates` and `names` come first because later stages look definitions up by
name; stages marked `needs_clean` only run when everything before them passed (a cycle check
over unknown names, or implication over a cyclic definition, would only add noise).
"""

from __future__ import annotations

import difflib
from typing import Callable

from hrouter.compiler import ast
from hrouter.compiler.diagnostics import Diagnostic
from hrouter.compiler.lower_patterns import MAX_DISTANCE
from hrouter.compiler.reachability import unreachable_rules
from hrouter.compiler.symbols import ATTACHMENTS, FLAG_NAMES, MEASURES, OPTIONS, SCOPES, Symbols, conditions, walk
from hrouter.engine.artifact import BUILTIN_ATOMS, OVERRIDE_SWITCHES, SCORE_NAMES

Check = Callable[[Symbols], list[Diagnostic]]

RESERVED = set(BUILTIN_ATOMS) | set(MEASURES) | set(SCORE_NAMES) | set(SCOPES) | {"true", "not", "and", "or"}


def _hint(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_duplicates(sym: Symbols) -> list[Diagnostic]:
    out = []
    for kind, name, node, first in sym.duplicates:
        pos = node.pos if not isinstance(node, ast.SetOption) else node.name.pos
        first_pos = first.pos
        out.append(sym.load.diag(
            "duplicate", f"{kind} '{name}' is already defined at {first_pos.file}:{first_pos.line}", pos
        ))
    for f in sym.features.values():
        if f.name.name in RESERVED:
            out.append(sym.load.diag("reserved-name", f"'{f.name.name}' is a reserved name; pick another feature name", f.name.pos))
    return out


def check_options(sym: Symbols) -> list[Diagnostic]:
    out = []
    for name, opt in sym.options.items():
        if name not in OPTIONS:
            out.append(sym.load.diag("unknown-setting", f"unknown setting '{name}'{_hint(name, OPTIONS)}; settings: {', '.join(OPTIONS)}", opt.name.pos))
            continue
        lo, hi = OPTIONS[name]
        if not lo <= opt.value <= hi:
            out.append(sym.load.diag("out-of-range", f"{name} must be between {lo} and {hi}, got {opt.value}", opt.pos))
    return out


def _check_ref(sym: Symbols, ref: ast.Ref, out: list[Diagnostic]) -> None:
    name = ref.name
    if ref.scope is not None and ref.scope not in SCOPES:
        out.append(sym.load.diag("unknown-scope", f"unknown scope '{ref.scope}'; scopes: {', '.join(SCOPES)}", ref.pos))
        return
    if name in BUILTIN_ATOMS:
        if ref.scope is not None:
            out.append(sym.load.diag("bad-scope", f"'{name}' is a builtin feature and takes no scope prefix", ref.pos))
        return
    if name in MEASURES:
        out.append(sym.load.diag("bad-measure", f"'{name}' is a measure: compare it with a number, e.g. {name} >= 100", ref.pos))
        return
    if name in SCORE_NAMES:
        out.append(sym.load.diag("bad-score", f"'{name}' is a score: compare it with a number, e.g. {name} >= 50", ref.pos))
        return
    if name not in sym.features:
        known = set(sym.features) | set(BUILTIN_ATOMS)
        out.append(sym.load.diag("unknown-feature", f"unknown feature '{name}'{_hint(name, known)}", ref.pos))
        return
    if ref.scope is not None and not sym.is_lexical(name):
        out.append(sym.load.diag(
            "bad-scope",
            f"'{ref.scope}.{name}': scope prefixes apply only to lexical features (words, near, then, next_not, regex); '{name}' is not one",
            ref.pos,
        ))


def check_names(sym: Symbols) -> list[Diagnostic]:
    """Every name a condition, rule or expect uses is defined and used as what it is."""
    out: list[Diagnostic] = []
    for context, expr in conditions(sym):
        for node in walk(expr):
            if isinstance(node, ast.Ref):
                _check_ref(sym, node, out)
            elif isinstance(node, ast.Compare):
                if node.name in MEASURES:
                    continue
                if node.name in SCORE_NAMES:
                    if context in ("feature", "score"):
                        where = "a derived feature" if context == "feature" else "a score term"
                        out.append(sym.load.diag("score-in-feature", f"{where} cannot test a score ('{node.name}'): scores are computed from features", node.pos))
                    elif node.name not in sym.scores:
                        out.append(sym.load.diag("unknown-score", f"score '{node.name}' is not defined in these rules", node.pos))
                    continue
                out.append(sym.load.diag(
                    "unknown-score",
                    f"'{node.name}' cannot be compared: scores are {', '.join(SCORE_NAMES)}; measures are {', '.join(MEASURES)}{_hint(node.name, list(SCORE_NAMES) + list(MEASURES))}",
                    node.pos,
                ))
    for f in sym.features.values():
        if isinstance(f.body, ast.Compare) and f.body.name in MEASURES and f.body.value < 0:
            out.append(sym.load.diag("out-of-range", "a measure threshold cannot be negative", f.body.pos))
    return out


def check_lexical(sym: Symbols) -> list[Diagnostic]:
    """Operands of near/then/next_not name words(...) features; distances are in range."""
    out = []
    for f in sym.features.values():
        body = f.body
        operands = []
        if isinstance(body, ast.Near):
            operands = [body.a, body.b]
            if not 1 <= body.distance <= MAX_DISTANCE:
                what = "then" if body.ordered else "near"
                out.append(sym.load.diag("bad-distance", f"{what}(...) distance must be between 1 and {MAX_DISTANCE} words, got {body.distance}", body.pos))
        elif isinstance(body, ast.NextNot):
            operands = [body.a]
        for op in operands:
            if not isinstance(op, ast.Ident):
                continue
            target = sym.features.get(op.name)
            if target is None:
                out.append(sym.load.diag("unknown-feature", f"unknown feature '{op.name}'{_hint(op.name, sym.features)}", op.pos))
            elif not isinstance(target.body, ast.Words):
                out.append(sym.load.diag("bad-operand", f"'{op.name}' must be defined by words(...) to be used here", op.pos))
    return out


def check_cycles(sym: Symbols) -> list[Diagnostic]:
    """Derived features must not depend on themselves; the cycle is reported with its path."""
    deps: dict[str, list[ast.Ref]] = {}
    for name, f in sym.features.items():
        if sym.is_derived(name):
            deps[name] = [n for n in walk(f.body) if isinstance(n, ast.Ref) and n.name in sym.features and sym.is_derived(n.name)]
    out = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for ref in deps.get(name, []):
            if state.get(ref.name) == 1:
                cycle = path[path.index(ref.name):] + [ref.name]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    out.append(sym.load.diag("cycle", "derived features form a cycle: " + " -> ".join(cycle), ref.pos))
            elif state.get(ref.name) is None:
                visit(ref.name, path + [ref.name])
        state[name] = 2

    for name in deps:
        if state.get(name) is None:
            visit(name, [name])
    return out


def check_scores_and_flags(sym: Symbols) -> list[Diagnostic]:
    out = []
    for s in sym.scores.values():
        if s.name.name not in SCORE_NAMES:
            out.append(sym.load.diag("unknown-score", f"unknown score '{s.name.name}'{_hint(s.name.name, SCORE_NAMES)}; scores are {', '.join(SCORE_NAMES)}", s.name.pos))
        if not 0 <= s.base <= 100:
            out.append(sym.load.diag("out-of-range", f"base must be between 0 and 100, got {s.base}", s.pos))
        for t in s.terms:
            if t.kind in ("floor", "cap") and not 0 <= t.value <= 100:
                out.append(sym.load.diag("out-of-range", f"{t.kind} must be between 0 and 100, got {t.value}", t.pos))
    for fl in sym.flags.values():
        if fl.name.name not in FLAG_NAMES:
            out.append(sym.load.diag("unknown-flag", f"unknown flag '{fl.name.name}'{_hint(fl.name.name, FLAG_NAMES)}; flags are {', '.join(FLAG_NAMES)}", fl.name.pos))
    return out


def check_rules(sym: Symbols) -> list[Diagnostic]:
    out = []
    if not sym.targets:
        first = sym.load.files[0].rel if sym.load.files else "main.rules"
        out.append(sym.load.diag("no-targets", "no `targets` declared", ast.Pos(first, 1, 1)))
    for r in sym.rules:
        if r.target.name not in sym.targets and sym.targets:
            out.append(sym.load.diag("unknown-target", f"unknown target '{r.target.name}'{_hint(r.target.name, sym.targets)}", r.target.pos))
        if r.kind == "safety" and r.target.name != "confirmation":
            out.append(sym.load.diag("safety-target", f"a safety rule routes to confirmation, not '{r.target.name}'", r.target.pos))
        if r.override is not None and r.override.name not in OVERRIDE_SWITCHES:
            out.append(sym.load.diag("unknown-switch", f"unknown override switch '{r.override.name}'{_hint(r.override.name, OVERRIDE_SWITCHES)}; switches: {', '.join(OVERRIDE_SWITCHES)}", r.override.pos))
    defaults = [r for r in sym.rules if r.kind == "default"]
    if not defaults:
        last = sym.load.files[0].rel if sym.load.files else "main.rules"
        src = sym.load.sources.get(last)
        line = len(src.lines) if src else 1
        out.append(sym.load.diag("no-default", "no default route: add `default -> TARGET \"reason\"` as the last rule", ast.Pos(last, max(line, 1), 1)))
    for extra in defaults[1:]:
        first = defaults[0].pos
        out.append(sym.load.diag("duplicate", f"a second default route; the first is at {first.file}:{first.line}", extra.pos))
    if defaults:
        d = defaults[0]
        seen_default = False
        for r in sym.rules:
            if r is d:
                seen_default = True
            elif seen_default and r.kind == "route":
                out.append(sym.load.diag("unreachable", f"route '{r.id.name}' comes after the default route ({d.pos.file}:{d.pos.line}) and can never fire", r.pos))
    return out


def check_expects(sym: Symbols) -> list[Diagnostic]:
    out = []
    for e in sym.expects:
        if sym.targets and e.target.name not in sym.targets:
            out.append(sym.load.diag("unknown-target", f"unknown target '{e.target.name}'{_hint(e.target.name, sym.targets)}", e.target.pos))
        idents = list(e.attachments) + [a for t in e.context for a in t.attachments]
        for a in idents:
            if a.name not in ATTACHMENTS:
                out.append(sym.load.diag("unknown-attachment", f"unknown attachment '{a.name}'; attachments: {', '.join(ATTACHMENTS)}", a.pos))
    return out


def check_unused(sym: Symbols) -> list[Diagnostic]:
    """Warnings, not errors: a feature nothing uses is often a typo elsewhere or a leftover."""
    used: set[str] = set()
    for _ctx, expr in conditions(sym):
        used.update(n.name for n in walk(expr) if isinstance(n, ast.Ref))
    for f in sym.features.values():
        b = f.body
        operands = [b.a, b.b] if isinstance(b, ast.Near) else [b.a] if isinstance(b, ast.NextNot) else []
        used.update(op.name for op in operands if isinstance(op, ast.Ident))
    return [
        sym.load.diag("unused", f"feature '{name}' is never used", f.name.pos, severity="warning")
        for name, f in sym.features.items()
        if name not in used
    ]


def check_empty_history(sym: Symbols) -> list[Diagnostic]:
    """With `set lookback = 0` there are no earlier user turns: history tests never hold."""
    if sym.lookback != 0:
        return []
    out = []
    for _ctx, expr in conditions(sym):
        for n in walk(expr):
            if isinstance(n, ast.Ref) and (n.scope == "history" or n.name == "history_image"):
                what = "history_image" if n.scope is None else f"history.{n.name}"
                out.append(sym.load.diag("empty-history", f"{what} never holds with `set lookback = 0`", n.pos, severity="warning"))
    return out


def check_reachability(sym: Symbols) -> list[Diagnostic]:
    return [sym.load.diag("unreachable", message, pos) for pos, message in unreachable_rules(sym)]


#: (name, check, needs_clean): in order.
STAGES: tuple[tuple[str, Check, bool], ...] = (
    ("duplicates", check_duplicates, False),
    ("options", check_options, False),
    ("names", check_names, False),
    ("lexical", check_lexical, False),
    ("scores-and-flags", check_scores_and_flags, False),
    ("rules", check_rules, False),
    ("expects", check_expects, False),
    ("unused", check_unused, False),  # warnings only
    ("empty-history", check_empty_history, False),  # warnings only
    ("cycles", check_cycles, True),  # needs every name resolved
    ("reachability", check_reachability, True),  # inlines derived features: needs no cycles
)


def errors(diagnostics) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


def run_checks(sym: Symbols) -> list[Diagnostic]:
    """Errors and warnings of every stage that can run."""
    found: list[Diagnostic] = []
    for _name, check, needs_clean in STAGES:
        if needs_clean and errors(found):
            break
        found.extend(check(sym))
    return found
