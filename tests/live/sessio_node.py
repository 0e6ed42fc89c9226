"""One sessio server node, run as its own process by the multi-node tests and the revoke benchmark.

    python sessio_node.py --kind sync|async --port P --redis URL --secret S [--user-key K]

``--kind sync``: ``socketio.Server(async_mode="threading")`` with a ``RedisManager``, under
werkzeug (``servers.run_wsgi``, whose request handler closes dropped websocket connections, so
sync-client disconnects do not stall). ``--kind async``: ``socketio.AsyncServer(async_mode="asgi")``
with an ``AsyncRedisManager``, under uvicorn (``servers.run_asgi``). Either way a
`SessionSockets` / `AsyncSessionSockets` over a `RedisStore` and ``formats.express(secrets=[S])``,
with ``require_session``-like handling: the connect handler refuses a socket without a session.
``--port 0`` (the default) binds a free port. With ``--parent-pipe`` the node also stops when
its stdin reaches end of file, i.e. when the process that started it (holding the other end)
is gone: a test run killed outright leaves no orphan node behind.

Events (acked; every client needs a session, whatever session it is):

- ``incr`` ``{"key": k}``: ``session[k] += 1``, save; acks the new value.
- ``emit_to_session`` ``{"session_id", "event", "data"}``: ``sessions.emit_to_session``; acks True.
- ``disconnect_session`` ``{"session_id"}``: ``sessions.disconnect_session``; acks True.
- ``whoami``: acks ``{"kind", "sid", "session_id"}``.
- ``set`` ``{"key", "value"}``: ``session[key] = value``, save; acks the socket's user.
- ``user``: acks the user the socket is signed in as (``sessions.user(sid)``).
- ``emit_to_user`` ``{"user_id", "event", "data"}``, ``disconnect_user`` ``{"user_id"}``: the
  `SessionSockets` methods; ack True. ``online`` ``{"user_id"}``: acks ``sessions.online``.

With ``--user-key K`` sessions name their user under K (``user_key=K``), and ``--heartbeat S``
sets ``heartbeat_every``.

Lines on stdout, one JSON document after a tag, flushed as they happen:

- ``READY <port>`` once the server accepts connections;
- ``CONNECT {"sid", "session_id"}`` and ``DISCONNECT {"sid", "session_id", "reason"}`` (the
  reason the disconnect handler received, e.g. ``"session-revoked"``);
- ``STOPPED`` after SIGTERM (or SIGINT) has closed every socket and stopped the server.

The process then leaves with ``os._exit(0)``: python-socketio's Redis managers run listener
threads that never return, and an ordinary interpreter exit aborts in them (SIGABRT).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, NoReturn

# tests/ holds the server helpers; this file runs as a script, outside pytest.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis
import redis.asyncio
import socketio

import sessio.aio
import sessio.sync
from servers import run_asgi, run_wsgi
from sessio import Failure, formats
from sessio.aio._session import AsyncSession
from sessio.sync._session import Session

Kind = Literal["sync", "async"]

# A short interval keeps shutdown quick (engine.io's ping threads sleep it out); a generous
# timeout keeps a busy machine from dropping sockets the tests expect to stay.
PING_INTERVAL = 1.0
PING_TIMEOUT = 5.0

_print_lock = threading.Lock()


def report(tag: str, document: object = None) -> None:
    """One line on stdout, whole and flushed (handlers run on many threads)."""
    line = tag if document is None else f"{tag} {json.dumps(document, sort_keys=True)}"
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def build_sync(
    redis_url: str, secret: str, users: dict[str, Any]
) -> tuple[socketio.WSGIApp, Callable[[], None]]:
    """The threaded node's WSGI app, and what to call before it stops."""
    sio = socketio.Server(
        async_mode="threading",
        client_manager=socketio.RedisManager(redis_url),
        ping_interval=PING_INTERVAL,
        ping_timeout=PING_TIMEOUT,
    )
    store = sessio.sync.RedisStore(redis.Redis.from_url(redis_url))
    sessions = sessio.sync.SessionSockets(sio, store, formats.express(secrets=[secret]), **users)

    @sessions.on("connect")
    def connect(err: Failure | None, sid: str, session: Session | None) -> bool:
        if err is not None or session is None:
            return False
        report("CONNECT", {"sid": sid, "session_id": session.id})
        return True

    @sessions.on("disconnect")
    def disconnect(sid: str, session: Session | None, reason: Any) -> None:
        session_id = None if session is None else session.id
        report("DISCONNECT", {"sid": sid, "session_id": session_id, "reason": str(reason)})

    @sessions.on("incr")
    def incr(sid: str, session: Session, data: dict[str, Any]) -> int:
        key = str(data["key"])
        session[key] = int(session.get(key, 0)) + 1
        session.save()
        return int(session[key])

    @sessions.on("emit_to_session")
    def emit_to_session(sid: str, session: Session, data: dict[str, Any]) -> bool:
        sessions.emit_to_session(data["session_id"], data["event"], data.get("data"))
        return True

    @sessions.on("disconnect_session")
    def disconnect_session(sid: str, session: Session, data: dict[str, Any]) -> bool:
        sessions.disconnect_session(data["session_id"])
        return True

    @sessions.on("whoami")
    def whoami(sid: str, session: Session) -> dict[str, Any]:
        return {"kind": "sync", "sid": sid, "session_id": session.id}

    @sessions.on("set")
    def set_key(sid: str, session: Session, data: dict[str, Any]) -> str | None:
        session[str(data["key"])] = data["value"]
        session.save()
        return sessions.user(sid)

    @sessions.on("user")
    def user(sid: str, session: Session) -> str | None:
        return sessions.user(sid)

    @sessions.on("emit_to_user")
    def emit_to_user(sid: str, session: Session, data: dict[str, Any]) -> bool:
        sessions.emit_to_user(data["user_id"], data["event"], data.get("data"))
        return True

    @sessions.on("disconnect_user")
    def disconnect_user(sid: str, session: Session, data: dict[str, Any]) -> bool:
        sessions.disconnect_user(data["user_id"])
        return True

    @sessions.on("online")
    def online(sid: str, session: Session, data: dict[str, Any]) -> int:
        return sessions.online(data["user_id"])

    return socketio.WSGIApp(sio), sessions.close


def build_async(redis_url: str, secret: str, users: dict[str, Any]) -> socketio.ASGIApp:
    """The asyncio node's ASGI app.

    Nothing to close: when uvicorn stops, ``asyncio.run`` cancels the tasks left on the loop,
    sessio's control-channel listener among them.
    """
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=socketio.AsyncRedisManager(redis_url),
        ping_interval=PING_INTERVAL,
        ping_timeout=PING_TIMEOUT,
    )
    store = sessio.aio.RedisStore(redis.asyncio.Redis.from_url(redis_url))
    sessions = sessio.aio.AsyncSessionSockets(
        sio, store, formats.express(secrets=[secret]), **users
    )

    @sessions.on("connect")
    async def connect(err: Failure | None, sid: str, session: AsyncSession | None) -> bool:
        if err is not None or session is None:
            return False
        report("CONNECT", {"sid": sid, "session_id": session.id})
        return True

    @sessions.on("disconnect")
    async def disconnect(sid: str, session: AsyncSession | None, reason: Any) -> None:
        session_id = None if session is None else session.id
        report("DISCONNECT", {"sid": sid, "session_id": session_id, "reason": str(reason)})

    @sessions.on("incr")
    async def incr(sid: str, session: AsyncSession, data: dict[str, Any]) -> int:
        key = str(data["key"])
        session[key] = int(session.get(key, 0)) + 1
        await session.save()
        return int(session[key])

    @sessions.on("emit_to_session")
    async def emit_to_session(sid: str, session: AsyncSession, data: dict[str, Any]) -> bool:
        await sessions.emit_to_session(data["session_id"], data["event"], data.get("data"))
        return True

    @sessions.on("disconnect_session")
    async def disconnect_session(sid: str, session: AsyncSession, data: dict[str, Any]) -> bool:
        await sessions.disconnect_session(data["session_id"])
        return True

    @sessions.on("whoami")
    async def whoami(sid: str, session: AsyncSession) -> dict[str, Any]:
        return {"kind": "async", "sid": sid, "session_id": session.id}

    @sessions.on("set")
    async def set_key(sid: str, session: AsyncSession, data: dict[str, Any]) -> str | None:
        session[str(data["key"])] = data["value"]
        await session.save()
        return sessions.user(sid)

    @sessions.on("user")
    async def user(sid: str, session: AsyncSession) -> str | None:
        return sessions.user(sid)

    @sessions.on("emit_to_user")
    async def emit_to_user(sid: str, session: AsyncSession, data: dict[str, Any]) -> bool:
        await sessions.emit_to_user(data["user_id"], data["event"], data.get("data"))
        return True

    @sessions.on("disconnect_user")
    async def disconnect_user(sid: str, session: AsyncSession, data: dict[str, Any]) -> bool:
        await sessions.disconnect_user(data["user_id"])
        return True

    @sessions.on("online")
    async def online(sid: str, session: AsyncSession, data: dict[str, Any]) -> int:
        return await sessions.online(data["user_id"])

    return socketio.ASGIApp(sio)


@contextlib.contextmanager
def serving(
    kind: Kind, port: int, redis_url: str, secret: str, users: dict[str, Any]
) -> Iterator[str]:
    """Serve a node of `kind`; yield its base URL."""
    if kind == "sync":
        wsgi_app, close_sync = build_sync(redis_url, secret, users)
        with run_wsgi(wsgi_app, port) as url:
            try:
                yield url
            finally:
                close_sync()
    else:
        with run_asgi(build_async(redis_url, secret, users), port) as url:
            yield url


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, serve until SIGTERM/SIGINT, report STOPPED, exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kind", choices=["sync", "async"], required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--redis", required=True, help="redis://host:port/db")
    parser.add_argument("--secret", required=True, help="express-session secret")
    parser.add_argument("--parent-pipe", action="store_true", help="stop at EOF on stdin")
    parser.add_argument("--user-key", help="user_key: where sessions name their user")
    parser.add_argument("--heartbeat", type=float, default=10.0, help="heartbeat_every (s)")
    args = parser.parse_args(argv)
    users: dict[str, Any] = {}
    if args.user_key:
        users = {"user_key": args.user_key, "heartbeat_every": args.heartbeat}

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.parent_pipe:
        threading.Thread(target=_stop_at_eof, args=(stop,), daemon=True).start()

    try:
        with serving(args.kind, args.port, args.redis, args.secret, users) as url:
            report(f"READY {url.rsplit(':', 1)[1]}")
            stop.wait()
    finally:
        report("STOPPED")
        _leave()


def _leave() -> NoReturn:
    # A plain interpreter exit aborts (SIGABRT) in the Redis managers' listener threads, so:
    # os._exit, after saving coverage data when the process runs under coverage.
    coverage = sys.modules.get("coverage")
    current = None if coverage is None else coverage.Coverage.current()
    if current is not None:
        current.stop()
        current.save()
    os._exit(0)


def _stop_at_eof(stop: threading.Event) -> None:
    while sys.stdin.buffer.read(4096):
        pass
    stop.set()


if __name__ == "__main__":
    main()
