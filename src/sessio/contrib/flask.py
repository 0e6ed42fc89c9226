"""Flask + Flask-Session + Flask-Login: sockets follow a login to a new session id.

`follow_logins` connects to Flask-Login's ``user_logged_in`` and ``user_logged_out``
signals. At a login it regenerates the session id (Flask-Session's
``session_interface.regenerate``: a login should never keep the id the browser had before,
and Flask-Login does not change it); at a logout it regenerates too. Once the request is
finished (Flask-Session has saved the session under its new id), it publishes over the
control channel a rotation (login: the sockets move to the new session, no disconnect) or a
revoke (logout: they leave with ``session-revoked``)::

    from sessio.contrib.flask import follow_logins
    follow_logins(app, sessio.sync.RedisStore(redis.Redis()), formats.flask_session())

`control` names a channel other than the store's (``sessio.sync.ManagerChannel(
socketio.KombuManager(url, write_only=True))``).
"""

from __future__ import annotations

import logging
from typing import Any

import flask
from flask_login import user_logged_in, user_logged_out  # type: ignore[import-untyped]

from sessio.core import StoreFormat
from sessio.sync import ControlChannel, Store, revoke, rotate

__all__ = ["follow_logins"]

logger = logging.getLogger("sessio")

_PENDING = "_sessio_auth_event"


def follow_logins(
    app: flask.Flask,
    store: Store,
    fmt: StoreFormat,
    *,
    control: ControlChannel | None = None,
) -> None:
    """Make `app`'s logins rotate, and its logouts revoke, the sockets of the session."""

    def changed(event: str) -> None:
        session: Any = flask.session
        old = getattr(session, "sid", None)
        regenerate = getattr(app.session_interface, "regenerate", None)
        if old is None or regenerate is None:
            return  # not a server-side session: no id for a socket to follow
        regenerate(session)
        setattr(flask.g, _PENDING, (event, old, session))

    def logged_in(sender: Any, **kwargs: Any) -> None:
        changed("login")

    def logged_out(sender: Any, **kwargs: Any) -> None:
        changed("logout")

    def finished(sender: Any, **kwargs: Any) -> None:
        pending = getattr(flask.g, _PENDING, None)
        if pending is None:
            return
        event, old, session = pending
        try:
            if event == "login":
                rotate(store, fmt, old, session.sid, control=control)
            else:
                revoke(store, fmt, old, control=control)
        except Exception:
            # The login or logout itself succeeded: the sockets catch up by revalidation.
            logger.exception("could not tell the socket servers of a %s", event)

    user_logged_in.connect(logged_in, app, weak=False)
    user_logged_out.connect(logged_out, app, weak=False)
    flask.request_finished.connect(finished, app, weak=False)
