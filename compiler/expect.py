"""Running `expect` lines through the engine's decision program.

The compiler does not decide routes itself: it asks the engine (`hrouter.engine.decision`),
so an expectation checks exactly what the router will do at run time, normalisation and all.
"""

from __future__ import annotations

import attrs

from hrouter.compiler.diagnostics import Diagnostic
from hrouter.engine.artifact import Artifact, CallExpect, Expect


@attrs.frozen
class ExpectResult:
    expect: Expect
    passed: bool
    got: str
    rule_id: str
    rule_loc: str  # "file:line" of the rule that fired, or ""
    fired: tuple[str, ...]  # rules that matched, as "id (file:line)"
    features: tuple[str, ...]  # features that were set

    def wanted(self) -> str:
        return f"not {self.expect.target}" if self.expect.negated else self.expect.target

    def notes(self) -> tuple[str, ...]:
        e = self.expect
        lines = [f"prompt:   {e.prompt!r}"]
        if e.attachments:
            lines.append(f"with:     {', '.join(e.attachments)}")
        for turn in e.context:
            extra = f" (with {', '.join(turn.attachments)})" if turn.attachments else ""
            lines.append(f"after:    {turn.role} {turn.text!r}{extra}")
        lines.append(f"expected: {self.wanted()}")
        got = self.got + (f" by rule '{self.rule_id}' ({self.rule_loc})" if self.rule_id else "")
        lines.append(f"got:      {got}")
        if self.fired:
            lines.append(f"fired:    {', '.join(self.fired)}")
        if self.features:
            lines.append(f"features: {', '.join(self.features)}")
        return tuple(lines)

    def diagnostic(self, load) -> Diagnostic:
        from hrouter.compiler.ast import Pos

        loc = self.expect.loc
        return load.diag("expect-failed", f"expect failed: expected {self.wanted()}, got {self.got}", Pos(loc.file, loc.line, loc.column), self.notes())


@attrs.frozen
class CallExpectResult:
    """An `expect call` line's result, read like an ExpectResult (``passed``, ``got``,
    ``wanted``, ``notes``, ``diagnostic``)."""

    expect: CallExpect
    passed: bool
    got: str
    fired: tuple[str, ...]  # the call rules that held, as "id -> decision (file:line)"
    rule_id: str = ""
    rule_loc: str = ""

    def wanted(self) -> str:
        return f"not {self.expect.decision}" if self.expect.negated else self.expect.decision

    def notes(self) -> tuple[str, ...]:
        e = self.expect
        lines = [f"call:     {e.tool} {e.arguments}" + (f" in {e.cwd!r}" if e.cwd else ""),
                 f"expected: {self.wanted()}", f"got:      {self.got}"]
        if self.fired:
            lines.append(f"fired:    {', '.join(self.fired)}")
        return tuple(lines)

    def diagnostic(self, load) -> Diagnostic:
        from hrouter.compiler.ast import Pos

        loc = self.expect.loc
        return load.diag("expect-failed", f"expect failed: expected {self.wanted()}, got {self.got}",
                         Pos(loc.file, loc.line, loc.column), self.notes())


def _call_results(decider, artifact: Artifact) -> list[CallExpectResult]:
    import json

    out = []
    for e in artifact.call_expects:
        verdict = decider.judge_call(e.tool, json.loads(e.arguments), e.cwd)
        got = verdict.decision or "none"
        deciding = verdict.deciding[0] if verdict.deciding else None
        out.append(CallExpectResult(
            expect=e, passed=(got == e.decision) != e.negated, got=got,
            fired=tuple(f"{h.id} -> {h.decision} ({h.loc})" for h in verdict.hits),
            rule_id=deciding.id if deciding else "", rule_loc=deciding.loc if deciding else ""))
    return out


def decider_available() -> bool:
    try:
        from hrouter.engine.decision import Decider  # noqa: F401
    except ImportError:
        return False
    return True


def _names(items) -> tuple[str, ...]:
    out = []
    for item in items or ():
        out.append(item if isinstance(item, str) else str(getattr(item, "name", getattr(item, "id", item))))
    return tuple(out)


class EngineRejected(Exception):
    """The engine could not load the artifact to run the expects (say, the RE2 set is too big)."""


def run_expects(artifact: Artifact, overrides=None) -> list[ExpectResult | CallExpectResult]:
    """One result per expect line, the `expect call` lines last; empty when the engine has no
    Decider yet."""
    try:
        from hrouter.engine.decision import Decider
    except ImportError:
        return []
    try:
        decider = Decider.from_artifact(artifact, overrides=overrides)
    except ValueError as exc:  # the engine's load errors (AutomatonError, ProgramError) are ValueErrors
        raise EngineRejected(str(exc)) from None
    rules = {r.id: r for r in artifact.rules}
    where = {a.name: a.loc for a in artifact.atoms if a.loc is not None}
    where.update({d.name: d.loc for d in artifact.derived})

    def located(name: str) -> str:
        loc = where.get(name)
        return f"{name} ({loc})" if loc is not None else name

    results = []
    for e in artifact.expects:
        passed, outcome = decider.check_expect(e)
        rule_id = str(getattr(outcome, "rule_id", "") or "")
        rule = rules.get(rule_id)
        fired = []
        for item in getattr(outcome, "matched_rules", ()) or ():
            rid = item[0] if isinstance(item, tuple) else str(item)
            r = rules.get(rid)
            fired.append(f"{rid} ({r.loc})" if r else rid)
        results.append(
            ExpectResult(
                expect=e,
                passed=bool(passed),
                got=str(getattr(outcome, "target", "?")),
                rule_id=rule_id,
                rule_loc=str(getattr(outcome, "rule_loc", "") or (rule.loc if rule else "")),
                fired=tuple(fired),
                features=tuple(located(n) for n in sorted(_names(getattr(outcome, "features", ())))),
            )
        )
    return results + _call_results(decider, artifact)
