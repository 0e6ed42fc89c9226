"""`open_session`: a Cookie header to an opened session, for code outside socket handlers.

Both shells, never raising: a missing cookie or a store that is down comes back as the
`Failure` a connect handler would get, and the store's failure is logged by its type only.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
import socketio

import sessio.aio
import sessio.sync
from sessio import Failure, formats

FMT = formats.express(secrets=["keyboard cat"])
# A store whose error text carries the key, as a client library's message may.
LEAKY = "sess:the-session-id-itself"


class BrokenSyncStore(sessio.sync.MemoryStore):
    def get(self, key: str) -> bytes | None:
        raise ConnectionError(f"lost the connection while reading {LEAKY}")


class BrokenAsyncStore(sessio.aio.MemoryStore):
    async def get(self, key: str) -> bytes | None:
        raise ConnectionError(f"lost the connection while reading {LEAKY}")


def test_the_sync_shell_opens_the_session_a_header_carries() -> None:
    store = sessio.sync.MemoryStore()
    sockets = sessio.sync.SessionSockets(socketio.Server(async_mode="threading"), store, FMT)
    minted = sockets.create({"user": "ann"})
    session = sessio.sync.open_session(f"theme=dark; {minted.cookie}", store, FMT)
    assert isinstance(session, sessio.sync.Session)
    assert session == {"user": "ann"} and session.id == minted.session_id
    session["seen"] = True
    session.save()
    again = sessio.sync.open_session(minted.cookie, store, FMT)
    assert isinstance(again, sessio.sync.Session) and again["seen"] is True
    for header in (None, "", "theme=dark"):
        missing = sessio.sync.open_session(header, store, FMT)
        assert isinstance(missing, Failure) and missing.code == "no-cookie"


def test_the_async_shell_opens_the_session_a_header_carries() -> None:
    async def main() -> None:
        store = sessio.aio.MemoryStore()
        server = socketio.AsyncServer(async_mode="asgi")
        minted = await sessio.aio.AsyncSessionSockets(server, store, FMT).create({"user": "ann"})
        session = await sessio.aio.open_session(minted.cookie, store, FMT, clock=lambda: 5.0)
        assert isinstance(session, sessio.aio.AsyncSession)
        assert session == {"user": "ann"}
        forged = await sessio.aio.open_session(minted.cookie + "x", store, FMT)
        assert isinstance(forged, Failure) and forged.code == "bad-signature"

    asyncio.run(main())


@pytest.mark.parametrize("shell", ["sync", "aio"])
def test_a_store_failure_is_a_value_logged_by_its_type_only(
    shell: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sessio")
    cookie = f"{FMT.key}={FMT.cookie_value('the-session-id-itself')}"
    opened: sessio.sync.Session | sessio.aio.AsyncSession | Failure
    if shell == "sync":
        opened = sessio.sync.open_session(cookie, BrokenSyncStore(), FMT)
    else:
        opened = asyncio.run(sessio.aio.open_session(cookie, BrokenAsyncStore(), FMT))
    assert isinstance(opened, Failure) and opened.code == "store-unavailable"
    assert LEAKY not in opened.message and "ConnectionError" in opened.message
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["session store failed on load (ConnectionError)"]
    assert all(r.exc_info is None and LEAKY not in r.getMessage() for r in warnings)
    # The traceback, which may carry the store's text, is there for whoever asks for DEBUG.
    assert [r.exc_info is not None for r in caplog.records if r.levelno == logging.DEBUG] == [True]
