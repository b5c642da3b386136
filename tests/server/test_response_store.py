"""The remembered Responses: bounded in count and in age, and a conversation is whole or absent."""

from __future__ import annotations

from hrouter.server.response_store import ResponseStore


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_conversation_walks_the_chain_oldest_first():
    store = ResponseStore(clock=Clock())
    store.put("r1", "fast", None, ["u1", "a1"])
    store.put("r2", "fast", "r1", ["u2", "a2"])
    assert store.conversation("r2") == ["u1", "a1", "u2", "a2"]
    assert store.get("r2").backend == "fast" and store.conversation("nope") is None


def test_entries_expire_and_a_broken_chain_is_no_conversation():
    clock = Clock()
    store = ResponseStore(ttl_seconds=10, clock=clock)
    store.put("r1", "fast", None, ["u1"])
    clock.now = 5
    store.put("r2", "fast", "r1", ["u2"])
    clock.now = 12  # r1 is 12 s old, r2 7 s
    assert store.get("r2") is not None and store.conversation("r2") is None
    assert store.get("r1") is None


def test_the_oldest_entries_are_evicted_past_the_bound():
    store = ResponseStore(max_entries=3, clock=Clock())
    for i in range(5):
        store.put(f"r{i}", "fast", f"r{i - 1}" if i else None, [i])
    assert len(store) == 3 and store.get("r1") is None and store.get("r4") is not None
    assert store.conversation("r4") is None  # its chain reaches an evicted entry
