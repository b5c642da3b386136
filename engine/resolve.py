"""From a routing target to an engine, through the catalog's fallback chains.

An engine is skipped when it is disabled, unavailable, or cannot serve the request (tools the
rules' flags require, modalities the attachments need, cost or latency caps from the hints);
its ``fallback`` is tried next. Every chain ends at ``human_confirm``: when nothing fits, when
a chain loops, or when a name is unknown. The confirmation target itself is never resolved
through anything else, and ``force_engine`` only chooses where the walk starts.

Results depend only on (target, requirements, forced engine), so they are memoised.
"""

from __future__ import annotations

from hrouter.engine.catalog import CONFIRM_ENGINE, CONFIRM_TARGET, COST_TIERS, LATENCY_TIERS, Catalog, Engine
from hrouter.engine.model import frozen

#: Engines never offered as alternatives: the gate itself and the classifier slot.
NOT_ALTERNATIVES = frozenset({CONFIRM_ENGINE, "intent_router"})

# Ranking weights in percent (capability, trust, cheapness, speed) per request profile.
_PROFILES = {
    "latency": (25, 15, 10, 50),
    "risk": (25, 50, 15, 10),
    "complexity": (55, 20, 15, 10),
    "general": (40, 30, 20, 10),
}
_PROFILE_NOTES = {
    "latency": "latency-sensitive ranking",
    "risk": "risk-sensitive ranking",
    "complexity": "complexity-sensitive ranking",
    "general": None,
}


@frozen
class Requirements:
    needs_tools: bool = False
    modalities: tuple[str, ...] = ()  # what the attachments need the engine to read
    max_cost_tier: str | None = None
    max_latency_tier: str | None = None


@frozen
class Rejection:
    engine: str
    reason: str


@frozen
class Alternative:
    engine: str
    rank_score: int
    capability: int
    trust: int
    cost: int
    latency: int
    reasons: tuple[str, ...]


@frozen
class Resolution:
    engine: str
    fallback_engine: str | None  # the selected engine's own configured fallback
    fallback_used: bool
    availability_valid: bool  # False when the chain ended at human_confirm for want of an engine
    rejected: tuple[Rejection, ...] = ()
    notes: tuple[str, ...] = ()  # receipt reasons ("fallback to ...")


def constraint_reason(engine: Engine, req: Requirements) -> str | None:
    """Why ``engine`` cannot serve a request with ``req``, or None when it can."""
    if req.needs_tools and not engine.supports_tools:
        return "tools required but engine does not support tools"
    for modality in req.modalities:
        if modality not in engine.modalities:
            return f"cannot read {modality} attachments"
    if req.max_cost_tier is not None and COST_TIERS[engine.cost_tier] > COST_TIERS[req.max_cost_tier]:
        return f"cost_tier {engine.cost_tier} exceeds max_cost_tier {req.max_cost_tier}"
    if req.max_latency_tier is not None and LATENCY_TIERS[engine.latency_tier] > LATENCY_TIERS[req.max_latency_tier]:
        return f"latency_tier {engine.latency_tier} exceeds max_latency_tier {req.max_latency_tier}"
    return None


class Resolver:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._memo: dict[tuple, Resolution] = {}
        self._alt_memo: dict[tuple, tuple[tuple[Alternative, ...], tuple[Rejection, ...]]] = {}

    def resolve(self, target: str, req: Requirements, force_engine: str | None = None) -> Resolution:
        key = (target, req, force_engine)
        found = self._memo.get(key)
        if found is None:
            found = self._walk(target, req, force_engine)
            if len(self._memo) < 4096:  # targets x requirement shapes: small in practice
                self._memo[key] = found
        return found

    def _walk(self, target: str, req: Requirements, force_engine: str | None) -> Resolution:
        if target == CONFIRM_TARGET:
            return Resolution(CONFIRM_ENGINE, None, False, True)
        start = force_engine or self.catalog.targets.get(target)
        if start is None:
            note = f"fallback to {CONFIRM_ENGINE}: target {target!r} has no engine in the catalog"
            return Resolution(CONFIRM_ENGINE, None, True, False, (Rejection(target, "target is not mapped"),), (note,))
        rejected: list[Rejection] = []
        seen: set[str] = set()
        current: str | None = start
        while True:
            if current is None:
                return self._gate(start, rejected, "no engine in its fallback chain can serve the request")
            if current == CONFIRM_ENGINE:
                if current == start:
                    return Resolution(CONFIRM_ENGINE, None, False, True)
                return self._gate(start, rejected, "no engine in its fallback chain can serve the request")
            if current in seen:
                rejected.append(Rejection(current, "fallback cycle"))
                return self._gate(start, rejected, "fallback cycle")
            seen.add(current)
            engine = self.catalog.engines.get(current)
            if engine is None:
                rejected.append(Rejection(current, "engine is not in the catalog"))
                return self._gate(start, rejected, f"engine {current!r} is not in the catalog")
            reason = self._unusable(current, engine, req)
            if reason is None:
                notes = () if current == start else (f"fallback to {current}: {start} {rejected[0].reason}",)
                return Resolution(current, engine.fallback, current != start, True, tuple(rejected), notes)
            rejected.append(Rejection(current, reason))
            current = engine.fallback

    def _unusable(self, name: str, engine: Engine, req: Requirements) -> str | None:
        if not engine.enabled:
            return "engine disabled"
        status = self.catalog.status[name]
        if not status.available:
            return "engine unavailable: " + "; ".join(status.reasons)
        return constraint_reason(engine, req)

    @staticmethod
    def _gate(start: str, rejected: list[Rejection], why: str) -> Resolution:
        note = f"fallback to {CONFIRM_ENGINE}: {start}: {why}"
        return Resolution(CONFIRM_ENGINE, None, True, False, tuple(rejected), (note,))

    def alternatives(
        self, selected: str, req: Requirements, profile: str
    ) -> tuple[tuple[Alternative, ...], tuple[Rejection, ...]]:
        """Other engines that could serve the request, best first, and those that could not."""
        if selected == CONFIRM_ENGINE:
            return (), ()  # a refusal has no alternatives: nothing may sidestep confirmation
        key = (selected, req, profile)
        found = self._alt_memo.get(key)
        if found is not None:
            return found
        ranked: list[Alternative] = []
        rejected: list[Rejection] = []
        for name, engine in self.catalog.engines.items():
            if name == selected or name in NOT_ALTERNATIVES or not engine.enabled:
                continue
            reason = self._unusable(name, engine, req)
            if reason is not None:
                rejected.append(Rejection(name, reason))
                continue
            ranked.append(rank(name, engine, profile))
        ranked.sort(key=lambda a: (-a.rank_score, -a.capability, a.cost, a.latency, a.engine))
        found = (tuple(ranked), tuple(rejected))
        if len(self._alt_memo) < 4096:
            self._alt_memo[key] = found
        return found


def profile_for(risk: int, complexity: int, latency_sensitive: bool) -> str:
    if latency_sensitive:
        return "latency"
    if risk >= 50:
        return "risk"
    if complexity >= 60:
        return "complexity"
    return "general"


def rank(name: str, engine: Engine, profile: str) -> Alternative:
    wc, wt, wk, wl = _PROFILES[profile]
    cap, trust, cost, latency = engine.capability or 0, engine.trust or 0, engine.cost or 0, engine.latency or 0
    score = (cap * wc + trust * wt + (100 - cost) * wk + (100 - latency) * wl + 50) // 100
    reasons = [f"capability {cap}/100", f"trust {trust}/100", f"cost {cost}/100", f"latency {latency}/100"]
    if _PROFILE_NOTES[profile]:
        reasons.append(_PROFILE_NOTES[profile])
    return Alternative(name, max(0, min(100, score)), cap, trust, cost, latency, tuple(reasons))
