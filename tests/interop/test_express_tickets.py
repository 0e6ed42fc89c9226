"""The real Express app speaks sessio's documented layouts: it issues tickets and publishes.

``tests/express_app`` issues a socket ticket in a request that has the session (a few lines of
JavaScript with its own Redis client: docs/tickets.md), regenerates the session at a login
and publishes a rotation, and logs out publishing a disconnect (docs/control-channel.md). A
sessio server on the same Redis (a `RedisStore`, whose pub/sub is the control channel)
redeems the ticket, moves its live socket to the regenerated session, and drops it at logout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from node_app import ExpressApp, cookie_pair, run_express

import sessio.sync
from redis_server import RedisServer
from servers import run_wsgi, sync_client, wait_for
from sessio import formats
from sessio.core._control import CONTROL_CHANNEL

SECRET = "express-ticket-secret"
FMT = formats.express(secrets=[SECRET])
TIMEOUT = 5.0


class Site:
    """The Express app and a sessio node beside it, on one Redis."""

    def __init__(self, express: ExpressApp, url: str, server: RedisServer) -> None:
        self.express = express
        self.url = url
        self.server = server
        self.reasons: list[str] = []

    def socket(self, **connect: Any) -> socketio.Client:
        client = sync_client()
        client.connect(self.url, transports=["websocket"], wait_timeout=TIMEOUT, **connect)
        return client

    def subscribed(self) -> None:
        client = self.server.client()
        wait_for(
            lambda: int(client.pubsub_numsub(CONTROL_CHANNEL)[0][1]) >= 1,
            TIMEOUT,
            message="the node follows the control channel",
        )


@pytest.fixture
def site(redis_server: RedisServer) -> Iterator[Site]:
    sio = socketio.Server(async_mode="threading")
    store = sessio.sync.RedisStore(redis_server.client())
    sessions = sessio.sync.SessionSockets(sio, store, FMT, require_session=True)
    reasons: list[str] = []

    @sessions.on("whoami")
    def whoami(sid: str, session: Any) -> Any:
        return {"id": session.id, "user": session.get("user")}

    @sessions.on("disconnect")
    def disconnect(sid: str, session: Any, reason: str) -> None:
        reasons.append(reason)

    with run_express(redis_server.url, [SECRET]) as express, run_wsgi(socketio.WSGIApp(sio)) as url:
        built = Site(express, url, redis_server)
        built.reasons = reasons
        try:
            yield built
        finally:
            sessions.close()  # its listener must not outlive this test's Redis


def test_express_issues_a_ticket_that_sessio_redeems_once(site: Site) -> None:
    cookie, sid = site.express.login("ann")
    response = site.express.get("/ticket", cookie)
    response.raise_for_status()
    ticket = response.json()["ticket"]
    client = site.socket(auth={"ticket": ticket})  # no cookie at all
    try:
        assert client.call("whoami", timeout=TIMEOUT) == {"id": sid, "user": "ann"}
    finally:
        client.disconnect()
    errors: list[Any] = []
    again = sync_client()
    again.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect(site.url, auth={"ticket": ticket}, transports=["websocket"])
    assert errors == [{"message": "bad-ticket", "data": {"code": "bad-ticket"}}]


def test_a_live_socket_follows_express_s_regenerate_and_leaves_at_logout(site: Site) -> None:
    cookie, old = site.express.login("guest")
    client = site.socket(headers={"Cookie": cookie})
    try:
        site.subscribed()
        response = site.express.get("/regenerate", cookie, user="ann")
        response.raise_for_status()
        new = response.json()["sid"]
        assert new != old and response.json()["old"] == old
        new_cookie = cookie_pair(response)
        wait_for(
            lambda: client.call("whoami", timeout=TIMEOUT)["id"] == new,
            TIMEOUT,
            message="the socket follows the regenerated session",
        )
        assert client.call("whoami", timeout=TIMEOUT) == {"id": new, "user": "ann"}
        assert client.connected and site.reasons == []

        site.express.get("/logout", new_cookie, publish="1").raise_for_status()
        wait_for(lambda: not client.connected, TIMEOUT, message="the socket is dropped")
        wait_for(lambda: site.reasons == ["session-revoked"], TIMEOUT, message="the reason")
    finally:
        client.disconnect()
