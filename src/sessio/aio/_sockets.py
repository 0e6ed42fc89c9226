"""`AsyncSessionSockets`: python-socketio's `AsyncServer` handlers, each given its session."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, overload

import socketio

from sessio.aio._liveness import AsyncLiveness
from sessio.aio._namespace import AsyncSessionNamespace, H, accepts, without_auth
from sessio.aio._primitives import maybe_await
from sessio.aio._session import AsyncSession, call_store, open_session
from sessio.aio._user_api import AsyncUserSockets
from sessio.aio._users import AsyncUsers
from sessio.aio.stores._protocol import ControlChannel, Store
from sessio.aio.stores._user_index import UserIndex
from sessio.core import Failure, Format, Minted, StoreFormat, plan_create
from sessio.core._control import CONTROL_CHANNEL, Disconnect, encode_control
from sessio.core._intervals import Interval
from sessio.core._rooms import session_room
from sessio.core._users import UserKeySpec
from sessio.errors import SessionError, error_for

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

    Every socket with a stored session joins ``room(session_id)``. When the store has a
    control channel (`RedisStore`), this server subscribes to it, so that
    ``disconnect_session`` on any node, and `revoke` from any process, reach its sockets. It
    subscribes at `start`, or at the first connection at the latest, and re-checks every
    session it holds each time it (re)subscribes, so a revoke it missed still takes effect.

    With `user_key` (a dotted path such as ``"passport.user"``, or a function of the session),
    sockets are grouped by user too: see `AsyncUserSockets` (its base), and `heartbeat_every`
    (seconds) there.

    An exception from an application handler never leaves sessio's work half-done: a connect
    handler's refuses that connection, a disconnect handler's is logged (with its traceback,
    on the ``sessio`` logger) and every other socket is still disconnected.
    """

    def __init__(
        self,
        sio: socketio.AsyncServer,
        store: Store,
        fmt: Format,
        *,
        require_session: bool = False,
        touch_every: float | None = None,
        revalidate_every: float | None = None,
        clock: Callable[[], float] = time.time,
        user_key: UserKeySpec | None = None,
        user_index: UserIndex | None = None,
        heartbeat_every: float = 10.0,
    ) -> None:
        self.sio = sio
        self.store = store
        self.fmt = fmt
        self.require_session = require_session
        self.touch_every = Interval.named("touch_every", touch_every)
        self.revalidate_every = Interval.named("revalidate_every", revalidate_every)
        self.clock = clock
        self._handlers: dict[str, dict[str, Callable[..., Any]]] = {}
        # Which socket holds which session (and the rest of the node's tables) is kept by
        # the liveness side, which needs it for every touch, re-check and logout.
        self._liveness = AsyncLiveness(sio, store, clock, self.touch_every, self.revalidate_every)
        self._users = AsyncUsers.attach(
            self._liveness, store, fmt, user_key, user_index, heartbeat_every
        )

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
        if namespace not in self._handlers:
            if "connect" in self.sio.handlers.get(namespace, {}):
                # python-socketio keeps one connect handler per namespace: ours replaces it.
                logger.warning(
                    "namespace %s already has a connect handler; sessio replaces it: register "
                    "it with sessions.on('connect') instead",
                    namespace,
                )
            self._handlers[namespace] = {}
            self.sio.on("connect", self._connect_handler(namespace), namespace=namespace)
            self.sio.on("disconnect", self._disconnect_handler(namespace), namespace=namespace)
        self._handlers[namespace][event] = handler
        if event not in ("connect", "disconnect"):
            self.sio.on(event, self._event_handler(namespace, event), namespace=namespace)

    # Wrappers are plain `async def` functions: python-socketio awaits a handler only when
    # inspect.iscoroutinefunction says so, and the connect wrapper takes exactly three
    # positionals so that a TypeError inside user code is not retried with two.

    def _connect_handler(self, namespace: str) -> Callable[..., Any]:
        async def connect(sid: str, environ: dict[str, Any], auth: Any) -> Any:
            # Subscribed before this socket's session is read: a revoke published from now
            # on reaches it (and one published earlier is in the store the read sees).
            self._liveness.start()
            key = (namespace, sid)
            opened = await self._open(environ)
            if not self._still_there(key):
                # The client left during the read. python-socketio calls no disconnect
                # handler for a socket that never finished connecting; False makes it drop
                # the socket, and nothing of it is kept here.
                return False
            err, session = (opened, None) if isinstance(opened, Failure) else (None, opened)
            if err is not None:
                logger.info("socket %s on %s has no session: %s", sid, namespace, err.code)
                if self.require_session:
                    raise socketio.exceptions.ConnectionRefusedError(err.code, {"code": err.code})
            self._liveness.hold(key, session)
            handler = self._handlers[namespace].get("connect")
            try:
                result = (
                    None if handler is None else await maybe_await(handler(err, sid, session, auth))
                )
            except (socketio.exceptions.ConnectionRefusedError, ConnectionRefusedError):
                self._liveness.release(key)
                raise
            except Exception:
                self._liveness.release(key)
                # Raised into python-socketio, the client would get no answer and the socket
                # would linger half-connected: refuse it, saying nothing of why.
                logger.exception("connect handler failed; socket %s on %s refused", sid, namespace)
                raise socketio.exceptions.ConnectionRefusedError() from None
            except BaseException:
                self._liveness.release(key)
                raise
            if result is not False and session is not None and session.id is not None:
                await self.sio.enter_room(sid, self.room(session.id), namespace=namespace)
            if result is not False:
                await self._users.join(key, session)
            if result is False or not self._still_there(key):
                self._liveness.release(key)
                self._users.leave(key)
                return False
            return result

        return connect

    def _still_there(self, key: tuple[str, str]) -> bool:
        # python-socketio forgets a socket's environ as soon as its transport closes.
        namespace, sid = key
        return self.sio.get_environ(sid, namespace=namespace) is not None

    def _disconnect_handler(self, namespace: str) -> Callable[..., Any]:
        async def disconnect(sid: str, reason: Any = None) -> Any:
            session = self._liveness.release((namespace, sid))
            self._users.leave((namespace, sid))
            reason = self._liveness.reason((namespace, sid), reason)
            handler = self._handlers[namespace].get("disconnect")
            if handler is None:
                return None
            try:
                return await maybe_await(handler(sid, session, reason))
            except Exception:
                # Raised, it would stop whatever is disconnecting this socket (a logout of
                # every socket of a session, a control message) half-way; and python-socketio
                # would retry a TypeError with one argument fewer.
                logger.exception("disconnect handler failed for socket %s on %s", sid, namespace)
                return None

        return disconnect

    def _event_handler(self, namespace: str, event: str) -> Callable[..., Any]:
        if event == "*":

            async def catch_all(name: str, sid: str, *args: Any) -> Any:
                session = self._liveness.session((namespace, sid))
                if not await self._liveness.on_activity((namespace, sid), session):
                    return None
                return await maybe_await(self._handlers[namespace]["*"](name, sid, session, *args))

            return catch_all

        async def handle(sid: str, *args: Any) -> Any:
            session = self._liveness.session((namespace, sid))
            if not await self._liveness.on_activity((namespace, sid), session):
                return None
            return await maybe_await(self._handlers[namespace][event](sid, session, *args))

        return handle

    # -- sessions -----------------------------------------------------------------------

    async def _open(self, environ: Mapping[str, Any]) -> AsyncSession | Failure:
        cookie_header = environ.get("HTTP_COOKIE")
        return await open_session(cookie_header, self.store, self.fmt, clock=self.clock)

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
            if isinstance(self.store, ControlChannel):
                message = encode_control(Disconnect(room, reason))
                await call_store(self.store.publish, CONTROL_CHANNEL, message)
