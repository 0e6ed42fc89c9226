"""aiohttp-session's encrypted cookie: every verdict pinned against the reading it replaced.

`read_cookie` decodes the token's base64 once for its version and time, refuses what no key
can open before trying one, decrypts with ``Fernet.decrypt`` key by key, and bounds the
session's depth from the JSON text. `reference` is the reading before that (commit
``efce3db``): ``cryptography.fernet.Fernet.decrypt`` with each key in turn, the time checked
after the signature, ``json.loads``, then `resolve`'s walk for depth. Both must answer the
same verdict, failure code and message included, for every token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import os
from hashlib import sha256
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("cryptography")

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from sessio.core._changes import MAX_NESTING, nested_too_deep
from sessio.core._failures import Failure
from sessio.core._handshake import Verdict, resolve, resolve_value
from sessio.core._verdicts import ClientSession
from sessio.core.formats.aiohttp import AiohttpCookieFormat, aiohttp

KEYS = (bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96)))
FERNETS = tuple(Fernet(base64.urlsafe_b64encode(k)) for k in KEYS)
NOW = 1_800_000_000


def reference(token: str, fmt: AiohttpCookieFormat, now: float) -> Verdict:
    """`resolve_value` as it read an encrypted cookie before (commit efce3db)."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("utf-8"))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < 9 or raw[0] != 0x80:
        return Failure.malformed(fmt.key, "it is not a Fernet token")
    for index, key in enumerate(fmt.fernet_keys):
        try:
            plaintext = Fernet(base64.urlsafe_b64encode(key)).decrypt(token)
        except (InvalidToken, ValueError, TypeError):
            continue
        if fmt.max_age is not None:
            issued = int.from_bytes(raw[1:9], "big")
            if issued + fmt.max_age < int(now):
                return Failure.expired(f"the Fernet token is older than {fmt.max_age} s")
            if int(now) + 60 < issued:
                return Failure.malformed(fmt.key, "its Fernet timestamp is in the future")
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            return Failure.malformed(fmt.key, "the decrypted session is not UTF-8")
        return _reference_document(text, index, fmt, now)
    return Failure.bad_signature(fmt.key, len(fmt.fernet_keys))


def _reference_document(text: str, index: int, fmt: AiohttpCookieFormat, now: float) -> Verdict:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return Failure.malformed(fmt.key, "it is not JSON")
    if not isinstance(document, dict):
        return Failure.malformed(fmt.key, "the JSON is not an object")
    created = document.get("created")
    if created is not None and (
        not isinstance(created, int | float)
        or isinstance(created, bool)
        or not math.isfinite(created)
    ):
        return Failure.malformed(fmt.key, "its 'created' is not a number")
    session = document.get("session")
    if session is not None and not isinstance(session, dict):
        return Failure.malformed(fmt.key, "its 'session' is not an object")
    if document and fmt.max_age is not None:
        age = int(now) - created if created else int(now)
        if age > fmt.max_age:
            return Failure.expired(f"created {age} s ago, max_age is {fmt.max_age} s")
    data = dict(session or {})
    if nested_too_deep(data):
        return Failure.malformed(fmt.key, f"its session nests more than {MAX_NESTING} levels deep")
    return ClientSession(data, index, None if created is None else float(int(created)))


def signed(key: bytes, body: bytes) -> str:
    """A token of `body` (version, time, IV, ciphertext: any bytes) signed under `key`."""
    mac = hmac.new(key[:16], body, sha256).digest()
    return base64.urlsafe_b64encode(body + mac).decode()


def unpadded(key: bytes, issued: int, plaintext: bytes) -> str:
    """A signed token whose plaintext (whole blocks) was encrypted without PKCS7 padding."""
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return signed(key, b"\x80" + issued.to_bytes(8, "big") + iv + ciphertext)


def nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)
documents = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {},
        optional={
            "created": st.one_of(
                st.integers(NOW - 200, NOW + 200),
                st.floats(allow_nan=True, allow_infinity=True),
                st.booleans(),
                st.just(0),
                st.text(max_size=2),
            ),
            "session": st.one_of(
                st.dictionaries(st.text(max_size=4), json_values, max_size=4),
                st.builds(lambda d: {"deep": nested(d)}, st.integers(95, 105)),
                json_values,
            ),
        },
    ),
)
plaintexts = st.one_of(
    documents.map(lambda d: json.dumps(d).encode()),
    st.builds(lambda d: f" [{d}] ".encode(), st.integers()),
    st.binary(max_size=40),
    st.just(b"\xff\xfe{}"),
    st.just(b"\xef\xbb\xbf{}"),
)


@st.composite
def tokens(draw: st.DrawFn) -> str:
    key = KEYS[draw(st.integers(0, 2))]
    issued = NOW + draw(st.sampled_from([-5000, -100, -61, -60, -1, 0, 30, 60, 61, 200]))
    kind = draw(st.sampled_from(["fernet", "fernet", "unpadded", "short", "odd", "junk"]))
    if kind == "fernet":
        fernet = Fernet(base64.urlsafe_b64encode(key))
        token = fernet.encrypt_at_time(draw(plaintexts), issued).decode()
    elif kind == "unpadded":
        token = unpadded(key, issued, draw(st.binary(min_size=16, max_size=16)) * 2)
    elif kind == "short":
        body = b"\x80" + issued.to_bytes(8, "big") + draw(st.binary(max_size=50))
        token = signed(key, body)
    elif kind == "odd":
        # A signed token whose ciphertext is not whole blocks.
        tail = draw(st.binary(min_size=17, max_size=31))
        body = b"\x80" + issued.to_bytes(8, "big") + os.urandom(16) + tail
        token = signed(key, body)
    else:
        return draw(st.text(max_size=60))
    edit = draw(st.sampled_from(["none", "none", "flip", "cut", "pad", "non-ascii", "space"]))
    where = draw(st.integers(0, max(0, len(token) - 1)))
    if edit == "flip":
        other = "A" if token[where : where + 1] != "A" else "B"
        token = token[:where] + other + token[where + 1 :]
    elif edit == "cut":
        token = token[:where]
    elif edit == "pad":
        token += "=="
    elif edit == "non-ascii":
        token = token[:where] + "é" + token[where:]
    elif edit == "space":
        token = token[:where] + " " + token[where:]
    return token


formats = st.builds(
    lambda keys, max_age: aiohttp("encrypted", fernet_key=list(keys), max_age=max_age),
    st.sampled_from([(KEYS[0],), (KEYS[1], KEYS[0]), (KEYS[0], KEYS[0])]),
    st.sampled_from([None, 0, 60, 100, 10_000]),
)


@settings(max_examples=1500, deadline=None)
@given(tokens(), formats, st.integers(-120, 120))
def test_every_verdict_is_the_one_fernet_decrypt_gave(
    token: str, fmt: AiohttpCookieFormat, offset: int
) -> None:
    now = NOW + offset + 0.5
    assert resolve_value(token, fmt, now) == reference(token, fmt, now)
    assert resolve(f"AIOHTTP_SESSION={token}", fmt, now) == reference(token, fmt, now)


# --- each verdict, named ----------------------------------------------------------------------

FMT = aiohttp("encrypted", fernet_key=[KEYS[0], KEYS[1]], max_age=100)


def token_of(document: Any, key: int = 0, issued: int = NOW) -> str:
    return FERNETS[key].encrypt_at_time(json.dumps(document).encode(), issued).decode()


def failure(verdict: Verdict) -> tuple[str, str]:
    assert isinstance(verdict, Failure), verdict
    return verdict.code, verdict.message


def test_accepted_under_each_key() -> None:
    document = {"created": NOW, "session": {"user": "alice"}}
    for key in (0, 1):
        verdict = resolve_value(token_of(document, key), FMT, NOW)
        assert verdict == ClientSession({"user": "alice"}, key, float(NOW))


def test_wrong_key() -> None:
    verdict = resolve_value(token_of({"session": {}}, key=2), FMT, NOW)
    assert failure(verdict)[0] == "bad-signature"


def test_expired_by_fernet_ttl() -> None:
    token = token_of({"created": NOW + 1000, "session": {"a": 1}}, issued=NOW - 101)
    assert failure(resolve_value(token, FMT, NOW)) == (
        "expired",
        Failure.expired("the Fernet token is older than 100 s").message,
    )
    assert isinstance(resolve_value(token, FMT, NOW - 1), ClientSession)


def test_timestamp_in_the_future() -> None:
    token = token_of({"session": {}}, issued=NOW + 61)
    code, message = failure(resolve_value(token, FMT, NOW))
    assert code == "malformed-cookie" and "in the future" in message


def test_expired_by_aiohttp_created_and_max_age() -> None:
    token = token_of({"created": NOW - 101, "session": {"a": 1}})
    code, message = failure(resolve_value(token, FMT, NOW))
    assert code == "expired" and "created 101 s ago, max_age is 100 s" in message
    no_created = token_of({"session": {"a": 1}})
    assert failure(resolve_value(no_created, FMT, NOW))[0] == "expired"


def test_stale_under_a_wrong_key_is_the_wrong_key() -> None:
    # cryptography would check the time first and say nothing of the key.
    token = token_of({"session": {}}, key=2, issued=NOW - 5000)
    assert failure(resolve_value(token, FMT, NOW))[0] == "bad-signature"


@pytest.mark.parametrize("token", ["not base64 at all!", "gAAAA", "", "é" * 20, "AAAA" * 30])
def test_malformed_base64(token: str) -> None:
    assert failure(resolve_value(token, FMT, NOW)) == (
        "malformed-cookie",
        Failure.malformed("AIOHTTP_SESSION", "it is not a Fernet token").message,
    )


def test_non_ascii_inside_a_real_token_is_the_wrong_key() -> None:
    # Fernet.decrypt refused text that is not ASCII under every key.
    token = token_of({"session": {}})
    assert failure(resolve_value(token[:10] + "é" + token[10:], FMT, NOW))[0] == "bad-signature"


def test_signed_but_unreadable_plaintexts() -> None:
    bad_padding = unpadded(KEYS[0], NOW, b"x" * 32)
    assert failure(resolve_value(bad_padding, FMT, NOW))[0] == "bad-signature"
    not_utf8 = FERNETS[0].encrypt_at_time(b"\xff{}", NOW).decode()
    assert "not UTF-8" in failure(resolve_value(not_utf8, FMT, NOW))[1]
    not_json = FERNETS[0].encrypt_at_time(b"{", NOW).decode()
    assert "not JSON" in failure(resolve_value(not_json, FMT, NOW))[1]


@pytest.mark.parametrize("depth", [MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 300])
def test_nesting_too_deep(depth: int) -> None:
    # The session object is one level; `nested` adds `depth` more under its one key.
    token = token_of({"created": NOW, "session": {"deep": nested(depth)}})
    verdict = resolve_value(token, FMT, NOW)
    assert verdict == reference(token, FMT, NOW)
    if depth >= MAX_NESTING:
        code, message = failure(verdict)
        assert code == "malformed-cookie" and "nests more than" in message
    else:
        assert isinstance(verdict, ClientSession)


def test_many_brackets_in_strings_are_still_walked_correctly() -> None:
    # The text's brackets bound the depth from above; brackets inside strings only make
    # the bound looser, and the session is then walked.
    token = token_of({"created": NOW, "session": {"s": "{[" * 200, "n": nested(5)}})
    verdict = resolve_value(token, FMT, NOW)
    assert isinstance(verdict, ClientSession) and verdict.data["s"] == "{[" * 200


def test_simple_storage_checks_nesting_too() -> None:
    simple = aiohttp("simple")
    for depth in (MAX_NESTING - 1, MAX_NESTING):
        value = json.dumps({"session": {"deep": nested(depth)}})
        verdict = resolve_value(value, simple, NOW)
        assert isinstance(verdict, ClientSession) == (depth < MAX_NESTING)
