"""The save loop, driven against a dict that stands in for the store, with rival writers.

No store and no shell: each test plays the shell's part (do the action, report what came of
it), and a rival writer gets in before any compare-and-set the test chooses. Whatever the
interleaving, a save never loses a rival's key, gives up after `MAX_SAVE_ATTEMPTS`, pauses
within the backoff policy, and a strict save refuses only keys that both sides changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessio.core import Changes, Failure, SessionRef, StoredSession, apply, diff, express, same
from sessio.core._save_loop import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    MAX_SAVE_ATTEMPTS,
    Action,
    CompareAndSet,
    Done,
    Read,
    SaveLoop,
    Sleep,
    Unchanged,
    backoff,
)

NOW = 1_700_000_000.0
FMT = express(["s"])
REF = SessionRef("abc", FMT.store_key("abc"))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

keys = st.sampled_from(["a", "b", "c", "cart", "user"])
values = st.none() | st.booleans() | st.integers(-3, 3) | st.lists(st.integers(0, 3), max_size=2)
sessions = st.dictionaries(keys, values, max_size=4)


@st.composite
def changes(draw: st.DrawFn, min_keys: int = 0) -> Changes:
    """A change that sets some keys and deletes others (never both for one key)."""
    touched = draw(st.lists(keys, unique=True, min_size=min_keys, max_size=3))
    deleted = {key for key in touched if draw(st.booleans())}
    return Changes({k: draw(values) for k in touched if k not in deleted}, frozenset(deleted))


def iso(seconds: float) -> str:
    """``Date.prototype.toISOString``."""
    moment = EPOCH + timedelta(milliseconds=round(seconds * 1000))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cookie(expires: float, max_age_ms: int | None = 60_000) -> dict[str, Any]:
    """express-session's stored ``cookie`` object."""
    return {"originalMaxAge": max_age_ms, "expires": iso(expires), "httpOnly": True, "path": "/"}


class ModelStore:
    """A dict with the store's compare-and-set, and a log of every action asked of it."""

    def __init__(self, stored: StoredSession) -> None:
        encoded = FMT.encode(stored, NOW)
        assert not isinstance(encoded, Failure)
        self.data: dict[str, bytes] = {REF.key: encoded.value}
        self.actions: list[Action] = []

    def held(self) -> StoredSession | None:
        raw = self.data.get(REF.key)
        if raw is None:
            return None
        decoded = FMT.decode(raw, NOW)
        assert isinstance(decoded, StoredSession)
        return decoded

    def rival_writes(self, change: Changes) -> None:
        """Another writer saves `change` (a whole-session write, as HTTP does)."""
        current = self.held()
        if current is None:
            return
        encoded = FMT.encode(StoredSession(apply(current.data, change), current.meta), NOW)
        assert not isinstance(encoded, Failure)
        self.data[REF.key] = encoded.value

    def compare_and_set(self, action: CompareAndSet) -> tuple[bool, bytes | None]:
        if self.data.get(action.key) != action.expected:
            return False, self.data.get(action.key)
        if action.value is None:
            self.data.pop(action.key, None)
        else:
            self.data[action.key] = action.value
        return True, action.value


def drive(
    loop: SaveLoop,
    store: ModelStore,
    before_cas: Callable[[int], None] = lambda attempt: None,
    jitters: Iterator[float] | None = None,
    live: dict[str, Any] | None = None,
    now: float = NOW,
) -> Action:
    """Play the shell: do each action on `store`, with `before_cas(n)` just before the n-th."""
    live = live if live is not None else dict(apply(loop.loaded, loop.changes))
    action = loop.start(now)
    cas = 0
    while True:
        store.actions.append(action)
        if isinstance(action, Read):
            action = loop.read(store.data.get(action.key), now)
        elif isinstance(action, CompareAndSet):
            before_cas(cas)
            cas += 1
            swapped, actual = store.compare_and_set(action)
            jitter = 1.0 if jitters is None else next(jitters)
            action = loop.compared(swapped, actual, now, jitter=jitter, live=live)
        elif isinstance(action, Sleep):
            action = loop.slept()
        else:
            return action


def save_loop(
    loaded: Mapping[str, Any], change: Changes, *, strict: bool = False, touch: bool = False
) -> tuple[SaveLoop, ModelStore]:
    stored = StoredSession(loaded, {"cookie": cookie(NOW + 60)})
    store = ModelStore(stored)
    raw = store.data[REF.key]
    return SaveLoop(FMT, REF, loaded, stored, raw, change, strict=strict, touch=touch), store


def count(store: ModelStore, kind: type) -> int:
    return sum(isinstance(action, kind) for action in store.actions)


# -- invariants under rival writers ----------------------------------------------------------


@settings(max_examples=150)
@given(sessions, changes(), st.lists(changes(), max_size=8), st.data())
def test_a_save_never_loses_a_rival_writers_key(
    loaded: dict[str, Any], mine: Changes, rivals: list[Changes], data: st.DataObject
) -> None:
    loop, store = save_loop(loaded, mine)
    pending = list(rivals)

    def before_cas(attempt: int) -> None:
        # The adversary picks when to strike: any number of rival saves before this one.
        for _ in range(data.draw(st.integers(0, len(pending)))):
            store.rival_writes(pending.pop(0))

    result = drive(loop, store, before_cas)
    if not mine:
        assert isinstance(result, Unchanged)
        assert store.actions == [result]
        return
    assert isinstance(result, Done)
    held = store.held()
    assert held is not None
    # Whatever the rivals wrote before this save landed, merged under this socket's keys.
    landed = rivals[: len(rivals) - len(pending)]
    theirs: dict[str, Any] = dict(loaded)
    for rival in landed:
        theirs = dict(apply(theirs, rival))
    assert same(dict(held.data), dict(apply(theirs, mine)))
    assert same(dict(result.stored.data), dict(held.data))
    assert result.raw == store.data[REF.key]
    assert not result.destroyed
    assert result.pending == Changes()
    assert count(store, CompareAndSet) <= len(landed) + 1


@settings(max_examples=100)
@given(sessions, changes(min_keys=1), st.lists(changes(min_keys=1), max_size=6), st.data())
def test_strict_refuses_only_keys_that_both_sides_changed(
    loaded: dict[str, Any], mine: Changes, rivals: list[Changes], data: st.DataObject
) -> None:
    loop, store = save_loop(loaded, mine, strict=True)
    pending = list(rivals)

    def before_cas(attempt: int) -> None:
        for _ in range(data.draw(st.integers(0, len(pending)))):
            store.rival_writes(pending.pop(0))

    result = drive(loop, store, before_cas)
    landed = rivals[: len(rivals) - len(pending)]
    touched = frozenset[str]().union(*(rival.keys for rival in landed))
    theirs: dict[str, Any] = dict(loaded)
    for rival in landed:
        theirs = dict(apply(theirs, rival))
    held = store.held()
    assert held is not None
    if isinstance(result, Failure):
        assert result.code == "conflict"
        # Only keys that this socket changed and a rival changed too are named ...
        named = {key for key in mine.keys | touched if repr(key) in result.message}
        assert named and named <= mine.keys & touched
        # ... and they differ from what this socket loaded; nothing was written.
        assert any(not same(theirs.get(key, ...), loaded.get(key, ...)) for key in named)
        assert same(dict(held.data), theirs)
    else:
        # Saved: no key of this save had changed in the store since the load.
        assert isinstance(result, Done)
        for key in mine.keys:
            assert same(theirs.get(key, ...), loaded.get(key, ...))
        assert same(dict(held.data), dict(apply(theirs, mine)))
    if not mine.keys & touched:
        assert isinstance(result, Done)


@settings(max_examples=60)
@given(sessions, changes(min_keys=1), st.lists(st.floats(0, 1), min_size=64, max_size=64))
def test_a_save_that_always_loses_gives_up_after_the_limit(
    loaded: dict[str, Any], mine: Changes, jitters: list[float]
) -> None:
    loop, store = save_loop(loaded, mine)
    bump = iter(range(10**6))

    def before_cas(attempt: int) -> None:
        store.rival_writes(Changes({"rival": next(bump)}))

    result = drive(loop, store, before_cas, iter(jitters))
    assert isinstance(result, Failure)
    assert result.code == "conflict"
    assert count(store, CompareAndSet) == MAX_SAVE_ATTEMPTS
    # The first retry goes at once; every later one pauses, then reads the store afresh.
    sleeps = [a for a in store.actions if isinstance(a, Sleep)]
    assert len(sleeps) == count(store, Read) == MAX_SAVE_ATTEMPTS - 2
    for attempt, (sleep, jitter) in enumerate(zip(sleeps, jitters[1:], strict=False), start=2):
        assert sleep.seconds == jitter * backoff(attempt)
        assert 0 <= sleep.seconds <= backoff(attempt) <= BACKOFF_MAX
    # Each pause comes right before a read, each read right before a compare-and-set.
    kinds = [type(a) for a in store.actions]
    for index, kind in enumerate(kinds):
        if kind is Sleep:
            assert kinds[index + 1 : index + 3] == [Read, CompareAndSet]


def test_backoff_doubles_from_the_third_attempt_up_to_its_cap() -> None:
    assert backoff(0) == backoff(1) == 0.0
    assert backoff(2) == BACKOFF_FIRST
    assert backoff(3) == 2 * BACKOFF_FIRST
    caps = [backoff(n) for n in range(2, MAX_SAVE_ATTEMPTS)]
    assert caps == sorted(caps)
    assert max(caps) == BACKOFF_MAX
    # About a second of backing off in all, at most, before a save gives up.
    assert sum(caps) < 1.5


@settings(max_examples=60)
@given(sessions, changes(min_keys=1), st.floats(-7200, 7200), st.booleans())
def test_a_write_past_the_sessions_lifetime_deletes_it(
    loaded: dict[str, Any], mine: Changes, offset: float, touch: bool
) -> None:
    # No maxAge: nothing slides the expiry, so it is where the stored cookie says.
    stored = StoredSession(loaded, {"cookie": cookie(NOW + offset, max_age_ms=None)})
    store = ModelStore(stored)
    raw = store.data[REF.key]
    loop = SaveLoop(FMT, REF, loaded, stored, raw, mine, touch=touch)
    result = drive(loop, store)
    assert isinstance(result, Done)
    # The stored expiry is whole milliseconds (as iso() writes it): over at or before now.
    over = round((NOW + offset) * 1000) <= NOW * 1000
    assert result.destroyed is over
    assert (REF.key not in store.data) is over
    assert (result.raw is None) is over


@settings(max_examples=60)
@given(sessions, changes(min_keys=1), changes(), st.integers(0, 3))
def test_edits_made_during_the_save_stay_pending(
    loaded: dict[str, Any], mine: Changes, later: Changes, rivals: int
) -> None:
    loop, store = save_loop(loaded, mine)
    live = dict(apply(apply(loaded, mine), later))

    def before_cas(attempt: int) -> None:
        if attempt < rivals:
            store.rival_writes(Changes({"rival": attempt}))

    result = drive(loop, store, before_cas, live=live)
    assert isinstance(result, Done)
    assert result.pending == diff(apply(loaded, mine), live)


# -- single paths --------------------------------------------------------------------------


def test_nothing_to_write_asks_nothing_of_the_store() -> None:
    loop, store = save_loop({"a": 1}, Changes())
    assert isinstance(drive(loop, store), Unchanged)
    assert len(store.actions) == 1


def test_a_touch_alone_writes() -> None:
    loop, store = save_loop({"a": 1}, Changes(), touch=True)
    result = drive(loop, store, now=NOW + 30)
    assert isinstance(result, Done)
    held = store.held()
    assert held is not None
    assert held.meta["cookie"]["expires"] == iso(NOW + 90)


def test_a_session_deleted_meanwhile_is_not_brought_back() -> None:
    loop, store = save_loop({"a": 1}, Changes({"a": 2}))

    def logout(attempt: int) -> None:
        store.data.clear()

    result = drive(loop, store, logout)
    assert isinstance(result, Failure)
    assert result.code == "session-not-found"
    assert store.data == {}


def test_a_session_deleted_during_the_pause_is_not_found_on_the_read() -> None:
    loop, store = save_loop({"a": 1}, Changes({"a": 2}))
    action = loop.start(NOW)
    for rival in range(2):
        assert isinstance(action, CompareAndSet)
        store.rival_writes(Changes({"rival": rival}))
        action = loop.compared(*store.compare_and_set(action), NOW, jitter=0.5, live={})
    assert action == Sleep(0.5 * BACKOFF_FIRST)
    assert loop.slept() == Read(REF.key)
    store.data.clear()
    failure = loop.read(None, NOW)
    assert isinstance(failure, Failure)
    assert failure.code == "session-not-found"


def test_calls_out_of_turn_are_refused() -> None:
    loop, _ = save_loop({"a": 1}, Changes({"a": 2}))
    with pytest.raises(RuntimeError):
        loop.slept()
    with pytest.raises(RuntimeError):
        loop.read(b"{}", NOW)
    action = loop.start(NOW)
    assert isinstance(action, CompareAndSet)
    with pytest.raises(RuntimeError):
        loop.start(NOW)
    with pytest.raises(ValueError, match="jitter"):
        loop.compared(False, None, NOW, jitter=1.5, live={})
    loop.compared(True, action.value, NOW, jitter=0.0, live={"a": 2})
    with pytest.raises(RuntimeError):
        loop.compared(True, action.value, NOW, jitter=0.0, live={})


def test_reprs_show_no_key_and_no_bytes() -> None:
    action = CompareAndSet(REF.key, b'{"secret":1}', b'{"secret":2}', 60)
    shown = repr(action) + repr(Read(REF.key))
    assert "abc" not in shown and "secret" not in shown
    assert "<12 bytes>" in shown
