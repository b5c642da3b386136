"""Semantic checks: an ordered table of named stages, each returning diagnostics.

Ordering: `duplicates` and `names` come first because later stages look definitions up by
name; stages marked `needs_clean` only run when everything before them passed (a cycle check
over unknown names, or implication over a cyclic definition, would only add noise).
"""

from __future__ import annotations

from typing import Callable

from hrouter.compiler import ast
from hrouter.compiler.check_calls import check_call_expects, check_call_ref, check_call_scope
from hrouter.compiler.diagnostics import Diagnostic, did_you_mean
from hrouter.compiler.expand import OPTIONS as WORD_OPTIONS, word_lists
from hrouter.compiler.fragments import references, source_column
from hrouter.compiler.lower_patterns import MAX_DISTANCE
from hrouter.compiler.reachability import unreachable_rules
from hrouter.compiler.symbols import ATTACHMENTS, FLAG_NAMES, MEASURES, OPTIONS, SCOPES, Symbols, conditions, walk
from hrouter.engine.artifact import BUILTIN_ATOMS, CALL_SCOPES, OVERRIDE_SWITCHES, SCORE_NAMES
from hrouter.engine.request import FIELDS, MEASURE_FIELDS
from hrouter.engine.tool_call import CALL_FIELDS, DECISIONS

Check = Callable[[Symbols], list[Diagnostic]]

RESERVED = (set(BUILTIN_ATOMS) | set(MEASURES) | set(SCORE_NAMES) | set(SCOPES) | set(FIELDS) | set(MEASURE_FIELDS)
            | set(CALL_FIELDS) | set(CALL_SCOPES) | {"true", "not", "and", "or"})


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
    for frag in sym.fragments.values():  # `{name}` in a regex must name one thing
        f = sym.features.get(frag.name.name)
        if f is not None:
            later, first = (frag, f) if (f.pos.file, f.pos.line) <= (frag.pos.file, frag.pos.line) else (f, frag)
            what = "fragment" if later is frag else "feature"
            out.append(sym.load.diag(
                "duplicate", f"{what} '{frag.name.name}' is already defined at {first.pos.file}:{first.pos.line} (fragments and features share names)", later.name.pos
            ))
    return out


def check_options(sym: Symbols) -> list[Diagnostic]:
    out = []
    for name, opt in sym.options.items():
        if name not in OPTIONS:
            out.append(sym.load.diag("unknown-setting", f"unknown setting '{name}'{did_you_mean(name, OPTIONS)}; settings: {', '.join(OPTIONS)}", opt.name.pos))
            continue
        bounds = OPTIONS[name]
        if bounds is None:
            if not isinstance(opt.value, ast.Ident):
                out.append(sym.load.diag("bad-setting", f"{name} names a feature, got {opt.value}", opt.pos))
            elif opt.value.name not in sym.features:
                out.append(sym.load.diag("unknown-name", f"{name}: no feature named '{opt.value.name}'", opt.value.pos))
            continue
        lo, hi = bounds
        if isinstance(opt.value, ast.Ident):
            out.append(sym.load.diag("bad-setting", f"{name} takes a number between {lo} and {hi}, got '{opt.value.name}'", opt.pos))
        elif not lo <= opt.value <= hi:
            out.append(sym.load.diag("out-of-range", f"{name} must be between {lo} and {hi}, got {opt.value}", opt.pos))
    return out


def _check_request_ref(sym: Symbols, ref: ast.Ref, out: list[Diagnostic]) -> None:
    """`FIELD.VALUE` on a request field: the value must be one the field can take, so a test
    that could never hold where the rule runs is an error, not a silent false."""
    values = FIELDS[ref.scope]
    if values == "targets":
        values = tuple(sym.targets)
        if sym.lookback == 0:
            out.append(sym.load.diag("bad-field", f"'{ref.scope}.{ref.name}' never holds with `set lookback = 0`: no earlier turn is routed", ref.pos))
            return
    if values is not None and ref.name not in values:
        what = "targets" if FIELDS[ref.scope] == "targets" else "values"
        out.append(sym.load.diag(
            "bad-field",
            f"'{ref.scope}.{ref.name}' cannot hold: {ref.scope} takes {', '.join(values)}{did_you_mean(ref.name, values)} ({what})",
            ref.pos,
        ))


def _check_ref(sym: Symbols, ref: ast.Ref, out: list[Diagnostic]) -> None:
    name = ref.name
    if ref.scope in FIELDS:
        _check_request_ref(sym, ref, out)
        return
    if ref.scope in CALL_FIELDS:
        check_call_ref(sym, ref, out)
        return
    if ref.scope is not None and ref.scope not in SCOPES and ref.scope not in CALL_SCOPES:
        known = (*SCOPES, *FIELDS, *CALL_SCOPES, *CALL_FIELDS)
        out.append(sym.load.diag("unknown-scope", f"unknown scope or request field '{ref.scope}'{did_you_mean(ref.scope, known)}; scopes: {', '.join(SCOPES)}; request fields: {', '.join(FIELDS)}; tool-call scopes: {', '.join(CALL_SCOPES)}; tool-call fields: {', '.join(CALL_FIELDS)}", ref.pos))
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
        if name in sym.fragments:
            out.append(sym.load.diag("unknown-feature", f"'{name}' is a fragment, not a feature: use it inside a regex as {{{name}}}", ref.pos))
            return
        known = set(sym.features) | set(BUILTIN_ATOMS)
        out.append(sym.load.diag("unknown-feature", f"unknown feature '{name}'{did_you_mean(name, known)}", ref.pos))
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
                if node.name in MEASURES or node.name in MEASURE_FIELDS:
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
                    f"'{node.name}' cannot be compared: scores are {', '.join(SCORE_NAMES)}; measures are {', '.join((*MEASURES, *MEASURE_FIELDS))}{did_you_mean(node.name, [*SCORE_NAMES, *MEASURES, *MEASURE_FIELDS])}",
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
                out.append(sym.load.diag("unknown-feature", f"unknown feature '{op.name}'{did_you_mean(op.name, sym.features)}", op.pos))
            elif not isinstance(target.body, ast.Words):
                out.append(sym.load.diag("bad-operand", f"'{op.name}' must be defined by words(...) to be used here", op.pos))
    return out


def check_word_options(sym: Symbols) -> list[Diagnostic]:
    """The names after `;` in words(...) are known options, each given once."""
    out = []
    for words in (w for f in sym.features.values() for w in word_lists(f.body)):
        seen: set[str] = set()
        for opt in words.options:
            if opt.name not in WORD_OPTIONS:
                out.append(sym.load.diag(
                    "unknown-option", f"unknown word-list option '{opt.name}'{did_you_mean(opt.name, WORD_OPTIONS)}; options: {', '.join(WORD_OPTIONS)}", opt.pos
                ))
            elif opt.name in seen:
                out.append(sym.load.diag("duplicate", f"option '{opt.name}' is given twice", opt.pos))
            seen.add(opt.name)
    return out


# One slip of a word gives some fifty misspellings, each an entry of the spelling table; a long
# list with `typos` makes that table (and the compile) that much larger (100,000 words took
# minutes). The default rules' longest is 50 words.
MAX_TYPO_WORDS = 2_000


def check_typo_sizes(sym: Symbols) -> list[Diagnostic]:
    """Run before the options are expanded: a `typos` list of more than MAX_TYPO_WORDS words."""
    out = []
    for words in (w for f in sym.features.values() for w in word_lists(f.body)):
        for opt in words.options:
            if opt.name == "typos" and len(words.items) > MAX_TYPO_WORDS:
                out.append(sym.load.diag(
                    "too-large", f"`typos` on a list of {len(words.items):,} words would add some fifty misspellings "
                    f"a word to the spelling table; it is allowed on lists of up to {MAX_TYPO_WORDS:,} words: drop it or split the list", opt.pos))
    return out


def regex_sources(sym: Symbols):
    """(fragment name or None, pattern, where its string starts) of every regex and fragment."""
    for f in sym.features.values():
        if isinstance(f.body, ast.Regex):
            yield None, f.body.pattern, f.body.string_pos or f.body.pos
    for frag in sym.fragments.values():
        yield frag.name.name, frag.pattern, frag.string_pos


def _ref_pos(sym: Symbols, string_pos: ast.Pos, offset: int) -> ast.Pos:
    src = sym.load.sources.get(string_pos.file)
    if src is None:
        return string_pos
    return ast.Pos(string_pos.file, string_pos.line, source_column(src.line(string_pos.line), string_pos.column, offset))


def check_regex_names(sym: Symbols) -> list[Diagnostic]:
    """Every `{name}` in a regex or fragment names a fragment or a words(...) feature, and
    fragments do not refer to themselves."""
    out = []
    edges: dict[str, list[tuple[str, ast.Pos]]] = {}
    for owner, pattern, string_pos in regex_sources(sym):
        for name, offset in references(pattern):
            pos = _ref_pos(sym, string_pos, offset)
            if name in sym.fragments:
                if owner is not None:
                    edges.setdefault(owner, []).append((name, pos))
                continue
            f = sym.features.get(name)
            if f is None:
                known = set(sym.fragments) | {n for n, g in sym.features.items() if isinstance(g.body, ast.Words)}
                out.append(sym.load.diag(
                    "unknown-fragment", f"unknown fragment or words feature '{name}' in {{{name}}}{did_you_mean(name, known)}; a literal brace is written \\{{", pos
                ))
            elif not isinstance(f.body, ast.Words):
                out.append(sym.load.diag(
                    "bad-operand", f"{{{name}}}: '{name}' must be a fragment or defined by words(...) to be used in a regex", pos
                ))
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target, pos in edges.get(name, []):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    out.append(sym.load.diag("cycle", "fragments form a cycle: " + " -> ".join(cycle), pos))
            elif state.get(target) is None:
                visit(target, path + [target])
        state[name] = 2

    for name in edges:
        if state.get(name) is None:
            visit(name, [name])
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
            out.append(sym.load.diag("unknown-score", f"unknown score '{s.name.name}'{did_you_mean(s.name.name, SCORE_NAMES)}; scores are {', '.join(SCORE_NAMES)}", s.name.pos))
        if not 0 <= s.base <= 100:
            out.append(sym.load.diag("out-of-range", f"base must be between 0 and 100, got {s.base}", s.pos))
        for t in s.terms:
            if t.kind in ("floor", "cap") and not 0 <= t.value <= 100:
                out.append(sym.load.diag("out-of-range", f"{t.kind} must be between 0 and 100, got {t.value}", t.pos))
    for fl in sym.flags.values():
        if fl.name.name not in FLAG_NAMES:
            out.append(sym.load.diag("unknown-flag", f"unknown flag '{fl.name.name}'{did_you_mean(fl.name.name, FLAG_NAMES)}; flags are {', '.join(FLAG_NAMES)}", fl.name.pos))
    return out


def check_rules(sym: Symbols) -> list[Diagnostic]:
    out = []
    if not sym.targets:
        first = sym.load.files[0].rel if sym.load.files else "main.rules"
        out.append(sym.load.diag("no-targets", "no `targets` declared", ast.Pos(first, 1, 1)))
    for r in sym.rules:
        if r.kind == "call":
            if r.target.name not in DECISIONS:
                out.append(sym.load.diag("bad-decision", f"a call rule answers {', '.join(DECISIONS)}, not '{r.target.name}'{did_you_mean(r.target.name, DECISIONS)}", r.target.pos))
            continue
        if r.target.name not in sym.targets and sym.targets:
            out.append(sym.load.diag("unknown-target", f"unknown target '{r.target.name}'{did_you_mean(r.target.name, sym.targets)}", r.target.pos))
        if r.kind == "safety" and r.target.name != "confirmation":
            out.append(sym.load.diag("safety-target", f"a safety rule routes to confirmation, not '{r.target.name}'", r.target.pos))
        if r.override is not None and r.override.name not in OVERRIDE_SWITCHES:
            out.append(sym.load.diag("unknown-switch", f"unknown override switch '{r.override.name}'{did_you_mean(r.override.name, OVERRIDE_SWITCHES)}; switches: {', '.join(OVERRIDE_SWITCHES)}", r.override.pos))
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
            out.append(sym.load.diag("unknown-target", f"unknown target '{e.target.name}'{did_you_mean(e.target.name, sym.targets)}", e.target.pos))
        idents = list(e.attachments) + [a for t in e.context for a in t.attachments]
        for a in idents:
            if a.name not in ATTACHMENTS:
                out.append(sym.load.diag("unknown-attachment", f"unknown attachment '{a.name}'; attachments: {', '.join(ATTACHMENTS)}", a.pos))
    return out


def check_unused(sym: Symbols) -> list[Diagnostic]:
    """Warnings, not errors: a feature nothing uses is often a typo elsewhere or a leftover."""
    used: set[str] = set()
    for _ctx, expr in conditions(sym):
        used.update(n.name for n in walk(expr) if isinstance(n, ast.Ref) and n.scope not in FIELDS and n.scope not in CALL_FIELDS)
    for f in sym.features.values():
        b = f.body
        operands = [b.a, b.b] if isinstance(b, ast.Near) else [b.a] if isinstance(b, ast.NextNot) else []
        used.update(op.name for op in operands if isinstance(op, ast.Ident))
    for _owner, pattern, _pos in regex_sources(sym):
        used.update(name for name, _offset in references(pattern))
    used.update(n for n in (sym.clause_frame, sym.clause_whole) if n)  # `set clause_frame = name`
    unused = [
        sym.load.diag("unused", f"feature '{name}' is never used", f.name.pos, severity="warning")
        for name, f in sym.features.items()
        if name not in used
    ]
    return unused + [
        sym.load.diag("unused", f"fragment '{name}' is never used", frag.name.pos, severity="warning")
        for name, frag in sym.fragments.items()
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
    ("word-options", check_word_options, False),
    ("regex-names", check_regex_names, False),
    ("scores-and-flags", check_scores_and_flags, False),
    ("rules", check_rules, False),
    ("expects", check_expects, False),
    ("call-expects", check_call_expects, False),
    ("unused", check_unused, False),  # warnings only
    ("empty-history", check_empty_history, False),  # warnings only
    ("cycles", check_cycles, True),  # needs every name resolved
    ("call-scope", check_call_scope, True),  # follows derived features: needs no cycles
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
