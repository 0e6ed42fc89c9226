"""The session read starts at the engine.io handshake, and is never trusted past a logout.

Both shells (`SessionSockets` under werkzeug, `AsyncSessionSockets` under uvicorn), driven by
raw engine.io polling requests where a test needs to stop between the handshake and the
socket.io CONNECT, and by real ``socketio.Client`` connections otherwise. The store's reads
are gated, so that each test decides what happens while a read is in flight.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio.to_thread
import pytest
import requests
from e2e_support import TIMEOUT
from test_trust_shells import SHELLS, ZERO, Node, PollingClient, serve

from servers import sync_client, wait_for
from sessio import aio as sessio_aio
from sessio import sync as sessio_sync


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


class Reads:
    """What a gated store's reads did: started, done; the gate they wait at once they have
    read (so a read can be made to return what was there before a logout)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.started = 0
        self.done = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            self.started += 1

    def finish(self) -> None:
        with self.lock:
            self.done += 1


class GatedSyncStore(sessio_sync.MemoryStore):
    reads_wait = True  # they do: at the gate

    def __init__(self) -> None:
        super().__init__()
        self.reads = Reads()

    def get(self, key: str) -> bytes | None:
        value = super().get(key)
        self.reads.start()
        assert self.reads.gate.wait(TIMEOUT)
        self.reads.finish()
        return value


class GatedAsyncStore(sessio_aio.MemoryStore):
    reads_wait = True

    def __init__(self) -> None:
        super().__init__()
        self.reads = Reads()

    async def get(self, key: str) -> bytes | None:
        value = await super().get(key)
        self.reads.start()
        assert await anyio.to_thread.run_sync(self.reads.gate.wait, TIMEOUT)
        self.reads.finish()
        return value


def gated(shell: str) -> Any:
    return GatedSyncStore() if shell == "sync" else GatedAsyncStore()


def handshake_only(url: str, cookie: str) -> str:
    """An engine.io handshake with `cookie` and no socket.io CONNECT; its polling URL."""
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    opened = requests.get(base, headers={"Cookie": cookie}, timeout=TIMEOUT)
    return f"{base}&sid={json.loads(opened.text[1:])['sid']}"


def test_the_read_starts_at_the_handshake_and_a_handshake_alone_leaves_nothing(
    shell: str,
) -> None:
    store = gated(shell)
    node = Node(shell, store)
    with serve(node):
        minted = node.call(node.sessions.create, {"user": "ann"})
        store.reads.gate.clear()
        url = handshake_only(node.url, minted.cookie)
        # No CONNECT was sent: only the handshake can have started this read.
        wait_for(lambda: store.reads.started == 1, TIMEOUT, message="the read started")
        assert requests.post(url, data="1", timeout=TIMEOUT).ok  # the tab closes
        store.reads.gate.set()
        wait_for(lambda: store.reads.done == 1, TIMEOUT, message="the read ended")
        wait_for(lambda: node.tables() == ZERO and node.sockets_known_to_socketio() == 0)
        assert node.seen.get("connect") == []


def test_a_connect_takes_the_handshakes_read_and_reads_no_more(shell: str) -> None:
    store = gated(shell)
    node = Node(shell, store)
    with serve(node):
        minted = node.call(node.sessions.create, {"user": "ann"})
        for count, transport in enumerate(("websocket", "polling"), start=1):
            client = sync_client()
            client.connect(
                node.url,
                headers={"Cookie": minted.cookie},
                transports=[transport],
                wait_timeout=TIMEOUT,
            )
            try:
                assert node.seen.wait("connect", count)[-1] == (None, client.get_sid())
                assert store.reads.done == count
            finally:
                client.disconnect()


def test_a_logout_while_the_read_is_in_flight_is_not_missed(shell: str) -> None:
    store = gated(shell)
    node = Node(shell, store)
    with serve(node):
        minted = node.call(node.sessions.create, {"user": "ann"})
        store.reads.gate.clear()
        client = PollingClient(node.url, minted.cookie)
        # The read has what the store held before the logout, and returns it after.
        wait_for(lambda: store.reads.started >= 1, TIMEOUT, message="the read started")
        node.call(store.delete, f"sess:{minted.session_id}")
        node.call(node.sessions.disconnect_session, minted.session_id)
        store.reads.gate.set()
        try:
            # Without the re-read the socket would hold the logged-out session.
            ((code, _sid),) = node.seen.wait("connect")
            assert code == "session-not-found"
            assert store.reads.done == 2
        finally:
            client.close()


def test_a_connect_long_after_its_handshake_reads_afresh(
    shell: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the first CONNECT came later than an early read may be trusted for.
    monkeypatch.setattr(
        sessio_aio._early if shell == "async" else sessio_sync._early, "FRESH_FOR", -1.0
    )
    store = gated(shell)
    node = Node(shell, store)
    with serve(node):
        minted = node.call(node.sessions.create, {"user": "ann"})
        client = sync_client()
        client.connect(
            node.url,
            headers={"Cookie": minted.cookie},
            transports=["websocket"],
            wait_timeout=TIMEOUT,
        )
        try:
            assert node.seen.wait("connect") == [(None, client.get_sid())]
            assert store.reads.done == 2  # the handshake's, unused, and the connect's own
        finally:
            client.disconnect()


def test_a_store_whose_reads_do_not_wait_is_read_at_the_connect(shell: str) -> None:
    store = sessio_sync.MemoryStore() if shell == "sync" else sessio_aio.MemoryStore()
    node = Node(shell, store)
    with serve(node):
        minted = node.call(node.sessions.create, {"user": "ann"})
        url = handshake_only(node.url, minted.cookie)
        server: Any = node.sio
        environ = server.environ.get(url.rsplit("sid=", 1)[1])  # by engine.io sid
        assert environ is not None
        assert not [key for key in environ if str(key).startswith("sessio.early")]
        assert requests.post(url, data="1", timeout=TIMEOUT).ok
