"""`DjangoStore`: sessions kept by the app's own configured Django ``SessionStore``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from importlib import import_module
from typing import Any, TypeVar

from django.conf import settings  # type: ignore[import-untyped]
from django.contrib.sessions.backends.base import (  # type: ignore[import-untyped]
    CreateError,
    UpdateError,
)
from django.contrib.sessions.backends.db import (  # type: ignore[import-untyped]
    SessionStore as DatabaseSessionStore,
)
from django.contrib.sessions.backends.signed_cookies import (  # type: ignore[import-untyped]
    SessionStore as SignedCookieSessionStore,
)
from django.core.exceptions import SuspiciousOperation  # type: ignore[import-untyped]
from django.db import connections, router, transaction  # type: ignore[import-untyped]
from django.db.models import F  # type: ignore[import-untyped]
from django.utils import timezone  # type: ignore[import-untyped]

from sessio.aio._primitives import to_thread
from sessio.aio.stores._django_db import KEY_LOCKS, recycled_connections
from sessio.core.formats.django_native import (
    DjangoNativeFormat,
    canonical,
    django_native,
    parse_canonical,
)

__all__ = ["DjangoStore"]

T = TypeVar("T")


class DjangoStore:
    """A `Store` that hands every operation to the app's own Django ``SessionStore``.

    Needs Django, configured (``settings.configure()`` or ``DJANGO_SETTINGS_MODULE`` plus
    ``django.setup()``). `engine` is a ``SESSION_ENGINE``-style module path or a
    ``SessionStore`` class; by default the one ``settings.SESSION_ENGINE`` names, so a custom
    engine keeps working: sessio never reads ``session_data``, cache pickles or session files
    itself. Use it with the format that `format` returns (`sessio.core.formats.django_native`):
    the bytes it hands out are the loaded session dict as canonical JSON, and it takes the same
    bytes back. After construction, `engine` is the ``SessionStore`` class in use and
    `transactional` says whether compare-and-set runs in a database transaction (the ``db``
    family: atomic against every other sessio writer; other engines: best effort).

    The async `DjangoStore` runs each Django call in a worker thread (``anyio.to_thread``, so
    under asyncio and trio alike; Django's ORM refuses to run on an event loop's thread); the
    sync one calls Django directly, in the caller's thread.

    docs/stores.md says what each operation asks of the engine, how atomic compare-and-set is
    on each engine, and how database connections are recycled.
    """

    def __init__(self, engine: str | type[Any] | None = None) -> None:
        self.engine = _engine_class(engine)
        self.transactional = issubclass(self.engine, DatabaseSessionStore)

    def format(self) -> DjangoNativeFormat:
        """The format for this store, from ``SESSION_COOKIE_NAME`` and ``SESSION_COOKIE_AGE``."""
        return django_native(settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_AGE)

    async def get(self, key: str) -> bytes | None:
        """The session `key` as the engine loads it (canonical JSON), or None."""
        return await _django(self._get, key)

    async def set(self, key: str, value: bytes, ttl: int | None) -> None:
        """Save `value` as session `key` (0 or less `ttl`: delete it)."""
        await _django(self._set, key, value, ttl)

    async def delete(self, key: str) -> None:
        """``SessionStore.delete(key)``."""
        await _django(self._delete, key)

    async def compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        """Save `value` only if the session is `expected` (how atomic: docs/stores.md)."""
        return await _django(self._compare_and_set, key, expected, value, ttl)

    async def take(self, key: str) -> bytes | None:
        """Session `key` as `get` reads it, deleted in the same step.

        Atomic against every other sessio caller as compare-and-set is (docs/stores.md): in
        a transaction with the row locked on the ``db`` family, under a lock in this process
        on the other engines.
        """
        return await _django(self._take, key)

    async def ttl(self, key: str) -> float | None:
        """Seconds session `key` has left; None when it is absent.

        Exact for the ``db`` family (``expire_date``); for the other engines, which do not say,
        Django's ``get_expiry_age()`` of the loaded session: exact when it carries a datetime
        ``_session_expiry``, otherwise an upper bound.
        """
        return await _django(self._ttl, key)

    # -- the blocking side: Django, called directly -------------------------------------------

    def _get(self, key: str) -> bytes | None:
        with recycled_connections():
            return self._read(key)

    def _load(self, key: str) -> tuple[Any, dict[str, Any]] | None:
        session = self.engine(session_key=key)
        if session.session_key != key:
            return None
        # The file engine's load() replaces an expired or unreadable session with a new one.
        session.create = lambda: setattr(session, "_session_key", None)
        try:
            if not session.exists(key):
                return None
            data = session.load()
        except SuspiciousOperation:  # e.g. the file engine refusing the key's characters
            return None
        # load() forgets the key when the session is missing or has expired.
        if session.session_key != key:
            return None
        return session, data

    def _read(self, key: str) -> bytes | None:
        loaded = self._load(key)
        if loaded is None:
            return None
        try:
            return canonical(loaded[1])
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"session data loaded by {_name(self.engine)} is not JSON: DjangoStore needs "
                "JSON-compatible sessions (Django's default JSONSerializer)"
            ) from error

    def _set(self, key: str, value: bytes, ttl: int | None) -> None:
        data = _document(value)
        with KEY_LOCKS.hold(self._lock_name(key)), recycled_connections():
            if ttl is not None and ttl <= 0:
                self._remove(key)
                return
            try:
                self._save(key, data, must_create=not self.engine().exists(key))
            except CreateError:
                self._save(key, data, must_create=False)
            except UpdateError:
                self._save(key, data, must_create=True)

    def _delete(self, key: str) -> None:
        with KEY_LOCKS.hold(self._lock_name(key)), recycled_connections():
            self._remove(key)

    def _compare_and_set(
        self, key: str, expected: bytes | None, value: bytes | None, ttl: int | None
    ) -> tuple[bool, bytes | None]:
        data = None if value is None else _document(value)
        with KEY_LOCKS.hold(self._lock_name(key)), recycled_connections():
            try:
                with self._row_locked(key):
                    current = self._read(key)
                    if current != expected:
                        return False, current
                    if data is None or (ttl is not None and ttl <= 0):
                        self._remove(key)
                    else:
                        self._save(key, data, must_create=not self.engine().exists(key))
                    return True, value
            except (CreateError, UpdateError):
                # Another process created or removed the session between our read and save.
                return False, self._read(key)

    def _take(self, key: str) -> bytes | None:
        lock = KEY_LOCKS.hold(self._lock_name(key))
        with lock, recycled_connections(), self._row_locked(key):
            current = self._read(key)
            if current is not None:
                self._remove(key)
            return current

    def _ttl(self, key: str) -> float | None:
        with recycled_connections():
            if self.transactional:
                now = timezone.now()
                expires = (
                    self.engine.get_model_class()
                    .objects.filter(session_key=key, expire_date__gt=now)
                    .values_list("expire_date", flat=True)
                    .first()
                )
                return None if expires is None else (expires - now).total_seconds()
            loaded = self._load(key)
            if loaded is None:
                return None
            session, data = loaded
            return float(session.get_expiry_age(expiry=data.get("_session_expiry")))

    def _save(self, key: str, data: dict[str, Any], *, must_create: bool) -> None:
        session = self.engine(session_key=key)
        if session.session_key != key:
            # save() would otherwise mint a new key and write the session there.
            raise ValueError(f"{_name(self.engine)} does not accept this session key")
        session.clear()
        session.update(data)
        session.save(must_create=must_create)

    def _remove(self, key: str) -> None:
        # A key the engine refuses (SuspiciousOperation) names no session.
        with suppress(SuspiciousOperation):
            self.engine(session_key=key).delete(key)

    def _lock_name(self, key: str) -> str:
        if self.transactional and not self._database().features.has_select_for_update:
            # Without row locks, two transactions of this process on different keys could
            # deadlock on SQLite's database lock: keep them in single file.
            return ""
        return key

    def _database(self) -> Any:
        return connections[router.db_for_write(self.engine.get_model_class())]

    @contextmanager
    def _row_locked(self, key: str) -> Iterator[None]:
        if not self.transactional:
            yield
            return
        model = self.engine.get_model_class()
        alias = router.db_for_write(model)
        with transaction.atomic(using=alias):
            rows = model.objects.using(alias).filter(session_key=key)
            if connections[alias].features.has_select_for_update:
                # Held until commit: every other sessio writer of this row waits here.
                list(rows.select_for_update().values_list("pk", flat=True))
            else:
                # SQLite has no row locks. A no-op write takes its database write lock before
                # anything is read: other writers then wait for it, where a transaction that
                # read first would fail at once on upgrading its lock ("database is locked").
                rows.update(expire_date=F("expire_date"))
            yield


def _engine_class(engine: str | type[Any] | None) -> type[Any]:
    if engine is None:
        engine = settings.SESSION_ENGINE
    store: type[Any] = import_module(engine).SessionStore if isinstance(engine, str) else engine
    if issubclass(store, SignedCookieSessionStore):
        raise ValueError(
            "the signed_cookies engine keeps the session in the cookie, not in a store: use "
            "formats.django(SECRET_KEY) on its own (read-only from a socket)"
        )
    return store


def _name(engine: type[Any]) -> str:
    return f"{engine.__module__}.{engine.__qualname__}"


def _document(value: bytes) -> dict[str, Any]:
    document = parse_canonical(value)
    if isinstance(document, str):
        raise ValueError(f"DjangoStore stores the django_native format's bytes: {document}")
    return document


async def _django(function: Callable[..., T], *args: Any) -> T:
    # Django blocks, and its ORM refuses to run on an event loop's thread.
    return await to_thread(function, *args)
