"""Django sessions made by real Django, read (and written back) by `sessio.core.formats.django`.

Django is configured once, in-process: a sqlite file for the db backend, a temporary directory
for the file backend, a private redis-server for the cache backend. Each case goes through
Django's own `SessionMiddleware` (so the cookie is exactly what Django sets) and checks that
sessio reads what Django reads, and that Django reads what sessio writes.
"""

from __future__ import annotations

import json
import os
import pickle
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import redis
from django_setup import SECRET, setup_django
from hypothesis import given
from hypothesis import strategies as st

from sessio.core._changes import Changes
from sessio.core._failures import Failure
from sessio.core._handshake import decode_stored, resolve
from sessio.core._saving import Write, plan_create, plan_save
from sessio.core._stored import StoredSession
from sessio.core._verdicts import ClientSession, SessionRef
from sessio.core.formats._base import CookieFormat, StoreFormat
from sessio.core.formats.django import DjangoCookieFormat, DjangoFormat, DjangoStoreFormat, django
from sessio.core.signers._primitives import MAX_DECOMPRESSED

OLD_SECRET = "django-insecure-rotated-out-secret"
SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"
ENGINES = {
    "signed_cookies": SIGNED_COOKIES,
    "db": "django.contrib.sessions.backends.db",
    "file": "django.contrib.sessions.backends.file",
    "cache": "django.contrib.sessions.backends.cache",
}
UNICODE = {"name": "Zoë ☃ 𝄞", "quote": 'a "b", c; d\\e', "n": 3, "list": [1, 2.5, None, True]}
# Repetitive enough that zlib wins: Django then writes a "."-prefixed payload.
BULKY = {"history": [f"/articles/page/{i % 7}" for i in range(200)]}


# --- Django, configured once -----------------------------------------------------------------


@pytest.fixture(scope="session")
def django_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Django configured (once per test process) with the sessions app and a migrated db."""
    setup_django(tmp_path_factory.mktemp("django"))


@pytest.fixture
def configure(
    django_ready: None,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Any]]:
    """``configure(engine, secret=..., fallbacks=...)``: Django settings for one test."""
    from django.contrib.sessions.backends.file import (  # type: ignore[import-untyped]
        SessionStore as FileStore,
    )
    from django.test.utils import override_settings  # type: ignore[import-untyped]

    active: list[Any] = []

    def apply(
        engine: str,
        secret: str = SECRET,
        fallbacks: tuple[str, ...] = (),
        **extra: Any,
    ) -> None:
        while active:
            active.pop().disable()
        if engine == "cache":
            port = request.getfixturevalue("redis_port")
            extra["CACHES"] = {
                "default": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": f"redis://127.0.0.1:{port}/0",
                }
            }
        override = override_settings(
            SECRET_KEY=secret,
            SECRET_KEY_FALLBACKS=list(fallbacks),
            SESSION_ENGINE=ENGINES[engine],
            SESSION_FILE_PATH=str(tmp_path),
            **extra,
        )
        override.enable()
        active.append(override)

    # The file backend caches its directory on the class; point it at this test's.
    had = "_storage_path" in vars(FileStore)
    saved = vars(FileStore).get("_storage_path")
    FileStore._storage_path = str(tmp_path)
    try:
        yield apply
    finally:
        while active:
            active.pop().disable()
        if had:
            FileStore._storage_path = saved
        else:
            del FileStore._storage_path


def serve(
    view: Callable[[Any], None], cookie_header: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """One request through Django's SessionMiddleware.

    `view` gets ``request.session``; returns what the view saw (``dict(session)`` before
    it ran) and the ``name=value`` pair the browser would send back (None when Django set no
    cookie).
    """
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

    headers = {} if cookie_header is None else {"HTTP_COOKIE": cookie_header}
    response = SessionMiddleware(get_response)(RequestFactory().get("/", **headers))
    morsel = response.cookies.get(settings.SESSION_COOKIE_NAME)
    pair = None if morsel is None or not morsel.value else f"{morsel.key}={morsel.coded_value}"
    return seen, pair


def setter(**values: Any) -> Callable[[Any], None]:
    """A view that puts `values` in the session."""

    def view(session: Any) -> None:
        session.update(values)

    return view


def reader(session: Any) -> None:
    """A view that only reads (touching the session loads it)."""
    session.items()


def django_reads(cookie_header: str) -> dict[str, Any]:
    """What Django's SessionMiddleware loads for this Cookie header."""
    seen, _ = serve(reader, cookie_header)
    return seen


# --- stores as Django keeps them: what a sessio shell would do for each backend --------------


def db_raw(sid: str) -> bytes | None:
    from django.contrib.sessions.models import Session  # type: ignore[import-untyped]

    row = Session.objects.filter(pk=sid).first()
    return None if row is None else row.session_data.encode("ascii")


def db_put(write: Write, now: float) -> None:
    from django.contrib.sessions.models import Session

    if write.value is None:
        Session.objects.filter(pk=write.key).delete()
        return
    assert write.ttl is not None
    Session.objects.update_or_create(
        session_key=write.key,
        defaults={
            "session_data": write.value.decode("ascii"),
            "expire_date": datetime.fromtimestamp(now + write.ttl, UTC),
        },
    )


def file_raw(directory: Path, key: str) -> bytes | None:
    path = directory / key
    return path.read_bytes() if path.exists() else None


def file_put(directory: Path, write: Write) -> None:
    path = directory / write.key
    if write.value is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(write.value)


# --- signed_cookies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [{"user": "alice"}, UNICODE, BULKY], ids=["plain", "unicode", "compressed"]
)
def test_signed_cookie_reads_what_django_reads(configure: Any, data: dict[str, Any]) -> None:
    configure("signed_cookies")
    _, cookie = serve(setter(**data))
    assert cookie is not None
    # Django flags a zlib-compressed payload with a leading "."; a tiny one stays plain.
    compressed = cookie.split("=", 1)[1].startswith(".")
    assert compressed is (data is BULKY) or data is UNICODE
    fmt = django(SECRET)
    verdict = resolve(cookie, fmt, time.time())
    assert isinstance(verdict, ClientSession)
    assert dict(verdict.data) == data == django_reads(cookie)
    assert verdict.secret_index == 0
    assert verdict.issued_at is not None and abs(verdict.issued_at - time.time()) < 5
    assert not fmt.writable


def test_signed_cookie_rotated_secret(configure: Any) -> None:
    configure("signed_cookies", secret=OLD_SECRET)
    _, cookie = serve(setter(user="alice"))
    assert cookie is not None
    configure("signed_cookies", secret=SECRET, fallbacks=("another", OLD_SECRET))
    verdict = resolve(cookie, django(SECRET, ["another", OLD_SECRET]), time.time())
    assert isinstance(verdict, ClientSession)
    assert verdict.secret_index == 2  # [SECRET_KEY, *SECRET_KEY_FALLBACKS][2]
    assert dict(verdict.data) == {"user": "alice"} == django_reads(cookie)


def test_signed_cookie_wrong_secret(configure: Any) -> None:
    configure("signed_cookies", secret=OLD_SECRET)
    _, cookie = serve(setter(user="alice"))
    assert cookie is not None
    configure("signed_cookies")
    verdict = resolve(cookie, django(SECRET), time.time())
    assert isinstance(verdict, Failure) and verdict.code == "bad-signature"
    assert OLD_SECRET not in verdict.message and SECRET not in verdict.message
    assert django_reads(cookie) == {}


def test_signed_cookie_tampered(configure: Any) -> None:
    configure("signed_cookies")
    _, cookie = serve(setter(user="alice", role="user"))
    assert cookie is not None
    name, value = cookie.split("=", 1)
    payload, stamp, sig = value.split(":")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for forged in (f"{flipped}:{stamp}:{sig}", f"{payload}:{stamp}x:{sig}", f"{payload}:{stamp}"):
        verdict = resolve(f"{name}={forged}", django(SECRET), time.time())
        assert isinstance(verdict, Failure), forged
        assert verdict.code in {"bad-signature", "malformed-cookie"}
        assert django_reads(f"{name}={forged}") == {}


def test_signed_cookie_expired(configure: Any) -> None:
    configure("signed_cookies", SESSION_COOKIE_AGE=60)
    _, cookie = serve(setter(user="alice"))
    assert cookie is not None
    fmt = django(SECRET, max_age=60)
    assert isinstance(resolve(cookie, fmt, time.time() + 30), ClientSession)
    later = time.time() + 61
    verdict = resolve(cookie, fmt, later)
    assert isinstance(verdict, Failure) and verdict.code == "expired"
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert django_reads(cookie) == {}
    assert isinstance(resolve(cookie, django(SECRET, max_age=None), later), ClientSession)


def test_signed_cookie_is_read_only() -> None:
    fmt = django(SECRET)
    # A cookie format: nothing to write a session with (the shells refuse, read-only).
    assert isinstance(fmt, CookieFormat) and not isinstance(fmt, StoreFormat)
    assert not fmt.writable and not hasattr(fmt, "encode") and not hasattr(fmt, "cookie_value")


def test_signed_cookie_that_inflates_past_the_cap_is_malformed(configure: Any) -> None:
    # Issue 7: Django's loads inflates without a limit, and so did sessio. Django signs these
    # with the real key; only their size is hostile: a few KB that inflate past 1 MB.
    from django.core import signing  # type: ignore[import-untyped]

    configure("signed_cookies")
    cap = MAX_DECOMPRESSED
    bomb = signing.dumps({"a": "0" * cap}, key=SECRET, salt=SIGNED_COOKIES, compress=True)
    assert len(bomb) < 4096
    verdict = resolve(f"sessionid={bomb}", django(SECRET), time.time())
    assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"
    assert "inflates past" in verdict.message
    # Up to the cap a compressed session is read whole, as Django reads it.
    under = {"a": "0" * (cap - len('{"a":""}'))}
    value = signing.dumps(under, key=SECRET, salt=SIGNED_COOKIES, compress=True)
    read = resolve(f"sessionid={value}", django(SECRET), time.time())
    assert isinstance(read, ClientSession)
    assert dict(read.data) == under == django_reads(f"sessionid={value}")


def test_session_data_that_inflates_past_the_cap_is_corrupt(django_ready: None) -> None:
    from django.core import signing

    salt = "django.contrib.sessions.SessionStore"
    bomb = signing.dumps({"a": "0" * MAX_DECOMPRESSED}, key=SECRET, salt=salt, compress=True)
    stored = django(SECRET, backend="db").decode(bomb.encode(), time.time())
    assert isinstance(stored, Failure) and stored.code == "corrupt-session"


@given(
    data=st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=4), inner, max_size=4)
            ),
            max_leaves=10,
        ),
        max_size=6,
    ),
    now=st.integers(min_value=0, max_value=2**40),
)
def test_sign_is_byte_identical_to_django_signing_dumps(
    django_ready: None, data: dict[str, Any], now: int
) -> None:
    from django.core import signing

    for salt in (SIGNED_COOKIES, "django.contrib.sessions.SessionStore"):
        with mock.patch("django.core.signing.time.time", return_value=now):
            expected = signing.dumps(data, key=SECRET, salt=salt, compress=True)
        for fmt in (
            DjangoCookieFormat((SECRET,), salt=salt),
            DjangoStoreFormat((SECRET,), salt=salt),
        ):
            assert fmt.sign(data, now) == expected


# --- db ------------------------------------------------------------------------------------------


def test_db_reads_what_django_reads_and_django_reads_what_sessio_writes(configure: Any) -> None:
    configure("db")
    _, cookie = serve(setter(**UNICODE, **BULKY))
    assert cookie is not None
    fmt = django(SECRET, backend="db")
    now = time.time()
    ref = resolve(cookie, fmt, now)
    assert isinstance(ref, SessionRef) and ref.key == ref.session_id == cookie.split("=", 1)[1]
    stored = decode_stored(ref, db_raw(ref.key), fmt, now)
    assert isinstance(stored, StoredSession)
    assert dict(stored.data) == {**UNICODE, **BULKY} == django_reads(cookie)

    changes = Changes({"visits": 1, "name": "Zoë again"}, frozenset({"history"}))
    write = plan_save(fmt, ref.session_id, stored.data, stored, changes, now)
    assert isinstance(write, Write) and write.key == ref.session_id and write.ttl == 1209600
    db_put(write, now)
    expected = {**UNICODE, "visits": 1, "name": "Zoë again"}
    assert django_reads(cookie) == expected

    # And Django's next write is read back by sessio.
    serve(setter(after="django"), cookie)
    again = decode_stored(ref, db_raw(ref.key), fmt, time.time())
    assert isinstance(again, StoredSession) and dict(again.data) == {**expected, "after": "django"}


def test_db_session_created_by_sessio(configure: Any) -> None:
    configure("db")
    fmt = django(SECRET, backend="db")
    now = time.time()
    creation = plan_create(fmt, os.urandom(24), {"user": "bob"}, now)
    assert not isinstance(creation, Failure)
    sid = creation.minted.session_id
    assert len(sid) == 32 and set(sid) <= set("abcdefghijklmnopqrstuvwxyz0123456789")
    db_put(creation.write, now)
    assert creation.minted.cookie == f"sessionid={sid}"
    assert django_reads(creation.minted.cookie) == {"user": "bob"}


def test_db_rotated_secret(configure: Any) -> None:
    configure("db", secret=OLD_SECRET)
    _, cookie = serve(setter(user="alice"))
    assert cookie is not None
    configure("db", fallbacks=(OLD_SECRET,))
    fmt = django(SECRET, [OLD_SECRET], backend="db")
    ref = resolve(cookie, fmt, time.time())
    assert isinstance(ref, SessionRef)
    stored = decode_stored(ref, db_raw(ref.key), fmt, time.time())
    assert isinstance(stored, StoredSession)
    assert dict(stored.data) == {"user": "alice"} == django_reads(cookie)
    # sessio writes with the current secret, which Django (and sessio without fallbacks) reads.
    write = plan_save(fmt, ref.session_id, stored.data, stored, Changes({"n": 1}), time.time())
    assert isinstance(write, Write)
    db_put(write, time.time())
    configure("db")
    assert django_reads(cookie) == {"user": "alice", "n": 1}
    assert isinstance(
        decode_stored(ref, db_raw(ref.key), django(SECRET, backend="db"), time.time()),
        StoredSession,
    )


def test_db_wrong_secret_and_tampered(configure: Any) -> None:
    configure("db", secret=OLD_SECRET)
    _, cookie = serve(setter(user="alice"))
    assert cookie is not None
    configure("db")
    fmt = django(SECRET, backend="db")
    ref = resolve(cookie, fmt, time.time())
    assert isinstance(ref, SessionRef)
    raw = db_raw(ref.key)
    assert raw is not None
    failure = decode_stored(ref, raw, fmt, time.time())
    assert isinstance(failure, Failure) and failure.code == "bad-signature"
    assert django_reads(cookie) == {}

    configure("db", secret=OLD_SECRET)
    tampered = raw.replace(b":", b"A:", 1)
    failure = decode_stored(ref, tampered, django(OLD_SECRET, backend="db"), time.time())
    assert isinstance(failure, Failure) and failure.code == "bad-signature"


def test_db_expired_by_session_expiry(configure: Any) -> None:
    from django.utils import timezone  # type: ignore[import-untyped]

    configure("db")

    def view(session: Any) -> None:
        session["user"] = "alice"
        session.set_expiry(timezone.now() + timedelta(seconds=30))

    _, cookie = serve(view)
    assert cookie is not None
    fmt = django(SECRET, backend="db")
    ref = resolve(cookie, fmt, time.time())
    assert isinstance(ref, SessionRef)
    stored = decode_stored(ref, db_raw(ref.key), fmt, time.time())
    assert isinstance(stored, StoredSession)
    encoded = fmt.encode(stored, time.time())
    assert not isinstance(encoded, Failure) and encoded.ttl is not None and 25 <= encoded.ttl <= 30
    later = time.time() + 31
    failure = decode_stored(ref, db_raw(ref.key), fmt, later)
    assert isinstance(failure, Failure) and failure.code == "expired"
    with mock.patch("django.utils.timezone.now", return_value=datetime.fromtimestamp(later, UTC)):
        assert django_reads(cookie) == {}


@pytest.mark.parametrize("value", ["short", "UPPERCASEKEY1234", "abc/../../etc/passwd", ""])
def test_server_side_cookie_must_look_like_a_django_key(value: str) -> None:
    verdict = django(SECRET, backend="file").read_cookie(value, 0.0)
    assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"


# --- file ----------------------------------------------------------------------------------------


def test_file_round_trip(configure: Any, tmp_path: Path) -> None:
    configure("file")
    _, cookie = serve(setter(**UNICODE))
    assert cookie is not None
    fmt = django(SECRET, backend="file")
    now = time.time()
    ref = resolve(cookie, fmt, now)
    assert isinstance(ref, SessionRef) and ref.key == "sessionid" + ref.session_id
    assert (tmp_path / ref.key).is_file()
    stored = decode_stored(ref, file_raw(tmp_path, ref.key), fmt, now)
    assert isinstance(stored, StoredSession)
    assert dict(stored.data) == UNICODE == django_reads(cookie)

    write = plan_save(fmt, ref.session_id, stored.data, stored, Changes({"visits": 2}), now)
    assert isinstance(write, Write)
    file_put(tmp_path, write)
    assert django_reads(cookie) == {**UNICODE, "visits": 2}


def test_file_expired_by_age(configure: Any, tmp_path: Path) -> None:
    configure("file", SESSION_COOKIE_AGE=60)
    _, cookie = serve(setter(user="alice"))
    assert cookie is not None
    fmt = django(SECRET, backend="file", max_age=60)
    ref = resolve(cookie, fmt, time.time())
    assert isinstance(ref, SessionRef)
    raw = file_raw(tmp_path, ref.key)
    assert isinstance(decode_stored(ref, raw, fmt, time.time() + 30), StoredSession)
    failure = decode_stored(ref, raw, fmt, time.time() + 62)
    assert isinstance(failure, Failure) and failure.code == "expired"
    # Django's clock for the file backend is the file's mtime.
    past = time.time() - 62
    os.utime(tmp_path / ref.key, (past, past))
    assert django_reads(cookie) == {}


# --- cache (RedisCache: pickles) ------------------------------------------------------------


def test_cache_refuses_pickles_unless_allowed(configure: Any, redis_port: int) -> None:
    configure("cache")
    _, cookie = serve(setter(**UNICODE))
    assert cookie is not None
    client = redis.Redis(port=redis_port)
    try:
        fmt = django(SECRET, backend="cache")
        ref = resolve(cookie, fmt, time.time())
        assert isinstance(ref, SessionRef)
        assert ref.key == ":1:django.contrib.sessions.cache" + ref.session_id
        raw = client.get(ref.key)
        assert isinstance(raw, bytes) and raw.startswith(b"\x80")
        refused = decode_stored(ref, raw, fmt, time.time())
        assert isinstance(refused, Failure) and refused.code == "unsafe-format"
        assert "allow_pickle=True" in refused.message

        trusting = django(SECRET, backend="cache", allow_pickle=True)
        stored = decode_stored(ref, raw, trusting, time.time())
        assert isinstance(stored, StoredSession)
        assert dict(stored.data) == UNICODE == django_reads(cookie)

        now = time.time()
        write = plan_save(trusting, ref.session_id, stored.data, stored, Changes({"n": 1}), now)
        assert isinstance(write, Write) and write.value is not None and write.ttl == 1209600
        client.set(write.key, write.value, ex=write.ttl)
        assert django_reads(cookie) == {**UNICODE, "n": 1}
        ttl = client.ttl(ref.key)
        assert isinstance(ttl, int) and 1209590 <= ttl <= 1209600
    finally:
        client.close()


def test_signed_pickle_serializer_needs_opt_in(django_ready: None) -> None:
    from django.core import signing

    class PickleSerializer:  # Django < 5's django.contrib.sessions.serializers.PickleSerializer
        def dumps(self, obj: Any) -> bytes:
            return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)

        def loads(self, data: bytes) -> Any:
            return pickle.loads(data)

    value = signing.dumps(
        {"user": "alice"},
        key=SECRET,
        salt="django.contrib.sessions.SessionStore",
        compress=True,
        serializer=PickleSerializer,
    ).encode()
    refused = django(SECRET, backend="db", serializer="pickle").decode(value, time.time())
    assert isinstance(refused, Failure) and refused.code == "unsafe-format"
    as_json = django(SECRET, backend="db").decode(value, time.time())
    assert isinstance(as_json, Failure) and as_json.code == "corrupt-session"
    fmt = django(SECRET, backend="db", serializer="pickle", allow_pickle=True)
    stored = fmt.decode(value, time.time())
    assert isinstance(stored, StoredSession) and dict(stored.data) == {"user": "alice"}


# --- never raises ------------------------------------------------------------------------------

STORED = [
    django(SECRET, backend="db"),
    django(SECRET, backend="file"),
    django(SECRET, backend="cache"),
    django(SECRET, backend="db", serializer="pickle"),
]
FORMATS: list[DjangoFormat] = [django(SECRET, [OLD_SECRET]), *STORED]
KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789")


@given(value=st.text() | st.text(alphabet="0123456789abcdefABC:._-=", max_size=80))
def test_read_cookie_never_raises(value: str) -> None:
    for fmt in FORMATS:
        verdict = fmt.read_cookie(value, time.time())
        if fmt.backend == "signed_cookies":
            assert isinstance(verdict, Failure)
        else:
            # A server-side cookie is a key: any well-formed one names a (maybe absent) session.
            assert isinstance(verdict, Failure) or (
                isinstance(verdict, SessionRef) and len(value) >= 8 and set(value) <= KEY_CHARS
            )


@given(raw=st.binary() | st.text().map(str.encode) | st.binary().map(lambda b: b"\x80" + b))
def test_decode_never_raises(raw: bytes) -> None:
    for fmt in STORED:
        assert isinstance(fmt.decode(raw, time.time()), Failure)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)


@given(
    data=st.dictionaries(
        st.sampled_from(["_session_expiry", "user"]) | st.text(max_size=4),
        JSON_VALUES | st.datetimes().map(datetime.isoformat),
    ),
    now=st.floats(0, 2**40),
)
def test_encode_never_raises(data: dict[str, Any], now: float) -> None:
    for fmt in STORED[:2]:
        encoded = fmt.encode(StoredSession(data), now)
        if isinstance(encoded, Failure):
            assert encoded.code == "unserializable"
            continue
        decoded = fmt.decode(encoded.value, now)
        assert isinstance(decoded, Failure | StoredSession)
        if isinstance(decoded, StoredSession):
            # Compared as JSON text, where NaN equals NaN.
            assert json.dumps(decoded.data) == json.dumps(data)


def test_constructor_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        django(SECRET, backend="memcached")  # type: ignore[call-overload]
    with pytest.raises(ValueError):
        django(SECRET, serializer="yaml")  # type: ignore[call-overload]
    with pytest.raises(ValueError):
        django("")
    assert SECRET not in repr(django(SECRET))
