"""The routing receipt: why an engine was chosen, for audit and diagnostics.

Every field of the reference product's example receipt, plus the routing target, the rules
that fired (id and ``file:line``) and the hash of the artifact that decided. A receipt never
holds the prompt: only scores, flags, names and reasons written in the rules and catalog.
"""

from __future__ import annotations

import attr  # the classic namespace: its asdict turns tuples into lists

from hrouter.engine.model import frozen
from hrouter.engine.resolve import Alternative, Rejection


@frozen
class FiredRule:
    rule: str
    loc: str  # "file:line"


@frozen
class RoutingDecision:
    selected_engine: str
    selected_target: str
    complexity_score: int
    risk_score: int
    confidence_score: int
    fallback_engine: str | None
    requires_confirmation: bool
    requires_tools: bool
    requires_freshness: bool
    requires_code_execution: bool
    requires_vision: bool
    requires_image_generation: bool
    config_valid: bool
    availability_valid: bool
    reasons: tuple[str, ...]
    rejected_engines: tuple[Rejection, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    fired_rules: tuple[FiredRule, ...] = ()
    fallback_used: bool = False
    artifact_hash: str = ""
    # Set when the route was inherited: the rule that won read `previous.TARGET`, the route
    # the previous user turn takes ("previous user turn: research").
    inherited_from: str | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready data (lists, not tuples), in the receipt's field order."""
        return attr.asdict(self, retain_collection_types=False)
