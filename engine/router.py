"""``ModelRouter``: an artifact plus a catalog, answering ``route_fast`` and ``route``.

Both calls compute the same feature bits and the same resolution. ``route`` builds the full
outcome (scores, reasons, matched rules); ``route_fast`` without hints asks the program's
generated target code, which decides as the outcome does (property-tested), so
``route_fast(p, h) == route(p, h).selected_engine`` holds.
A repeated prompt costs ``route_fast`` a few dictionary lookups (the scan is memoised per
text, the engine per scan result); a new one, a literal pass and the RE2 of the few patterns
its literals allow. ``route`` memoises whole receipts per (bits, hints, include_alternatives). Neither ever raises: anything
unexpected becomes a ``human_confirm`` decision.
"""

from __future__ import annotations

import os
from pathlib import Path

from hrouter.engine.artifact import Artifact
from hrouter.engine.literal_scan import ScanError
from hrouter.engine.catalog import CONFIRM_ENGINE, CONFIRM_TARGET, Catalog, CatalogError
from hrouter.engine.decision import Decider
from hrouter.engine.hints import NO_HINTS, HintError, RoutingHints, coerce
from hrouter.engine.normalize import normalize
from hrouter.engine.program import Outcome
from hrouter.engine.receipt import FiredRule, RoutingDecision
from hrouter.engine.resolve import Requirements, Resolution, Resolver, profile_for
from hrouter.engine.table import DEFAULT_SIZE, BoundedTable


class RouterConfigError(ValueError):
    """A catalog or rule set that cannot be used; str() names the file, the place and the problem."""

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or [message]


def default_rules_path() -> Path:
    import hrouter.rules  # package data lives beside its __init__; importlib.resources is slow to import

    return Path(hrouter.rules.__file__).parent


def load_catalog(path: str | os.PathLike[str] | None) -> Catalog:
    try:
        return Catalog.from_file(path)
    except CatalogError as exc:
        raise RouterConfigError(str(exc), [f"{exc.origin}: {e}" for e in exc.errors]) from None


def load_artifact_for(rules: str | os.PathLike[str] | Artifact | None) -> Artifact:
    if isinstance(rules, Artifact):
        return rules
    from hrouter.engine.cache import RulesLoadError, load_any

    try:
        return load_any(default_rules_path() if rules is None else rules)
    except RulesLoadError as exc:
        raise RouterConfigError(str(exc)) from None


class ModelRouter:
    def __init__(self, catalog: Catalog, artifact: Artifact, *, table_size: int = DEFAULT_SIZE) -> None:
        unmapped = [t for t in artifact.targets if t not in catalog.targets]
        if unmapped:
            raise RouterConfigError(
                f"{catalog.origin}: $.routing_targets: no engine for the rules' target"
                f"{'s' if len(unmapped) > 1 else ''} {', '.join(unmapped)}"
            )
        try:
            self.decider = Decider(artifact, catalog.overrides, table_size)
        except ValueError as exc:
            raise RouterConfigError(f"rules artifact {artifact.source_hash[:12]}: {exc}") from None
        self.catalog = catalog
        self.artifact = artifact
        self.artifact_hash = artifact.source_hash
        self.resolver = Resolver(catalog)
        self._automaton = self.decider.automaton
        self._message_key = self._automaton.message_key
        self._clause_safety = self.decider.clause_safety
        self._fast = BoundedTable[str](table_size)  # (scan key, clause verdict) -> engine, string prompts without hints
        self._fast_get = self._fast.get
        self._conv = BoundedTable[str](table_size)  # bits -> engine, conversations without hints
        self._conv_get = self._conv.get
        self._hinted = BoundedTable[str](table_size)  # (bits, hints) -> engine
        self._receipts = BoundedTable[RoutingDecision](table_size)
        b = self._automaton.builtin
        self._image_bit, self._pdf_bit = b["attachment_image"], b["attachment_pdf"]

    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        rules: str | os.PathLike[str] | Artifact | None = None,
    ) -> "ModelRouter":
        """Catalog YAML (default: the packaged one) and rules (folder, ``.rules`` file, artifact)."""
        return cls(load_catalog(path), load_artifact_for(rules))

    def warm(self) -> "ModelRouter":
        """Compile every RE2 object now instead of on first use. A long-running process (the
        proxy) calls this once per load, so no request pays for compilation; a process that
        routes one prompt should not, since it needs only a few of them."""
        try:
            self._automaton.warm()
        except ScanError as exc:
            raise RouterConfigError(f"rules artifact {self.artifact_hash[:12]}: {exc}") from None
        return self

    # -- the hot path ---------------------------------------------------------------------------

    def route_fast(self, prompt: object, hints: object = None) -> str:
        try:
            if hints is None:
                if type(prompt) is str:
                    # Memoised on the scan's raw result and the clause verdict: a repeated
                    # prompt costs one scan and one dict lookup.
                    key = self._message_key(prompt.lower() if prompt.isascii() else normalize(prompt))
                    clause = self.decider.clause_verdict(prompt) if self._clause_safety else 0
                    engine = self._fast_get((key, clause))
                    if engine is None:
                        bits = self._automaton.key_bits(key) | clause
                        engine = self._fast.put((key, clause), self._engine(bits))
                    return engine
                bits = self.decider.bits(prompt)
                engine = self._conv_get(bits)
                if engine is None:
                    engine = self._conv.put(bits, self._engine(bits))
                return engine
            try:
                h = self._hints(hints)
            except HintError:
                return CONFIRM_ENGINE
            bits = self.decider.bits(prompt, h.attachments, h.latency_sensitive)
            key = (bits, h)
            engine = self._hinted.get(key)
            if engine is None:
                engine = self._hinted.put(key, self._select(bits, h)[1].engine)
            return engine
        except Exception:  # fail closed: a router bug must never forward a request
            return CONFIRM_ENGINE

    def _hints(self, hints: object) -> RoutingHints:
        h = coerce(hints)
        if h.force_engine is not None and h.force_engine not in self.catalog.engines:
            raise HintError(f"unknown engine {h.force_engine!r} in force_engine")
        return h

    def _requirements(self, needs_tools: bool, bits: int, h: RoutingHints) -> Requirements:
        modalities = tuple(m for m, bit in (("image", self._image_bit), ("pdf", self._pdf_bit)) if bits & bit)
        return Requirements(
            needs_tools=needs_tools,
            modalities=modalities,
            max_cost_tier=h.max_cost_tier,
            max_latency_tier=h.effective_latency_cap,
        )

    def _select(self, bits: int, h: RoutingHints) -> tuple[Outcome, Resolution, Requirements]:
        """Where ``route`` chooses an engine (``route_fast`` without hints: ``_engine``)."""
        outcome = self.decider.outcome(bits)
        req = self._requirements(bool(outcome.flags.get("requires_tools", False)), bits, h)
        forced = h.force_engine if outcome.target != CONFIRM_TARGET else None
        return outcome, self.resolver.resolve(outcome.target, req, forced), req

    def _engine(self, bits: int) -> str:
        """``_select(bits, NO_HINTS)``'s engine, from the program's target code: route_fast
        needs no receipt (tests/engine/test_router.py checks the two agree)."""
        target, needs_tools = self.decider.target(bits)
        return self.resolver.resolve(target, self._requirements(needs_tools, bits, NO_HINTS)).engine

    # -- the receipt ---------------------------------------------------------------------------

    def route(self, prompt: object, hints: object = None, *, include_alternatives: bool = True) -> RoutingDecision:
        try:
            try:
                h = self._hints(hints)
            except HintError as exc:
                return self._refusal(self.decider.bits(prompt), f"invalid routing hints: {exc}")
            bits = self.decider.bits(prompt, h.attachments, h.latency_sensitive)
            key = (bits, h, include_alternatives)
            decision = self._receipts.get(key)
            if decision is None:
                decision = self._receipts.put(key, self._receipt(bits, h, include_alternatives))
            return decision
        except ScanError as exc:  # a damaged artifact: the message names the pattern, never the input
            return failed_decision(f"rules artifact is damaged: {exc}", self.artifact_hash, config_valid=False)
        except Exception as exc:  # fail closed, and say so without echoing the input
            return failed_decision(f"internal error while routing: {type(exc).__name__}", self.artifact_hash)

    def _receipt(self, bits: int, h: RoutingHints, include_alternatives: bool) -> RoutingDecision:
        outcome, res, req = self._select(bits, h)
        reasons = list(outcome.reasons)
        if h.force_engine:
            if outcome.target == CONFIRM_TARGET and h.force_engine != CONFIRM_ENGINE:
                reasons.append(f"force_engine {h.force_engine} ignored: confirmation required")
            else:
                reasons.append(f"forced engine {h.force_engine}")
        reasons.extend(res.notes)
        alternatives, rejected = (), res.rejected
        if include_alternatives:
            scores = outcome.scores
            profile = profile_for(scores["risk"], scores["complexity"], h.latency_sensitive)
            alternatives, more = self.resolver.alternatives(res.engine, req, profile)
            rejected = tuple(dict.fromkeys(rejected + more))
        return self._decision(outcome, res.engine, reasons, bits, h,
                              fallback_engine=res.fallback_engine, fallback_used=res.fallback_used,
                              availability_valid=res.availability_valid, rejected=rejected,
                              alternatives=alternatives)

    def _refusal(self, bits: int, reason: str) -> RoutingDecision:
        outcome = self.decider.outcome(bits)
        return self._decision(outcome, CONFIRM_ENGINE, [*outcome.reasons, reason], bits, NO_HINTS)

    def _decision(self, outcome: Outcome, engine: str, reasons: list[str], bits: int, h: RoutingHints,
                  **extra) -> RoutingDecision:
        flags, scores = outcome.flags, outcome.scores
        return RoutingDecision(
            selected_engine=engine,
            selected_target=outcome.target,
            complexity_score=scores["complexity"],
            risk_score=scores["risk"],
            confidence_score=scores["confidence"],
            fallback_engine=extra.get("fallback_engine"),
            requires_confirmation=engine == CONFIRM_ENGINE,
            requires_tools=bool(flags.get("requires_tools", False)),
            requires_freshness=bool(flags.get("requires_freshness", False)),
            requires_code_execution=bool(flags.get("requires_code_execution", False)),
            requires_vision=bool(flags.get("requires_vision", False)) or bool(bits & (self._image_bit | self._pdf_bit)),
            requires_image_generation=bool(flags.get("requires_image_generation", False)),
            config_valid=True,
            availability_valid=extra.get("availability_valid", True),
            reasons=tuple(dict.fromkeys(reasons)),
            rejected_engines=extra.get("rejected", ()),
            alternatives=extra.get("alternatives", ()),
            fired_rules=tuple(FiredRule(rule, loc) for rule, loc in outcome.matched_rules),
            fallback_used=extra.get("fallback_used", False),
            artifact_hash=self.artifact_hash,
            inherited_from=_inherited(self.decider.inherited(outcome)),
        )

    # -- diagnostics ---------------------------------------------------------------------------

    def explain(self, prompt: object, hints: object = None):
        h = self._hints(hints)
        return self.decider.explain(prompt, h.attachments, h.latency_sensitive)


def _inherited(target: str | None) -> str | None:
    return None if target is None else f"previous user turn: {target}"


def failed_decision(reason: str, artifact_hash: str = "", *, config_valid: bool = True) -> RoutingDecision:
    """A refusal that has no outcome behind it: a broken configuration or an internal error."""
    return RoutingDecision(
        selected_engine=CONFIRM_ENGINE,
        selected_target=CONFIRM_TARGET,
        complexity_score=0,
        risk_score=100,
        confidence_score=0,
        fallback_engine=None,
        requires_confirmation=True,
        requires_tools=False,
        requires_freshness=False,
        requires_code_execution=False,
        requires_vision=False,
        requires_image_generation=False,
        config_valid=config_valid,
        availability_valid=False,
        reasons=(reason,),
        fallback_used=True,
        artifact_hash=artifact_hash,
    )


def route_prompt(
    prompt: object,
    hints: object = None,
    *,
    config: str | os.PathLike[str] | None = None,
    rules: str | os.PathLike[str] | Artifact | None = None,
) -> RoutingDecision:
    """One-off routing. A broken catalog or rule set gives a human_confirm receipt saying why."""
    try:
        router = ModelRouter.from_config(config, rules=rules)
    except RouterConfigError as exc:
        return failed_decision(f"fail-closed: invalid configuration: {exc}", config_valid=False)
    return router.route(prompt, hints)
