"""Write plans: merging a socket's changes onto the store's session, TTLs, new sessions."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sessio.core import (
    Changes,
    Creation,
    Failure,
    SessionRef,
    StoredSession,
    StoreFormat,
    Write,
    apply,
    express,
    plan_create,
    plan_save,
    plan_write,
    resolve,
    same,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOW = 1_700_000_000.0

keys = st.sampled_from(["a", "b", "c", "user", "cart", "visits"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["", "x", "é"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=5,
)
sessions = st.dictionaries(keys, json_values, max_size=5)
changes = st.builds(
    Changes, st.dictionaries(keys, json_values, max_size=3), st.frozensets(keys, max_size=2)
)
formats = st.sampled_from(
    [express(["s1", "s2"]), express(None, key="sid", prefix="app:", ttl=60), express("one")]
)
sids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=32)


def iso(seconds: float) -> str:
    """``Date.prototype.toISOString``."""
    moment = EPOCH + timedelta(milliseconds=round(seconds * 1000))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def session_cookie(max_age_ms: int | None = None, expires: float | None = None) -> dict[str, Any]:
    """express-session's stored ``cookie`` object."""
    return {
        "originalMaxAge": max_age_ms,
        "expires": None if expires is None else iso(expires),
        "httpOnly": True,
        "path": "/",
    }


def disjoint(mine: Changes, theirs: Changes) -> Changes:
    """`theirs` without the keys that `mine` touches."""
    return Changes(
        {k: v for k, v in theirs.set.items() if k not in mine.keys}, theirs.deleted - mine.keys
    )


@settings(max_examples=60)
@given(formats, sids, sessions, sessions, st.booleans())
def test_nothing_to_write_without_changes_or_touch(
    fmt: StoreFormat, sid: str, loaded: dict[str, Any], current: dict[str, Any], strict: bool
) -> None:
    stored = StoredSession(current, {"cookie": session_cookie(60_000, NOW + 60)})
    assert plan_save(fmt, sid, loaded, stored, Changes(), NOW, strict=strict) is None


@settings(max_examples=80)
@given(formats, sids, sessions, changes, changes, st.booleans())
def test_merge_keeps_the_other_writers_keys(
    fmt: StoreFormat,
    sid: str,
    loaded: dict[str, Any],
    mine: Changes,
    theirs: Changes,
    strict: bool,
) -> None:
    theirs = disjoint(mine, theirs)
    current = StoredSession(apply(loaded, theirs), {"cookie": session_cookie()})
    write = plan_save(fmt, sid, loaded, current, mine, NOW, strict=strict)
    if not mine:
        assert write is None
        return
    assert isinstance(write, Write)
    assert write.key == fmt.store_key(sid)
    expected = apply(apply(loaded, theirs), mine)
    assert same(dict(write.stored.data), expected)
    assert write.stored.meta == current.meta
    for key, value in theirs.set.items():
        assert same(write.stored.data[key], value)
    for key in theirs.deleted - theirs.set.keys() - mine.set.keys():
        assert key not in write.stored.data
    assert write.value is not None
    decoded = fmt.decode(write.value, NOW)
    assert isinstance(decoded, StoredSession)
    assert same(dict(decoded.data), expected)


@settings(max_examples=80)
@given(formats, sids, sessions, changes, keys, json_values, json_values)
def test_strict_refuses_an_overlapping_concurrent_change(
    fmt: StoreFormat,
    sid: str,
    loaded: dict[str, Any],
    mine: Changes,
    key: str,
    my_value: Any,
    their_value: Any,
) -> None:
    mine = Changes({**mine.set, key: my_value}, mine.deleted - {key})
    current = StoredSession({**loaded, key: their_value})
    clash = key not in loaded or not same(loaded[key], their_value)
    strict = plan_save(fmt, sid, loaded, current, mine, NOW, strict=True)
    if clash:
        assert isinstance(strict, Failure)
        assert strict.code == "conflict"
        assert repr(key) in strict.message
    else:
        assert isinstance(strict, Write)
    relaxed = plan_save(fmt, sid, loaded, current, mine, NOW)
    assert isinstance(relaxed, Write)
    assert same(relaxed.stored.data[key], my_value)  # without strict, this socket wins


def test_strict_sees_a_concurrent_delete() -> None:
    fmt = express(["s"])
    loaded = {"cart": [1], "user": "a"}
    current = StoredSession({"user": "a"})  # someone else removed "cart"
    mine = Changes({"cart": [1, 2]})
    saved = plan_save(fmt, "sid", loaded, current, mine, NOW, strict=True)
    assert isinstance(saved, Failure)
    assert saved.code == "conflict"
    assert "'cart'" in saved.message
    untouched = Changes({"user": "b"})
    write = plan_save(fmt, "sid", loaded, current, untouched, NOW, strict=True)
    assert isinstance(write, Write)
    assert write.stored.data == {"user": "b"}


def test_a_ttl_at_or_below_zero_plans_a_delete() -> None:
    fmt = express(["s"])
    for expires in [NOW - 3600, NOW - 0.5, NOW]:
        stored = StoredSession({"a": 1}, {"cookie": session_cookie(None, expires)})
        write = plan_write(fmt, "abc", stored, NOW)
        assert write == Write("sess:abc", None, None, stored)
        saved = plan_save(fmt, "abc", {}, stored, Changes({"b": 2}), NOW)
        assert isinstance(saved, Write)
        assert saved.key == "sess:abc"
        assert saved.value is None
        assert saved.ttl is None
    alive = plan_write(
        fmt, "abc", StoredSession({}, {"cookie": session_cookie(None, NOW + 0.001)}), NOW
    )
    assert isinstance(alive, Write)
    assert alive.ttl == 1


def test_a_stale_expires_is_slid_on_save() -> None:
    # connect-redis's touch() slides only the key's TTL, so the stored cookie.expires of a
    # live session can lie in the past: it still loads, and a save slides it again.
    fmt = express(["s"])
    raw = json.dumps({"cookie": session_cookie(60_000, NOW - 3600), "n": 1}).encode()
    loaded = fmt.decode(raw, NOW)
    assert isinstance(loaded, StoredSession)
    saved = plan_save(fmt, "abc", loaded.data, loaded, Changes({"n": 2}), NOW)
    assert isinstance(saved, Write)
    assert saved.ttl == 60
    assert saved.stored.meta["cookie"]["expires"] == iso(NOW + 60)
    assert saved.stored.data == {"n": 2}


@settings(max_examples=60)
@given(sids, sessions, st.integers(1, 10**9), st.floats(0, 4e9))
def test_touch_alone_writes_the_slid_expiry(
    sid: str, data: dict[str, Any], max_age_ms: int, now: float
) -> None:
    fmt = express(["s"])
    current = StoredSession(data, {"cookie": session_cookie(max_age_ms, now - 1)})
    assert plan_save(fmt, sid, data, current, Changes(), now) is None
    write = plan_save(fmt, sid, data, current, Changes(), now, touch=True)
    assert isinstance(write, Write)
    assert write.stored.data == data
    expires_ms = math.floor(now * 1000 + max_age_ms)
    assert write.stored.meta["cookie"]["expires"] == iso(expires_ms / 1000)
    assert write.ttl == math.ceil(expires_ms / 1000 - now)
    assert write.ttl > 0


def test_an_unserializable_change_is_a_failure() -> None:
    fmt = express(["s"])
    saved = plan_save(fmt, "abc", {}, StoredSession({}), Changes({"x": {1, 2}}), NOW)
    assert isinstance(saved, Failure)
    assert saved.code == "unserializable"


@settings(max_examples=80)
@given(
    st.sampled_from(
        [
            express(["s1", "s2"]),
            express(None),
            express(b"bytes secret", key="app.sid", prefix="s/"),
            express(["s"], cookie_max_age=3600),
        ]
    ),
    st.binary(min_size=1, max_size=32),
    sessions,
    st.floats(0, 4e9),
)
def test_a_created_session_resolves_to_its_own_key(
    fmt: StoreFormat, entropy: bytes, data: dict[str, Any], now: float
) -> None:
    created = plan_create(fmt, entropy, data, now)
    assert isinstance(created, Creation)
    ref = resolve(created.minted.cookie, fmt, now)
    assert isinstance(ref, SessionRef)
    assert ref.session_id == created.minted.session_id
    assert ref.key == fmt.store_key(created.minted.session_id)
    assert ref.key == created.write.key
    assert ref.secret_index in (None, 0)
    # Also when the browser sends it among other cookies.
    header = f"_ga=GA1.2.3; {created.minted.cookie}; theme=dark"
    assert resolve(header, fmt, now) == ref
    assert created.write.value is not None
    stored = fmt.decode(created.write.value, now)
    assert isinstance(stored, StoredSession)
    assert same(dict(stored.data), data)
    assert stored == created.write.stored
    assert created.write.ttl is not None
    assert created.write.ttl > 0


def test_created_sessions_examples() -> None:
    fmt = express(["keyboard cat"], cookie_max_age=60)
    created = plan_create(fmt, bytes(24), {"user": "alice"}, NOW)
    assert isinstance(created, Creation)
    assert created.minted.session_id == "A" * 32
    assert created.minted.cookie.startswith("connect.sid=s%3A" + "A" * 32 + ".")
    assert created.write.key == "sess:" + "A" * 32
    assert created.write.ttl == 60
    assert created.write.value is not None
    assert json.loads(created.write.value) == {
        "cookie": {
            "originalMaxAge": 60_000,
            "expires": iso(NOW + 60),
            "httpOnly": True,
            "path": "/",
        },
        "user": "alice",
    }
    default = plan_create(express(["s"], ttl=300), bytes(24), {}, NOW)
    assert isinstance(default, Creation)
    assert default.write.ttl == 300
