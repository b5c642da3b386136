"""The gate on served rules: a rule set whose own `expect` lines fail is refused, at start and on
every reload, exactly like one that does not compile.

Why here and not through the engine's cache: `engine/cache.py` compiles with
`check_expects=False` and drops the expect lines from the artifact it caches (routing never
reads them, and a one-prompt `hrouter decide` must stay light), so a router built through it
never sees them and an edit that breaks them would go live. The proxy loads rules rarely and off
the request path, so it compiles the sources itself, runs the expects on that artifact and
serves exactly the artifact that passed: nothing can change between the check and the load.
That costs a compile per start and per reload instead of a cache hit: with the default rules
a router takes about 1.7 s to build (0.9 s compiling, 0.4 s the expects) instead of 0.9 s.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from hrouter.engine.artifact import Artifact
from hrouter.engine.router import RouterConfigError, default_rules_path, load_artifact_for

_PROMPT_CHARS = 80


class ExpectsFailed(RouterConfigError):
    """Rules that compile but break their own expect lines; `errors` has one line per failure."""

    def __init__(self, where: str, failures: list[str]):
        n = len(failures)
        self.summary = f"{where}: {n} expect line{'s' if n != 1 else ''} fail{'s' if n == 1 else ''}"
        # One line (the log, /health); `errors` keeps the failures apart for a readable listing.
        super().__init__(self.summary + ": " + "; ".join(failures), failures)


def describe(result) -> str:
    """One failed expect as `file:line: expect 'prompt' -> wanted, got target (rule ... at ...)`."""
    e = result.expect
    prompt = e.prompt if len(e.prompt) <= _PROMPT_CHARS else e.prompt[: _PROMPT_CHARS - 3] + "..."
    by = f" (rule {result.rule_id} at {result.rule_loc})" if result.rule_id else ""
    return f"{e.loc}: expect {prompt!r} -> {result.wanted()}, got {result.got}{by}"


def _compiled(path: Path) -> Artifact:
    if not path.exists():
        raise RouterConfigError(f"{path}: no such rules folder or file")
    try:  # imported here: lark and the compiler are needed only when rules are (re)loaded
        from hrouter.compiler import RulesError, compile_rules
    except ImportError as exc:
        raise RouterConfigError(f"{path}: the rules compiler is not available ({exc})") from None
    try:
        # The expects run below, on this very artifact, so both source and artifact files
        # report them the same way.
        return compile_rules(path, check_expects=False)
    except RulesError as exc:
        raise RouterConfigError(str(exc)) from None


def checked_artifact(rules: str | os.PathLike[str] | None) -> Artifact:
    """The artifact to serve from a rules folder, a `.rules` file or a compiled artifact (None:
    the packaged rules), after every one of its expect lines passed.

    Raises RouterConfigError when the rules do not compile or load, ExpectsFailed (a
    RouterConfigError) when they do but an expect fails."""
    path = Path(rules).expanduser() if rules is not None else default_rules_path()
    if path.is_dir() or path.suffix == ".rules":
        artifact = _compiled(path)
    else:
        artifact = load_artifact_for(path)  # the engine's checks: damaged, other format, stale
    from hrouter.compiler.expect import EngineRejected, run_expects

    try:
        results = run_expects(artifact)
    except EngineRejected as exc:
        raise RouterConfigError(f"{path}: the engine cannot load the compiled rules: {exc}") from None
    failures = [describe(r) for r in results if not r.passed]
    if failures:
        raise ExpectsFailed(str(path), failures)
    # Routing never reads the expects; the router keeps what the cache would have given it.
    return attrs.evolve(artifact, expects=(), call_expects=())
