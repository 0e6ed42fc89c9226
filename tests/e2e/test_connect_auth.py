"""Connect handlers that take a fourth argument get the client's ``auth`` payload."""

from __future__ import annotations

from typing import Any

import pytest
import socketio
from e2e_support import SECRET

from servers import async_client, run_asgi, run_wsgi, sync_client
from sessio import formats
from sessio.aio import AsyncSessionSockets
from sessio.aio import MemoryStore as AsyncMemoryStore
from sessio.sync import MemoryStore, SessionSockets


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_sync_connect_handler_sees_auth_when_it_asks_for_it() -> None:
    sio = socketio.Server(async_mode="threading")
    sessions = SessionSockets(sio, MemoryStore(), formats.express(secrets=[SECRET]))
    seen: list[Any] = []

    @sessions.on("connect")
    def connect(err: Any, sid: str, session: Any, auth: Any) -> bool:
        seen.append((None if session is None else dict(session), auth))
        return bool(auth == {"token": "t0k"})

    @sessions.of("/three").on("connect")
    def three(err: Any, sid: str, session: Any) -> None:
        seen.append(("three", None if session is None else dict(session)))

    minted = sessions.create({"user": "alice"})
    with run_wsgi(socketio.WSGIApp(sio)) as url:
        client = sync_client()
        headers = {"Cookie": minted.cookie}
        client.connect(url, headers=headers, auth={"token": "t0k"}, transports=["websocket"])
        client.disconnect()
        client = sync_client()
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(url, headers={"Cookie": minted.cookie}, auth={"token": "nope"})
        client = sync_client()
        client.connect(url, headers={"Cookie": minted.cookie}, namespaces=["/three"])
        client.disconnect()
    assert seen == [
        ({"user": "alice"}, {"token": "t0k"}),
        ({"user": "alice"}, {"token": "nope"}),
        ("three", {"user": "alice"}),
    ]


@pytest.mark.anyio
async def test_async_connect_handler_sees_auth_when_it_asks_for_it() -> None:
    sio = socketio.AsyncServer(async_mode="asgi")
    sessions = AsyncSessionSockets(sio, AsyncMemoryStore(), formats.express(secrets=[SECRET]))
    seen: list[Any] = []

    @sessions.on("connect")
    async def connect(err: Any, sid: str, session: Any, auth: Any = None) -> None:
        seen.append((None if session is None else dict(session), auth))

    minted = await sessions.create({"user": "bob"})
    with run_asgi(socketio.ASGIApp(sio)) as url:
        client = async_client()
        await client.connect(
            url, headers={"Cookie": minted.cookie}, auth={"k": 1}, transports=["websocket"]
        )
        await client.disconnect()
    assert seen == [({"user": "bob"}, {"k": 1})]
