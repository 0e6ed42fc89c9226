"""Starlette's SessionMiddleware cookies, made by a real Starlette app, read by sessio.

Each case runs a real Starlette app with `SessionMiddleware` under Starlette's `TestClient`,
takes the cookie from the ``Set-Cookie`` its ``/set`` route answers with, and checks that
sessio reads exactly what the app's ``/get`` route reads from the same ``Cookie`` header, at
the same time (itsdangerous's clock is pinned to sessio's ``now`` where the age matters).
"""

from __future__ import annotations

import base64
import json
import string
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from sessio.core._changes import same
from sessio.core._failures import Failure
from sessio.core._handshake import resolve
from sessio.core._stored import StoredSession
from sessio.core._verdicts import ClientSession
from sessio.core.formats._base import CookieFormat, StoreFormat
from sessio.core.formats.starlette import StarletteFormat, starlette

SECRET = "starlette-secret-for-sessio-tests"
DAY = 86400
UNICODE = {"name": "Zoë ☃ 𝄞", "quote": 'a "b", c; d\\e', "n": 3, "list": [1, 2.5, None, True]}
BULKY = {"history": [f"/articles/page/{i % 7}" for i in range(300)]}


def make_app(
    data: Mapping[str, Any], secret: str = SECRET, max_age: int | None = 14 * DAY
) -> Starlette:
    """A Starlette app: ``/set`` puts `data` in the session, ``/get`` answers the session."""

    async def set_session(request: Request) -> PlainTextResponse:
        request.session.update(data)
        return PlainTextResponse("ok")

    async def get_session(request: Request) -> JSONResponse:
        return JSONResponse({"session": dict(request.session)})

    return Starlette(
        routes=[Route("/set", set_session), Route("/get", get_session)],
        middleware=[Middleware(SessionMiddleware, secret_key=secret, max_age=max_age)],
    )


def starlette_cookie(data: Mapping[str, Any], **options: Any) -> str:
    """The ``session`` cookie value a real request sets for `data`."""
    with TestClient(make_app(data, **options)) as client:
        response = client.get("/set")
    header = response.headers["set-cookie"]
    name, _, rest = header.partition("=")
    assert name == "session"
    value: str = rest.split(";", 1)[0]
    return value


@contextmanager
def clock(now: float | None) -> Iterator[None]:
    """itsdangerous's clock pinned to `now` (unchanged when None)."""
    if now is None:
        yield
        return
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=int(now)):
        yield


def starlette_reads(value: str, now: float | None = None, **options: Any) -> dict[str, Any]:
    """What a real Starlette app reads from ``Cookie: session=<value>`` (at `now`)."""
    with TestClient(make_app({}, **options)) as client, clock(now):
        client.cookies.set("session", value)
        response = client.get("/get")
    assert response.status_code == 200
    session: dict[str, Any] = response.json()["session"]
    return session


def read(fmt: StarletteFormat, value: str, now: float) -> ClientSession | Failure:
    verdict = resolve(f"a=1; session={value}; b=2", fmt, now)
    assert not isinstance(verdict, StoredSession)
    assert isinstance(verdict, ClientSession | Failure)
    return verdict


@pytest.mark.parametrize(
    "data",
    [
        {"user": "alice", "n": 3, "f": 1.5, "ok": True, "none": None},
        {"nested": {"a": {"b": [1, {"c": "d"}]}}, "empty": {}},
        UNICODE,
        BULKY,
        # Padding: the base64 payloads of these end in "=", "==" and nothing.
        {"a": "x"},
        {"a": "xy"},
        {"a": "xyz"},
    ],
    ids=["plain", "nested", "unicode", "bulky", "pad1", "pad2", "pad3"],
)
def test_reads_what_starlette_reads(data: dict[str, Any]) -> None:
    value = starlette_cookie(data)
    now = time.time()
    verdict = read(starlette(SECRET), value, now)
    assert isinstance(verdict, ClientSession), verdict
    assert same(dict(verdict.data), data)
    assert same(dict(verdict.data), starlette_reads(value, now))
    assert verdict.secret_index == 0
    assert verdict.issued_at is not None and abs(verdict.issued_at - now) < 5


def test_payload_is_padded_standard_base64() -> None:
    for data in ({"a": "x"}, {"k": "\u00ff?>"}):
        value = starlette_cookie(data)
        payload = value.rsplit(".", 2)[0]
        assert payload.endswith("=")
        assert json.loads(base64.b64decode(payload)) == data
        verdict = read(starlette(SECRET), value, time.time())
        assert isinstance(verdict, ClientSession) and verdict.data == data
    # The standard alphabet: "+" (or "/") appears where base64url would have "-" ("_").
    assert set(starlette_cookie({"k": "\u00ff?>"})) & {"+", "/"}


def test_wrong_secret_is_bad_signature() -> None:
    value = starlette_cookie({"user": "alice"})
    verdict = read(starlette("another secret"), value, time.time())
    assert isinstance(verdict, Failure)
    assert verdict.code == "bad-signature"
    assert SECRET not in verdict.message and value not in verdict.message
    assert starlette_reads(value, secret="another secret") == {}


def test_rotated_secret_is_not_accepted_as_starlette_has_no_rotation() -> None:
    old = starlette_cookie({"user": "alice"}, secret="the old secret")
    verdict = read(starlette(SECRET), old, time.time())
    assert isinstance(verdict, Failure) and verdict.code == "bad-signature"
    assert starlette_reads(old) == {}
    # Still readable by a format that has the secret that signed it.
    assert isinstance(read(starlette("the old secret"), old, time.time()), ClientSession)


def flip(text: str) -> str:
    """`text` with its first character changed (the last may carry only padding bits)."""
    return ("A" if text[0] != "A" else "B") + text[1:]


@pytest.mark.parametrize("where", ["payload", "timestamp", "signature"])
def test_tampered_cookie_is_bad_signature(where: str) -> None:
    value = starlette_cookie({"user": "alice", "role": "user"})
    payload, stamp, sig = value.rsplit(".", 2)
    forged = base64.b64encode(json.dumps({"user": "alice", "role": "admin"}).encode()).decode()
    tampered = {
        "payload": f"{forged}.{stamp}.{sig}",
        "timestamp": f"{payload}.{flip(stamp)}.{sig}",
        "signature": f"{payload}.{stamp}.{flip(sig)}",
    }[where]
    verdict = read(starlette(SECRET), tampered, time.time())
    assert isinstance(verdict, Failure)
    assert verdict.code == "bad-signature"
    assert starlette_reads(tampered) == {}


def test_expired_after_max_age() -> None:
    value = starlette_cookie({"user": "alice"})
    later = time.time() + 14 * DAY + 60
    verdict = read(starlette(SECRET), value, later)
    assert isinstance(verdict, Failure)
    assert verdict.code == "expired"
    assert starlette_reads(value, later) == {}


def test_max_age_boundary_and_none() -> None:
    value = starlette_cookie({"user": "alice"}, max_age=60)
    fmt = starlette(SECRET, max_age=60)
    issued = read(fmt, value, time.time())
    assert isinstance(issued, ClientSession) and issued.issued_at is not None
    on_time = issued.issued_at + 60.9
    assert same(dict(issued.data), starlette_reads(value, on_time, max_age=60))
    assert isinstance(read(fmt, value, on_time), ClientSession)
    late = issued.issued_at + 61
    verdict = read(fmt, value, late)
    assert isinstance(verdict, Failure) and verdict.code == "expired"
    assert starlette_reads(value, late, max_age=60) == {}
    # max_age=None: Starlette checks no age, and neither does sessio.
    forever = starlette(SECRET, max_age=None)
    assert isinstance(read(forever, value, 4e9), ClientSession)
    assert starlette_reads(value, 4e9, max_age=None) == {"user": "alice"}


def test_timestamp_from_the_future_is_rejected_like_itsdangerous() -> None:
    value = starlette_cookie({"user": "alice"})
    issued = read(starlette(SECRET), value, time.time())
    assert isinstance(issued, ClientSession) and issued.issued_at is not None
    earlier = issued.issued_at - 2
    verdict = read(starlette(SECRET), value, earlier)
    assert isinstance(verdict, Failure) and verdict.code == "expired"
    assert starlette_reads(value, earlier) == {}


def test_other_cookie_name() -> None:
    value = starlette_cookie({"user": "alice"})
    verdict = resolve(f"sid={value}", starlette(SECRET, key="sid"), time.time())
    assert isinstance(verdict, ClientSession)
    assert verdict.data == {"user": "alice"}


def test_read_only() -> None:
    fmt = starlette(SECRET)
    assert not fmt.writable
    # A cookie format: nothing to write a session with (the shells refuse, read-only).
    assert isinstance(fmt, CookieFormat) and not isinstance(fmt, StoreFormat)
    assert not hasattr(fmt, "encode")
    assert SECRET not in repr(fmt)
    with pytest.raises(ValueError):
        starlette("")


# --- payloads Starlette never makes, signed with the real key ----------------------------------

FMT = starlette(SECRET)
NOW = 1_700_000_000.0
SIGNER = TimestampSigner(SECRET)


def starlette_loads(value: str) -> dict[str, Any] | None:
    """The middleware's own steps: None where they raise (Starlette would answer 500)."""
    with clock(NOW):
        try:
            loaded = json.loads(base64.b64decode(SIGNER.unsign(value, max_age=14 * DAY)))
        except Exception:
            return None
    return loaded if isinstance(loaded, dict) else None


payloads = st.one_of(
    st.binary(max_size=150).map(base64.b64encode),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3).map(
        lambda d: base64.b64encode(json.dumps(d).encode())
    ),
    st.text(alphabet=string.printable, max_size=150).map(str.encode),
)


@settings(max_examples=300, deadline=None)
@given(payloads)
def test_any_signed_payload_reads_as_starlette_reads_it(payload: bytes) -> None:
    with clock(NOW):
        value = SIGNER.sign(payload).decode("ascii")
    expected = starlette_loads(value)
    verdict = FMT.read_cookie(value, NOW)
    if expected is None:
        assert isinstance(verdict, Failure), verdict
        assert verdict.code == "malformed-cookie"
    else:
        assert isinstance(verdict, ClientSession), verdict
        assert same(dict(verdict.data), expected)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300), st.floats(allow_nan=False, allow_infinity=False))
def test_read_cookie_never_raises_on_text(value: str, now: float) -> None:
    assert isinstance(FMT.read_cookie(value, now), Failure)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_read_cookie_never_raises_on_bytes(raw: bytes) -> None:
    assert isinstance(FMT.read_cookie(raw.decode("latin-1"), NOW), Failure)
    assert isinstance(resolve("session=" + raw.decode("latin-1"), FMT, NOW), Failure)


COOKIE = starlette_cookie({"user": "alice", "n": 1})
ALPHABET = string.ascii_letters + string.digits + "-_.=+/!~ "


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(COOKIE) - 1), st.sampled_from(ALPHABET))
def test_any_one_character_change_is_judged_as_starlette_judges_it(index: int, char: str) -> None:
    changed = COOKIE[:index] + char + COOKIE[index + 1 :]
    issued = FMT.read_cookie(COOKIE, time.time())
    assert isinstance(issued, ClientSession) and issued.issued_at is not None
    with clock(issued.issued_at):
        try:
            expected: Any = json.loads(base64.b64decode(SIGNER.unsign(changed, max_age=14 * DAY)))
        except Exception:
            expected = None
    verdict = FMT.read_cookie(changed, issued.issued_at)
    assert isinstance(verdict, ClientSession) == (expected is not None), (changed, verdict)
    if expected is not None and isinstance(verdict, ClientSession):
        assert same(dict(verdict.data), expected)
