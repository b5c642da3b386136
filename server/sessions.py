"""Session affinity: a conversation stays on the backend that answered it (its prompt cache, one
model's voice) while each new turn needs nothing that backend's engine lacks.

A session is named by the configured header (`sessions.header`), else Claude Code's
`X-Claude-Code-Session-Id`, else the body's `prompt_cache_key`. A request forced to an engine
or backend (its `model`) is not pinned. Every turn is routed (so safety judges every turn and a
refusal is never pinned away); the pin then holds when the routed turn needs nothing the pinned
turn did not (tools, fresh data, code execution, vision, image generation) and the pinned
engine is at least as capable as the one routed. So small talk after code work stays on the
code backend, while code work after small talk, or an image arriving, leaves the pin and binds
the conversation to its new backend once that answered. In memory, bounded, with a TTL; bound
only after a successful answer.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Mapping

import attrs

CLAUDE_CODE_HEADER = "x-claude-code-session-id"
_NEEDS = ("requires_tools", "requires_freshness", "requires_code_execution", "requires_vision",
          "requires_image_generation")
_MAX_KEY = 200


@attrs.frozen
class Pin:
    backend: str
    engine: str
    needs: frozenset[str]
    at: float


def needs_of(decision: Any) -> frozenset[str]:
    return frozenset(name for name in _NEEDS if getattr(decision, name, False))


def session_key(headers: Mapping[str, str], body: Mapping[str, Any], header: str | None) -> str | None:
    for source, value in (("header", headers.get(header.lower()) if header else None),
                          ("claude-code", headers.get(CLAUDE_CODE_HEADER)),
                          ("prompt_cache_key", body.get("prompt_cache_key"))):
        if isinstance(value, str) and value:
            return f"{source}:{value[:_MAX_KEY]}"
    return None


class SessionPins:
    def __init__(self, max_entries: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.max_entries, self.ttl, self._clock = max_entries, ttl_seconds, clock
        self._pins: OrderedDict[str, Pin] = OrderedDict()
        self._lock = threading.Lock()

    def holding(self, key: str, decision: Any, capability: Callable[[str], int]) -> Pin | None:
        """The pin, if it holds for this routed turn."""
        with self._lock:
            pin = self._pins.get(key)
            if pin is not None and self._clock() - pin.at > self.ttl:
                del self._pins[key]
                pin = None
        if pin is None or not needs_of(decision) <= pin.needs:
            return None
        return pin if capability(pin.engine) >= capability(decision.selected_engine) else None

    def bind(self, key: str, backend: str, engine: str, needs: frozenset[str]) -> None:
        with self._lock:
            self._pins[key] = Pin(backend, engine, needs, self._clock())
            self._pins.move_to_end(key)
            while len(self._pins) > self.max_entries:
                self._pins.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pins)


@attrs.define
class Affinity:
    """One request's session: where it goes, and what to bind once it was answered."""

    pins: SessionPins | None = None
    key: str | None = None
    pin: Pin | None = None
    engine: str = ""
    needs: frozenset[str] = frozenset()

    @property
    def backend(self) -> str | None:
        return self.pin.backend if self.pin is not None else None

    def answered(self, backend: str) -> None:
        if self.pins is None or self.key is None:
            return
        if self.pin is not None and backend == self.pin.backend:
            self.pins.bind(self.key, backend, self.pin.engine, self.pin.needs)  # held: refreshed
        else:
            self.pins.bind(self.key, backend, self.engine, self.needs)


NO_AFFINITY = Affinity()


def affinity(state: Any, headers: Mapping[str, str], body: Mapping[str, Any], choice: Any, router: Any) -> Affinity:
    """The session of a routed, unforced, forwarded request (NO_AFFINITY otherwise)."""
    settings = state.config.sessions
    pins = state.sessions
    if not settings.enabled or choice.hints is not None or choice.backend is None:
        return NO_AFFINITY
    key = session_key(headers, body, settings.header)
    if key is None:
        return NO_AFFINITY
    engines = getattr(getattr(router, "catalog", None), "engines", None) or {}

    def capability(engine: str) -> int:
        found = engines.get(engine)
        return getattr(found, "capability", None) or 0

    decision = choice.decision
    return Affinity(pins, key, pins.holding(key, decision, capability), decision.selected_engine, needs_of(decision))
