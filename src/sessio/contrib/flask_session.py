"""Flask-Session (Redis) saves that lose nothing: a drop-in session interface.

Facts, from Flask-Session 0.8.0's ``flask_session/base.py`` and ``redis/redis.py``:

* ``open_session`` reads ``SESSION_KEY_PREFIX + sid`` once (``_retrieve_session_data``) and
  builds ``session_class(data, sid=sid)``; ``save_session`` deletes an emptied session
  (``_delete_session``), otherwise, when the session was modified or
  ``SESSION_REFRESH_EACH_REQUEST`` is on (the default), calls ``_upsert_session``, which
  ``SET``\\ s the *whole* session with ``EX = PERMANENT_SESSION_LIFETIME``. So every request
  (a favicon's too) writes back the copy it loaded, erasing what a socket or another request
  wrote in between.
* ``regenerate`` deletes the stored session and gives the session a new sid.

`MergingRedisSessionInterface` keeps all of that but ``_upsert_session``: it writes what this
request changed since it loaded (deep comparison, so in-place edits of nested values count),
merged onto what Redis holds now, with the compare-and-set that sockets use (``Session.save``,
the core's `SaveLoop`); an unchanged session only has its TTL refreshed, by the same
compare-and-set. A session deleted meanwhile (a logout elsewhere, `revoke_user`) is not
brought back: the response deletes the cookie instead. Reads and bytes are Flask-Session's own,
so the interface can be switched on and off without losing a session.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import flask
from flask_session.redis import RedisSession, RedisSessionInterface  # type: ignore[import-untyped]

from sessio.core import Failure, SessionRef, StoredSession, snapshot
from sessio.core.formats.flask_session import FlaskSessionFormat, flask_session
from sessio.errors import SessionError
from sessio.sync._session import Session
from sessio.sync.stores.redis import RedisStore

__all__ = ["MergingRedisSession", "MergingRedisSessionInterface", "merge_saves"]

_PERMANENT = "_permanent"


class _Loaded(dict[str, Any]):
    """The session data `_retrieve_session_data` read, with the bytes it was read from."""

    def __init__(self, data: dict[str, Any], raw: bytes) -> None:
        super().__init__(data)
        self.raw = raw


class _GoneError(Exception):
    """The session was deleted while this request held it: it must stay deleted."""


class MergingRedisSession(RedisSession):  # type: ignore[misc]
    """Flask-Session's Redis session, remembering what it was loaded as."""

    def __init__(
        self, initial: dict[str, Any] | None = None, sid: str | None = None, permanent: Any = None
    ) -> None:
        super().__init__(initial, sid, permanent)
        raw = initial.raw if isinstance(initial, _Loaded) else None
        #: (sid, the stored bytes, a deep copy of the data) as loaded; bytes None: new.
        self.sessio_loaded: tuple[str | None, bytes | None, dict[str, Any]] = (
            sid,
            raw,
            snapshot(initial or {}) if raw is not None else {},
        )


class MergingRedisSessionInterface(RedisSessionInterface):  # type: ignore[misc]
    """Flask-Session's ``RedisSessionInterface``, saving by difference (module docstring).

    Takes what ``RedisSessionInterface`` takes; `serialization_format` must be the app's
    ``SESSION_SERIALIZATION_FORMAT``. `merge_saves` builds one from the app's interface.
    """

    session_class = MergingRedisSession

    def __init__(
        self,
        app: flask.Flask,
        client: Any,
        key_prefix: str = "session:",
        use_signer: bool = False,
        permanent: bool = True,
        sid_length: int = 32,
        serialization_format: str = "msgpack",
    ) -> None:
        super().__init__(
            app, client, key_prefix, use_signer, permanent, sid_length, serialization_format
        )
        self.serialization_format = serialization_format
        self.store = RedisStore(client)

    def _retrieve_session_data(self, store_id: str) -> dict[str, Any] | None:
        raw = self.client.get(store_id)
        if not raw:
            return None
        return _Loaded(self.serializer.decode(raw), raw)

    def _format(self, lifetime: timedelta) -> FlaskSessionFormat:
        # Only the store side: the cookie is Flask-Session's business here.
        return flask_session(
            prefix=self.key_prefix,
            serializer="json" if self.serialization_format == "json" else "msgpack",
            lifetime=lifetime,
            permanent=self.permanent,
        )

    def _upsert_session(
        self, session_lifetime: timedelta, session: MergingRedisSession, store_id: str
    ) -> None:
        fmt = self._format(session_lifetime)
        now = time.time()
        sid, raw, loaded = session.sessio_loaded
        if sid != session.sid:  # regenerated: a new session under a new id
            raw, loaded = None, {}
        meta = {_PERMANENT: session[_PERMANENT]} if _PERMANENT in session else {}
        stored = StoredSession({}, meta) if raw is None else fmt.decode(raw, now)
        if isinstance(stored, Failure):
            # Bytes sessio does not read (a pickle of Flask-Session < 0.7): as Flask-Session.
            super()._upsert_session(session_lifetime, session, store_id)
            return
        user = {k: v for k, v in loaded.items() if k != _PERMANENT}
        merged = Session(
            user,
            fmt=fmt,
            store=self.store,
            ref=SessionRef(session.sid, store_id),
            stored=stored,
            raw=raw,
        )
        merged.clear()
        merged.update((k, v) for k, v in session.items() if k != _PERMANENT)
        try:
            if merged.changes:
                merged.save()
            else:
                merged.touch()
        except SessionError as error:
            if error.code == "session-not-found":
                raise _GoneError from error
            raise

    def save_session(
        self, app: flask.Flask, session: MergingRedisSession, response: flask.Response
    ) -> None:
        """Flask-Session's save, merged; a session deleted meanwhile loses its cookie."""
        try:
            super().save_session(app, session, response)
        except _GoneError:
            response.delete_cookie(
                key=self.get_cookie_name(app),
                domain=self.get_cookie_domain(app),
                path=self.get_cookie_path(app),
            )
            response.vary.add("Cookie")


def merge_saves(app: flask.Flask) -> MergingRedisSessionInterface:
    """Make `app`'s Flask-Session (Redis) save by difference; call it after ``Session(app)``.

    Replaces ``app.session_interface`` with a `MergingRedisSessionInterface` of the same
    settings, and returns it. Undo it by leaving the line out: the stored sessions are the
    same either way.
    """
    current = app.session_interface
    if not isinstance(current, RedisSessionInterface):
        raise TypeError(
            "merge_saves needs Flask-Session's Redis interface: configure SESSION_TYPE='redis' "
            f"and call Session(app) first (found {type(current).__name__})"
        )
    merging = MergingRedisSessionInterface(
        app,
        current.client,
        current.key_prefix,
        current.use_signer,
        current.permanent,
        current.sid_length,
        app.config.get("SESSION_SERIALIZATION_FORMAT", "msgpack"),
    )
    app.session_interface = merging
    return merging
