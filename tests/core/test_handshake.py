"""The handshake: a Cookie header in, exactly one verdict out, and no secret in any message."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessio.core import (
    ClientSession,
    CookieFormat,
    Encoded,
    Failure,
    Format,
    SessionRef,
    StoredSession,
    StoreFormat,
    decode_stored,
    express,
    resolve,
)
from sessio.core._failures import id_tag
from sessio.core.formats.express import decode_uri_component, sign

TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
COOKIE_OCTETS = "".join(
    chr(c)
    for c in [0x21, *range(0x23, 0x2C), *range(0x2D, 0x3B), *range(0x3C, 0x5C), *range(0x5D, 0x7F)]
)


class CookieOnly(CookieFormat):
    """The session is the cookie: every value is a (read-only) client session."""

    name = "cookie-only"
    key = "session"

    def read_cookie(self, value: str, now: float) -> ClientSession | Failure:
        if not value.startswith("{"):
            return Failure.malformed(self.key, "not a JSON object")
        return ClientSession({"raw": len(value)}, None, now)


class Broken(StoreFormat):
    """A format with a bug: it raises, with the cookie value in the exception."""

    name = "broken"
    key = "connect.sid"

    def read_cookie(self, value: str, now: float) -> SessionRef:
        raise ValueError(f"cannot read {value!r}")

    def decode(self, raw: bytes, now: float) -> StoredSession:
        raise KeyError(raw)

    def encode(self, stored: StoredSession, now: float) -> Encoded:
        raise KeyError(stored)

    def cookie_value(self, session_id: str) -> str:
        raise KeyError(session_id)


FORMATS: list[Format] = [
    express(["s1", "s2"]),
    express(None),
    express("k", key="sid"),
    CookieOnly(),
    Broken(),
]
VERDICTS = (SessionRef, ClientSession, Failure)

formats = st.sampled_from(FORMATS)
headers = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet=st.sampled_from([*'"\\;,= %sS:.{connect.sid}', "é", "\u2603"])),
    st.lists(
        st.tuples(
            st.sampled_from(["connect.sid", "sid", "session", "x", " connect.sid "]),
            st.text(max_size=30),
        ),
        max_size=4,
    ).map(lambda pairs: "; ".join(f"{k}={v}" for k, v in pairs)),
)
nows = st.floats(min_value=-1e12, max_value=1e12) | st.sampled_from([0.0, 1.7e9])


def exactly_one_verdict(verdict: Any) -> bool:
    return sum(isinstance(verdict, kind) for kind in VERDICTS) == 1


@settings(max_examples=250)
@given(headers, formats, nows)
def test_resolve_always_returns_exactly_one_verdict(
    header: str | None, fmt: Format, now: float
) -> None:
    verdict = resolve(header, fmt, now)
    assert exactly_one_verdict(verdict)
    if isinstance(verdict, Failure):
        assert verdict.code in {"no-cookie", "malformed-cookie", "unsigned-cookie", "bad-signature"}
        assert str(verdict).startswith(verdict.code + ": ")


def test_a_raising_format_is_a_malformed_cookie() -> None:
    value = "s%3Asecret-session-id.signature"
    verdict = resolve(f"connect.sid={value}", Broken(), 0)
    assert isinstance(verdict, Failure)
    assert verdict.code == "malformed-cookie"
    assert "ValueError" in verdict.message
    assert value not in verdict.message
    assert "secret-session-id" not in verdict.message


def test_verdict_examples() -> None:
    fmt = express(["s1", "s2"])
    signed = "s:" + sign("abc", "s2")
    assert resolve(f"connect.sid={signed}", fmt, 0) == SessionRef("abc", "sess:abc", 1)
    assert resolve(f'connect.sid="{signed}"', fmt, 0) == SessionRef("abc", "sess:abc", 1)
    assert resolve(f"a=1,connect.sid={signed}", fmt, 0) == SessionRef("abc", "sess:abc", 1)
    first = resolve(f"connect.sid={signed}; connect.sid=s:other.sig", fmt, 0)
    assert first == SessionRef("abc", "sess:abc", 1)
    assert resolve("session={}", CookieOnly(), 5.0) == ClientSession({"raw": 2}, None, 5.0)
    assert resolve("connect.sid=abc", express(None), 0) == SessionRef("abc", "sess:abc")
    for header, code in [
        (None, "no-cookie"),
        ("", "no-cookie"),
        ("connect.sid", "no-cookie"),
        ("connect.sidx=1; xconnect.sid=2", "no-cookie"),
        ("connect.sid=abc", "unsigned-cookie"),
        ("connect.sid=s:abc", "malformed-cookie"),
        ("connect.sid=s:abc.def", "bad-signature"),
    ]:
        verdict = resolve(header, fmt, 0)
        assert isinstance(verdict, Failure), header
        assert verdict.code == code, header


# Values carry a marker that no message template contains, so "not in the message" is exact.
marked_values = st.text(alphabet=COOKIE_OCTETS, min_size=4, max_size=20).map(lambda v: "VAL" + v)
other_names = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=10)


@settings(max_examples=100)
@given(st.dictionaries(other_names, marked_values, max_size=14), formats)
def test_a_missing_cookie_names_what_was_seen_and_no_value(
    others: dict[str, str], fmt: Format
) -> None:
    others.pop(fmt.key, None)
    header = "; ".join(f"{k}={v}" for k, v in others.items())
    verdict = resolve(header, fmt, 0)
    assert isinstance(verdict, Failure)
    assert verdict.code == "no-cookie"
    assert repr(fmt.key) in verdict.message
    for name in sorted(others)[:10]:
        assert repr(name) in verdict.message
    for value in others.values():
        assert value not in verdict.message
    if not others:
        assert "no cookies at all" in verdict.message
    assert "credentials" in verdict.message


def test_no_cookie_message_example() -> None:
    verdict = resolve("theme=dark; lang=en", express(["s"]), 0)
    assert isinstance(verdict, Failure)
    assert verdict.code == "no-cookie"
    assert "'connect.sid'" in verdict.message
    assert "'lang', 'theme'" in verdict.message
    assert "dark" not in verdict.message


secrets = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=6, max_size=16).map(
        lambda s: "SECRET" + s
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def cookie_values(draw: st.DrawFn, listed: list[str]) -> str:
    """A cookie value: random, unsigned, signed, tampered with, or signed with another secret."""
    sid = draw(st.text(min_size=8, max_size=30).map(lambda s: "SID" + s))
    kind = draw(st.sampled_from(["random", "plain", "listed", "tampered", "other", "no-sig"]))
    if kind == "random":
        return draw(marked_values)
    if kind == "plain":
        return sid
    if kind == "no-sig":
        return "s:" + sid.replace(".", "")
    secret = draw(st.sampled_from(listed)) if kind != "other" else "SECRETnotlisted"
    signed = "s:" + sign(sid, secret)
    if kind == "tampered":
        signed = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    if kind == "listed" and draw(st.booleans()):
        encoded = express([secret]).cookie_value(sid)
        assert isinstance(encoded, str)
        return encoded
    return signed


@settings(max_examples=150)
@given(secrets, st.data(), st.sampled_from(["connect.sid", "sid"]), st.booleans())
def test_no_failure_message_contains_a_secret_or_the_cookie_value(
    listed: list[str], data: st.DataObject, key: str, quoted: bool
) -> None:
    fmt = express(listed, key=key)
    value = data.draw(cookie_values(listed), label="value")
    shown = f'"{value}"' if quoted and '"' not in value and "\\" not in value else value
    header = data.draw(
        st.sampled_from(
            [f"{key}={shown}", f"a=1; {key}={shown}", f"{key}X={shown}", f"theme=x,{key}={shown}"]
        ),
        label="header",
    )
    verdict = resolve(header, fmt, 0)
    assert exactly_one_verdict(verdict)
    if not isinstance(verdict, Failure):
        return
    text = str(verdict)
    for secret in [*listed, "SECRETnotlisted"]:
        assert secret not in text
    assert value not in text
    decoded = decode_uri_component(value) if "%" in value else value
    if decoded and len(decoded) >= 8:
        assert decoded not in text
    if decoded and decoded.startswith("s:") and "." in decoded:
        assert decoded[2 : decoded.rindex(".")] not in text  # nor the session id


def test_failure_messages_keep_no_exception_text() -> None:
    error = ConnectionError("redis://:SECRETpassword@10.0.0.1:6379 refused")
    failure = Failure.store_unavailable(error)
    assert failure.code == "store-unavailable"
    assert "ConnectionError" in failure.message
    assert "SECRETpassword" not in failure.message


@pytest.mark.parametrize("fmt", [express(["s"]), express(None)])
def test_load_turns_store_answers_into_sessions_or_failures(fmt: StoreFormat) -> None:
    ref = SessionRef("abc", "sess:abc")
    missing = decode_stored(ref, None, fmt, 0)
    assert isinstance(missing, Failure)
    assert missing.code == "session-not-found"
    # The id is a credential: the message shows the prefix and a hash of it only.
    assert f"'sess:…{id_tag('abc')}'" in missing.message and "abc" not in missing.message
    corrupt = decode_stored(ref, b"\x80not json", fmt, 0)
    assert isinstance(corrupt, Failure)
    assert corrupt.code == "corrupt-session"
    assert decode_stored(ref, b'{"a":1}', fmt, 0) == StoredSession({"a": 1})


@settings(max_examples=100)
@given(st.binary(), nows)
def test_load_never_raises(raw: bytes, now: float) -> None:
    ref = SessionRef("abc", "sess:abc")
    stored_formats: list[StoreFormat] = [express(["s"]), Broken()]
    for fmt in stored_formats:
        result = decode_stored(ref, raw, fmt, now)
        assert isinstance(result, StoredSession | Failure)
        if isinstance(result, Failure):
            assert result.code == "corrupt-session"
            if len(raw) >= 4:
                assert repr(raw) not in result.message
