# Generated from tests/e2e/test_aio_tickets.py by scripts/unasync.py: edit that file instead.
"""End to end: socket tickets and rotation in the sync shell, over real servers and clients.

``scripts/unasync.py`` writes ``test_sync_tickets.py`` from this module, as it writes the sync
shell from the async one. Nodes share a private redis-server (`RedisStore`, whose pub/sub is
the control channel); the test plays the web worker, issuing tickets and rotating with the
module functions and a store of its own. Nothing sleeps: a test waits on a handler's record
or a client's answer, with a deadline.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import redis
import socketio
from e2e_support import PING_INTERVAL, PING_TIMEOUT, SECRET, TIMEOUT, Seen
from sync_support import (
    ASYNC_MODE,
    at_once,
    call_on_server,
    serve_app,
)

from redis_server import RedisServer
from servers import sync_client, wait_for
from sessio import formats
from sessio.core._control import CONTROL_CHANNEL
from sessio.sync import (
    MemoryStore,
    RedisStore,
    Session,
    SessionSockets,
    Store,
    issue_ticket,
    rotate,
)

FMT = formats.express(secrets=[SECRET])


class Clock:
    """A clock the test moves: the server judges tickets and cookies by it."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingStore(MemoryStore):
    """A `MemoryStore` that counts writes: bad input must cause none."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.writes = 0

    def set(self, key: str, value: bytes, ttl: int | None) -> None:
        self.writes += 1
        super().set(key, value, ttl)

    def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        self.writes += 1
        return super().compare_and_set(key, expected, value, ttl)


class Node:
    """One socket.io server with sessio: records connects, answers ``whoami``."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.sio = socketio.Server(
            async_mode=ASYNC_MODE,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            max_http_buffer_size=4_000_000,  # a 1 MB auth payload reaches sessio
        )
        self.store = store
        options: dict[str, Any] = {} if clock is None else {"clock": clock}
        self.sessions = SessionSockets(self.sio, store, FMT, require_session=True, **options)
        self.seen = Seen()
        self.url = ""
        sessions, seen = self.sessions, self.seen

        @sessions.on("connect")
        def connect(err: Any, sid: str, session: Session | None) -> None:
            seen.add("connect", (sid, dict(session or {})))

        @sessions.on("whoami")
        def whoami(sid: str, session: Session | None) -> Any:
            return None if session is None else {"id": session.id, "data": dict(session)}

        @sessions.on("disconnect")
        def disconnect(sid: str, session: Session | None, reason: str) -> None:
            seen.add("disconnect", (sid, reason))


@contextlib.contextmanager
def serving(*nodes: Node) -> Iterator[None]:
    """Every node served; at exit each stops following the control channel, then stops."""
    with contextlib.ExitStack() as stack:
        for node in nodes:
            node.url = stack.enter_context(serve_app(node.sio, node.store, FMT))
        try:
            yield
        finally:
            # A listener left running would outlive its Redis and log about it in later tests.
            for node in nodes:
                call_on_server(node.url, node.sessions.close)


def connect(url: str, auth: Any, cookie: str | None = None) -> socketio.Client | Any:
    """A client connected with `auth` (and `cookie`): the client, or the refusal's data."""
    errors: list[Any] = []
    client = sync_client()
    client.on("connect_error", errors.append)
    try:
        client.connect(
            url,
            auth=auth,
            headers={} if cookie is None else {"Cookie": cookie},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
    except socketio.exceptions.ConnectionError:
        return errors[0]["data"] if errors else "no connect_error"
    return client


def refusal(code: str) -> dict[str, str]:
    return {"code": code}


def test_a_ticket_opens_one_connect_and_only_one() -> None:
    store = CountingStore()
    node = Node(store)
    with serving(node):
        minted = call_on_server(node.url, node.sessions.create, {"user": "ann"})
        cookie_value = minted.cookie.partition("=")[2]
        ticket = issue_ticket(store, FMT, cookie_value)
        client = connect(node.url, {"ticket": ticket})
        assert isinstance(client, socketio.Client)
        reply = client.call("whoami", timeout=TIMEOUT)
        assert reply == {"id": minted.session_id, "data": {"user": "ann"}}
        # A fresh load reads the session the ticket named, not the (absent) header's.
        sid = client.get_sid()
        assert sid is not None
        fresh = call_on_server(node.url, node.sessions.get_session, sid)
        assert dict(fresh) == {"user": "ann"}
        client.disconnect()
        assert connect(node.url, {"ticket": ticket}) == refusal("bad-ticket")


def test_a_cookie_comes_first_and_leaves_the_ticket_unused() -> None:
    store = CountingStore()
    node = Node(store)
    with serving(node):
        ann = call_on_server(node.url, node.sessions.create, {"user": "ann"})
        bob = call_on_server(node.url, node.sessions.create, {"user": "bob"})
        ticket = issue_ticket(store, FMT, bob.cookie.partition("=")[2])
        client = connect(node.url, {"ticket": ticket}, cookie=ann.cookie)
        assert isinstance(client, socketio.Client)
        assert (client.call("whoami", timeout=TIMEOUT))["data"] == {"user": "ann"}
        client.disconnect()
        client = connect(node.url, {"ticket": ticket})
        assert isinstance(client, socketio.Client)
        assert (client.call("whoami", timeout=TIMEOUT))["data"] == {"user": "bob"}
        client.disconnect()


def test_a_ticket_expires_by_the_server_s_clock() -> None:
    clock = Clock()
    store = CountingStore(clock)
    node = Node(store, clock)
    with serving(node):
        minted = call_on_server(node.url, node.sessions.create, {"user": "ann"})
        value = minted.cookie.partition("=")[2]
        late = issue_ticket(store, FMT, value, ttl=10, clock=clock)
        on_time = issue_ticket(store, FMT, value, ttl=10, clock=clock)
        clock.now += 9.5
        client = connect(node.url, {"ticket": on_time})
        assert isinstance(client, socketio.Client)
        client.disconnect()
        clock.now += 1
        assert connect(node.url, {"ticket": late}) == refusal("ticket-expired")
        # Taken, even though expired: it is gone for good.
        assert connect(node.url, {"ticket": late}) == refusal("bad-ticket")


@pytest.mark.parametrize(
    "auth, code",
    [
        ({"ticket": "A" * 43}, "bad-ticket"),  # well-formed, never issued
        ({"ticket": "A" * 44}, "bad-ticket"),
        ({"ticket": "x" * 1_000_000}, "bad-ticket"),
        ({"ticket": {"nested": {"objects": ["A" * 43]}}}, "bad-ticket"),
        ({"ticket": ["A" * 43]}, "bad-ticket"),
        ({"ticket": None}, "bad-ticket"),
        (["ticket", "A" * 43], "no-cookie"),  # a list is no auth object: no ticket
        ("x" * 1_000_000, "no-cookie"),
        ({"a": {"b": {"c": {"d": [1, 2, {"e": None}]}}}}, "no-cookie"),
        (None, "no-cookie"),
    ],
    ids=lambda value: str(value)[:20],
)
def test_bad_input_is_a_classified_refusal_and_writes_nothing(auth: Any, code: str) -> None:
    store = CountingStore()
    node = Node(store)
    with serving(node):
        assert connect(node.url, auth) == refusal(code)
        assert store.writes == 0
        assert node.seen.get("connect") == []


def test_a_ticket_for_a_destroyed_session() -> None:
    store = CountingStore()
    node = Node(store)
    with serving(node):
        minted = call_on_server(node.url, node.sessions.create, {"user": "ann"})
        ticket = issue_ticket(store, FMT, minted.cookie.partition("=")[2])
        store.delete(FMT.store_key(minted.session_id))
        writes = store.writes
        assert connect(node.url, {"ticket": ticket}) == refusal("session-not-found")
        assert store.writes == writes


def subscribed(server: RedisServer, nodes: int) -> None:
    """Wait until `nodes` nodes follow the control channel: Redis drops unheard messages."""
    client = server.client()

    def count() -> int:
        return int(client.pubsub_numsub(CONTROL_CHANNEL)[0][1])

    wait_for(lambda: count() >= nodes, TIMEOUT, message="control channel subscriptions")


def redis_store(server: RedisServer) -> RedisStore:
    """A store on `server` for the calling event loop (the sync twin: any thread)."""
    return RedisStore(redis.Redis(host="127.0.0.1", port=server.port))


def test_two_nodes_race_for_one_ticket_and_one_wins(redis_server: RedisServer) -> None:
    one, two = Node(redis_store(redis_server)), Node(redis_store(redis_server))
    web = redis_store(redis_server)
    with serving(one, two):
        minted = call_on_server(one.url, one.sessions.create, {"user": "ann"})
        for _ in range(5):
            ticket = issue_ticket(web, FMT, minted.cookie.partition("=")[2])
            auth = {"ticket": ticket}
            results = at_once(partial(connect, one.url, auth), partial(connect, two.url, auth))
            won = [r for r in results if isinstance(r, socketio.Client)]
            assert len(won) == 1, results
            assert [r for r in results if r not in won] == [refusal("bad-ticket")]
            won[0].disconnect()


def test_rotation_follows_on_two_nodes(redis_server: RedisServer) -> None:
    one, two = Node(redis_store(redis_server)), Node(redis_store(redis_server))
    web = redis_store(redis_server)
    with serving(one, two):
        old = call_on_server(one.url, one.sessions.create, {"user": None})
        new = call_on_server(one.url, one.sessions.create, {"user": "ann"})
        tabs = [connect(node.url, None, cookie=old.cookie) for node in (one, two, two)]
        assert all(isinstance(tab, socketio.Client) for tab in tabs), tabs
        subscribed(redis_server, 2)
        # The login: the web app saved the new session and dropped the old one.
        web.delete(FMT.store_key(old.session_id))
        rotate(web, FMT, old.session_id, new.session_id)
        for tab in tabs:
            reply = wait_for_session(tab, new.session_id)
            assert reply["data"] == {"user": "ann"}
        for node in (one, two):
            assert node.seen.get("disconnect") == []
            assert node.sessions.tables()["members"] == 1
        # The sockets are in the new session's room, out of the old one's.
        heard = Seen()
        for index, tab in enumerate(tabs):
            tab.on("news", lambda data, index=index: heard.add("news", (index, data)))
        call_on_server(two.url, two.sessions.emit_to_session, new.session_id, "news", 1)
        call_on_server(two.url, two.sessions.emit_to_session, old.session_id, "news", 2)
        call_on_server(two.url, two.sessions.emit_to_session, new.session_id, "news", 3)
        news = heard.wait("news", 4)
        assert sorted(news) == [(1, 1), (1, 3), (2, 1), (2, 3)]
        # A rotation to a session that is not there ends like a logout found by a re-check.
        rotate(web, FMT, new.session_id, "no-such-session")
        one.seen.wait("disconnect", 1)
        two.seen.wait("disconnect", 2)
        reasons = [reason for node in (one, two) for _, reason in node.seen.get("disconnect")]
        assert reasons == ["session-not-found"] * 3
        assert one.sessions.tables()["members"] == two.sessions.tables()["members"] == 0


def wait_for_session(tab: socketio.Client, session_id: str) -> Any:
    """Ask ``whoami`` until the answer names `session_id` (the rotation is a message away)."""
    seen: list[Any] = []
    for _ in range(200):
        reply = tab.call("whoami", timeout=TIMEOUT)
        if reply is not None and reply["id"] == session_id:
            return reply
        seen.append(reply)
    raise AssertionError(f"the socket never moved to the new session: {seen[-1]}")


def test_a_node_rotates_its_own_sockets(redis_server: RedisServer) -> None:
    node = Node(redis_store(redis_server))
    with serving(node):
        old = call_on_server(node.url, node.sessions.create, {"user": None})
        new = call_on_server(node.url, node.sessions.create, {"user": "ann"})
        tab = connect(node.url, None, cookie=old.cookie)
        assert isinstance(tab, socketio.Client)
        call_on_server(node.url, node.sessions.rotate, old.session_id, new.session_id)
        reply = tab.call("whoami", timeout=TIMEOUT)
        assert reply == {"id": new.session_id, "data": {"user": "ann"}}
        sid = tab.get_sid()
        assert sid is not None
        fresh = call_on_server(node.url, node.sessions.get_session, sid)
        assert fresh.id == new.session_id
        tab.disconnect()
