"""Sessions made by the real Express app, read and written by sessio's shells over Redis.

Every cookie here is the ``Set-Cookie`` of the real Express 5 + express-session +
connect-redis app (``tests/express_app``, run by `node_app.run_express` against the suite's
private redis-server), and every store entry is what connect-redis wrote. sessio reads them
the way its shells do at a socket's handshake (`sessio.core.resolve`, then ``open_verdict``
with a `RedisStore`), in the sync shell and in the async one, and Express reads back what
sessio writes.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import anyio.from_thread
import pytest
import redis
import redis.asyncio
import socketio
from node_app import COOKIE, ExpressApp, run_express

from redis_server import RedisServer
from sessio import formats
from sessio.aio._opening import open_verdict as open_async
from sessio.aio._session import AsyncSession
from sessio.aio.stores.redis import RedisStore as AsyncRedisStore
from sessio.core import Failure, Format, SessionRef, StoredSession, decode_stored, resolve
from sessio.errors import SessionError
from sessio.sync import SessionSockets
from sessio.sync._opening import open_verdict as open_sync
from sessio.sync._session import Session
from sessio.sync.stores.redis import RedisStore

NEW, OLD = "new", "old"
ROTATED = [NEW, OLD]  # the app's SECRETS: "new" signs, both verify
FMT = formats.express(secrets=ROTATED)
GREETING = "héllo ☃ 𝄞"
MAX_AGE_MS = 600_500  # not whole seconds: the TTL is a ceiling
DAY = 86400

Opened = Session | AsyncSession


# --- the app and the shells --------------------------------------------------------------------


@pytest.fixture(scope="module")
def express(redis_server_session: RedisServer) -> Iterator[ExpressApp]:
    """The app with SECRETS ["new", "old"], connect-redis's default prefix and no maxAge."""
    with run_express(redis_server_session.url, ROTATED) as app:
        yield app


@pytest.fixture
def store(redis_server_session: RedisServer) -> redis.Redis:
    return redis_server_session.client()


@pytest.fixture(scope="module")
def portal() -> Iterator[anyio.from_thread.BlockingPortal]:
    """An asyncio loop in a thread, so that one test body can drive the async shell too."""
    with anyio.from_thread.start_blocking_portal("asyncio") as running:
        yield running


class SyncShell:
    """The sync shell's handshake and save: ``resolve``, ``open_verdict`` over `RedisStore`."""

    def __init__(self, client: redis.Redis) -> None:
        self.store = RedisStore(client)

    def open(
        self, cookie_header: str, fmt: Format, clock: Callable[[], float] = time.time
    ) -> Opened | Failure:
        return open_sync(resolve(cookie_header, fmt, clock()), self.store, fmt, clock)

    def save(self, session: Opened) -> None:
        assert isinstance(session, Session)
        session.save()


class AsyncShell:
    """The async shell's, over ``redis.asyncio``, on the portal's event loop."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, port: int) -> None:
        self.portal = portal
        self.client = redis.asyncio.Redis(port=port)
        self.store = AsyncRedisStore(self.client)

    def open(
        self, cookie_header: str, fmt: Format, clock: Callable[[], float] = time.time
    ) -> Opened | Failure:
        verdict = resolve(cookie_header, fmt, clock())
        return self.portal.call(open_async, verdict, self.store, fmt, clock)

    def save(self, session: Opened) -> None:
        assert isinstance(session, AsyncSession)
        self.portal.call(session.save)

    def close(self) -> None:
        self.portal.call(self.client.aclose)


Shell = SyncShell | AsyncShell


@pytest.fixture(params=["sync", "aio"])
def shell(
    request: pytest.FixtureRequest,
    store: redis.Redis,
    portal: anyio.from_thread.BlockingPortal,
    redis_server_session: RedisServer,
) -> Iterator[Shell]:
    if request.param == "sync":
        yield SyncShell(store)
        return
    shell = AsyncShell(portal, redis_server_session.port)
    try:
        yield shell
    finally:
        shell.close()


def opened(shell: Shell, cookie_header: str, fmt: Format = FMT, **kw: Any) -> Opened:
    session = shell.open(cookie_header, fmt, **kw)
    assert not isinstance(session, Failure), session
    return session


def failure(shell: Shell, cookie_header: str, fmt: Format = FMT) -> Failure:
    verdict = shell.open(cookie_header, fmt)
    assert isinstance(verdict, Failure), verdict
    return verdict


def raw(store: redis.Redis, key: str) -> bytes | None:
    value = store.get(key)
    assert value is None or isinstance(value, bytes)
    return value


def iso_ms(milliseconds: int) -> str:
    """``new Date(milliseconds).toJSON()``, computed independently of sessio."""
    moment = datetime.fromtimestamp(milliseconds // 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{milliseconds % 1000:03d}Z"


# --- reading what Express wrote ----------------------------------------------------------------


def test_login_is_read_as_express_reads_it(
    express: ExpressApp, shell: Shell, store: redis.Redis
) -> None:
    pair, sid = express.login("alice")
    header = f"theme=dark; {pair}; other=1"
    now = time.time()
    ref = resolve(header, FMT, now)
    assert ref == SessionRef(sid, "sess:" + sid, 0)
    session = opened(shell, header)
    assert session.id == sid and not session.read_only
    seen = express.whoami(pair)
    assert seen is not None
    assert dict(session) == {"user": "alice"} == {k: v for k, v in seen.items() if k != "cookie"}

    stored = decode_stored(ref, raw(store, ref.key), FMT, now)
    assert isinstance(stored, StoredSession)
    assert stored.meta == {"cookie": seen["cookie"]}
    assert seen["cookie"] == {
        "originalMaxAge": None,
        "expires": None,
        "httpOnly": True,
        "path": "/",
    }
    # sessio writes the very bytes JSON.stringify wrote, with connect-redis's TTL...
    encoded = FMT.encode(stored, now)
    assert not isinstance(encoded, Failure)
    assert encoded.value == raw(store, ref.key) and encoded.ttl == DAY
    assert DAY - 5 <= store.ttl(ref.key) <= DAY
    # ...and would set the very cookie express-session set.
    assert f"{COOKIE}={FMT.cookie_value(sid)}" == pair


def test_unicode_and_json_values_both_ways(
    express: ExpressApp, shell: Shell, store: redis.Redis
) -> None:
    pair, sid = express.login("zoë")
    assert express.set(pair, "greeting", GREETING) == GREETING
    assert express.set(pair, "n", "42") == 42
    nested = {"a": [1, 2.5, None, True], "é": "ü 𝄞"}
    assert express.set(pair, "obj", json.dumps(nested)) == nested

    session = opened(shell, pair)
    assert dict(session) == {"user": "zoë", "greeting": GREETING, "n": 42, "obj": nested}

    session["reply"] = "ça va ✓ 𝄢"
    session["n"] = 43
    session["lone"] = "\ud83d"  # a lone surrogate, as a socket.io payload may carry
    shell.save(session)
    assert express.value(pair, "reply") == "ça va ✓ 𝄢"
    assert express.value(pair, "lone") == "\ud83d"
    seen = express.whoami(pair)
    assert seen is not None
    assert {k: v for k, v in seen.items() if k != "cookie"} == {
        "user": "zoë",
        "greeting": GREETING,
        "n": 43,
        "obj": nested,
        "reply": "ça va ✓ 𝄢",
        "lone": "\ud83d",
    }
    # Raw UTF-8 as JSON.stringify writes it, the lone surrogate escaped as it escapes it.
    written = raw(store, "sess:" + sid)
    assert written is not None
    assert "ça va ✓ 𝄢".encode() in written and b'"lone":"\\ud83d"' in written
    assert written.startswith(b'{"cookie":{')

    # And Express's next write is read back.
    express.set(pair, "after", "express ☃")
    assert opened(shell, pair)["after"] == "express ☃"


# --- secrets -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def old_express(redis_server_session: RedisServer) -> Iterator[ExpressApp]:
    """The same app before the rotation: SECRETS ["old"] only, on the same Redis."""
    with run_express(redis_server_session.url, [OLD]) as app:
        yield app


def test_rotated_secret(
    express: ExpressApp, old_express: ExpressApp, shell: Shell, store: redis.Redis
) -> None:
    now = time.time()
    # Signed by the new app with "new": any order of secrets verifies it, "old" alone does not.
    pair, sid = express.login("alice")
    reversed_order = formats.express(secrets=[OLD, NEW])
    assert resolve(pair, reversed_order, now) == SessionRef(sid, "sess:" + sid, 1)
    assert resolve(pair, formats.express(secrets=[NEW]), now) == SessionRef(sid, "sess:" + sid, 0)
    only_old = resolve(pair, formats.express(secrets=[OLD]), now)
    assert isinstance(only_old, Failure) and only_old.code == "bad-signature"
    assert opened(shell, pair, reversed_order)["user"] == "alice"
    assert old_express.whoami(pair) is None  # Express agrees: "old" alone rejects it

    # A cookie from before the rotation, signed with "old": still good after it.
    old_pair, old_sid = old_express.login("bob")
    assert resolve(old_pair, FMT, now) == SessionRef(old_sid, "sess:" + old_sid, 1)
    assert opened(shell, old_pair)["user"] == "bob"
    seen = express.whoami(old_pair)
    assert seen is not None and seen["user"] == "bob"
    new_only = resolve(old_pair, formats.express(secrets=[NEW]), now)
    assert isinstance(new_only, Failure) and new_only.code == "bad-signature"

    # A session sessio mints is signed with the first secret, as express-session signs.
    sessions = SessionSockets(socketio.Server(async_mode="threading"), RedisStore(store), FMT)
    minted = sessions.create({"user": "carol"})
    seen = express.whoami(minted.cookie)
    assert seen is not None and seen["user"] == "carol"
    assert old_express.whoami(minted.cookie) is None


def test_wrong_secret_is_bad_signature(express: ExpressApp, shell: Shell) -> None:
    pair, _ = express.login("alice")
    wrong = formats.express(secrets=["not the secret", "nor this one"])
    refused = failure(shell, pair, wrong)
    assert refused.code == "bad-signature"
    value = pair.partition("=")[2]
    for text in ("not the secret", "nor this one", NEW, value, value.partition(".")[2]):
        assert text not in refused.message


def test_unsigned_cookie_is_refused(express: ExpressApp, shell: Shell) -> None:
    _, sid = express.login("alice")
    unsigned = f"{COOKIE}={sid}"
    assert failure(shell, unsigned).code == "unsigned-cookie"
    assert express.whoami(unsigned) is None  # express-session ignores it too


def test_after_logout_the_session_is_not_found(
    express: ExpressApp, shell: Shell, store: redis.Redis
) -> None:
    pair, sid = express.login("alice")
    before = opened(shell, pair)
    express.logout(pair)
    assert express.whoami(pair) is None
    # The cookie still verifies; the store no longer has the session.
    assert resolve(pair, FMT, time.time()) == SessionRef(sid, "sess:" + sid, 0)
    assert failure(shell, pair).code == "session-not-found"
    # A socket that loaded it before the logout cannot bring it back.
    before["user"] = "mallory"
    with pytest.raises(SessionError) as raised:
        shell.save(before)
    assert raised.value.code == "session-not-found"
    assert raw(store, "sess:" + sid) is None
    assert express.whoami(pair) is None


# --- expiry ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def express_max_age(redis_server_session: RedisServer) -> Iterator[ExpressApp]:
    """The app with ``cookie.maxAge`` = MAX_AGE_MS."""
    with run_express(redis_server_session.url, ROTATED, max_age_ms=MAX_AGE_MS) as app:
        yield app


def test_max_age_save_slides_expires_and_sets_the_ttl(
    express_max_age: ExpressApp, shell: Shell, store: redis.Redis
) -> None:
    pair, sid = express_max_age.login("alice")
    key = "sess:" + sid
    before = raw(store, key)
    assert before is not None
    written_by_express = json.loads(before)["cookie"]
    # express-session computes originalMaxAge as expires - Date.now() just after setting
    # expires, so a millisecond that passes in between shows (600499 for 600500).
    original = written_by_express["originalMaxAge"]
    assert MAX_AGE_MS - 50 <= original <= MAX_AGE_MS
    # connect-redis: ceil((expires - now) / 1000), here 601 s.
    assert 599_000 < store.pttl(key) <= 601_000

    now = time.time()
    session = opened(shell, pair, clock=lambda: now)
    session["seen"] = "by sessio"
    shell.save(session)

    after = raw(store, key)
    assert after is not None
    cookie = json.loads(after)["cookie"]
    expires_ms = math.floor(now * 1000) + original
    assert cookie == {
        "originalMaxAge": original,
        "expires": iso_ms(expires_ms),
        "httpOnly": True,
        "path": "/",
    }
    ttl = math.ceil(expires_ms / 1000 - now)
    assert ttl == 601
    assert (ttl - 2) * 1000 < store.pttl(key) <= ttl * 1000

    # Express still takes the session, with sessio's write in it.
    seen = express_max_age.whoami(pair)
    assert seen is not None
    assert seen["user"] == "alice" and seen["seen"] == "by sessio"
    assert seen["cookie"]["originalMaxAge"] == original
    assert express_max_age.set(pair, "again", "1") == 1
    assert opened(shell, pair)["again"] == 1


def test_max_age_save_after_the_stored_expires_has_passed(
    express_max_age: ExpressApp, shell: Shell, store: redis.Redis
) -> None:
    # On a request that changes nothing, connect-redis's touch slides only the key's TTL: the
    # stored cookie.expires of a live session can lie in the past. Saving it then must slide
    # expires from now, not write a TTL of 0 or less (which would delete the session).
    pair, sid = express_max_age.login("alice")
    later = time.time() + MAX_AGE_MS / 1000 + 100
    session = opened(shell, pair, clock=lambda: later)
    session["seen"] = "late"
    shell.save(session)
    after = raw(store, "sess:" + sid)
    assert after is not None
    assert json.loads(after)["cookie"]["expires"] == iso_ms(math.floor(later * 1000) + MAX_AGE_MS)
    assert 599_000 < store.pttl("sess:" + sid) <= 601_000
    seen = express_max_age.whoami(pair)
    assert seen is not None and seen["seen"] == "late"


def test_browser_session_cookie_keeps_the_store_ttl(
    express: ExpressApp, shell: Shell, store: redis.Redis
) -> None:
    pair, sid = express.login("alice")
    session = opened(shell, pair)
    session["seen"] = "by sessio"
    shell.save(session)
    after = raw(store, "sess:" + sid)
    assert after is not None
    assert json.loads(after)["cookie"] == {
        "originalMaxAge": None,
        "expires": None,
        "httpOnly": True,
        "path": "/",
    }
    assert DAY - 5 <= store.ttl("sess:" + sid) <= DAY
    seen = express.whoami(pair)
    assert seen is not None and seen["seen"] == "by sessio"


def test_session_created_with_a_max_age_is_express_s(
    express_max_age: ExpressApp, store: redis.Redis
) -> None:
    fmt = formats.express(secrets=ROTATED, cookie_max_age=MAX_AGE_MS / 1000)
    sessions = SessionSockets(socketio.Server(async_mode="threading"), RedisStore(store), fmt)
    minted = sessions.create({"user": "dave"})
    assert 599_000 < store.pttl("sess:" + minted.session_id) <= 601_000
    seen = express_max_age.whoami(minted.cookie)
    assert seen is not None and seen["user"] == "dave"
    assert seen["cookie"]["originalMaxAge"] == MAX_AGE_MS


# --- key prefix ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def express_prefixed(redis_server_session: RedisServer) -> Iterator[ExpressApp]:
    """The app with connect-redis's prefix "myapp:"."""
    with run_express(redis_server_session.url, ROTATED, prefix="myapp:") as app:
        yield app


def test_custom_prefix(express_prefixed: ExpressApp, shell: Shell, store: redis.Redis) -> None:
    pair, sid = express_prefixed.login("alice")
    assert raw(store, "myapp:" + sid) is not None and raw(store, "sess:" + sid) is None
    fmt = formats.express(secrets=ROTATED, prefix="myapp:")
    assert resolve(pair, fmt, time.time()) == SessionRef(sid, "myapp:" + sid, 0)
    session = opened(shell, pair, fmt)
    assert dict(session) == {"user": "alice"}
    session["seen"] = "by sessio"
    shell.save(session)
    assert express_prefixed.value(pair, "seen") == "by sessio"
    assert raw(store, "sess:" + sid) is None
    # With the default prefix sessio looks in the wrong place, and says where it looked.
    missing = failure(shell, pair)
    assert missing.code == "session-not-found" and "'sess:" in missing.message
