"""aiohttp-session cookies and Redis entries made by a real aiohttp app, read by sessio.

Each case runs a real `aiohttp.web` app with one aiohttp-session storage under aiohttp's test
server, takes the ``Set-Cookie`` it answers with, and checks that sessio reads what the app
reads for that same ``Cookie`` header; for RedisStorage (on a private redis-server) also that
the app reads what sessio writes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from unittest import mock

import aiohttp_session
import pytest
import redis
import redis.asyncio
from aiohttp import DummyCookieJar, web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from aiohttp_session.redis_storage import RedisStorage
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from sessio.core._changes import Changes
from sessio.core._failures import Failure
from sessio.core._handshake import decode_stored, resolve
from sessio.core._saving import Write, plan_create, plan_save
from sessio.core._stored import StoredSession
from sessio.core._verdicts import ClientSession, SessionRef
from sessio.core.formats._base import CookieFormat, StoreFormat
from sessio.core.formats.aiohttp import (
    AiohttpCookieFormat,
    AiohttpCookieStorage,
    AiohttpStoreFormat,
    aiohttp,
)

UNICODE = {"name": "Zoë ☃ 𝄞", "quote": 'a "b", c; d\\e', "n": 3, "list": [1, 2.5, None, True]}
RAW_KEY = bytes(range(32))
OLD_KEY = Fernet.generate_key().decode()

# --- a real aiohttp app ------------------------------------------------------------------------


def make_app(storage: aiohttp_session.AbstractStorage) -> web.Application:
    """``POST /put`` merges its JSON body into the session; ``GET /show`` returns the session."""
    app = web.Application()
    aiohttp_session.setup(app, storage)

    async def put(request: web.Request) -> web.Response:
        session = await aiohttp_session.get_session(request)
        session.update(await request.json())
        return web.json_response(dict(session))

    async def show(request: web.Request) -> web.Response:
        session = await aiohttp_session.get_session(request)
        return web.json_response({"new": session.new, "data": dict(session)})

    app.router.add_post("/put", put)
    app.router.add_get("/show", show)
    return app


class App:
    """A test client for the app; it keeps no cookies, so every request says its own."""

    def __init__(self, client: TestClient[web.Request, web.Application]) -> None:
        self.client = client

    async def put(self, data: dict[str, Any], cookie: str | None = None) -> str:
        """Set `data` in the session; the ``name=value`` pair a browser would send back."""
        headers = {} if cookie is None else {"Cookie": cookie}
        response = await self.client.post("/put", json=data, headers=headers)
        assert response.status == 200
        set_cookie = response.headers.getall("Set-Cookie")
        assert len(set_cookie) == 1
        return set_cookie[0].split(";", 1)[0]

    async def show(self, cookie: str) -> dict[str, Any]:
        """What the app's session holds for this Cookie header."""
        response = await self.client.get("/show", headers={"Cookie": cookie})
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


def run(
    storage: Callable[[], aiohttp_session.AbstractStorage],
    scenario: Callable[[App], Awaitable[None]],
) -> None:
    """Run `scenario` against a fresh app (built inside the loop) and close everything."""

    async def main() -> None:
        server = TestServer(make_app(storage()))
        async with TestClient(server, cookie_jar=DummyCookieJar()) as client:
            await scenario(App(client))

    asyncio.run(main())


# --- SimpleCookieStorage -----------------------------------------------------------------------


@pytest.mark.parametrize("data", [{"user": "alice"}, UNICODE], ids=["plain", "unicode"])
def test_simple_cookie_reads_what_aiohttp_reads(data: dict[str, Any]) -> None:
    fmt = aiohttp("simple")

    async def scenario(app: App) -> None:
        cookie = await app.put(data)
        # Set through http.cookies: quoted, with \" and \054 escapes.
        assert cookie.startswith('AIOHTTP_SESSION="') and "\\054" in cookie
        verdict = resolve(cookie, fmt, time.time())
        assert isinstance(verdict, ClientSession)
        assert dict(verdict.data) == data == (await app.show(cookie))["data"]
        assert verdict.secret_index is None
        assert verdict.issued_at is not None and abs(verdict.issued_at - time.time()) < 5

    run(aiohttp_session.SimpleCookieStorage, scenario)
    assert not fmt.writable


def test_simple_cookie_expired() -> None:
    fmt = aiohttp("simple", max_age=60)

    async def scenario(app: App) -> None:
        cookie = await app.put({"user": "alice"})
        assert isinstance(resolve(cookie, fmt, time.time() + 30), ClientSession)
        later = time.time() + 61
        verdict = resolve(cookie, fmt, later)
        assert isinstance(verdict, Failure) and verdict.code == "expired"
        with mock.patch("time.time", return_value=later):
            assert (await app.show(cookie))["data"] == {}
        assert isinstance(resolve(cookie, aiohttp("simple"), later), ClientSession)

    run(lambda: aiohttp_session.SimpleCookieStorage(max_age=60), scenario)


def test_simple_cookie_not_json() -> None:
    verdict = resolve('AIOHTTP_SESSION="{\\"created\\054"', aiohttp("simple"), time.time())
    assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"


# --- EncryptedCookieStorage --------------------------------------------------------------------


@pytest.mark.parametrize("secret", [RAW_KEY, base64.urlsafe_b64encode(RAW_KEY).decode()])
@pytest.mark.parametrize("data", [{"user": "alice"}, UNICODE], ids=["plain", "unicode"])
def test_encrypted_cookie_reads_what_aiohttp_reads(
    secret: str | bytes, data: dict[str, Any]
) -> None:
    # aiohttp-session takes 32 raw bytes or a Fernet key string; so does sessio, either way.
    fmt = aiohttp("encrypted", fernet_key=secret)

    async def scenario(app: App) -> None:
        cookie = await app.put(data)
        verdict = resolve(cookie, fmt, time.time())
        assert isinstance(verdict, ClientSession)
        assert dict(verdict.data) == data == (await app.show(cookie))["data"]
        assert verdict.secret_index == 0

    run(lambda: EncryptedCookieStorage(secret), scenario)


def test_encrypted_cookie_rotated_and_wrong_key() -> None:
    async def scenario(app: App) -> None:
        cookie = await app.put({"user": "alice"})
        rotated = resolve(cookie, aiohttp("encrypted", fernet_key=[RAW_KEY, OLD_KEY]), time.time())
        assert isinstance(rotated, ClientSession)
        assert rotated.secret_index == 1 and dict(rotated.data) == {"user": "alice"}
        wrong = resolve(cookie, aiohttp("encrypted", fernet_key=RAW_KEY), time.time())
        assert isinstance(wrong, Failure) and wrong.code == "bad-signature"
        assert OLD_KEY not in wrong.message

    run(lambda: EncryptedCookieStorage(OLD_KEY), scenario)

    async def wrong_app(app: App) -> None:
        cookie = await app.put({"user": "alice"})
        # The same cookie, shown to an app with another key: a fresh empty session.
        async with TestClient(TestServer(make_app(EncryptedCookieStorage(RAW_KEY)))) as other:
            assert (await App(other).show(cookie)) == {"new": True, "data": {}}

    run(lambda: EncryptedCookieStorage(OLD_KEY), wrong_app)


def test_encrypted_cookie_tampered() -> None:
    fmt = aiohttp("encrypted", fernet_key=RAW_KEY)

    async def scenario(app: App) -> None:
        cookie = await app.put({"user": "alice", "role": "user"})
        name, quoted = cookie.split("=", 1)
        token = quoted.strip('"')
        middle = len(token) // 2
        flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
        for forged in (flipped, token[:-8], "gAAAA" + token[5:20]):
            header = f'{name}="{forged}"'
            verdict = resolve(header, fmt, time.time())
            assert isinstance(verdict, Failure), forged
            assert verdict.code in {"bad-signature", "malformed-cookie"}
            assert (await app.show(header))["data"] == {}

    run(lambda: EncryptedCookieStorage(RAW_KEY), scenario)


# A session nobody signed: plain JSON, as SimpleCookieStorage writes it, made up by hand.
FORGED = 'AIOHTTP_SESSION={"session":{"user":"admin"}}'


def test_forged_plain_json_cookie_is_not_trusted_when_a_fernet_key_is_given() -> None:
    # The audit's finding (issue 7 §1): aiohttp(fernet_key=KEY) fell back to the simple
    # storage, kept the key unused, and took FORGED as admin's session.
    with pytest.raises(TypeError):
        aiohttp(fernet_key=RAW_KEY)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="fernet_key"):
        aiohttp("redis", fernet_key=RAW_KEY)
    simple: AiohttpCookieStorage = "simple"
    with pytest.raises(ValueError, match="fernet_key"):
        aiohttp(simple, fernet_key=RAW_KEY)
    with pytest.raises(ValueError, match="fernet_key"):
        AiohttpCookieFormat(simple, (RAW_KEY,))
    with pytest.raises(ValueError, match="fernet_key"):
        AiohttpCookieFormat("encrypted")
    # The Redis format has no place for a Fernet key at all.
    assert not hasattr(AiohttpStoreFormat(), "fernet_keys")
    fmt = aiohttp("encrypted", fernet_key=RAW_KEY)

    async def scenario(app: App) -> None:
        # The app with that key takes FORGED as no session; so does sessio.
        assert (await app.show(FORGED)) == {"new": True, "data": {}}
        verdict = resolve(FORGED, fmt, time.time())
        assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"

    run(lambda: EncryptedCookieStorage(RAW_KEY), scenario)
    # The simple storage takes it, as aiohttp-session's does: that is why it must be named.
    assert isinstance(resolve(FORGED, aiohttp("simple"), time.time()), ClientSession)


def test_encrypted_cookie_expired() -> None:
    fmt = aiohttp("encrypted", fernet_key=RAW_KEY, max_age=60)

    async def scenario(app: App) -> None:
        cookie = await app.put({"user": "alice"})
        assert isinstance(resolve(cookie, fmt, time.time() + 30), ClientSession)
        later = time.time() + 61
        verdict = resolve(cookie, fmt, later)
        assert isinstance(verdict, Failure) and verdict.code == "expired"
        with mock.patch("time.time", return_value=later):
            assert (await app.show(cookie))["data"] == {}

    run(lambda: EncryptedCookieStorage(RAW_KEY, max_age=60), scenario)


# --- RedisStorage --------------------------------------------------------------------------------


def redis_storage(port: int, max_age: int | None = 3600) -> Callable[[], RedisStorage]:
    def build() -> RedisStorage:
        return RedisStorage(redis.asyncio.Redis(port=port), max_age=max_age)

    return build


@pytest.fixture
def store(redis_port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(port=redis_port)
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def put(store: redis.Redis, write: Write) -> None:
    """Perform sessio's write plan, as the shell's Redis store does."""
    if write.value is None:
        store.delete(write.key)
    else:
        store.set(write.key, write.value, ex=write.ttl)


def raw(store: redis.Redis, key: str) -> bytes | None:
    value = store.get(key)
    assert value is None or isinstance(value, bytes)
    return value


def test_redis_round_trip(redis_port: int, store: redis.Redis) -> None:
    fmt = aiohttp("redis", max_age=3600)

    async def scenario(app: App) -> None:
        cookie = await app.put(UNICODE)
        now = time.time()
        ref = resolve(cookie, fmt, now)
        assert isinstance(ref, SessionRef)
        assert len(ref.session_id) == 32 and ref.key == "AIOHTTP_SESSION_" + ref.session_id
        stored = decode_stored(ref, raw(store, ref.key), fmt, now)
        assert isinstance(stored, StoredSession)
        assert dict(stored.data) == UNICODE == (await app.show(cookie))["data"]
        assert isinstance(stored.meta["created"], int)

        changes = Changes({"visits": 1, "name": "Zoë again"}, frozenset({"list"}))
        write = plan_save(fmt, ref.session_id, stored.data, stored, changes, now)
        assert isinstance(write, Write) and write.ttl == 3600
        put(store, write)
        expected = {"name": "Zoë again", "quote": UNICODE["quote"], "n": 3, "visits": 1}
        assert (await app.show(cookie)) == {"new": False, "data": expected}
        ttl = store.ttl(ref.key)
        assert isinstance(ttl, int) and 3590 <= ttl <= 3600

        # And the app's next write is read back by sessio.
        await app.put({"after": "aiohttp"}, cookie)
        again = decode_stored(ref, raw(store, ref.key), fmt, time.time())
        assert isinstance(again, StoredSession)
        assert dict(again.data) == {**expected, "after": "aiohttp"}

    run(redis_storage(redis_port), scenario)


def test_redis_session_created_by_sessio(redis_port: int, store: redis.Redis) -> None:
    fmt = aiohttp("redis")

    async def scenario(app: App) -> None:
        creation = plan_create(fmt, os.urandom(16), {"user": "bob"}, time.time())
        assert not isinstance(creation, Failure)
        assert creation.write.ttl is None
        put(store, creation.write)
        assert store.ttl(creation.write.key) == -1  # max_age None: no expiry, as aiohttp sets
        assert (await app.show(creation.minted.cookie)) == {"new": False, "data": {"user": "bob"}}

    run(redis_storage(redis_port, max_age=None), scenario)


def test_redis_expired_by_created(redis_port: int, store: redis.Redis) -> None:
    fmt = aiohttp("redis", max_age=60)

    async def scenario(app: App) -> None:
        cookie = await app.put({"user": "alice"})
        ref = resolve(cookie, fmt, time.time())
        assert isinstance(ref, SessionRef)
        value = raw(store, ref.key)
        assert isinstance(decode_stored(ref, value, fmt, time.time() + 30), StoredSession)
        later = time.time() + 61
        failure = decode_stored(ref, value, fmt, later)
        assert isinstance(failure, Failure) and failure.code == "expired"
        with mock.patch("time.time", return_value=later):
            assert (await app.show(cookie))["data"] == {}

    run(redis_storage(redis_port, max_age=60), scenario)


def test_redis_emptied_session_is_written_as_aiohttp_writes_it() -> None:
    fmt = aiohttp("redis")
    encoded = fmt.encode(StoredSession({}, {"created": 1}), 100.0)
    assert not isinstance(encoded, Failure) and encoded.value == b"{}"
    encoded = fmt.encode(StoredSession({"a": "é"}, {"created": 1}), 100.0)
    assert not isinstance(encoded, Failure)
    assert encoded.value == json.dumps({"created": 100, "session": {"a": "é"}}).encode()


def test_cookie_storages_are_read_only() -> None:
    for fmt in (aiohttp("simple"), aiohttp("encrypted", fernet_key=RAW_KEY)):
        # A cookie format: nothing to write a session with (the shells refuse, read-only).
        assert isinstance(fmt, CookieFormat) and not isinstance(fmt, StoreFormat)
        assert not fmt.writable and not hasattr(fmt, "decode")


def test_constructor_checks_keys() -> None:
    with pytest.raises(ValueError):
        aiohttp("encrypted")
    with pytest.raises(ValueError):
        aiohttp("encrypted", fernet_key=b"too short")
    with pytest.raises(ValueError):
        aiohttp("memcached")  # type: ignore[call-overload]
    # Fernet.generate_key() returns bytes; aiohttp-session cannot take those, sessio can.
    assert aiohttp("encrypted", fernet_key=OLD_KEY.encode()).fernet_keys == (
        base64.urlsafe_b64decode(OLD_KEY),
    )
    assert aiohttp("redis", key="S").prefix == "S_"
    assert base64.urlsafe_b64encode(RAW_KEY).decode() not in repr(
        aiohttp("encrypted", fernet_key=RAW_KEY)
    )


# --- never raises ------------------------------------------------------------------------------

SIMPLE = aiohttp("simple", max_age=60)
ENCRYPTED = aiohttp("encrypted", fernet_key=[RAW_KEY, OLD_KEY], max_age=60)
REDIS = aiohttp("redis", max_age=60)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
# Documents shaped like aiohttp-session's, with every kind of value in its two fields.
DOCUMENTS = st.dictionaries(st.sampled_from(["created", "session", "other"]), JSON_VALUES).map(
    json.dumps
)


@given(value=st.text() | st.text(alphabet="gAB=-_0123456789", max_size=120) | DOCUMENTS)
def test_read_cookie_never_raises(value: str) -> None:
    now = time.time()
    assert isinstance(ENCRYPTED.read_cookie(value, now), Failure)
    # Unsigned JSON can be a session; the simple storage trusts it, as aiohttp-session does.
    assert isinstance(SIMPLE.read_cookie(value, now), Failure | ClientSession)
    assert isinstance(REDIS.read_cookie(value, now), Failure | SessionRef)


@given(raw=st.binary() | st.text().map(str.encode) | DOCUMENTS.map(str.encode))
def test_decode_never_raises(raw: bytes) -> None:
    assert isinstance(REDIS.decode(raw, time.time()), Failure | StoredSession)


@given(data=st.dictionaries(st.text(max_size=4), JSON_VALUES), now=st.floats(0, 2**40))
def test_encode_never_raises(data: dict[str, Any], now: float) -> None:
    encoded = REDIS.encode(StoredSession(data), now)
    if isinstance(encoded, Failure):
        return
    decoded = REDIS.decode(encoded.value, now)
    assert isinstance(decoded, StoredSession)
    # Compared as JSON text, where NaN equals NaN.
    assert json.dumps(decoded.data) == json.dumps(data)
    assert decoded.meta == ({"created": int(now)} if data else {})


def test_formats_are_values() -> None:
    assert aiohttp("redis") == AiohttpStoreFormat()
