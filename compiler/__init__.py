"""The rules compiler: `.rules` sources -> one artifact (RE2 patterns + a decision program).

Stages, one module each: `parser` (lark grammar -> tree), `transform` (tree -> typed `ast`),
`loader` (files, includes, hashes), `symbols` and `check` (semantic checks),
`lower_patterns` (lexical features -> RE2), `lower_program` (conditions, scores, rules),
`expect` (running `expect` lines through the engine), wired by `compile`.
"""

from __future__ import annotations

from hrouter.compiler.diagnostics import Diagnostic, RulesError, SourceLocation

__all__ = ["compile_rules", "Diagnostic", "RulesError", "SourceLocation"]


def __getattr__(name: str):
    # compile_rules pulls in lark and re2; importing hrouter.compiler for RulesError stays light.
    if name == "compile_rules":
        from hrouter.compiler.compile import compile_rules

        return compile_rules
    raise AttributeError(f"module 'hrouter.compiler' has no attribute {name!r}")
