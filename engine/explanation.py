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
class PreviousTurn:
    """How an earlier user turn is routed, as a follow-up's `previous.TARGET` reads it."""

    turn: int  # 1-based position among the conversation's user messages
    target: str
    rule: str
    loc: str  # file:line of the rule that routed it
    inherited: str | None = None  # the target that turn itself inherited, if it did


@frozen
class Explanation:
    outcome: Outcome
    patterns: tuple[PatternHit, ...]
    atoms: tuple[str, ...]  # true atoms (lexical, numeric, builtin)
    derived: tuple[str, ...]  # true derived features
    terms: tuple[tuple[str, str, int, str, str], ...]  # (score, kind, value, reason, file:line)
    overridden: tuple[tuple[str, str], ...]  # safety rules that held but a catalog switch turned off
    # The previous user turns the rules read (`previous.TARGET`), latest first, and the target
    # the deciding rule inherited from the first of them, if it did.
    previous: tuple[PreviousTurn, ...] = ()
    inherited_from: str | None = None


def term_row(score: str, term: ScoreTerm) -> tuple[str, str, int, str, str]:
    return (score, term.kind, term.value, term.reason, str(term.loc))
