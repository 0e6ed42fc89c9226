"""express-session's cookie (cookie-signature) and connect-redis's JSON store layout."""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sessio.core import Failure, SessionRef, StoredSession, same
from sessio.core.formats.express import decode_uri_component, express, sign, unsign

NODE_DIR = Path(__file__).resolve().parents[3] / "benchmarks" / "node"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

no_surrogates = st.characters(codec="utf-8")
sids = st.text(alphabet=no_surrogates, max_size=40)
secret = st.one_of(
    st.text(alphabet=no_surrogates, min_size=1, max_size=20),
    st.binary(min_size=1, max_size=80),
)
nows = st.floats(min_value=0, max_value=4e9, allow_nan=False)


def hmac_key(value: str | bytes) -> bytes:
    """The key HMAC really uses: long keys are hashed, short ones padded with NULs."""
    key = value.encode("utf-8") if isinstance(value, str) else value
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    return key.rstrip(b"\0")


secret_lists = st.lists(secret, min_size=1, max_size=4, unique_by=hmac_key)


def encode_uri_component(value: str) -> str:
    """JavaScript's ``encodeURIComponent``."""
    return quote(value, safe="-_.!~*'()")


def iso(ms: int) -> str:
    """``Date.prototype.toISOString`` of a millisecond timestamp, exactly."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_ms(text: str) -> int:
    """Milliseconds since the epoch of an ISO string, exactly."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment - EPOCH) // timedelta(milliseconds=1)


# --- cookie: sign and verify -------------------------------------------------------------


def test_sign_matches_cookie_signature_reference() -> None:
    # Computed with cookie-signature 1.0.7: signature.sign('abc', 'keyboard cat').
    assert sign("abc", "keyboard cat") == "abc.BpxCrWRpvZMh/wk/djl34N+m+VQEU7K/5WenLwJCgFU"
    assert express(["keyboard cat"]).cookie_value("abc") == (
        "s%3Aabc.BpxCrWRpvZMh%2Fwk%2Fdjl34N%2Bm%2BVQEU7K%2F5WenLwJCgFU"
    )


@settings(max_examples=150)
@given(sids, secret_lists, st.data())
def test_rotation_any_listed_secret_verifies_with_its_index(
    sid: str, secrets: list[str | bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(secrets) - 1), label="signed with")
    fmt = express(secrets)
    signer = express([secrets[index]])
    value = signer.cookie_value(sid)
    assert isinstance(value, str)
    assert fmt.read_cookie(value, 0.0) == SessionRef(sid, "sess:" + sid, index)
    if "%" not in sid:  # a raw value is only percent-decoded when it holds a '%'
        raw = "s:" + sign(sid, secrets[index])
        assert fmt.read_cookie(raw, 0.0) == SessionRef(sid, "sess:" + sid, index)
    assert unsign(sign(sid, secrets[index]), secrets) == (sid, index)


@settings(max_examples=150)
@given(sids, secret_lists, secret)
def test_a_secret_not_in_the_list_gives_bad_signature(
    sid: str, secrets: list[str | bytes], other: str | bytes
) -> None:
    assume(hmac_key(other) not in {hmac_key(s) for s in secrets})
    value = express([other]).cookie_value(sid)
    assert isinstance(value, str)
    verdict = express(secrets).read_cookie(value, 0.0)
    assert isinstance(verdict, Failure)
    assert verdict.code == "bad-signature"


def test_hmac_key_equivalence_is_real() -> None:
    # Why the strategies above compare secrets by hmac_key: these pairs are one HMAC key.
    assert sign("sid", "a") == sign("sid", b"a\0\0")
    long_key = b"k" * 65
    assert sign("sid", long_key) == sign("sid", hashlib.sha256(long_key).digest())


@settings(max_examples=200)
@given(sids, secret_lists, st.data())
def test_any_single_character_change_gives_bad_signature(
    sid: str, secrets: list[str | bytes], data: st.DataObject
) -> None:
    signed = "s:" + sign(sid, secrets[0])
    # Positions inside the sid or inside the signature; never "s:" or the separating dot.
    separator = len(signed) - signed[::-1].index(".") - 1
    positions = [*range(2, separator), *range(separator + 1, len(signed))]
    pos = data.draw(st.sampled_from(positions), label="position")
    edit = data.draw(st.sampled_from(["replace", "delete", "insert"]), label="edit")
    char = data.draw(no_surrogates.filter(lambda c: c != signed[pos]), label="char")
    if edit == "replace":
        changed = signed[:pos] + char + signed[pos + 1 :]
    elif edit == "delete":
        changed = signed[:pos] + signed[pos + 1 :]
    else:
        changed = signed[:pos] + char + signed[pos:]
    assume(changed != signed)
    # The separating dot is untouched, so a '.' always remains: never malformed-cookie.
    verdict = express(secrets).read_cookie(encode_uri_component(changed), 0.0)
    assert isinstance(verdict, Failure)
    assert verdict.code == "bad-signature"


@settings(max_examples=100)
@given(sids, secret_lists)
def test_removing_the_separator(sid: str, secrets: list[str | bytes]) -> None:
    signed = "s:" + sign(sid, secrets[0])
    dot = signed.rindex(".")
    verdict = express(secrets).read_cookie(
        encode_uri_component(signed[:dot] + signed[dot + 1 :]), 0
    )
    assert isinstance(verdict, Failure)
    # Only when no other '.' is left is the value unreadable; otherwise it is split wrongly.
    assert verdict.code == ("bad-signature" if "." in sid else "malformed-cookie")


def test_signature_edge_examples() -> None:
    fmt = express(["s1", "s2"])
    good = "s:" + sign("abc", "s2")
    assert fmt.read_cookie(good, 0) == SessionRef("abc", "sess:abc", 1)
    for value, code in [
        ("s:abc", "malformed-cookie"),
        ("s:abc.", "bad-signature"),
        ("s:.", "bad-signature"),
        (good + "=", "bad-signature"),  # cookie-signature strips the padding; so must we
        ("abc", "unsigned-cookie"),
        ("", "unsigned-cookie"),
        ("S:" + sign("abc", "s1"), "unsigned-cookie"),
        (sign("abc", "s1"), "unsigned-cookie"),
        ("s%3Aabc%2", "unsigned-cookie"),  # undecodable: kept raw, as the cookie module does
    ]:
        verdict = fmt.read_cookie(value, 0)
        assert isinstance(verdict, Failure), value
        assert verdict.code == code, value
    # An empty sid is still a signed value that verifies.
    assert fmt.read_cookie("s:" + sign("", "s1"), 0) == SessionRef("", "sess:", 0)


@settings(max_examples=150)
@given(st.text(max_size=40), secret_lists)
def test_unsigned_values_are_refused_while_secrets_are_set(
    value: str, secrets: list[str | bytes]
) -> None:
    decoded = decode_uri_component(value) if "%" in value else value
    assume(not (decoded or value).startswith("s:"))
    verdict = express(secrets).read_cookie(value, 0)
    assert isinstance(verdict, Failure)
    assert verdict.code == "unsigned-cookie"


@settings(max_examples=100)
@given(sids.filter(bool))
def test_without_secrets_the_value_is_the_sid(sid: str) -> None:
    fmt = express(None)
    value = fmt.cookie_value(sid)
    assert isinstance(value, str)
    assert fmt.read_cookie(value, 0) == SessionRef(sid, "sess:" + sid, None)
    empty = fmt.read_cookie("", 0)
    assert isinstance(empty, Failure)
    assert empty.code == "malformed-cookie"


@settings(max_examples=100)
@given(sids, secret_lists)
def test_cookie_value_is_encode_uri_component_of_the_signed_value(
    sid: str, secrets: list[str | bytes]
) -> None:
    fmt = express(secrets, key="sid.cookie")
    value = fmt.cookie_value(sid)
    assert value == encode_uri_component("s:" + sign(sid, secrets[0]))
    assert isinstance(value, str)
    assert re.fullmatch(r"[A-Za-z0-9\-_.!~*'()%]*", value)
    assert fmt.read_cookie(value, 0) == SessionRef(sid, "sess:" + sid, 0)


# --- decodeURIComponent --------------------------------------------------------------------


@settings(max_examples=200)
@given(st.text(alphabet=no_surrogates), st.sampled_from(["", "-_.!~*'()", "/:@", "%"]))
def test_decode_uri_component_inverts_quote(text: str, safe: str) -> None:
    encoded = quote(text, safe=safe)
    if "%" in safe:
        assume(decode_uri_component(encoded) is not None)
    else:
        assert decode_uri_component(encoded) == text
    assert decode_uri_component(encoded) == unquote(encoded, errors="strict")


percent_text = st.text(
    alphabet=st.sampled_from(list("%0123456789abcdefABCDEFgxz é\u2603")), max_size=30
) | st.lists(
    st.sampled_from(["%", "%2", "%25", "%C3", "%A9", "%E2%98%83", "%ED%A0%80", "%F0", "a", "é"]),
    max_size=8,
).map("".join)


@settings(max_examples=150)
@given(percent_text)
def test_decode_uri_component_matches_strict_unquote(text: str) -> None:
    expected: str | None
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        expected = None  # decodeURIComponent throws on a bad escape; unquote keeps it
    else:
        try:
            expected = unquote(text, errors="strict")
        except UnicodeDecodeError:
            expected = None
    assert decode_uri_component(text) == expected


def test_decode_uri_component_examples() -> None:
    assert decode_uri_component("s%3Aabc") == "s:abc"
    assert decode_uri_component("%E2%98%83%41") == "\u2603A"
    assert decode_uri_component("100%") is None
    assert decode_uri_component("%zz") is None
    assert decode_uri_component("%C3") is None
    assert decode_uri_component("%C3x%A9") is None
    assert decode_uri_component("%ED%A0%80") is None  # an encoded surrogate: URIError in JS
    assert decode_uri_component("%C0%80") is None  # overlong
    assert decode_uri_component("") == ""


# --- cross-check with the real Node cookie-signature ---------------------------------------


def random_sids(count: int) -> list[str]:
    rng = random.Random(20240601)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
        "".join(chr(c) for c in range(0x20, 0x7F)),
        "éüß€✓😀中文한국어%.;,\"\\'= \t",
    ]
    out = []
    for _ in range(count):
        length = rng.randint(0, 40)
        chars = []
        for _ in range(length):
            if rng.random() < 0.1:
                code = rng.randint(0x80, 0x10FFFF)
                while 0xD800 <= code <= 0xDFFF:
                    code = rng.randint(0x80, 0x10FFFF)
                chars.append(chr(code))
            else:
                chars.append(rng.choice(rng.choice(pools)))
        out.append("".join(chars))
    return out


@pytest.mark.parametrize("node_secret", ["keyboard cat", "s\u00e9cret \u2713"])
def test_node_cookie_signature_agrees(node_secret: str) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (NODE_DIR / "sign.js").is_file():
        pytest.skip(f"{NODE_DIR}/sign.js is missing")
    if not (NODE_DIR / "node_modules" / "cookie-signature").is_dir():
        pytest.skip(f"run `npm ci` in {NODE_DIR} first")
    batch = random_sids(200)
    assert not any("\n" in s or "\r" in s for s in batch)  # sign.js reads one sid a line
    done = subprocess.run(
        [node, "sign.js", node_secret],
        input="\n".join(batch) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=NODE_DIR,
        timeout=30,
        check=True,
    )
    signed = done.stdout.splitlines()
    assert len(signed) == len(batch)
    fmt = express(["old secret", node_secret])
    own = express([node_secret])
    for sid, value in zip(batch, signed, strict=True):
        assert fmt.read_cookie(value, 0) == SessionRef(sid, "sess:" + sid, 1), sid
        assert own.cookie_value(sid) == value, sid


# --- store: connect-redis JSON -------------------------------------------------------------

# Strings with lone (high) surrogates, which a socket.io payload can carry; only high ones,
# so that no two of them form a pair that JSON would read back as one astral character.
surrogate_text = st.lists(st.sampled_from(["a", "\ud800", "\udbff", "é", "😀"]), max_size=4).map(
    "".join
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    surrogate_text,
)
json_keys = st.text(max_size=8) | surrogate_text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_keys, inner, max_size=3),
    max_leaves=8,
)
session_data = st.dictionaries(json_keys.filter(lambda k: k != "cookie"), json_values, max_size=5)
# Milliseconds between now and the cookie's expiry (always in the future here).
future_ms = st.integers(min_value=1, max_value=400 * 86400 * 1000)


@st.composite
def cookies(draw: st.DrawFn, now: float) -> dict[str, Any]:
    """express-session's stored ``cookie`` object, live at `now`."""
    max_age = draw(st.none() | st.integers(0, 10**10))
    expires = draw(st.none() | future_ms.map(lambda d: iso(math.floor(now * 1000) + d)))
    cookie: dict[str, Any] = {"originalMaxAge": max_age, "expires": expires}
    if draw(st.booleans()):
        cookie.update({"secure": False, "httpOnly": True, "path": "/", "sameSite": "lax"})
    return cookie


@settings(max_examples=80)
@given(session_data, nows, st.data())
def test_decode_encode_round_trip(data: dict[str, Any], now: float, draw: st.DataObject) -> None:
    fmt = express(["s"])
    meta = draw.draw(st.just({}) | cookies(now).map(lambda c: {"cookie": c}), label="meta")
    encoded = fmt.encode(StoredSession(data, meta), now)
    assert not isinstance(encoded, Failure)
    decoded = fmt.decode(encoded.value, now)
    assert isinstance(decoded, StoredSession)
    assert same(dict(decoded.data), data)
    assert same(dict(decoded.meta), meta)
    # JSON.stringify's text: compact, non-ASCII as is but lone surrogates escaped, and the
    # cookie object first (where express-session puts it).
    document = json.loads(encoded.value)
    compact = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    assert encoded.value == re.sub(
        "[\ud800-\udfff]", lambda m: f"\\u{ord(m[0]):04x}", compact
    ).encode("utf-8")
    if meta:
        assert next(iter(document)) == "cookie"


@settings(max_examples=60)
@given(session_data, nows, future_ms | st.integers(-(10**9), 0))
def test_ttl_is_ceil_of_seconds_to_expires(data: dict[str, Any], now: float, delta: int) -> None:
    fmt = express(["s"], ttl=1234)
    expires_ms = math.floor(now * 1000) + delta
    encoded = fmt.encode(StoredSession(data, {"cookie": {"expires": iso(expires_ms)}}), now)
    assert not isinstance(encoded, Failure)
    assert encoded.ttl == math.ceil(expires_ms / 1000 - now)
    for cookie in [{"expires": None}, {}, {"expires": "not a date"}, {"expires": 5}]:
        plain = fmt.encode(StoredSession(data, {"cookie": cookie}), now)
        assert not isinstance(plain, Failure)
        assert plain.ttl == 1234
    bare = fmt.encode(StoredSession(data), now)
    assert not isinstance(bare, Failure)
    assert bare.ttl == 1234


def test_ttl_examples() -> None:
    fmt = express(["s"])
    now = 1_700_000_000.0
    stored = StoredSession({"a": 1}, {"cookie": {"expires": iso(1_700_000_000_001)}})
    encoded = fmt.encode(stored, now)
    assert not isinstance(encoded, Failure)
    assert encoded.ttl == 1  # ceil(0.001)
    past = fmt.encode(StoredSession({}, {"cookie": {"expires": iso(1_699_999_999_000)}}), now)
    assert not isinstance(past, Failure)
    assert past.ttl is not None
    assert past.ttl <= 0


def test_encode_is_json_stringify() -> None:
    fmt = express(["s"])
    stored = StoredSession(
        {"cookie": "dropped", "name": "Zoë", "n": [1, 2.5, None, True]},
        {"cookie": {"originalMaxAge": None, "expires": None, "httpOnly": True, "path": "/"}},
    )
    encoded = fmt.encode(stored, 0)
    assert not isinstance(encoded, Failure)
    # Byte for byte what express-session + connect-redis store (JSON.stringify).
    assert (
        encoded.value
        == (
            '{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"},'
            '"name":"Zoë","n":[1,2.5,null,true]}'
        ).encode()
    )


def test_unjsonable_data_is_an_unserializable_failure() -> None:
    fmt = express(["s"])
    unjsonable: list[dict[str, Any]] = [{"x": float("nan")}, {"x": {1, 2}}, {"x": object()}]
    for data in unjsonable:
        encoded = fmt.encode(StoredSession(data), 0)
        assert isinstance(encoded, Failure)
        assert encoded.code == "unserializable"


def test_lone_surrogates_are_escaped_like_json_stringify() -> None:
    # A socket.io client can send "\ud800" in an event payload (json.loads accepts it).
    fmt = express(["s"])
    encoded = fmt.encode(StoredSession({"a": "x\ud800y", "\udfff": 1}), 0)
    assert not isinstance(encoded, Failure)
    assert encoded.value == b'{"a":"x\\ud800y","\\udfff":1}'
    decoded = fmt.decode(encoded.value, 0)
    assert isinstance(decoded, StoredSession)
    assert decoded.data == {"a": "x\ud800y", "\udfff": 1}


def test_deeply_nested_json_is_corrupt_not_a_crash() -> None:
    fmt = express(["s"])
    for raw in [b"[" * 100_000, b'{"a":' * 100_000]:
        decoded = fmt.decode(raw, 0)
        assert isinstance(decoded, Failure)
        assert decoded.code == "corrupt-session"
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    encoded = fmt.encode(StoredSession({"deep": nested}), 0)
    assert isinstance(encoded, Failure)
    assert encoded.code == "unserializable"


json_fragments = st.lists(
    st.sampled_from(
        [
            "{",
            "}",
            "[",
            "]",
            ":",
            ",",
            '"cookie"',
            '"expires"',
            '"originalMaxAge"',
            '"a"',
            "null",
            "1",
            "1e999",
            "NaN",
            "-Infinity",
            '"2020-01-01T00:00:00.000Z"',
            "true",
            " ",
        ]
    ),
    max_size=20,
).map(lambda parts: "".join(parts).encode())


@settings(max_examples=150)
@given(st.binary() | json_fragments, nows)
def test_corrupt_bytes_never_raise(raw: bytes, now: float) -> None:
    decoded = express(["s"]).decode(raw, now)
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and isinstance(document.get("cookie", {}), dict):
        assert isinstance(decoded, StoredSession)
    else:
        assert isinstance(decoded, Failure)
        assert decoded.code == "corrupt-session"


def test_decode_examples() -> None:
    fmt = express(["s"])
    good = b'{"cookie":{"originalMaxAge":null,"expires":null},"user":"alice"}'
    decoded = fmt.decode(good, 0)
    assert decoded == StoredSession(
        {"user": "alice"}, {"cookie": {"originalMaxAge": None, "expires": None}}
    )
    for raw in [b"", b"null", b"[]", b'"x"', b'{"cookie":1}', b'{"cookie":[]}', b"\xff{}"]:
        failed = fmt.decode(raw, 0)
        assert isinstance(failed, Failure), raw
        assert failed.code == "corrupt-session", raw


@settings(max_examples=80)
@given(session_data, nows, st.integers(0, 10**11), st.data())
def test_touch_slides_expires_by_original_max_age(
    data: dict[str, Any], now: float, max_age: int, draw: st.DataObject
) -> None:
    fmt = express(["s"])
    cookie = draw.draw(cookies(now), label="cookie")
    cookie["originalMaxAge"] = max_age
    touched = fmt.touch(StoredSession(data, {"cookie": cookie}), now)
    assert touched.data == data
    slid = touched.meta["cookie"]
    assert iso_ms(slid["expires"]) == math.floor(now * 1000 + max_age)
    assert {k: v for k, v in slid.items() if k != "expires"} == {
        k: v for k, v in cookie.items() if k != "expires"
    }
    encoded = fmt.encode(touched, now)
    assert not isinstance(encoded, Failure)
    assert encoded.ttl == math.ceil(iso_ms(slid["expires"]) / 1000 - now)


def test_touch_without_a_max_age_changes_nothing() -> None:
    fmt = express(["s"])
    metas: list[dict[str, Any]] = [
        {},
        {"cookie": None},
        {"cookie": {"originalMaxAge": None, "expires": None}},
        {"cookie": {"originalMaxAge": True, "expires": None}},
        {"cookie": {"originalMaxAge": "60000", "expires": None}},
    ]
    for meta in metas:
        stored = StoredSession({"a": 1}, meta)
        assert fmt.touch(stored, 100.0) == stored


@pytest.mark.parametrize(
    "max_age", [1e300, -1e300, float("inf"), float("nan"), 10**30, 10**400, -(10**15)]
)
def test_touch_with_an_absurd_max_age_gives_a_null_expires(max_age: float) -> None:
    # Store bytes come from anyone who can write the store; json.loads reads Infinity too.
    # JavaScript's new Date(now + 1e300).toJSON() is null.
    fmt = express(["s"])
    stored = StoredSession({"a": 1}, {"cookie": {"originalMaxAge": max_age, "expires": "x"}})
    touched = fmt.touch(stored, 100.0)
    assert touched.data == {"a": 1}
    assert touched.meta["cookie"]["expires"] is None
    encoded = fmt.encode(touched, 100.0)
    if isinstance(encoded, Failure):  # Infinity and NaN are not JSON
        assert encoded.code == "unserializable"
    else:
        assert encoded.ttl == fmt.ttl


def test_touch_examples() -> None:
    fmt = express(["s"])
    stored = StoredSession({}, {"cookie": {"originalMaxAge": 60_000, "expires": None}})
    touched = fmt.touch(stored, 1_700_000_000.5)
    assert touched.meta["cookie"]["expires"] == "2023-11-14T22:14:20.500Z"
    far = fmt.touch(stored, 253_402_300_799.0)  # 9999-12-31T23:59:59Z, plus a minute
    assert far.meta["cookie"]["expires"] is None
    early = fmt.touch(StoredSession({}, {"cookie": {"originalMaxAge": -62_135_596_800_000}}), 0.0)
    assert early.meta["cookie"]["expires"] == "0001-01-01T00:00:00.000Z"


@settings(max_examples=50)
@given(nows, st.integers(1, 10**9))
def test_fresh_session_with_max_age(now: float, max_age_s: int) -> None:
    fmt = express(["s"], cookie_max_age=max_age_s)
    fresh = fmt.fresh({"a": 1, "cookie": "user value is dropped"}, now)
    assert fresh.data == {"a": 1}
    cookie = fresh.meta["cookie"]
    assert cookie["originalMaxAge"] == max_age_s * 1000
    assert iso_ms(cookie["expires"]) == math.floor(now * 1000 + max_age_s * 1000)
    assert cookie["httpOnly"] is True
    assert cookie["path"] == "/"
    plain = express(["s"]).fresh({}, now)
    assert plain.meta["cookie"]["expires"] is None
    assert plain.meta["cookie"]["originalMaxAge"] is None


@settings(max_examples=50)
@given(st.binary(min_size=1, max_size=48))
def test_new_sid_is_uid_safe(entropy: bytes) -> None:
    sid = express(["s"]).new_session_id(entropy)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", sid)
    assert len(sid) == math.ceil(len(entropy) * 4 / 3)


ESCAPE_PIECES = ["%3A", "%2F", "%2B", "%3D", "%25", "%3a", "%", "3", "A", "25", "x", "é"]
ESCAPE_PIECES += ["%C3", "%A9", "%E2", "%82", "%AC"]


@settings(max_examples=500)
@given(st.lists(st.sampled_from(ESCAPE_PIECES), max_size=14).map("".join))
def test_decode_uri_component_on_escape_heavy_values(value: str) -> None:
    # The fast path for express's own escapes must agree with a strict full decode.
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        expected = None
    else:
        try:
            expected = unquote(value, errors="strict")
        except UnicodeDecodeError:
            expected = None
    assert decode_uri_component(value) == expected


@pytest.mark.parametrize("secrets", [[], "", [""], ["k", b""], ()])
def test_an_empty_secret_is_refused_at_construction(secrets: Any) -> None:
    # Otherwise every cookie value would pass as a session id.
    with pytest.raises(ValueError, match="secrets=None"):
        express(secrets)


def test_secrets_none_accepts_plain_ids_on_purpose() -> None:
    assert express(None).read_cookie("abc", 0) == SessionRef("abc", "sess:abc")
    assert express(["k"]).read_cookie("abc", 0) == Failure.unsigned("connect.sid")


def _general_read(fmt: Any, value: str) -> SessionRef | Failure:
    """What `read_cookie` answered before its one-secret fast path: the `unsign_with` loop."""
    from sessio.core.formats._express_cookie import unsign_with

    if "%" in value:
        value = decode_uri_component(value) or value
    if not value.startswith("s:"):
        return Failure.unsigned(fmt.key)
    if "." not in value:
        return Failure.malformed(fmt.key, "a signed value without a signature")
    if not value.isascii() and re.search("[\ud800-\udfff]", value):
        return Failure.malformed(fmt.key, "it is not encodable text")
    verified = unsign_with(value[2:], fmt._keyed)
    if verified is None:
        return Failure.bad_signature(fmt.key, len(fmt.secrets))
    return SessionRef(verified[0], fmt.store_key(verified[0]), verified[1])


signed_or_forged = st.builds(
    lambda sid, key, cut, extra, encode: (
        lambda signed: quote(signed, safe="") if encode else signed
    )(("s:" + sign(sid, key))[: len("s:" + sign(sid, key)) - cut] + extra),
    sids,
    secret,
    st.integers(0, 3),
    st.sampled_from(["", "A", "=", ".", "%2F", "é", "\x00"]),
    st.booleans(),
)


@settings(max_examples=400)
@given(st.one_of(signed_or_forged, st.text(max_size=80)), secret, st.booleans())
def test_the_one_secret_fast_path_answers_as_the_general_path(
    value: str, key: str | bytes, signed_by_key: bool
) -> None:
    # The fast path (one secret, ASCII) must give the very verdict of the general one.
    fmt = express(secrets=[key])
    if signed_by_key:
        value = quote("s:" + sign(value, key), safe="")
    assert fmt.read_cookie(value, 0) == _general_read(fmt, value)
    two = express(secrets=[key, b"another"])
    assert two.read_cookie(value, 0) == _general_read(two, value)


@settings(max_examples=400)
@given(
    st.lists(st.sampled_from([*ESCAPE_PIECES, "s", ":", ".", "s%3A", "s:", "%2E"]), max_size=10),
    sids,
    secret,
)
def test_read_cookie_decodes_escapes_as_the_general_path(
    pieces: list[str], sid: str, key: str | bytes
) -> None:
    # `read_cookie` decodes express's own escapes inline: any mix of escapes, broken or not,
    # around a real signed value or alone, gets the verdict of the general path.
    signed = quote("s:" + sign(sid, key), safe="")
    fmt = express(secrets=[key])
    for value in ("".join(pieces), signed + "".join(pieces), "".join(pieces) + signed):
        assert fmt.read_cookie(value, 0) == _general_read(fmt, value)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@given(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=4))
def test_the_nesting_bound_is_never_below_the_depth(document: dict[str, Any]) -> None:
    raw = json.dumps(document).encode()
    decoded = express(["s"]).decode(raw, 0)
    assert isinstance(decoded, StoredSession)
    bound = express(["s"]).nesting_bound(raw)
    assert bound is not None and bound >= _depth(decoded.data) and bound >= _depth(decoded.meta)


@given(st.binary(max_size=40))
def test_decode_reads_any_bytes_as_json_loads_does(tail: bytes) -> None:
    fmt = express(["s"])
    for raw in (b"{" + tail, tail):
        decoded = fmt.decode(raw, 0)
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            assert isinstance(decoded, Failure) and decoded.code == "corrupt-session"
            continue
        if not isinstance(document, dict) or not isinstance(document.get("cookie", {}), dict):
            assert isinstance(decoded, Failure)
            continue
        cookie = document.pop("cookie", None)
        assert isinstance(decoded, StoredSession)
        assert same(decoded.data, document)
        assert same(decoded.meta, {} if cookie is None else {"cookie": cookie})
