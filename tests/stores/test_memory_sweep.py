"""`MemoryTable` drops expired entries that nobody reads again, and never a live one.

A controllable clock moves time; the table's `len` (which counts unswept expired entries)
shows what it still holds.
"""

from __future__ import annotations

import math

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sessio._memory import SWEEP_PER_WRITE, MemoryTable
from sessio.sync.stores.memory import MemoryStore

START = 1_700_000_000.0


class Clock:
    """Unix seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def writes_to_sweep(count: int) -> int:
    """Writes that are enough to sweep `count` expired entries."""
    return math.ceil(count / SWEEP_PER_WRITE)


def test_ten_thousand_expired_sessions_are_swept_by_later_writes() -> None:
    clock = Clock()
    store = MemoryStore(clock)
    for i in range(10_000):
        store.set(f"sess:{i}", b"{}", 60)
    store.set("forever", b"{}", None)
    clock.now += 61
    assert len(store.table) == 10_001  # nothing read them since, nothing swept them yet
    for _ in range(writes_to_sweep(10_000)):
        store.delete("nothing-here")
    assert len(store.table) == 1
    assert store.get("forever") == b"{}"


def test_sessions_that_live_on_are_not_swept() -> None:
    clock = Clock()
    table = MemoryTable(clock)
    table.set("extended", b"1", 10)
    table.set("touched", b"2", 10)
    table.set("forever now", b"3", 10)
    table.set("gone", b"4", 10)
    clock.now += 5
    table.set("extended", b"1", 100)  # rolling expiry: written again with a later deadline
    # a touch: the same bytes again, with a later deadline, as the shells write it
    assert table.compare_and_set("touched", b"2", b"2", 100) == (True, b"2")
    table.set("forever now", b"3", None)
    clock.now += 6  # past every first deadline
    for _ in range(4):
        table.delete("nothing-here")
    assert len(table) == 3
    assert [table.get(k) for k in ("extended", "touched", "forever now")] == [b"1", b"2", b"3"]
    clock.now += 100
    for _ in range(2):
        table.delete("nothing-here")
    assert len(table) == 1


def test_a_shortened_ttl_is_swept_at_the_shorter_deadline() -> None:
    clock = Clock()
    table = MemoryTable(clock)
    table.set("k", b"v", 86_400)
    table.set("k", b"v", 10)  # e.g. "remember me" turned off
    clock.now += 11
    table.delete("nothing-here")
    assert len(table) == 0


def test_the_deadline_queue_stays_proportional_to_the_keys() -> None:
    clock = Clock()
    table = MemoryTable(clock)
    # Every write shortens the deadline (queues the key again); every other key is deleted.
    for i in range(20_000):
        table.set(f"k{i % 10}", b"v", 1_000_000 - i)
        table.set(f"d{i}", b"v", 50)
        table.delete(f"d{i}")
    assert len(table) == 10
    # White box: the heap is the memory at stake, and no public API shows it.
    assert len(table._deadlines) <= 2 * len(table) + 64 + 1


# Keys, TTLs (None: none; 0 and below delete) and clock steps for the model-based test.
keys = st.sampled_from(["a", "b", "c", "d", "e"])
values = st.binary(max_size=3)
ttls = st.none() | st.sampled_from([-1, 0, 0.5, 1, 2, 3, 5, 8, 1000])
steps = st.sampled_from([0, 0.25, 0.5, 1, 2, 3, 10])


class SweepMachine(RuleBasedStateMachine):
    """The table against a dict of (value, deadline): the same answers, nothing lost, and
    every expired entry gone after a bounded number of writes."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.table = MemoryTable(self.clock)
        self.model: dict[str, tuple[bytes, float | None]] = {}

    def live(self, key: str) -> bytes | None:
        item = self.model.get(key)
        if item is None or (item[1] is not None and item[1] <= self.clock.now):
            return None
        return item[0]

    def put(self, key: str, value: bytes | None, ttl: float | None) -> None:
        if value is None or (ttl is not None and ttl <= 0):
            self.model.pop(key, None)
        else:
            self.model[key] = (value, None if ttl is None else self.clock.now + ttl)

    @rule(key=keys, value=values, ttl=ttls)
    def set(self, key: str, value: bytes, ttl: float | None) -> None:
        self.table.set(key, value, ttl)
        self.put(key, value, ttl)

    @rule(key=keys)
    def delete(self, key: str) -> None:
        self.table.delete(key)
        self.model.pop(key, None)

    @rule(key=keys, matches=st.booleans(), value=st.none() | values, ttl=ttls)
    def compare_and_set(
        self, key: str, matches: bool, value: bytes | None, ttl: float | None
    ) -> None:
        current = self.live(key)
        expected = current if matches else b"never stored"
        done = self.table.compare_and_set(key, expected, value, ttl)
        assert done == ((True, value) if matches else (False, current))
        if matches:
            self.put(key, value, ttl)

    @rule(step=steps)
    def advance(self, step: float) -> None:
        self.clock.now += step

    @rule(key=keys)
    def read(self, key: str) -> None:
        assert self.table.get(key) == self.live(key)
        item = self.model.get(key)
        left = None if item is None or item[1] is None else item[1] - self.clock.now
        assert self.table.ttl(key) == (left if self.live(key) is not None else None)

    @precondition(lambda self: len(self.table) > 0)
    @rule()
    def sweep_everything_due(self) -> None:
        for _ in range(writes_to_sweep(len(self.table)) + 1):
            self.table.delete("not-a-key")
        self.model = {k: v for k, v in self.model.items() if self.live(k) is not None}
        assert len(self.table) == len(self.model)

    @invariant()
    def nothing_live_is_lost(self) -> None:
        # The table may still hold expired entries, never fewer than the live ones; and each
        # live one is still there (read through the private dict, so as not to sweep it).
        held = self.table._items
        for key in self.model:
            if self.live(key) is not None:
                assert held[key] == self.model[key]
        assert len(self.table) >= sum(self.live(k) is not None for k in self.model)


SweepMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=60)
test_sweep_against_a_model = SweepMachine.TestCase
