"""`SocketSession`: ``flask.session`` inside Flask-SocketIO handlers, as sessio serves it.

`sessio.flask_socketio` sets `CURRENT` around every handler it runs (the socket's session, or
why it has none); this view reads it, so one object serves every socket, thread and greenlet.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask.sessions import SessionMixin

from sessio.core import Failure
from sessio.errors import SessionError

if TYPE_CHECKING:
    from sessio.sync import Session

__all__ = ["CURRENT", "OUTSIDE", "SocketSession"]

# The session (and why there is none) of the socket whose handler runs in this thread or
# greenlet, set around each handler call.
CURRENT: contextvars.ContextVar[tuple[Session | None, Failure | None]] = contextvars.ContextVar(
    "sessio_flask_socketio_current"
)
OUTSIDE = Failure(
    "not-connected",
    "this handler runs outside sessio (a class-based Namespace, or a catch-all namespace): "
    "it has no session; register it with @socketio.on(event, namespace=...) instead",
)


class SocketSession(SessionMixin):
    """``flask.session`` inside Flask-SocketIO handlers: the socket's sessio session.

    A mapping over the `sessio.sync.Session` that the running handler's socket holds (empty
    when it has none: a write then raises `sessio.SessionError` with the connect's failure).
    `save`, `reload`, `touch`, `destroy`, `id` and `read_only` are the session's; `failure`
    is why there is no session (None when there is one).
    """

    new = False

    @property
    def session(self) -> Session | None:
        """The socket's sessio session (None when it has none)."""
        return CURRENT.get((None, OUTSIDE))[0]

    @property
    def failure(self) -> Failure | None:
        """Why the socket has no session (None when it has one)."""
        session, failure = CURRENT.get((None, OUTSIDE))
        return None if session is not None else failure

    def _open(self) -> Session:
        session, failure = CURRENT.get((None, OUTSIDE))
        if session is None:
            raise SessionError(failure or OUTSIDE)
        return session

    def __getitem__(self, key: str) -> Any:
        session = self.session
        if session is None:
            raise KeyError(key)
        return session[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._open()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._open()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self.session or {}))

    def __len__(self) -> int:
        return len(self.session or {})

    def __repr__(self) -> str:
        return f"<SocketSession {self.session!r}>"

    @property
    def modified(self) -> bool:
        """Whether the handler changed the session (it is saved when the handler returns)."""
        session = self.session
        return session is not None and not session.read_only and bool(session.changes)

    @modified.setter
    def modified(self, value: bool) -> None:
        # Flask code sets it after changing a nested value; sessio compares values instead.
        pass

    @property
    def id(self) -> str | None:
        """The session id (None for a cookie session, or no session)."""
        session = self.session
        return None if session is None else session.id

    @property
    def read_only(self) -> bool:
        """True unless the socket holds a session that a socket can write."""
        session = self.session
        return session is None or session.read_only

    def save(self, *, strict: bool = False) -> None:
        """Save now (see `sessio.sync.Session.save`); otherwise it happens at return."""
        self._open().save(strict=strict)

    def reload(self) -> None:
        """Re-read the store; unsaved changes stay on top."""
        self._open().reload()

    def touch(self) -> None:
        """Extend the session's life as its framework does."""
        self._open().touch()

    def destroy(self) -> None:
        """Delete the session from the store (a logout)."""
        self._open().destroy()
