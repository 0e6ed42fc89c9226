"""Flask-SocketIO, first-class: its handlers see the shared session as ``flask.session``.

``SessionSockets(socketio, store, fmt)`` takes a Flask-SocketIO ``SocketIO`` (in app-factory
style too: it waits for ``init_app``). From then on every handler on that server runs after
sessio has opened the socket's session, inside Flask-SocketIO's request context, with
``flask.session`` being that session (`SocketSession`): the one HTTP sees, loaded once at
connect. ``emit``, ``send``, rooms, ``request.sid``, ``on_error`` and the test client work
as without sessio. A handler that changed the session has it saved when it returns, the way
Flask saves a request's session: a sessio save, which writes only the keys this socket
changed, merged onto what the store holds (so HTTP's writes and other sockets' are kept). A
session that lives in Flask's cookie is read-only: a write raises `sessio.SessionError`.

Facts, from Flask-SocketIO 5.7.0 (``flask_socketio/__init__.py``, ``test_client.py``):

* ``SocketIO(app)`` creates its ``socketio.Server`` in ``init_app`` (``self.server``);
  ``SocketIO()`` has ``server = None`` until ``init_app(app)``, which registers the handlers
  collected meanwhile on the new server. Every ``init_app`` makes a new server.
* ``@socketio.on(event, namespace)`` puts on the server a ``_handler(sid, *args)`` that calls
  ``_handle_event(function, event, namespace, sid, *args)``; for ``connect`` the arguments
  are ``(environ, auth)`` and the function is called with ``auth`` (on TypeError, with
  none); for ``*`` the event name comes first; for namespace ``*`` the namespace does.
* ``_handle_event`` runs the function in ``app.request_context(environ)`` (python-socketio's
  per-connection environ), sets ``request.sid``, ``.namespace`` and ``.event``, and sends
  exceptions to ``on_error`` handlers. With ``manage_session`` (the default) ``flask.session``
  is ``environ['saved_session']``, made as a copy of the HTTP session when missing; with
  ``manage_session=False`` the HTTP session is opened for every event and saved whole.
* ``emit``, ``send``, ``join_room``, ``rooms`` and ``disconnect`` read ``request.sid`` and
  ``request.namespace``: they work only inside that context.
* Class-based namespaces (``on_namespace``) live in the server's ``namespace_handlers`` and
  are not covered by sessio: their ``flask.session`` has no session.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sessio._hosting import NamespaceTable
from sessio._socket_session import CURRENT, OUTSIDE, SocketSession
from sessio.core import Failure
from sessio.errors import SessionError
from sessio.sync._ownership import install

if TYPE_CHECKING:
    from sessio.sync import Session, SessionSockets

__all__ = ["FlaskSocketIOHost", "SocketSession"]

logger = logging.getLogger("sessio")

# Where a connect's failure is kept for the socket's later events: python-socketio's environ
# lives exactly as long as the connection, so nothing needs cleaning up.
_FAILURES = "sessio.failures"


class FlaskSocketIOHost:
    """What `SessionSockets` does differently over a Flask-SocketIO ``SocketIO``.

    It covers every namespace the server has handlers in (and ``/``), adopts every handler
    registered on the server there (before or after sessio; ``@socketio.on`` registers
    there), and runs all handlers, sessio's (``@sessions.on``) and Flask-SocketIO's, in
    Flask-SocketIO's request context with ``flask.session`` = `SocketSession`.
    """

    def __init__(self, owner: SessionSockets, socketio: Any) -> None:
        self.owner = owner
        self.socketio = socketio
        self.view = SocketSession()
        self.server: Any = socketio.server
        self._warned_star = False
        if self.server is None:
            self._wait_for_init_app()

    def _wait_for_init_app(self) -> None:
        original = self.socketio.init_app

        def init_app(app: Any, **kwargs: Any) -> None:
            original(app, **kwargs)
            self.owner._bind(self.socketio.server)

        # On this SocketIO only: app-factory style creates the server here.
        self.socketio.init_app = init_app

    def bind(self, server: Any) -> None:
        """Take over `server`'s namespaces: those it has now, ``/``, and any added later."""
        self.server = server
        if not self.socketio.manage_session:
            # manage_session=False opens and saves the HTTP session whole for every event;
            # sessio's session *is* that shared session, saved by merging.
            logger.info("Flask-SocketIO's manage_session=False: sessio shares the session")
            self.socketio.manage_session = True
        server.handlers = NamespaceTable(server.handlers, self._cover)
        for namespace in ["/", *server.handlers]:
            self._cover(namespace)

    def _cover(self, namespace: str) -> None:
        if namespace == "*":
            if not self._warned_star:
                self._warned_star = True
                logger.warning(
                    "catch-all namespace handlers (namespace='*') get no session from sessio"
                )
            return
        if "connect" not in self.owner._handlers.get(namespace, {}):
            # Always a connect of sessio's: it records the failure for the later events.
            self.owner.on("connect", _default_connect, namespace)
        install(self.owner, namespace, "connect")

    # -- running handlers ----------------------------------------------------------------

    def _run(
        self,
        namespace: str,
        sid: str,
        session: Session | None,
        call: Callable[[], Any],
        err: Failure | None = None,
        connecting: bool = False,
    ) -> Any:
        environ = self.server.get_environ(sid, namespace=namespace)
        failures: dict[str, Failure | None] = {}
        if environ is not None:
            # Flask-SocketIO makes environ['saved_session'] flask.session (manage_session).
            environ["saved_session"] = self.view
            failures = environ.setdefault(_FAILURES, {})
            if connecting:
                failures[namespace] = err
        token = CURRENT.set((session, failures.get(namespace, OUTSIDE)))
        try:
            result = call()
        finally:
            CURRENT.reset(token)
        _save(session)
        return result

    def wrap(self, namespace: str, event: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        """`handler` (a sessio handler) run in Flask-SocketIO's context, saved at return."""
        kind = _kind(handler) or "sessio"
        if kind == "sessio":
            self._replacing(namespace, event, "adopted", "sessions.on")
        handle = self.socketio._handle_event
        run = self._run
        if event == "connect":

            def connect(err: Failure | None, sid: str, session: Session | None, auth: Any) -> Any:
                environ = self.server.get_environ(sid, namespace=namespace)

                def call() -> Any:
                    # A parameter without default: Flask-SocketIO retries a TypeError with
                    # no argument, which then fails instead of running the handler twice.
                    return handle(
                        lambda auth: handler(err, sid, session, auth),
                        "connect",
                        namespace,
                        sid,
                        environ,
                        auth,
                    )

                return run(namespace, sid, session, call, err, connecting=True)

            return _like(connect, kind)
        if event == "*":

            def catch_all(name: str, sid: str, session: Session | None, *args: Any) -> Any:
                call = lambda: handle(  # noqa: E731
                    lambda *a: handler(name, sid, session, *a), name, namespace, sid, *args
                )
                return run(namespace, sid, session, call)

            return _like(catch_all, kind)

        def on_event(sid: str, session: Session | None, *args: Any) -> Any:
            call = lambda: handle(  # noqa: E731
                lambda *a: handler(sid, session, *a), event, namespace, sid, *args
            )
            return run(namespace, sid, session, call)

        return _like(on_event, kind)

    def adopt(
        self, namespace: str, event: str, handler: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        """A handler put on the server (by ``@socketio.on``), as a sessio handler."""
        if namespace == "*":
            return None
        self._replacing(namespace, event, "sessio", "socketio.on")
        run = self._run
        if event == "connect":
            with_auth = _takes(handler, 3)

            def connect(err: Failure | None, sid: str, session: Session | None, auth: Any) -> Any:
                environ = self.server.get_environ(sid, namespace=namespace)
                args = (sid, environ, auth) if with_auth else (sid, environ)
                return run(namespace, sid, session, lambda: handler(*args), err, connecting=True)

            return _like(connect, "adopted")
        if event == "disconnect":
            with_reason = _takes(handler, 2)

            def disconnect(sid: str, session: Session | None, reason: Any) -> Any:
                args = (sid, reason) if with_reason else (sid,)
                return run(namespace, sid, session, lambda: handler(*args))

            return _like(disconnect, "adopted")
        if event == "*":

            def catch_all(name: str, sid: str, session: Session | None, *args: Any) -> Any:
                return run(namespace, sid, session, lambda: handler(name, sid, *args))

            return _like(catch_all, "adopted")

        def on_event(sid: str, session: Session | None, *args: Any) -> Any:
            return run(namespace, sid, session, lambda: handler(sid, *args))

        return _like(on_event, "adopted")

    def _replacing(self, namespace: str, event: str, other: str, winner: str) -> None:
        # One handler per event and namespace, as in python-socketio: say which one runs.
        if _kind(self.owner._handlers.get(namespace, {}).get(event)) == other:
            logger.warning(
                "%r in %s has both a sessions.on and a socketio.on handler: the one "
                "registered last (%s) runs",
                event,
                namespace,
                winner,
            )


def _default_connect(err: Failure | None, sid: str, session: Session | None, auth: Any) -> None:
    """The connect handler a namespace has until the application registers one."""


_default_connect.__sessio_kind__ = "default"  # type: ignore[attr-defined]

# Which of the three a registered handler is, for the warning when one replaces another.
_KIND = "__sessio_kind__"


def _kind(handler: object) -> str | None:
    return getattr(handler, _KIND, None)


def _like(wrapper: Callable[..., Any], kind: str | None) -> Callable[..., Any]:
    setattr(wrapper, _KIND, kind)
    return wrapper


def _takes(handler: Callable[..., Any], count: int) -> bool:
    """Whether server-level `handler` takes `count` arguments, as python-socketio tries it.

    Not through ``__wrapped__``: Flask-SocketIO's ``_handler(sid, *args)`` wraps the app's
    function, whose own signature is another matter.
    """
    try:
        inspect.signature(handler, follow_wrapped=False).bind(*range(count))
    except (TypeError, ValueError):
        return False
    return True


def _save(session: Session | None) -> None:
    """Save what a handler changed, as Flask saves a modified session after a request."""
    if session is None or session.read_only:
        return
    try:
        if session.changes:
            session.save()
    except SessionError as error:
        # The handler has answered already: the client cannot be told, the log can.
        logger.warning("saving the session after a handler failed: %s", error.code)
    except Exception:
        logger.exception("saving the session after a handler failed")
