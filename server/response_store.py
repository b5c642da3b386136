"""What the proxy remembers of the Responses it answered, so a request carrying
`previous_response_id` goes back to the backend that created that response, and a backend that
speaks only chat (which keeps no state) still gets the whole conversation.

Each entry holds only the turn it added (its new input and its answer, as chat messages) and
its parent's id, so a long conversation costs one turn per entry, not a copy per turn. Bounded
in entries and in age; in memory, per process (see docs/proxy.md for several workers).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable

import attrs

DEFAULT_MAX_ENTRIES = 4096
DEFAULT_TTL_SECONDS = 3600.0


@attrs.frozen
class Stored:
    backend: str
    parent: str | None
    #: the chat messages this response added: its new input, then its answer
    messages: tuple[Any, ...]
    at: float


class ResponseStore:
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.max_entries, self.ttl, self._clock = max_entries, ttl_seconds, clock
        self._entries: OrderedDict[str, Stored] = OrderedDict()
        self._lock = threading.Lock()  # routing of a large body runs in a worker thread

    def put(self, response_id: str, backend: str, parent: str | None, messages: list[Any]) -> None:
        with self._lock:
            self._entries[response_id] = Stored(backend, parent, tuple(messages), self._clock())
            self._entries.move_to_end(response_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get(self, response_id: str) -> Stored | None:
        with self._lock:
            return self._live(response_id)

    def _live(self, response_id: str) -> Stored | None:
        entry = self._entries.get(response_id)
        if entry is not None and self._clock() - entry.at > self.ttl:
            del self._entries[response_id]
            return None
        return entry

    def conversation(self, response_id: str) -> list[Any] | None:
        """Every message up to and including that response, oldest first; None when any link
        of the chain is gone (expired or evicted)."""
        with self._lock:
            turns: list[tuple[Any, ...]] = []
            seen: set[str] = set()
            current: str | None = response_id
            while current is not None:
                entry = self._live(current)
                if entry is None or current in seen:
                    return None
                seen.add(current)
                turns.append(entry.messages)
                current = entry.parent
        return [m for turn in reversed(turns) for m in turn]

    def __len__(self) -> int:
        return len(self._entries)
