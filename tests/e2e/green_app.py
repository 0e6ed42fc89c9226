"""A sessio app on a green server, run as its own process by ``test_green.py``.

Usage: ``python green_app.py gevent|eventlet``. Monkey-patches first (nothing else may be
imported before), builds ``socketio.Server(async_mode=<mode>)`` with `SessionSockets` and a
`MemoryStore`, mints a session for alice, serves on a free port of 127.0.0.1 with
``gevent.pywsgi`` or ``eventlet.wsgi``, and prints ``READY <port> <cookie>``. Handlers print
``CONNECT``/``DISCONNECT`` lines (JSON) so the parent can check what they saw. ``GET /stop``
ends the process with status 0; a watchdog ends it with status 3 should the parent vanish.
"""

from __future__ import annotations

import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else ""
if MODE == "gevent":
    from gevent import monkey  # type: ignore[import-untyped, unused-ignore]

    monkey.patch_all()
elif MODE == "eventlet":
    import eventlet  # type: ignore[import-untyped, unused-ignore]

    eventlet.monkey_patch()
else:
    sys.exit(f"usage: {sys.argv[0]} gevent|eventlet")

# ruff: noqa: E402  (everything below must come after the monkey-patching)
import json
import os
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import socketio

from sessio import Failure, SessionRef, formats, resolve
from sessio.sync import MemoryStore, Session, SessionSockets

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SECRET = "keyboard cat"
WATCHDOG = 60.0


def say(kind: str, value: Any) -> None:
    print(kind, json.dumps(value), flush=True)


class StopWhenSent(list[bytes]):
    """A response body that sets `stop` once the server has sent it (WSGI calls close())."""

    def __init__(self, stop: threading.Event, body: list[bytes]) -> None:
        super().__init__(body)
        self.stop = stop

    def close(self) -> None:
        self.stop.set()


def build(stop: threading.Event) -> tuple[WSGIApplication, str]:
    """The WSGI app (socket.io plus ``/session`` and ``/stop``) and alice's cookie."""
    sio = socketio.Server(async_mode=MODE, ping_interval=0.2, ping_timeout=2.5)
    store = MemoryStore()
    sessions = SessionSockets(sio, store, formats.express(secrets=[SECRET]))

    @sessions.on("connect")
    def connect(err: Failure | None, sid: str, session: Session | None) -> bool:
        say("CONNECT", [err and err.code, sid, None if session is None else dict(session)])
        return err is None

    @sessions.on("set")
    def set_key(sid: str, session: Session, key: str, value: Any) -> Any:
        session[key] = value
        session.save()
        return dict(session)

    @sessions.on("fresh")
    def fresh(sid: str, session: Session) -> Any:
        return dict(sessions.get_session(sid))

    @sessions.on("disconnect")
    def disconnect(sid: str, session: Session | None, reason: str) -> None:
        say("DISCONNECT", [sid, None if session is None else dict(session), reason])

    def http(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/stop":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return StopWhenSent(stop, [b"stopping"])
        verdict = resolve(environ.get("HTTP_COOKIE"), sessions.fmt, time.time())
        raw = store.get(verdict.key) if isinstance(verdict, SessionRef) else None
        if environ.get("PATH_INFO") != "/session" or raw is None:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b"null"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [raw]

    minted = sessions.create({"user": "alice"})
    return socketio.WSGIApp(sio, http), minted.cookie


def serve_gevent(app: WSGIApplication, cookie: str, stop: threading.Event) -> None:
    from gevent.pywsgi import (  # type: ignore[import-untyped, unused-ignore]
        WSGIHandler,
        WSGIServer,
    )

    class Handler(WSGIHandler):  # type: ignore[misc, unused-ignore]
        """gevent's handler, closing a connection once its websocket is over.

        Left keep-alive, gevent reads the frames the client still sends after the socket.io
        disconnect as the next HTTP request, and the client's websocket close() waits 3 s for
        a close frame that never comes.
        """

        def read_request(self, raw_requestline: str) -> Any:
            request = super().read_request(raw_requestline)
            if self.headers.get("Upgrade", "").lower() == "websocket":
                self.close_connection = True
            return request

    server = WSGIServer(("127.0.0.1", 0), app, log=None, handler_class=Handler)
    server.start()
    print("READY", server.server_port, cookie, flush=True)
    stop.wait()
    server.stop(timeout=1)


def serve_eventlet(app: WSGIApplication, cookie: str, stop: threading.Event) -> None:
    import eventlet  # type: ignore[import-untyped, unused-ignore]
    import eventlet.wsgi  # type: ignore[import-untyped, unused-ignore]

    listener = eventlet.listen(("127.0.0.1", 0))
    eventlet.spawn(eventlet.wsgi.server, listener, app, log_output=False)
    print("READY", listener.getsockname()[1], cookie, flush=True)
    stop.wait()
    listener.close()


def watchdog() -> None:
    time.sleep(WATCHDOG)
    os._exit(3)


def main() -> None:
    stop = threading.Event()
    threading.Thread(target=watchdog, daemon=True).start()
    app, cookie = build(stop)
    (serve_gevent if MODE == "gevent" else serve_eventlet)(app, cookie, stop)


if __name__ == "__main__":
    main()
