"""Wires the stages: load (parse every file) -> collect symbols -> checks -> lowering -> expects.

Each stage reports diagnostics instead of raising, so one run shows every problem it can; the
pipeline stops before a stage that would only add noise on top of earlier errors.
"""

from __future__ import annotations

import os

import re2

from hrouter import __version__
from hrouter.compiler import ast
from hrouter.compiler.check import check_typo_sizes, errors, run_checks
from hrouter.compiler.diagnostics import Diagnostic, RulesError, SourceLocation
from hrouter.compiler.expand import expand
from hrouter.compiler.expect import EngineRejected, run_expects
from hrouter.compiler.fragments import Skip, Splicer
from hrouter.compiler.loader import load, source_hash
from hrouter.compiler.literals import required_literals
from hrouter.compiler.lower_patterns import MAX_DISTANCE, LoweringError, lower_lexical, token_form
from hrouter.compiler.lower_program import ProgramLowering, loc
from hrouter.compiler.symbols import Symbols, collect
from hrouter.engine.artifact import FORMAT_VERSION, Artifact, Pattern, SourceFile

COMPILER_VERSION = f"hrouter {__version__}"


class _Skip(Exception):
    """A feature whose operands another check already reported."""


def _re2_message(regex: str, options) -> str:
    """RE2's own words for why it rejects a pattern (the Set only says that it did)."""
    try:
        re2.compile(regex, options)
    except re2.error as exc:
        arg = exc.args[0] if exc.args else ""
        return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg or "invalid pattern")
    return "the pattern does not compile"


#: Patterns longer than this are also compiled the way the engine's prefilter compiles them (a
#: literal fails somewhere between 80k and 100k characters). The packaged rules' longest is about
#: 21k, so the check costs them nothing; checking every pattern would double the compile time.
#: Anything that still slips through is refused by the engine's warm() as a RouterConfigError.
_ENGINE_CHECK_CHARS = 32768


def _engine_rejects(regex: str) -> bool:
    """Whether the engine's long-prompt prefilter (a FilteredRE2, automaton.py) refuses it: RE2
    alone accepts a 100k-character literal that the filter cannot compile."""
    from hrouter.engine.literal_scan import options as engine_options

    try:
        one = re2.Filter()
        one.Add(regex, engine_options())
        one.Compile()
    except re2.error:
        return True
    return False


def lower_patterns(sym: Symbols) -> tuple[list[Pattern], list[Diagnostic]]:
    patterns: list[Pattern] = []
    diags: list[Diagnostic] = []
    # Adding to a Set parses the pattern (and rejects what RE2 cannot do, such as lookaround)
    # without building a program: several times cheaper than re2.compile for each pattern.
    options = re2.Options()
    options.never_capture = True
    options.log_errors = False  # errors become diagnostics, not lines on stderr
    validator = re2.Set.SearchSet(options)

    def words_of(ident: ast.Ident) -> ast.Words:
        target = sym.features.get(ident.name)
        if target is None or not isinstance(target.body, ast.Words):
            raise _Skip  # the lexical check reports it
        return target.body

    def words_named(name: str) -> ast.Words | None:
        target = sym.features.get(name)
        return target.body if target is not None and isinstance(target.body, ast.Words) else None

    splicer = Splicer(sym.fragments, words_named)
    for name, frag in sym.fragments.items():  # each fragment must be a regex by itself
        try:
            regex = "(?:" + splicer.fragment(name) + ")"
        except Skip:
            continue  # a reference check.py reports
        try:
            validator.Add(regex)
        except (re2.error, ValueError):
            splicer.bad.add(name)
            diags.append(sym.load.diag("bad-pattern", f"RE2 rejects fragment '{name}': {_re2_message(regex, options)}", frag.pos))

    shared: dict = {}  # one token tuple per word list, however many features use it
    for name, f in sym.features.items():
        if not f.is_lexical:
            continue
        if isinstance(f.body, ast.Near) and not 1 <= f.body.distance <= MAX_DISTANCE:
            continue  # the lexical check reports it
        try:
            regexes = lower_lexical(f.body, words_of, splicer.expand)
        except LoweringError as exc:
            diags.append(sym.load.diag("bad-pattern", str(exc), exc.pos))
            continue
        except (_Skip, Skip):
            continue
        tokens = token_form(f.body, words_of, shared) if len(regexes) == 1 else None
        for regex in regexes:
            try:
                validator.Add(regex)
            except (re2.error, ValueError):
                detail = _re2_message(regex, options)
                diags.append(sym.load.diag("bad-pattern", f"RE2 rejects the pattern of '{name}': {detail}", f.body.pos))
                continue
            if len(regex) > _ENGINE_CHECK_CHARS and _engine_rejects(regex):
                diags.append(sym.load.diag(
                    "bad-pattern", f"the pattern of '{name}' is too large for the engine to run "
                    f"({len(regex)} characters; RE2's prefilter refuses it): shorten its words or split the list",
                    f.body.pos))
                continue
            # The literals are the RE2 part's prefilter; a pattern with a token form never goes there.
            literals = required_literals(regex) if tokens is None else ()
            patterns.append(Pattern(regex, name, loc(f.pos), literals, tokens))
    return patterns, diags


def _whole_set_check(sym: Symbols, patterns: list[Pattern]) -> list[Diagnostic]:
    """The engine scans a long text with every pattern in one RE2 set, built when the first long
    text arrives; rules whose patterns together outgrow its memory budget are refused here, with
    the largest patterns named, rather than failing closed on every long prompt later."""
    from hrouter.engine.automaton import MAX_MEM
    from hrouter.engine.literal_scan import ScanError, compile_set

    try:
        compile_set([p.regex for p in patterns], "pattern", MAX_MEM)
    except ScanError as exc:
        largest = sorted(patterns, key=lambda p: len(p.regex), reverse=True)[:3]
        notes = tuple(f"{p.loc}: '{p.feature}', {len(p.regex)} characters" for p in largest)
        where = SourceLocation(sym.load.files[0].display if sym.load.files else "<rules>")
        return [Diagnostic("engine-rejects", f"the patterns together are too large for the engine's long-text scan "
                           f"({MAX_MEM >> 20} MB of RE2 memory): {exc}; shorten the largest word lists or regexes", where, notes=notes)]
    return []


def build(path: str | os.PathLike[str]) -> tuple[Artifact | None, list[Diagnostic], Symbols | None]:
    """Everything but the expect check: (artifact, or None on errors; diagnostics including
    warnings; symbols)."""
    loaded = load(path)
    if loaded.diagnostics:
        return None, loaded.diagnostics, None
    sym = collect(loaded)
    too_large = check_typo_sizes(sym)
    if too_large:
        return None, too_large, sym
    expand(sym)  # word-list options -> plain lists, for the checks and the lowering alike
    diags = run_checks(sym)
    patterns, pattern_diags = lower_patterns(sym)
    diags.extend(pattern_diags)
    if not errors(diags):
        diags.extend(_whole_set_check(sym, patterns))
    if errors(diags):
        return None, diags, sym
    prog = ProgramLowering(sym)
    derived, scores, flags, rules = prog.derived(), prog.scores(), prog.flags(), prog.rules()
    atoms = prog.atoms()  # last: the conditions above register inline measure atoms
    files = [(f.rel, f.sha256) for f in loaded.files]
    artifact = Artifact(
        format_version=FORMAT_VERSION,
        source_hash=source_hash(files),
        sources=tuple(SourceFile(rel, sha) for rel, sha in files),
        lookback=sym.lookback,
        clause_safety=sym.clause_safety,
        clause_frame=sym.clause_frame,
        clause_whole=sym.clause_whole,
        spellings=tuple(sorted(sym.spellings.items())),
        targets=tuple(sym.targets),
        patterns=tuple(patterns),
        atoms=tuple(atoms),
        derived=tuple(derived),
        scores=tuple(scores),
        flags=tuple(flags),
        rules=tuple(rules),
        call_rules=tuple(prog.call_rules()),
        call_expects=tuple(prog.call_expects()),
        expects=tuple(prog.expects()),
        compiler_version=COMPILER_VERSION,
    )
    return artifact, diags, sym


def compile_rules(
    path: str | os.PathLike[str], *, check_expects: bool = True, warnings: list[Diagnostic] | None = None
) -> Artifact:
    """Compile a rules folder (entry file `main.rules`) or one `.rules` file into an artifact.

    Raises `RulesError` with every diagnostic found. With `check_expects`, every `expect` line
    is run through the engine's decision program (when the engine provides one) and a failed
    expectation is an error too. Warnings (such as an unused feature) do not stop compiling;
    pass a list as `warnings` to receive them."""
    artifact, diags, sym = build(path)
    if artifact is None:
        raise RulesError(errors(diags))
    if warnings is not None:
        warnings.extend(sorted((d for d in diags if d.severity == "warning"), key=Diagnostic.sort_key))
    if check_expects:
        try:
            results = run_expects(artifact)
        except EngineRejected as exc:
            where = SourceLocation(sym.load.files[0].display if sym.load.files else str(path))
            raise RulesError([Diagnostic("engine-rejects", f"the engine cannot load the compiled rules: {exc}", where)]) from None
        failures = [f for f in results if not f.passed]
        if failures:
            raise RulesError([f.diagnostic(sym.load) for f in failures])
    return artifact
