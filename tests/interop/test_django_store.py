"""`DjangoStore`: sessions kept by the app's own Django ``SessionStore``, used by sessio.

Django is configured once per process (`django_setup`: sqlite file database, sessions migrated);
each test picks an engine with ``override_settings``: ``db``, ``cached_db`` and ``cache`` (over
a private ``LocMemCache``), ``file`` (a temporary directory) and a custom engine, the
`SessionStore` subclass below. Sessions are made, read and ended by Django's own
``SessionMiddleware`` (a login view, a reading view, a logout view), so sessio is checked
against exactly what a Django app sees. Both shells: the sync one directly, the async one under
asyncio through anyio's pytest plugin (every Django call then runs in a worker thread).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import anyio
import pytest
from django.contrib.sessions.backends.db import (  # type: ignore[import-untyped]
    SessionStore as DatabaseSessionStore,
)
from django_setup import setup_django

from sessio import SessionError
from sessio.aio._opening import open_verdict as aopen_verdict
from sessio.aio._session import AsyncSession
from sessio.aio.stores.django import DjangoStore as AsyncDjangoStore
from sessio.core import Failure, plan_create, resolve
from sessio.core._stored import StoredSession
from sessio.core._verdicts import SessionRef
from sessio.core.formats.django_native import (
    DjangoNativeFormat,
    canonical,
    django_native,
    parse_canonical,
)
from sessio.sync._opening import open_verdict
from sessio.sync._session import Session
from sessio.sync.stores import django as django_store
from sessio.sync.stores.django import DjangoStore

ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "cached_db": "django.contrib.sessions.backends.cached_db",
    "cache": "django.contrib.sessions.backends.cache",
    "file": "django.contrib.sessions.backends.file",
    "custom": __name__,
}
STOCK = ["db", "cached_db", "cache", "file"]
# What a login view leaves in the session, plus some of the app's own keys.
LOGGED_IN = {
    "_auth_user_id": "42",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "cart": [1, 2, {"sku": "Zoë ☃"}],
}
MARKER = {"engine": "custom"}

T = TypeVar("T")


class SessionStore(DatabaseSessionStore):  # type: ignore[misc]
    """A custom engine (``SESSION_ENGINE = "test_django_store"``): marks what it loads, logs."""

    calls: ClassVar[list[str]] = []

    def load(self) -> dict[str, Any]:
        self.calls.append("load")
        data: dict[str, Any] = super().load()
        if self.session_key is not None:
            data.setdefault(*next(iter(MARKER.items())))
        return data

    def save(self, must_create: bool = False) -> None:
        self.calls.append("save")
        super().save(must_create)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Django configured (once per test process) with the sessions app and a migrated db."""
    setup_django(tmp_path_factory.mktemp("django"))


@pytest.fixture
def engine(request: pytest.FixtureRequest, django_ready: None, tmp_path: Path) -> Iterator[str]:
    """The engine named by the test's parameter, configured as ``SESSION_ENGINE``."""
    from django.contrib.sessions.backends.file import (  # type: ignore[import-untyped]
        SessionStore as FileStore,
    )
    from django.test.utils import override_settings  # type: ignore[import-untyped]

    name: str = request.param
    override = override_settings(
        SESSION_ENGINE=ENGINES[name],
        SESSION_FILE_PATH=str(tmp_path),
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"sessio-{tmp_path.name}",
            }
        },
    )
    # The file engine caches its directory on the class; point it at this test's.
    had = "_storage_path" in vars(FileStore)
    saved = vars(FileStore).get("_storage_path")
    FileStore._storage_path = str(tmp_path)
    SessionStore.calls.clear()
    override.enable()
    try:
        yield name
    finally:
        override.disable()
        if had:
            FileStore._storage_path = saved
        else:
            del FileStore._storage_path


def every(names: list[str]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("engine", names, indirect=True)


# --- Django's side: views through SessionMiddleware --------------------------------------------


def serve(view: Callable[[Any], None], cookie: str | None = None) -> tuple[dict[str, Any], str]:
    """One request through Django's SessionMiddleware; what the view saw, and the cookie after."""
    from django.conf import settings  # type: ignore[import-untyped]
    from django.contrib.sessions.middleware import (  # type: ignore[import-untyped]
        SessionMiddleware,
    )
    from django.http import HttpResponse  # type: ignore[import-untyped]
    from django.test import RequestFactory  # type: ignore[import-untyped]

    seen: dict[str, Any] = {}

    def get_response(request: Any) -> Any:
        seen.update(request.session.items())
        view(request.session)
        return HttpResponse("ok")

    headers = {} if cookie is None else {"HTTP_COOKIE": cookie}
    response = SessionMiddleware(get_response)(RequestFactory().get("/", **headers))
    morsel = response.cookies.get(settings.SESSION_COOKIE_NAME)
    after = cookie if morsel is None else f"{morsel.key}={morsel.coded_value}"
    return seen, after or ""


def login(**data: Any) -> str:
    """A login view: a new session key (``cycle_key``, as ``auth.login`` does) holding `data`."""

    def view(session: Any) -> None:
        session.cycle_key()
        session.update(data)

    _, cookie = serve(view)
    assert cookie.startswith("sessionid=")
    return cookie


def django_reads(cookie: str) -> dict[str, Any]:
    """What Django loads for this cookie."""
    seen, _ = serve(lambda session: None, cookie)
    return seen


def django_writes(cookie: str, **data: Any) -> None:
    """A view that changes the session."""
    serve(lambda session: session.update(data), cookie)


def logout(cookie: str) -> None:
    """A logout view (``auth.logout`` flushes the session)."""
    serve(lambda session: session.flush(), cookie)


def key_of(cookie: str) -> str:
    return cookie.split("=", 1)[1]


def expected(engine: str, data: dict[str, Any]) -> dict[str, Any]:
    return {**data, **MARKER} if engine == "custom" else data


def opened(cookie: str, store: DjangoStore) -> Session:
    fmt = store.format()
    session = open_verdict(resolve(cookie, fmt, time.time()), store, fmt, time.time)
    assert isinstance(session, Session), session
    return session


async def aopened(cookie: str, store: AsyncDjangoStore) -> AsyncSession:
    fmt = store.format()
    session = await aopen_verdict(resolve(cookie, fmt, time.time()), store, fmt, time.time)
    assert isinstance(session, AsyncSession), session
    return session


# --- the sync shell ----------------------------------------------------------------------------


@every([*STOCK, "custom"])
def test_reads_the_session_django_made(engine: str) -> None:
    cookie = login(**LOGGED_IN)
    session = opened(cookie, DjangoStore())
    assert session.id == key_of(cookie)
    assert dict(session) == expected(engine, LOGGED_IN) == django_reads(cookie)
    assert not session.read_only


@every([*STOCK, "custom"])
def test_django_sees_what_a_socket_saves(engine: str) -> None:
    cookie = login(**LOGGED_IN)
    session = opened(cookie, DjangoStore())
    session["visits"] = 1
    del session["cart"]
    session.save()
    after = {k: v for k, v in LOGGED_IN.items() if k != "cart"} | {"visits": 1}
    assert django_reads(cookie) == expected(engine, after)

    django_writes(cookie, theme="dark")
    session.reload()
    assert dict(session) == expected(engine, {**after, "theme": "dark"})
    session["visits"] = 2
    session.save()
    assert django_reads(cookie) == expected(engine, {**after, "theme": "dark", "visits": 2})


@every(STOCK)
def test_concurrent_saves_of_different_keys_all_survive(engine: str) -> None:
    cookie = login(user="alice")
    store = DjangoStore()
    sessions = [opened(cookie, store) for _ in range(6)]
    barrier = threading.Barrier(len(sessions))
    errors: list[BaseException] = []

    def save(index: int, session: Session) -> None:
        session[f"k{index}"] = index
        barrier.wait()
        try:
            session.save()
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=save, args=(i, session)) for i, session in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert django_reads(cookie) == {"user": "alice", **{f"k{i}": i for i in range(6)}}


@every(STOCK)
def test_interleaved_saves_merge(engine: str) -> None:
    cookie = login(user="alice")
    store = DjangoStore()
    first, second = opened(cookie, store), opened(cookie, store)
    first["a"] = 1
    second["b"] = 2
    first.save()
    second.save()  # its expected bytes are stale: compare-and-set fails once, then merges
    assert django_reads(cookie) == {"user": "alice", "a": 1, "b": 2}
    assert dict(second) == {"user": "alice", "a": 1, "b": 2}


@every(["db", "cached_db"])
def test_compare_and_set_is_atomic_across_processes(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the process lock, each thread stands for another process: only the database's
    # own locking keeps read-compare-save atomic, so no increment may be lost.
    class NoLocks:
        def hold(self, key: str) -> contextlib.nullcontext[None]:
            return contextlib.nullcontext()

    monkeypatch.setattr(django_store, "KEY_LOCKS", NoLocks())
    store, key = DjangoStore(), "c" * 32
    store.set(key, canonical({"n": 0}), None)
    workers, increments, lost_races = 4, 10, [0]

    def increment() -> None:
        for _ in range(increments):
            while True:
                raw = store.get(key)
                assert raw is not None
                document = parse_canonical(raw)
                assert isinstance(document, dict)
                done, _ = store.compare_and_set(key, raw, canonical({"n": document["n"] + 1}), None)
                if done:
                    break
                lost_races[0] += 1

    threads = [threading.Thread(target=increment) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert store.get(key) == canonical({"n": workers * increments})


@every(STOCK)
def test_logged_out_session_is_not_found(engine: str) -> None:
    cookie = login(**LOGGED_IN)
    store = DjangoStore()
    session = opened(cookie, store)
    logout(cookie)
    fmt = store.format()
    verdict = open_verdict(resolve(cookie, fmt, time.time()), store, fmt, time.time)
    assert isinstance(verdict, Failure) and verdict.code == "session-not-found"
    session["after"] = "logout"
    with pytest.raises(SessionError) as raised:
        session.save()
    assert raised.value.code == "session-not-found"
    # The save did not bring the session back to life.
    assert store.get(key_of(cookie)) is None
    assert django_reads(cookie) == {}


@every(STOCK)
def test_a_read_never_creates_a_session(engine: str) -> None:
    store = DjangoStore()
    for key in ("abcdefgh12345678", "short", "UPPER-case/../x", ""):
        assert store.get(key) is None
        assert store.ttl(key) is None
    assert not store.engine().exists("abcdefgh12345678")


@every(["db", "file"])
def test_expired_session_is_none_and_stays_gone(engine: str, tmp_path: Path) -> None:
    from django.contrib.sessions.models import Session as Row  # type: ignore[import-untyped]
    from django.utils import timezone  # type: ignore[import-untyped]

    cookie = login(user="alice")
    key = key_of(cookie)
    if engine == "db":
        Row.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    else:
        past = time.time() - 1209600 - 10
        os.utime(tmp_path / f"sessionid{key}", (past, past))
    store = DjangoStore()
    files, rows = sorted(os.listdir(tmp_path)), Row.objects.count()
    assert store.get(key) is None
    assert store.ttl(key) is None
    # Django's file engine puts a new session in an expired one's place on load; a read must not.
    assert sorted(os.listdir(tmp_path)) == [name for name in files if key not in name]
    assert Row.objects.count() == rows
    assert django_reads(cookie) == {}


@every(STOCK)
def test_session_created_by_sessio_is_read_by_django(engine: str) -> None:
    store = DjangoStore()
    fmt = store.format()
    creation = plan_create(fmt, os.urandom(24), {"user": "bob"}, time.time())
    assert not isinstance(creation, Failure)
    write = creation.write
    assert write.value is not None and write.ttl == 1209600
    store.set(write.key, write.value, write.ttl)
    assert django_reads(creation.minted.cookie) == {"user": "bob"}


@every(STOCK)
def test_compare_and_set(engine: str) -> None:
    store = DjangoStore()
    key = "k" * 32
    one, two = canonical({"n": 1}), canonical({"n": 2})
    assert store.compare_and_set(key, None, one, 1209600) == (True, one)
    assert store.compare_and_set(key, None, two, 1209600) == (False, one)
    assert store.compare_and_set(key, two, two, 1209600) == (False, one)
    assert store.compare_and_set(key, one, two, 1209600) == (True, two)
    assert store.get(key) == two
    ttl = store.ttl(key)
    assert ttl is not None and 1209500 < ttl <= 1209600
    assert store.compare_and_set(key, two, None, None) == (True, None)
    assert store.get(key) is None
    assert store.compare_and_set(key, None, one, 0) == (True, one)  # already over: nothing kept
    assert store.get(key) is None
    store.set(key, one, 60)
    store.set(key, two, 60)
    assert store.get(key) == two
    store.delete(key)
    store.delete(key)
    assert store.get(key) is None
    with pytest.raises(ValueError, match="does not accept"):
        store.set("short", one, 60)
    with pytest.raises(ValueError, match="django_native"):
        store.set(key, b"\x80pickle", 60)


@every(STOCK)
def test_expiry_set_by_django_is_kept(engine: str) -> None:
    cookie = login(user="alice")
    serve(lambda session: session.set_expiry(600), cookie)
    store = DjangoStore()
    session = opened(cookie, store)
    assert session["_session_expiry"] == 600
    ttl = store.ttl(key_of(cookie))
    assert ttl is not None and 590 < ttl <= 600
    session["n"] = 1
    session.save()
    ttl = store.ttl(key_of(cookie))
    assert ttl is not None and 590 < ttl <= 600
    assert django_reads(cookie) == {"user": "alice", "_session_expiry": 600, "n": 1}


@every(["custom"])
def test_custom_engine_is_used(engine: str) -> None:
    cookie = login(user="alice")
    assert SessionStore.calls  # Django itself went through it
    for store in (DjangoStore(), DjangoStore(__name__), DjangoStore(SessionStore)):
        assert store.engine is SessionStore
        SessionStore.calls.clear()
        session = opened(cookie, store)
        assert session["user"] == "alice" and session["engine"] == MARKER["engine"]
        session["n"] = session.get("n", 0) + 1
        session.save()
        assert "load" in SessionStore.calls and "save" in SessionStore.calls
    assert django_reads(cookie) == {"user": "alice", **MARKER, "n": 3}


def test_signed_cookies_engine_is_refused(django_ready: None) -> None:
    with pytest.raises(ValueError, match="signed_cookies"):
        DjangoStore("django.contrib.sessions.backends.signed_cookies")
    with pytest.raises(ValueError, match="signed_cookies"):
        AsyncDjangoStore("django.contrib.sessions.backends.signed_cookies")


# --- the async shell (asyncio; Django runs in worker threads) ----------------------------------


async def django(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Django's side of an async test, off the event loop (Django's ORM refuses to run on it)."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))


@pytest.mark.anyio
@every([*STOCK, "custom"])
async def test_async_read_and_save(engine: str) -> None:
    cookie = await django(login, **LOGGED_IN)
    store = AsyncDjangoStore()
    session = await aopened(cookie, store)
    assert dict(session) == expected(engine, LOGGED_IN)
    session["visits"] = 1
    await session.save()
    assert await django(django_reads, cookie) == expected(engine, {**LOGGED_IN, "visits": 1})
    if engine == "custom":
        assert "save" in SessionStore.calls


@pytest.mark.anyio
@every(STOCK)
async def test_async_concurrent_saves_all_survive(engine: str) -> None:
    cookie = await django(login, user="alice")
    store = AsyncDjangoStore()
    sessions = [await aopened(cookie, store) for _ in range(6)]
    for index, session in enumerate(sessions):
        session[f"k{index}"] = index
    async with anyio.create_task_group() as group:
        for session in sessions:
            group.start_soon(session.save)
    assert await django(django_reads, cookie) == {"user": "alice", **{f"k{i}": i for i in range(6)}}


@pytest.mark.anyio
@every(STOCK)
async def test_async_logged_out_session_is_not_found(engine: str) -> None:
    cookie = await django(login, user="alice")
    store = AsyncDjangoStore()
    session = await aopened(cookie, store)
    await django(logout, cookie)
    fmt = store.format()
    verdict = await aopen_verdict(resolve(cookie, fmt, time.time()), store, fmt, time.time)
    assert isinstance(verdict, Failure) and verdict.code == "session-not-found"
    session["after"] = "logout"
    with pytest.raises(SessionError) as raised:
        await session.save()
    assert raised.value.code == "session-not-found"
    assert await store.get(key_of(cookie)) is None


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
@every(["db", "cache"])
async def test_async_under_trio(engine: str) -> None:
    cookie = await django(login, user="alice")
    store = AsyncDjangoStore()
    first, second = await aopened(cookie, store), await aopened(cookie, store)
    first["a"], second["b"] = 1, 2
    async with anyio.create_task_group() as group:
        group.start_soon(first.save)
        group.start_soon(second.save)
    assert await django(django_reads, cookie) == {"user": "alice", "a": 1, "b": 2}


@pytest.mark.anyio
@every(["db"])
async def test_async_store_operations(engine: str) -> None:
    store = AsyncDjangoStore()
    key = "a" * 32
    one, two = canonical({"n": 1}), canonical({"n": 2})
    await store.set(key, one, 60)
    assert await store.compare_and_set(key, two, two, 60) == (False, one)
    assert await store.compare_and_set(key, one, two, 60) == (True, two)
    ttl = await store.ttl(key)
    assert ttl is not None and 1209500 < ttl <= 1209600  # Django's own expiry: no set_expiry
    await store.delete(key)
    assert await store.get(key) is None


# --- the format ----------------------------------------------------------------------------------


def test_format_reads_a_key_as_django_mints_them() -> None:
    fmt = django_native()
    key = fmt.new_session_id(os.urandom(24))
    assert len(key) == 32 and key.isalnum() and key == key.lower()
    assert fmt.read_cookie(key, 0.0) == SessionRef(key, key)
    assert fmt.cookie_value(key) == key and fmt.store_key(key) == key
    for bad in ("short", "UPPERCASEKEY1234", "abc/../../etc/passwd", ""):
        verdict = fmt.read_cookie(bad, 0.0)
        assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"
    assert resolve(f"csrftoken=x; sessionid={key}", fmt, 0.0) == SessionRef(key, key)
    assert django_native(key="sid").key == "sid"
    with pytest.raises(ValueError):
        django_native(max_age=0)


def test_format_bytes_and_ttl() -> None:
    fmt = DjangoNativeFormat(max_age=100)
    data = {"b": 1, "a": ["é", None, 1.5]}
    assert canonical(data) == b'{"a":["\\u00e9",null,1.5],"b":1}'
    assert parse_canonical(canonical(data)) == data
    assert fmt.decode(canonical(data), 0.0) == StoredSession(data)
    for raw in (b"[1]", b"\x80\x04", b"{", "{}".encode("utf-16")):
        decoded = fmt.decode(raw, 0.0)
        assert isinstance(decoded, Failure) and decoded.code == "corrupt-session"
    now = 1_700_000_000.0

    def ttl(**extra: Any) -> int | None:
        encoded = fmt.encode(StoredSession({"a": 1, **extra}), now)
        assert not isinstance(encoded, Failure)
        assert encoded.value == canonical({"a": 1, **extra})
        return encoded.ttl

    assert ttl() == 100
    assert ttl(_session_expiry=0) == 100
    assert ttl(_session_expiry=600) == 600
    assert ttl(_session_expiry="2023-11-14T22:21:40.500000+00:00") == 500
    assert ttl(_session_expiry="2023-11-14T22:13:10") == -10
    bad = fmt.encode(StoredSession({"_session_expiry": [1]}), now)
    assert isinstance(bad, Failure) and bad.code == "unserializable"
    unserializable = fmt.encode(StoredSession({"s": {1, 2}}), now)
    assert isinstance(unserializable, Failure) and unserializable.code == "unserializable"


def test_engine_defaults_to_settings(django_ready: None) -> None:
    from django.test.utils import override_settings

    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        assert DjangoStore().engine is import_module(ENGINES["cache"]).SessionStore
        assert not DjangoStore().transactional
    with override_settings(SESSION_COOKIE_NAME="sid", SESSION_COOKIE_AGE=60):
        assert DjangoStore().format() == django_native("sid", 60)
        assert DjangoStore().transactional
