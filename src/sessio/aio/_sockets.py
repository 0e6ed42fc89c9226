"""`AsyncSessionSockets`: python-socketio's `AsyncServer` handlers, each given its session."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, overload

import socketio

from sessio._hosting import Host, adopt_server
from sessio.aio._early import install_early_reads
from sessio.aio._liveness import AsyncLiveness
from sessio.aio._metered import metered
from sessio.aio._namespace import AsyncSessionNamespace, H, accepts, without_auth
from sessio.aio._opening import open_verdict
from sessio.aio._ownership import install, install_all
from sessio.aio._rotate import AsyncRotation, rotate
from sessio.aio._session import AsyncSession
from sessio.aio._store_calls import call_store
from sessio.aio._tickets import issue_ticket, open_handshake
from sessio.aio._user_api import AsyncUserSockets
from sessio.aio._users import AsyncUsers
from sessio.aio.stores._protocol import ControlChannel, Store
from sessio.aio.stores._user_index import UserIndex
from sessio.core import Failure, Format, Minted, SessionRef, StoreFormat, plan_create
from sessio.core._control import CONTROL_CHANNEL, Disconnect, encode_control
from sessio.core._intervals import Interval
from sessio.core._rooms import session_room
from sessio.core._users import UserKeySpec
from sessio.errors import SessionError, error_for
from sessio.metrics import Metrics

__all__ = ["AsyncSessionNamespace", "AsyncSessionSockets"]

logger = logging.getLogger("sessio")


# session.socket.io's event name for a new socket was "connection".
_ALIASES = {"connection": "connect"}


class AsyncSessionSockets(AsyncUserSockets):
    """Hands every handler of an `socketio.AsyncServer` the HTTP session of its socket.

    ``on("connect")`` handlers are called ``(err, sid, session)``: exactly one of `err` (a
    `sessio.Failure`) and `session` is None; a handler that takes a fourth argument also gets
    the client's ``auth`` payload. Returning False or raising
    ``ConnectionRefusedError`` refuses the connection. Other events are called
    ``(sid, session, *args)``; ``disconnect`` as ``(sid, session, reason)``. The session is
    loaded once, at connect; events reuse it without a store round trip.

    With `require_session`, a socket without a valid session is refused before any handler
    runs, and the client receives ``{"code": <failure code>}`` and nothing more.

    With `touch_every` (seconds), socket activity extends the session's life the way its
    framework does, at most once per interval per session. With `revalidate_every`, socket
    activity (and a timer) re-checks at most that often that the session still exists in the
    store; when it is gone (logged out, expired), its sockets are disconnected and their
    disconnect handlers get ``"session-not-found"`` as the reason. Both must be more than 0
    seconds, or None (never).

    A handshake without the session cookie may carry a socket ticket in its ``auth``
    payload (`issue_ticket`); it is redeemed once and stands for the cookie it was issued for.

    With `metrics` (a `sessio.metrics.Metrics`, e.g. ``PrometheusMetrics()``), connects,
    store calls, saves, touches, revalidations, logouts and the control channel are counted;
    `store` is then kept wrapped so that each of its operations is timed. Off by default.

    Every socket with a stored session joins ``room(session_id)``. When the store has a
    control channel (`RedisStore`), or `control` names one (`AsyncManagerChannel`), this
    server subscribes to it, so that ``disconnect_session`` and `rotate` on any node, and
    `revoke` and `rotate` from any process, reach its sockets. It subscribes at `start`, or
    at the first connection at the latest, and re-checks every session it holds each time it
    (re)subscribes, so a revoke it missed still takes effect.

    With `user_key` (a dotted path such as ``"passport.user"``, or a function of the session),
    sockets are grouped by user too: see `AsyncUserSockets` (its base), and `heartbeat_every`
    (seconds) there.

    An exception from an application handler never leaves sessio's work half-done: a connect
    handler's refuses that connection, a disconnect handler's is logged (with its traceback,
    on the ``sessio`` logger) and every other socket is still disconnected.
    """

    def __init__(
        self,
        sio: socketio.AsyncServer | Any,
        store: Store,
        fmt: Format,
        *,
        require_session: bool = False,
        touch_every: float | None = None,
        revalidate_every: float | None = None,
        clock: Callable[[], float] = time.time,
        control: ControlChannel | None = None,
        metrics: Metrics | None = None,
        user_key: UserKeySpec | None = None,
        user_index: UserIndex | None = None,
        heartbeat_every: float = 10.0,
    ) -> None:
        self.metrics = metrics
        if metrics is not None:
            store = metered(store, metrics)
        self.store = store
        self.fmt = fmt
        self.require_session = require_session
        self.touch_every = Interval.named("touch_every", touch_every)
        self.revalidate_every = Interval.named("revalidate_every", revalidate_every)
        self.clock = clock
        self._handlers: dict[str, dict[str, Callable[..., Any]]] = {}
        self._installed: set[str] = set()
        self._server: socketio.AsyncServer | None = None
        self._bound: AsyncLiveness | None = None
        self._moves: AsyncRotation | None = None
        self._grouped: AsyncUsers | None = None
        self._control = control
        self._user_options = (user_key, user_index, heartbeat_every)
        self._host: Host | None
        # Checked up front: a wrong `sio` would otherwise fail at the first handler, far away.
        # A Flask-SocketIO SocketIO is its server's host; in app-factory style it has no
        # server until init_app, and the host binds this object then.
        server, self._host = adopt_server(self, sio, socketio.AsyncServer)
        if server is not None:
            self._bind(server)

    def _bind(self, server: socketio.AsyncServer) -> None:
        """Take `server` as this object's, and put every handler registered so far on it."""
        self._server = server
        # Which socket holds which session (and the rest of the node's tables) is kept by
        # the liveness side, which needs it for every touch, re-check and logout.
        self._bound = AsyncLiveness(
            server, self.store, self.clock, self.touch_every, self.revalidate_every
        )
        self._bound.metrics = self.metrics
        if self._control is not None:
            self._bound.control = self._control
        self._grouped = AsyncUsers.attach(self._bound, self.store, self.fmt, *self._user_options)
        self._moves = AsyncRotation(
            server, self._bound, self._grouped, self.store, self.fmt, self.clock
        )
        self._bound.on_rotate = self._moves.on_message
        install_all(self)
        install_early_reads(self, server)

    @property
    def sio(self) -> socketio.AsyncServer:
        """The python-socketio server (a Flask-SocketIO's, once its ``init_app`` ran)."""
        if self._server is None:
            raise RuntimeError(
                "no socket.io server yet: Flask-SocketIO creates it in socketio.init_app(app)"
            )
        return self._server

    @property
    def _liveness(self) -> AsyncLiveness:
        if self._bound is None:
            raise RuntimeError(f"{self.sio!r} has no liveness")  # self.sio raises why first
        return self._bound

    @property
    def _rotation(self) -> AsyncRotation:
        if self._moves is None:
            raise RuntimeError(f"{self.sio!r} has no rotation")  # self.sio raises why first
        return self._moves

    @property
    def _users(self) -> AsyncUsers:
        if self._grouped is None:
            raise RuntimeError(f"{self.sio!r} has no user rooms")  # self.sio raises why first
        return self._grouped

    # -- registration -------------------------------------------------------------------

    @overload
    def on(self, event: str, handler: None = None, namespace: str = "/") -> Callable[[H], H]: ...
    @overload
    def on(self, event: str, handler: H, namespace: str = "/") -> H: ...

    def on(
        self, event: str, handler: H | None = None, namespace: str = "/"
    ) -> H | Callable[[H], H]:
        """Register `handler` for `event` in `namespace`; usable as a decorator."""

        def register(function: H) -> H:
            self._register(_ALIASES.get(event, event), function, namespace)
            return function

        return register if handler is None else register(handler)

    def of(self, namespace: str) -> AsyncSessionNamespace:
        """The same API bound to `namespace` (session.socket.io's ``sessionSockets.of(ns)``)."""
        return AsyncSessionNamespace(self, namespace)

    def _register(self, event: str, handler: Callable[..., Any], namespace: str) -> None:
        if event == "connect" and not accepts(handler, 4):
            handler = without_auth(handler)
        if self._host is not None:
            handler = self._host.wrap(namespace, event, handler)
        self._keep(namespace, event, handler)

    def _keep(self, namespace: str, event: str, handler: Callable[..., Any]) -> None:
        self._handlers.setdefault(namespace, {})[event] = handler
        if self._server is not None:
            install(self, namespace, event)

    def _still_there(self, key: tuple[str, str]) -> bool:
        # python-socketio forgets a socket's environ as soon as its transport closes.
        namespace, sid = key
        return self.sio.get_environ(sid, namespace=namespace) is not None

    # -- sessions -----------------------------------------------------------------------

    async def _open(
        self, environ: MutableMapping[str, Any], auth: Any = None
    ) -> AsyncSession | Failure:
        # The handshake's cookie, else a ticket in `auth` (`sessio.aio._tickets`).
        opened = await open_handshake(environ, auth, self.store, self.fmt, self.clock)
        if self.metrics is not None and not isinstance(opened, Failure):
            opened.metrics = self.metrics  # its saves and touches are counted
        return opened

    async def _open_verdict(self, verdict: SessionRef) -> AsyncSession | Failure:
        # What `_open` does for a cookie that verified: the read an early read makes.
        opened = await open_verdict(verdict, self.store, self.fmt, self.clock)
        if self.metrics is not None and not isinstance(opened, Failure):
            opened.metrics = self.metrics
        return opened

    def session(self, sid: str, namespace: str = "/") -> AsyncSession | None:
        """The live session object that socket `sid`'s handlers receive (None if none)."""
        return self._liveness.session((namespace, sid))

    async def get_session(self, sid: str, namespace: str = "/") -> AsyncSession:
        """A fresh load, from the store, of the session of socket `sid` in `namespace`.

        Works for any socket connected to this server, also in namespaces without sessio
        handlers. Raises `sessio.SessionError` with the failure (``not-connected`` when there
        is no such socket).
        """
        environ = self.sio.get_environ(sid, namespace=namespace)
        if environ is None:
            raise SessionError(
                Failure("not-connected", f"no socket {sid!r} is connected in {namespace!r}")
            )
        opened = await self._open(environ)
        if isinstance(opened, Failure):
            raise error_for(opened)
        return opened

    async def create(self, data: Mapping[str, Any] | None = None) -> Minted:
        """Store a new session holding `data`; returns its id and the browser's cookie pair."""
        if not isinstance(self.fmt, StoreFormat):
            raise error_for(Failure.read_only(self.fmt.name))
        plan = plan_create(self.fmt, secrets.token_bytes(24), data or {}, self.clock())
        if isinstance(plan, Failure):
            raise error_for(plan)
        write = plan.write
        if write.value is not None:
            await call_store(self.store.set, write.key, write.value, write.ttl, doing="create")
        return plan.minted

    async def issue_ticket(self, cookie_value: str, ttl: float = 30) -> str:
        """`sessio.aio.issue_ticket` with this server's store, format and clock."""
        return await issue_ticket(self.store, self.fmt, cookie_value, ttl, clock=self.clock)

    async def rotate(self, old_session_id: str, new_session_id: str) -> None:
        """Move every socket of `old_session_id`, here and on every node, to `new_session_id`.

        Without a disconnect: their handlers get the new session from their next event on.
        A node where the new session cannot be opened disconnects its sockets of the old one
        with the failure's code (``session-not-found``).
        """
        try:
            await self._rotation.move(old_session_id, new_session_id)
        finally:
            await rotate(
                self.store,
                self.fmt,
                old_session_id,
                new_session_id,
                control=self._liveness.control,
            )

    def start(self) -> None:
        """Subscribe to the store's control channel and start the revalidation timer now.

        Call it where the server starts (``socketio.ASGIApp(sio, on_startup=sessions.start)``,
        or after creating a sync server); otherwise it happens at the first connection.
        Calling it again does nothing.
        """
        self._liveness.start()
        self._users.start()

    async def close(self) -> None:
        """Stop the revalidation timer (at once) and the control channel (within ~1 s)."""
        await self._liveness.close()
        await self._users.close()

    def tables(self) -> dict[str, int]:
        """How many rows sessio's per-socket and per-session tables hold on this node.

        For leak checks and metrics: every count is 0 once every socket has left.
        """
        return {**self._liveness.counts(), **self._users.counts()}

    # -- sockets grouped by session -----------------------------------------------------

    def room(self, session_id: str) -> str:
        """The room that every socket of session `session_id` is in."""
        return session_room(session_id)

    async def emit_to_session(
        self, session_id: str, event: str, data: Any = None, namespace: str = "/"
    ) -> None:
        """Emit `event` to every socket (every tab) of session `session_id`, on every node."""
        await self.sio.emit(event, data, room=self.room(session_id), namespace=namespace)

    async def disconnect_session(self, session_id: str, reason: str = "session-revoked") -> None:
        """Disconnect every socket of session `session_id`, in every namespace, on every node.

        Disconnect handlers get `reason`. Other nodes are reached through the store's
        control channel; without one (`MemoryStore`), only this server's sockets go.
        """
        room = self.room(session_id)
        try:
            await self._liveness.disconnect_local(room, reason)
        finally:
            # Other nodes are told even if something here went wrong.
            if self._liveness.control is not None:
                message = encode_control(Disconnect(room, reason))
                await call_store(self._liveness.control.publish, CONTROL_CHANNEL, message)
