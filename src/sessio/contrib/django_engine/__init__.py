"""Django session engines that save by difference, so a stale request loses nothing.

``SESSION_ENGINE = "sessio.contrib.django_engine.db"`` (or ``.cached_db``, ``.cache``), in
place of ``"django.contrib.sessions.backends.db"`` (``cached_db``, ``cache``).

Facts, from Django 5.2's ``django/contrib/sessions/backends/``:

* ``SessionMiddleware.process_response`` calls ``request.session.save()`` when the session was
  modified (or with ``SESSION_SAVE_EVERY_REQUEST``); ``db``'s ``save`` writes the whole
  ``_session_cache`` it loaded at the start of the request (``update_or_create`` of the row,
  with ``expire_date = get_expiry_date()``), ``cache``'s ``cache.set``\\ s it. So a request that
  loaded the session before a socket (or another request) saved, and saves after, erases it.
* ``save`` raises ``UpdateError`` when the session vanished meanwhile (``db``: no row updated;
  ``cache``: no entry), which the middleware turns into ``SessionInterrupted`` (400).
* data is signed with the salt ``"django.contrib.sessions." + type(self).__qualname__``: the
  classes here are all named ``SessionStore``, so they read and write exactly the rows and
  cache entries of the stock engines, and can be switched on and off without losing sessions.

Each engine here is the stock one with ``load`` noting what it loaded and ``save`` merging:
it writes what the request changed since the load (compared deeply: in-place edits of
nested values count), onto what the store holds now, through `DjangoStore` and the
compare-and-set that sockets use (``Session.save``, the core's `SaveLoop`); an unchanged
session is re-saved as the store holds it, which moves its expiry as Django's save would. A
session deleted meanwhile stays deleted (``UpdateError``, as Django). Creating a session, and
``cycle_key`` at login, are Django's own. On ``db`` and ``cached_db`` the compare-and-set is
a transaction with ``select_for_update``; on ``cache`` it is best effort (docs/stores.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends.base import UpdateError  # type: ignore[import-untyped]

from sessio.core import SessionRef, StoredSession, snapshot
from sessio.core.formats.django_native import canonical
from sessio.errors import SessionError
from sessio.sync._session import Session
from sessio.sync.stores.django import DjangoStore

__all__ = ["MergingSessionMixin", "merge_save"]


def merge_save(
    stock: type[Any], key: str, loaded: dict[str, Any], current: dict[str, Any]
) -> dict[str, Any]:
    """Save `current` (made from `loaded`) as session `key` by difference, through `stock`.

    Returns the session as stored. Raises ``UpdateError`` when the session is gone, and
    ``TypeError``/``ValueError`` when `loaded` is not JSON (the caller saves as Django does).
    """
    store = DjangoStore(stock)
    fmt = store.format()
    raw = canonical(loaded)
    session = Session(
        loaded,
        fmt=fmt,
        store=store,
        ref=SessionRef(key, key),
        stored=StoredSession(loaded),
        raw=raw,
    )
    session.clear()
    session.update(current)
    try:
        if session.changes:
            session.save()
        else:
            session.touch()
    except SessionError as error:
        if error.code == "session-not-found":
            raise UpdateError from error
        raise
    return dict(session)


class MergingSessionMixin:
    """Put before a stock ``SessionStore``; `stock` names that class (module docstring)."""

    stock: ClassVar[type[Any]]
    _sessio_loaded: tuple[str, dict[str, Any]] | None = None

    # Attributes of Django's SessionBase this mixin relies on.
    _session_key: str | None
    _session_cache: dict[str, Any]
    session_key: str | None

    def _get_session(self, no_load: bool = False) -> dict[str, Any]:
        return super()._get_session(no_load)  # type: ignore[misc,no-any-return]

    def load(self) -> dict[str, Any]:
        data: dict[str, Any] = super().load()  # type: ignore[misc]
        self._note(data)
        return data

    async def aload(self) -> dict[str, Any]:
        data: dict[str, Any] = await super().aload()  # type: ignore[misc]
        self._note(data)
        return data

    def _note(self, data: dict[str, Any]) -> None:
        # load() forgets the key of a missing or expired session: nothing to merge onto then.
        key = self._session_key
        self._sessio_loaded = None if key is None else (key, snapshot(data))

    def save(self, must_create: bool = False) -> None:
        if not self._merge(must_create):
            super().save(must_create)  # type: ignore[misc]
            self._saved_whole()
            return
        self._merge_save()

    async def asave(self, must_create: bool = False) -> None:
        if not self._merge(must_create):
            await super().asave(must_create)  # type: ignore[misc]
            self._saved_whole()
            return
        await sync_to_async(self._merge_save)()

    def _merge(self, must_create: bool) -> bool:
        loaded = self._sessio_loaded
        return not must_create and loaded is not None and loaded[0] == self.session_key

    def _saved_whole(self) -> None:
        # A session Django created (or saved whole): what it wrote is the next save's base.
        key = self._session_key
        if key is not None:
            self._sessio_loaded = (key, snapshot(self._get_session(no_load=True)))

    def _merge_save(self) -> None:
        loaded = self._sessio_loaded
        assert loaded is not None  # _merge() said so
        key, data = loaded
        current = self._get_session()
        try:
            merged = merge_save(self.stock, key, data, current)
        except (TypeError, ValueError):
            # Not JSON (a pickle serializer's session): saved whole, as Django saves it.
            super().save(False)  # type: ignore[misc]
            self._saved_whole()
            return
        self._session_cache = merged
        self._sessio_loaded = (key, snapshot(merged))
