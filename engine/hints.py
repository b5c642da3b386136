"""Routing hints: what the caller knows that the prompt text does not say.

Hints arrive as a ``RoutingHints`` or a plain dict (from JSON, the CLI, the proxy). Anything
that cannot be read exactly (an unknown key, an unknown tier, a non-boolean flag) raises
``HintError``; the router turns that into a ``human_confirm`` decision naming the problem,
never into a guess.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from hrouter.engine.catalog import COST_TIERS, LATENCY_TIERS

ATTACHMENT_KINDS = ("image", "pdf", "code")
_KEYS = ("attachments", "force_engine", "max_cost_tier", "max_latency_tier", "latency_sensitive")


class HintError(ValueError):
    """Hints that cannot be honoured exactly; str() says which and why."""


@attrs.frozen  # not the shared-method model: hashed on every hinted route_fast
class RoutingHints:
    attachments: tuple[str, ...] = ()
    force_engine: str | None = None
    max_cost_tier: str | None = None
    max_latency_tier: str | None = None
    latency_sensitive: bool = False

    def to_dict(self) -> dict:
        return {
            "attachments": list(self.attachments),
            "force_engine": self.force_engine,
            "max_cost_tier": self.max_cost_tier,
            "max_latency_tier": self.max_latency_tier,
            "latency_sensitive": self.latency_sensitive,
        }

    @property
    def effective_latency_cap(self) -> str | None:
        """A latency-sensitive request without an explicit cap avoids slow engines."""
        if self.max_latency_tier is None and self.latency_sensitive:
            return "medium"
        return self.max_latency_tier


NO_HINTS = RoutingHints()


def coerce(hints: object) -> RoutingHints:
    """A canonical ``RoutingHints`` (sorted, de-duplicated attachments) or ``HintError``."""
    if hints is None:
        return NO_HINTS
    if isinstance(hints, RoutingHints):
        return _validated(hints)
    if not isinstance(hints, Mapping):
        raise HintError(f"hints must be a mapping or RoutingHints, got {type(hints).__name__}")
    unknown = [k for k in hints if k not in _KEYS]
    if unknown:
        raise HintError(f"unknown hint {', '.join(map(repr, unknown))} (known: {', '.join(_KEYS)})")
    attachments = hints.get("attachments", ())
    if attachments is None:
        attachments = ()
    if isinstance(attachments, str) or not isinstance(attachments, (list, tuple)):
        raise HintError("hint attachments must be a list")
    return _validated(
        RoutingHints(
            attachments=tuple(attachments),
            force_engine=hints.get("force_engine"),
            max_cost_tier=hints.get("max_cost_tier"),
            max_latency_tier=hints.get("max_latency_tier"),
            latency_sensitive=hints.get("latency_sensitive", False),
        )
    )


def _validated(h: RoutingHints) -> RoutingHints:
    for kind in h.attachments:
        if kind not in ATTACHMENT_KINDS:
            raise HintError(f"unknown attachment {kind!r} (known: {', '.join(ATTACHMENT_KINDS)})")
    if h.force_engine is not None and (not isinstance(h.force_engine, str) or not h.force_engine):
        raise HintError("hint force_engine must be an engine name")
    if h.max_cost_tier is not None and (not isinstance(h.max_cost_tier, str) or h.max_cost_tier not in COST_TIERS):
        raise HintError(f"unknown max_cost_tier {h.max_cost_tier!r} (known: {', '.join(COST_TIERS)})")
    if h.max_latency_tier is not None and (
        not isinstance(h.max_latency_tier, str) or h.max_latency_tier not in LATENCY_TIERS
    ):
        raise HintError(f"unknown max_latency_tier {h.max_latency_tier!r} (known: {', '.join(LATENCY_TIERS)})")
    if type(h.latency_sensitive) is not bool:
        raise HintError("hint latency_sensitive must be true or false")
    canonical = tuple(sorted(set(h.attachments)))
    return h if canonical == h.attachments else attrs.evolve(h, attachments=canonical)
