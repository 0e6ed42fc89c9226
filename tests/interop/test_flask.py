"""Flask's default cookie session, made by a real Flask app, read by `sessio.core.formats.flask`.

Each case runs a real Flask app whose view puts values in `flask.session`, takes the cookie
from its ``Set-Cookie``, and checks that sessio reads exactly what Flask's own
`SecureCookieSessionInterface.open_session` reads from the same ``Cookie`` header, at the same
time (itsdangerous's clock is pinned to sessio's ``now`` where the age matters).
"""

from __future__ import annotations

import base64
import hashlib
import json
import string
import time
import uuid
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import flask
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import Signer, TimestampSigner
from markupsafe import Markup

from sessio.core._changes import same
from sessio.core._failures import Failure
from sessio.core._handshake import resolve
from sessio.core._stored import StoredSession
from sessio.core._verdicts import ClientSession
from sessio.core.formats._base import CookieFormat, StoreFormat
from sessio.core.formats.flask import MAX_DECOMPRESSED, FlaskFormat, load_payload
from sessio.core.formats.flask import flask as flask_format

SECRET = "flask-current-secret-for-sessio-tests"
OLD_SECRET = "flask-rotated-out-secret"
DAY = 86400
UNICODE = {"name": "Zoë ☃ 𝄞", "quote": 'a "b", c; d\\e', "n": 3, "list": [1, 2.5, None, True]}
# Repetitive enough that zlib wins: itsdangerous then writes a "."-prefixed payload.
BULKY = {"history": [f"/articles/page/{i % 7}" for i in range(300)]}


def make_app(
    secret: str = SECRET, fallbacks: Sequence[str] = (), lifetime: timedelta | None = None
) -> flask.Flask:
    """A Flask app whose ``/set`` view copies ``app.config["PENDING"]`` into the session."""
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY=secret, SECRET_KEY_FALLBACKS=list(fallbacks), PENDING={})
    if lifetime is not None:
        app.config["PERMANENT_SESSION_LIFETIME"] = lifetime

    @app.get("/set")
    def set_session() -> str:
        flask.session.update(app.config["PENDING"])
        return "ok"

    return app


def flask_cookie(app: flask.Flask, data: Mapping[str, Any]) -> str:
    """The ``session`` cookie value a real request to `app` sets for `data`."""
    app.config["PENDING"] = dict(data)
    response = app.test_client().get("/set")
    header = response.headers["Set-Cookie"]
    name, _, rest = header.partition("=")
    assert name == "session"
    return rest.split(";", 1)[0]


@contextmanager
def clock(now: float | None) -> Iterator[None]:
    """itsdangerous's clock pinned to `now` (unchanged when None)."""
    if now is None:
        yield
        return
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=int(now)):
        yield


def flask_reads(app: flask.Flask, value: str, now: float | None = None) -> dict[str, Any]:
    """What Flask's own session interface opens for cookie `value` (at `now`)."""
    with app.test_request_context(headers={"Cookie": f"session={value}"}), clock(now):
        opened = app.session_interface.open_session(app, flask.request)
        assert opened is not None
        read_by_flask: dict[str, Any] = plain(dict(opened))
        return read_by_flask


def plain(value: Any) -> Any:
    """`value` with Markup made str, as sessio hands it out."""
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    return value


def read(fmt: FlaskFormat, value: str, now: float) -> ClientSession | Failure:
    verdict = resolve(f"theme=dark; session={value}; other=1", fmt, now)
    assert not isinstance(verdict, StoredSession)
    assert isinstance(verdict, ClientSession | Failure)
    return verdict


def assert_same_read(app: flask.Flask, fmt: FlaskFormat, value: str, now: float) -> ClientSession:
    verdict = read(fmt, value, now)
    assert isinstance(verdict, ClientSession), verdict
    expected = flask_reads(app, value, now)
    assert expected, "Flask itself should read a session here"
    assert same(dict(verdict.data), expected), (verdict.data, expected)
    return verdict


# --- the cookies Flask makes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"user": "alice", "n": 3, "f": 1.5, "ok": True, "none": None},
        {"nested": {"a": {"b": [1, {"c": "d"}]}}, "empty": {}, "list": []},
        UNICODE,
        BULKY,
    ],
    ids=["plain", "nested", "unicode", "compressed"],
)
def test_reads_what_flask_reads(data: dict[str, Any]) -> None:
    app = make_app()
    value = flask_cookie(app, data)
    now = time.time()
    verdict = assert_same_read(app, flask_format(SECRET), value, now)
    assert same(dict(verdict.data), data)
    assert verdict.secret_index == 0
    assert verdict.issued_at is not None and abs(verdict.issued_at - now) < 5


def test_compressed_payload_is_dot_prefixed() -> None:
    value = flask_cookie(make_app(), BULKY)
    assert value.startswith(".")
    assert not flask_cookie(make_app(), {"a": 1}).startswith(".")


AWARE = datetime(2024, 2, 29, 23, 59, 58, tzinfo=timezone(timedelta(hours=5, minutes=30)))


@pytest.mark.parametrize(
    "data",
    [
        {"pair": (1, "two")},
        {"nested_tuple": [(1, (2, 3)), ("x",)]},
        {"raw": b"\x00\xff binary \x80"},
        {"when": datetime(2024, 1, 2, 3, 4, 5, 678)},
        {"aware": AWARE},
        {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
        {"html": Markup("<b>bold</b> &amp;")},
        {"looks_tagged": {" t": [1, 2]}},
        {"looks_di": {" di": {" t__": 1}}},
        {"tag_inside": {" b": b"x", "other": 1}},
        {"mixed": [{" u": "not-a-uuid"}, (b"a", uuid.UUID(int=5))]},
    ],
    ids=lambda d: next(iter(d)),
)
def test_tagged_types(data: dict[str, Any]) -> None:
    app = make_app()
    value = flask_cookie(app, data)
    assert_same_read(app, flask_format(SECRET), value, time.time())


def test_tagged_values_come_back_typed() -> None:
    data = {
        "pair": (1, 2),
        "raw": b"\x01",
        "when": datetime(2024, 1, 2, 3, 4, 5),
        "id": uuid.UUID(int=7),
        "html": Markup("<i>x</i>"),
        "tagged": {" t": 1},
    }
    app = make_app()
    verdict = read(flask_format(SECRET), flask_cookie(app, data), time.time())
    assert isinstance(verdict, ClientSession)
    assert verdict.data["pair"] == (1, 2)
    assert verdict.data["raw"] == b"\x01"
    # http_date drops microseconds and takes a naive datetime as UTC; parse_date is aware.
    assert verdict.data["when"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert verdict.data["id"] == uuid.UUID(int=7)
    assert type(verdict.data["html"]) is str
    assert verdict.data["html"] == "<i>x</i>"
    assert verdict.data["tagged"] == {" t": 1}


# --- secrets ---------------------------------------------------------------------------------


def test_rotated_secret_is_still_accepted() -> None:
    old_cookie = flask_cookie(make_app(OLD_SECRET), {"user": "alice"})
    rotated = make_app(SECRET, fallbacks=[OLD_SECRET])
    fmt = flask_format(SECRET, fallbacks=[OLD_SECRET])
    verdict = assert_same_read(rotated, fmt, old_cookie, time.time())
    assert verdict.secret_index == 1
    # The rotated app signs with its current key.
    new_cookie = flask_cookie(rotated, {"user": "bob"})
    assert assert_same_read(rotated, fmt, new_cookie, time.time()).secret_index == 0
    # Without the fallback, neither Flask nor sessio accepts the old cookie.
    assert flask_reads(make_app(SECRET), old_cookie) == {}
    verdict_without = read(flask_format(SECRET), old_cookie, time.time())
    assert isinstance(verdict_without, Failure)
    assert verdict_without.code == "bad-signature"


def test_wrong_secret_is_bad_signature() -> None:
    value = flask_cookie(make_app(), {"user": "alice"})
    verdict = read(flask_format("some other secret"), value, time.time())
    assert isinstance(verdict, Failure)
    assert verdict.code == "bad-signature"
    assert SECRET not in verdict.message and value not in verdict.message
    assert flask_reads(make_app("some other secret"), value) == {}


@pytest.mark.parametrize("where", ["payload", "timestamp", "signature", "truncated"])
def test_tampered_cookie_is_bad_signature(where: str) -> None:
    app = make_app()
    value = flask_cookie(app, {"user": "alice", "role": "user"})
    payload, stamp, sig = value.rsplit(".", 2)

    def flip(text: str) -> str:
        # The first character: the last one of a base64 group may carry only padding bits.
        return ("A" if text[0] != "A" else "B") + text[1:]

    tampered = {
        "payload": f"{flip(payload)}.{stamp}.{sig}",
        "timestamp": f"{payload}.{flip(stamp)}.{sig}",
        "signature": f"{payload}.{stamp}.{flip(sig)}",
        "truncated": f"{payload}.{stamp}.{sig[:-4]}",
    }[where]
    verdict = read(flask_format(SECRET), tampered, time.time())
    assert isinstance(verdict, Failure)
    assert verdict.code == "bad-signature"
    assert flask_reads(app, tampered) == {}


def test_salt_is_part_of_the_key() -> None:
    value = flask_cookie(make_app(), {"user": "alice"})
    verdict = read(flask_format(SECRET, salt="another-salt"), value, time.time())
    assert isinstance(verdict, Failure) and verdict.code == "bad-signature"


# --- age -------------------------------------------------------------------------------------


def test_expired_after_the_lifetime() -> None:
    app = make_app()
    value = flask_cookie(app, {"user": "alice"})
    later = time.time() + 31 * DAY + 60
    verdict = read(flask_format(SECRET), value, later)
    assert isinstance(verdict, Failure)
    assert verdict.code == "expired"
    assert flask_reads(app, value, later) == {}


def test_lifetime_boundary_matches_itsdangerous() -> None:
    app = make_app(lifetime=timedelta(seconds=60))
    value = flask_cookie(app, {"user": "alice"})
    fmt = flask_format(SECRET, lifetime=timedelta(seconds=60))
    issued = read(fmt, value, time.time())
    assert isinstance(issued, ClientSession) and issued.issued_at is not None
    # Ages are whole seconds: age 60 is still valid, age 61 is not.
    assert_same_read(app, fmt, value, issued.issued_at + 60.9)
    late = read(fmt, value, issued.issued_at + 61)
    assert isinstance(late, Failure) and late.code == "expired"
    assert flask_reads(app, value, issued.issued_at + 61) == {}
    # lifetime=None: no age check at all.
    assert isinstance(read(flask_format(SECRET, lifetime=None), value, 4e9), ClientSession)


def test_timestamp_from_the_future_is_rejected_like_itsdangerous() -> None:
    app = make_app()
    value = flask_cookie(app, {"user": "alice"})
    issued = read(flask_format(SECRET), value, time.time())
    assert isinstance(issued, ClientSession) and issued.issued_at is not None
    earlier = issued.issued_at - 2
    verdict = read(flask_format(SECRET), value, earlier)
    assert isinstance(verdict, Failure)
    assert verdict.code == "expired"
    assert "future" in verdict.message
    assert flask_reads(app, value, earlier) == {}


# --- read-only -------------------------------------------------------------------------------


def test_read_only() -> None:
    fmt = flask_format(SECRET)
    assert not fmt.writable
    # A cookie format: nothing to write a session with (the shells refuse, read-only).
    assert isinstance(fmt, CookieFormat) and not isinstance(fmt, StoreFormat)
    assert not hasattr(fmt, "encode") and not hasattr(fmt, "cookie_value")
    assert SECRET not in repr(fmt)


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        flask_format("")


# --- payloads Flask never makes, signed with the real key --------------------------------------


def flask_signer(secret: str = SECRET) -> TimestampSigner:
    """The signer Flask's session serializer uses underneath."""
    return TimestampSigner(
        secret, salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1
    )


def test_zlib_bomb_is_malformed_not_inflated() -> None:
    bomb = zlib.compress(b'{"a":"' + b"0" * (MAX_DECOMPRESSED + 10) + b'"}', 9)
    payload = b"." + base64.urlsafe_b64encode(bomb).rstrip(b"=")
    value = flask_signer().sign(payload).decode("ascii")
    verdict = read(flask_format(SECRET), value, time.time())
    assert isinstance(verdict, Failure)
    assert verdict.code == "malformed-cookie"


def test_payload_that_is_not_an_object_is_malformed() -> None:
    payload = base64.urlsafe_b64encode(b"[1,2]").rstrip(b"=")
    value = flask_signer().sign(payload).decode("ascii")
    verdict = read(flask_format(SECRET), value, time.time())
    assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"


def test_signed_value_without_timestamp_is_malformed() -> None:
    # A plain Signer's output: correctly signed, but with no timestamp inside.
    signer = Signer(
        SECRET, salt="cookie-session", key_derivation="hmac", digest_method=hashlib.sha1
    )
    value = signer.sign(b"e30").decode("ascii")
    verdict = read(flask_format(SECRET), value, time.time())
    assert isinstance(verdict, Failure) and verdict.code == "malformed-cookie"


def flask_loads(app: flask.Flask, value: str, now: float) -> dict[str, Any] | None:
    """Flask's serializer ``loads`` at `now`: the data, or None where it raises."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    with app.app_context(), clock(now):
        try:
            loaded = serializer.loads(value, max_age=31 * DAY)
        except Exception:
            return None
    return plain(loaded) if isinstance(loaded, dict) else None


APP = make_app()
FMT = flask_format(SECRET)
NOW = 1_700_000_000.0

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
tag_keys = st.sampled_from([" t", " b", " m", " u", " d", " di", " x", "t__", " t__"])
# JSON documents rich in Flask's tag keys, so that odd tag contents are exercised.
tagged_json = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(tag_keys, st.text(max_size=5)), inner, max_size=3),
        st.builds(lambda k, v: {k: v}, tag_keys, inner),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), tagged_json, max_size=4))
def test_any_signed_json_reads_as_flask_reads_it(document: dict[str, Any]) -> None:
    text = json.dumps(document, separators=(",", ":"))
    raw = text.encode("utf-8")
    compressed = zlib.compress(raw)
    payload = (
        b"." + base64.urlsafe_b64encode(compressed).rstrip(b"=")
        if len(compressed) < len(raw) - 1
        else base64.urlsafe_b64encode(raw).rstrip(b"=")
    )
    with clock(NOW):
        value = flask_signer().sign(payload).decode("ascii")
    expected = flask_loads(APP, value, NOW)
    verdict = FMT.read_cookie(value, NOW)
    if expected is None:
        assert isinstance(verdict, Failure), verdict
        assert verdict.code == "malformed-cookie"
    else:
        assert isinstance(verdict, ClientSession), verdict
        assert same(dict(verdict.data), expected)


b64url = st.binary(max_size=150).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"="))
payloads = st.one_of(
    b64url,
    b64url.map(lambda p: b"." + p),
    st.text(alphabet=string.printable, max_size=150).map(str.encode),
)


@settings(max_examples=300, deadline=None)
@given(payloads)
def test_any_signed_payload_reads_as_flask_reads_it(payload: bytes) -> None:
    with clock(NOW):
        value = flask_signer().sign(payload).decode("ascii")
    expected = flask_loads(APP, value, NOW)
    verdict = FMT.read_cookie(value, NOW)
    if expected is None:
        assert isinstance(verdict, Failure), verdict
    else:
        assert isinstance(verdict, ClientSession), verdict
        assert same(dict(verdict.data), expected)


values = st.recursive(
    st.one_of(
        json_leaves,
        st.binary(max_size=10),
        st.uuids(),
        st.datetimes(
            min_value=datetime(1900, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)
        ),
        st.text(max_size=10).map(Markup),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(tag_keys, st.text(max_size=5)), inner, max_size=3),
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.one_of(tag_keys, st.text(max_size=8)), values, max_size=4))
def test_any_session_flask_signs_reads_back(data: dict[str, Any]) -> None:
    serializer = APP.session_interface.get_signing_serializer(APP)  # type: ignore[attr-defined]
    with APP.app_context(), clock(NOW):
        value = serializer.dumps(data)
    expected = flask_loads(APP, value, NOW)
    assert expected is not None
    verdict = FMT.read_cookie(value, NOW)
    assert isinstance(verdict, ClientSession), verdict
    assert same(dict(verdict.data), expected)


# --- never raises ----------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300), st.floats(allow_nan=False, allow_infinity=False))
def test_read_cookie_never_raises_on_text(value: str, now: float) -> None:
    verdict = FMT.read_cookie(value, now)
    assert isinstance(verdict, Failure)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_read_cookie_never_raises_on_bytes(raw: bytes) -> None:
    assert isinstance(FMT.read_cookie(raw.decode("latin-1"), NOW), Failure)
    assert isinstance(load_payload(raw), dict | str)
    assert isinstance(load_payload(b"." + raw), dict | str)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="AZaz09-_.", max_size=120))
def test_read_cookie_never_raises_on_cookie_shaped_text(value: str) -> None:
    assert isinstance(FMT.read_cookie(value, NOW), Failure)


COOKIE = flask_cookie(APP, {"user": "alice", "n": 1})
ALPHABET = string.ascii_letters + string.digits + "-_.=+/!~ "


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(COOKIE) - 1), st.sampled_from(ALPHABET))
def test_any_one_character_change_is_judged_as_flask_judges_it(index: int, char: str) -> None:
    changed = COOKIE[:index] + char + COOKIE[index + 1 :]
    issued = FMT.read_cookie(COOKIE, time.time())
    assert isinstance(issued, ClientSession) and issued.issued_at is not None
    now = issued.issued_at
    expected = flask_loads(APP, changed, now)
    verdict = FMT.read_cookie(changed, now)
    # The last character of a base64 group may carry only padding bits that itsdangerous's
    # lenient decoding drops: such a change is no change, for Flask and for sessio alike.
    assert isinstance(verdict, ClientSession) == (expected is not None), (changed, verdict)
    if expected is not None and isinstance(verdict, ClientSession):
        assert same(dict(verdict.data), expected)
