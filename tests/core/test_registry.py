"""The socket registry against a plain model: rows live exactly as long as their sockets.

A hypothesis state machine holds and releases sockets, marks some as leaving, and claims
touches and checks at times that only move forward. The registry must agree with a model
built from lists, grant each claim at most once per interval per session, and keep no row of
a session once its last socket has gone.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sessio.core._intervals import Interval
from sessio.core._registry import Kind, Registry, Socket
from sessio.core._rooms import session_room

SOCKETS: list[Socket] = [(ns, sid) for ns in ("/", "/chat") for sid in ("s1", "s2", "s3", "s4")]
SESSION_IDS = ["alpha", "beta", "gamma"]
KINDS: list[Kind] = ["touch", "check"]
INTERVALS = {"touch": Interval(5.0), "check": Interval(2.0)}


class Session:
    """A session object as a shell holds it (compared by identity)."""

    def __init__(self, session_id: str | None) -> None:
        self.id = session_id


class RegistryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.registry: Registry[Session] = Registry()
        self.held: dict[Socket, Session] = {}
        self.reasons: dict[Socket, str] = {}
        self.now = 0.0
        # (kind, session id) -> when the registry granted each claim.
        self.granted: dict[tuple[str, str], list[float]] = {}
        # Per session id, when its current run of sockets began.
        self.since: dict[str, float] = {}

    def members(self, session_id: str) -> list[Socket]:
        return sorted(key for key, s in self.held.items() if s.id == session_id)

    @rule(key=st.sampled_from(SOCKETS), session_id=st.sampled_from([*SESSION_IDS, None]))
    def hold(self, key: Socket, session_id: str | None) -> None:
        if key in self.held:
            return  # a socket id is held once, from connect to disconnect
        session = Session(session_id)
        if session_id is not None and not self.members(session_id):
            self.since[session_id] = self.now
        self.registry.hold(key, session, session_id, self.now)
        self.held[key] = session

    @rule(key=st.sampled_from(SOCKETS))
    def release(self, key: Socket) -> None:
        expected = self.held.pop(key, None)
        assert self.registry.release(key) is expected
        assert self.registry.session(key) is None

    @rule(seconds=st.floats(0, 4, allow_nan=False))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @rule(kind=st.sampled_from(KINDS), session_id=st.sampled_from(SESSION_IDS))
    def claim(self, kind: Kind, session_id: str, via: tuple[Socket, Session] | None = None) -> None:
        interval = INTERVALS[kind]
        if via is None:
            granted = self.registry.claim(interval, kind, session_id, self.now)
        else:
            granted = self.registry.claim_for(*via, interval, kind, self.now)
        if not self.members(session_id):
            assert not granted
            return
        times = [t for t in self.granted.get((kind, session_id), []) if t >= self.since[session_id]]
        last = times[-1] if times else self.since[session_id]
        assert granted == (self.now - last >= (interval.seconds or 0))
        if granted:
            self.granted.setdefault((kind, session_id), []).append(self.now)

    @rule(key=st.sampled_from(SOCKETS), kind=st.sampled_from(KINDS), stale=st.booleans())
    def claim_for_a_socket(self, key: Socket, kind: Kind, stale: bool) -> None:
        # An event's claim goes through its socket: none once the socket left, or for a
        # session object the socket no longer holds.
        session = self.held.get(key)
        if session is None or session.id is None or stale:
            other = Session(session.id if session is not None else "alpha")
            assert not self.registry.claim_for(key, other, INTERVALS[kind], kind, self.now)
            return
        self.claim(kind, session.id, via=(key, session))

    @rule(session_id=st.sampled_from(SESSION_IDS))
    def never_claims_without_an_interval(self, session_id: str) -> None:
        assert not self.registry.claim(Interval(None), "touch", session_id, self.now + 1e9)

    @precondition(lambda self: bool(self.held))
    @rule(data=st.data(), reason=st.sampled_from(["session-revoked", "session-not-found"]))
    def disconnect(self, data: st.DataObject, reason: str) -> None:
        key = data.draw(st.sampled_from(sorted(self.held)))
        self.registry.mark_leaving(key, reason)
        self.reasons[key] = reason
        if data.draw(st.booleans()):
            assert self.registry.take_reason(key, "client") == reason
        else:
            self.registry.forget_reason(key)
        del self.reasons[key]
        self.release(key)

    @invariant()
    def sockets_and_rooms_agree(self) -> None:
        for key in SOCKETS:
            assert self.registry.session(key) is self.held.get(key)
        for session_id in SESSION_IDS:
            assert self.registry.sockets_in(session_room(session_id)) == self.members(session_id)
        assert self.registry.take_reason(("/", "nobody"), "client") == "client"
        held = dict(self.registry.held())
        assert set(held) == {s.id for s in self.held.values() if s.id is not None}
        for session_id, session in held.items():
            assert session.id == session_id and session in self.held.values()

    @invariant()
    def counts_follow_the_sockets(self) -> None:
        with_ids = {s.id for s in self.held.values() if s.id is not None}
        assert self.registry.counts() == {
            "sessions": len(self.held),
            "reasons": len(self.reasons),
            "members": len(with_ids),
            "touched": len(with_ids),
            "checked": len(with_ids),
        }


RegistryMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=40)
TestRegistry = RegistryMachine.TestCase


def test_everything_goes_with_the_last_socket() -> None:
    registry: Registry[Any] = Registry()
    one, two = object(), object()
    registry.hold(("/", "a"), one, "id", 0.0)
    registry.hold(("/chat", "b"), two, "id", 5.0)
    registry.hold(("/", "c"), None, None, 5.0)
    assert registry.sockets_in(session_room("id")) == [("/", "a"), ("/chat", "b")]
    # The intervals started with the first socket, not the second.
    assert registry.claim(Interval(5.0), "touch", "id", 5.0)
    assert not registry.claim(Interval(5.0), "touch", "id", 9.0)
    registry.mark_checked("id", 9.0)
    assert not registry.claim(Interval(1.0), "check", "id", 9.5)
    assert registry.release(("/", "a")) is one
    assert registry.counts()["members"] == 1
    assert registry.release(("/chat", "b")) is two
    assert registry.release(("/", "c")) is None
    assert registry.release(("/", "c")) is None
    assert set(registry.counts().values()) == {0}
    registry.mark_checked("id", 10.0)  # a late re-check of a session that left adds no row
    assert set(registry.counts().values()) == {0}
    assert registry.sockets_in(session_room("id")) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_claim_is_granted_once_however_often_it_is_asked(kind: Kind) -> None:
    registry: Registry[Any] = Registry()
    registry.hold(("/", "a"), object(), "id", 0.0)
    answers = [registry.claim(Interval(1.0), kind, "id", 1.0) for _ in range(5)]
    assert answers == [True, False, False, False, False]
