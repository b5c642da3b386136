"""Loading a rule set for replay and diff, and routing one logged or corpus prompt with it.

The tuning tools only need "prompt (+ hints) -> engine and target"; this module is the one place
that knows how to get that from ``ModelRouter``, so replay and diff stay plain loops.
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Protocol

import attrs


class TuningError(ValueError):
    """A problem with the user's inputs (files, rules, catalog); the message is printed as is."""


class Router(Protocol):
    def route(self, prompt: Any, hints: Any = None, *, include_alternatives: bool = True) -> Any: ...

    def route_fast(self, prompt: Any, hints: Any = None) -> str: ...


@attrs.frozen
class Routed:
    engine: str
    target: str | None


def load_router(rules: str | os.PathLike[str] | None = None, config: str | os.PathLike[str] | None = None) -> Router:
    """A router for a rules folder or a compiled artifact (None: the packaged rules) and a catalog."""
    from hrouter.engine import ModelRouter

    if rules is not None and not os.path.exists(os.path.expanduser(str(rules))):
        raise TuningError(f"rules not found: {rules}")
    if config is not None and not os.path.exists(os.path.expanduser(str(config))):
        raise TuningError(f"catalog not found: {config}")
    try:
        return ModelRouter.from_config(config, rules=rules)
    except (ValueError, OSError) as exc:
        # Compiler diagnostics and artifact/catalog errors are ValueErrors with a readable message.
        raise TuningError(str(exc).strip() or type(exc).__name__) from None


_HINT_KEYS = ("attachments", "force_engine", "max_cost_tier", "max_latency_tier", "latency_sensitive")


def hints_from(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """Routing hints recorded in an event or given in a corpus row (``hints`` or top-level keys)."""
    source = row.get("hints") if isinstance(row.get("hints"), Mapping) else row
    hints = {k: source[k] for k in _HINT_KEYS if k in source and source[k] not in (None, False, [], "")}
    if "attachments" in hints:
        value = hints["attachments"]
        hints["attachments"] = tuple([value] if isinstance(value, str) else value)
    return hints or None


def route_row(router: Router, prompt: Any, hints: Mapping[str, Any] | None = None) -> Routed:
    """Engine and target; reads the receipt's attributes (``to_dict`` would dominate a long replay)."""
    decision = router.route(prompt, hints=dict(hints) if hints else None, include_alternatives=False)
    if isinstance(decision, Mapping):
        return Routed(engine=str(decision.get("selected_engine")), target=decision.get("selected_target"))
    return Routed(engine=str(decision.selected_engine), target=getattr(decision, "selected_target", None))


def route_engine(router: Router, prompt: Any, hints: Mapping[str, Any] | None = None) -> Routed:
    """Engine only, through ``route_fast`` (equal to ``route().selected_engine`` by construction)."""
    fast = getattr(router, "route_fast", None)
    if fast is None:
        return route_row(router, prompt, hints)
    return Routed(engine=str(fast(prompt, dict(hints) if hints else None)), target=None)


def prompt_of(row: Mapping[str, Any]) -> Any:
    """The replayable input of an event or corpus row: a non-empty string or a message list."""
    prompt = row.get("prompt")
    if prompt is None:
        prompt = row.get("messages")
    if isinstance(prompt, str) or (isinstance(prompt, list) and prompt):
        return prompt
    return None
