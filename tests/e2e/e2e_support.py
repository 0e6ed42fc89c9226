"""What the end-to-end tests of both shells share: cookies made by hand, and a log of what the
server's handlers saw that a test can wait on.

The cookies here are built with `hmac` and `base64` directly, as cookie-signature builds them,
so that a test does not check sessio's signing against itself.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import threading
from collections import defaultdict
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import socketio

SECRET = "keyboard cat"
COOKIE = "connect.sid"

# Short pings: a polling client's disconnect (and a refused polling connect) can wait for the
# server's next ping cycle before its last long-poll returns. The timeout is generous: on a
# loaded machine a client's pong can be late by a second, and a "ping timeout" disconnect
# would then stand in for the client's own.
PING_INTERVAL = 0.2
PING_TIMEOUT = 2.5

TRANSPORTS = ["websocket", "polling"]

# A text that must never reach a client: the store's exception message.
STORE_SECRET_TEXT = "redis://:hunter2@10.9.8.7:6379 refused the connection"

# How long a test waits for something another thread or process does.
TIMEOUT = 5.0


def express_cookie(sid: str, secret: str = SECRET) -> str:
    """The ``connect.sid=...`` pair express-session would set for `sid` signed with `secret`."""
    mac = hmac.new(secret.encode(), sid.encode(), hashlib.sha256).digest()
    signature = base64.b64encode(mac).decode().rstrip("=")
    return f"{COOKIE}={quote(f's:{sid}.{signature}', safe='')}"


def failure_cookies(minted_sid: str) -> dict[str, str | None]:
    """A Cookie header (None: none at all) for each failure code a handshake can end in."""
    return {
        "no-cookie": None,
        "bad-signature": express_cookie(minted_sid, "not the secret"),
        "unsigned-cookie": f"{COOKIE}={minted_sid}",
        "session-not-found": express_cookie("no-such-session-id"),
    }


def headers_for(cookie: str | None) -> dict[str, str]:
    """A fresh headers dict for one connect (the client mutates the one it is given)."""
    return {} if cookie is None else {"Cookie": cookie}


def sid_of(client: socketio.Client | socketio.AsyncClient, namespace: str = "/") -> str:
    """The sid `client` has in `namespace` (it must be connected there)."""
    sid = client.get_sid(namespace)
    assert sid is not None, f"not connected to {namespace}"
    return sid


class Seen:
    """What handlers saw, by name, in order; safe to add to from any thread, and to wait on."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._items: defaultdict[str, list[Any]] = defaultdict(list)

    def add(self, name: str, value: Any) -> None:
        """Record `value` under `name`."""
        with self._changed:
            self._items[name].append(value)
            self._changed.notify_all()

    def get(self, name: str) -> list[Any]:
        """Everything recorded under `name` so far."""
        with self._changed:
            return list(self._items[name])

    def wait(self, name: str, count: int = 1, timeout: float = TIMEOUT) -> list[Any]:
        """Block until `name` has `count` records; return them all."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._items[name]) >= count, timeout):
                raise TimeoutError(f"{count} x {name!r} not seen within {timeout} s")
            return list(self._items[name])

    async def await_(self, name: str, count: int = 1, timeout: float = TIMEOUT) -> list[Any]:
        """`wait` without blocking the calling event loop (unasync turns it into `wait`)."""
        return await anyio.to_thread.run_sync(functools.partial(self.wait, name, count, timeout))
