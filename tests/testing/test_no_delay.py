"""The kit's servers send a small write at once (TCP_NODELAY), as production servers do.

With Nagle's algorithm on, a small write that follows another the client has not yet
acknowledged waits for the client's delayed ACK (40 ms on Linux): a socket.io packet sent
within ~40 ms of one the client did not answer (a revoke's disconnect after an ack) arrived
that much later. `benchmarks/revoke_latency.py` found it: it was that benchmark's whole p99.
"""

from __future__ import annotations

import gc
import socket
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from sessio.testing import run_asgi, run_wsgi

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def _no_delay(sock: socket.socket) -> bytes:
    return b"on" if sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) else b"off"


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body.decode()


def no_delay_wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [_no_delay(environ["werkzeug.socket"])]


async def no_delay_asgi(
    scope: Any, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
) -> None:
    # ASGI hands the app no socket: find the server's end of this connection by its peer.
    # By type(), not isinstance(): a lazy object (Django's, from other tests) would set
    # itself up on being asked its __class__.
    client = tuple(scope["client"])
    ends = [
        found
        for found in gc.get_objects()
        if issubclass(type(found), socket.socket) and found.fileno() >= 0 and _peer(found) == client
    ]
    body = b",".join(_no_delay(end) for end in ends)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def _peer(sock: socket.socket) -> object:
    try:
        return sock.getpeername()
    except OSError:
        return None


def test_run_wsgi_connections_send_at_once() -> None:
    with run_wsgi(no_delay_wsgi) as url:
        assert _get(url) == "on"


def test_run_asgi_connections_send_at_once() -> None:
    with run_asgi(no_delay_asgi) as url:
        assert _get(url) == "on"
