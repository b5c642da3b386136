"""What ``explain`` reports: the patterns that matched, the true features, the score terms
that applied and the safety rules a catalog switch turned off. Only explanations need these
models, so routing never imports them."""

from __future__ import annotations

from hrouter.engine.artifact import ScoreTerm
from hrouter.engine.model import frozen
from hrouter.engine.program import Outcome


@frozen
class PatternHit:
    feature: str
    scope: str  # message, assistant or history
    regex: str
    loc: str  # file:line


@frozen
class Explanation:
    outcome: Outcome
    patterns: tuple[PatternHit, ...]
    atoms: tuple[str, ...]  # true atoms (lexical, numeric, builtin)
    derived: tuple[str, ...]  # true derived features
    terms: tuple[tuple[str, str, int, str, str], ...]  # (score, kind, value, reason, file:line)
    overridden: tuple[tuple[str, str], ...]  # safety rules that held but a catalog switch turned off


def term_row(score: str, term: ScoreTerm) -> tuple[str, str, int, str, str]:
    return (score, term.kind, term.value, term.reason, str(term.loc))
