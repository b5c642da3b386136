"""A bounded memo: the decision for a key is computed once and then only looked up.

Keys are feature bit sets (plus hints for receipts); real traffic produces few distinct ones,
so the table rarely fills. When it does, it is cleared rather than kept in LRU order: a hit
then stays a single ``dict.get``, with no bookkeeping on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

DEFAULT_SIZE = 65_536


class BoundedTable(Generic[V]):
    __slots__ = ("_data", "get", "max_size", "clears")

    def __init__(self, max_size: int = DEFAULT_SIZE) -> None:
        if max_size < 1:
            raise ValueError("a table holds at least one entry")
        self._data: dict[Hashable, V] = {}
        self.get = self._data.get  # bound once: the hit path is one C call
        self.max_size = max_size
        self.clears = 0

    def put(self, key: Hashable, value: V) -> V:
        if len(self._data) >= self.max_size:
            self._data.clear()
            self.clears += 1
        self._data[key] = value
        return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        value = self._data.get(key)
        if value is None:
            value = self.put(key, compute())
        return value

    def __len__(self) -> int:
        return len(self._data)
