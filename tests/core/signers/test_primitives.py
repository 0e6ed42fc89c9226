"""The signers' building blocks: base64 both ways, HMACs, the constant-time compare, inflate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib

from hypothesis import given
from hypothesis import strategies as st

from sessio.core.signers._primitives import (
    MAX_DECOMPRESSED,
    b64decode_url,
    b64encode_std_nopad,
    b64encode_url_nopad,
    constant_time_equal,
    hmac_digest,
    hmac_sha256_with,
    inflate,
    to_bytes,
)


@given(st.binary())
def test_base64_round_trips_without_padding(data: bytes) -> None:
    url = b64encode_url_nopad(data)
    assert "=" not in url and b64decode_url(url) == data
    assert b64decode_url(url + "=" * (-len(url) % 4)) == data
    std = b64encode_std_nopad(data)
    assert "=" not in std and base64.b64decode(std + "=" * (-len(std) % 4)) == data


@given(st.text())
def test_b64decode_url_never_raises(text: str) -> None:
    decoded = b64decode_url(text)
    assert decoded is None or isinstance(decoded, bytes)


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_the_keyed_sha256_is_hmac(key: bytes, message: bytes) -> None:
    expected = hmac.new(key, message, hashlib.sha256).digest()
    assert hmac_sha256_with(key)(message) == expected == hmac_digest(key, message)


@given(st.text() | st.binary(), st.text() | st.binary())
def test_constant_time_equal_is_equality_of_the_bytes(a: str | bytes, b: str | bytes) -> None:
    assert constant_time_equal(a, b) is (to_bytes(a) == to_bytes(b))


@given(st.binary(max_size=2000))
def test_inflate_undoes_zlib(data: bytes) -> None:
    compressed = zlib.compress(data)
    assert inflate(compressed) == data
    # Truncated: zlib.decompress raises, and inflate says None.
    assert inflate(compressed[:-1]) is None


def test_inflate_stops_at_the_cap() -> None:
    assert inflate(zlib.compress(bytes(MAX_DECOMPRESSED))) == bytes(MAX_DECOMPRESSED)
    assert inflate(zlib.compress(bytes(MAX_DECOMPRESSED + 1))) is None
    assert inflate(b"not zlib") is None


@given(st.binary(max_size=200), st.binary(max_size=300), st.sampled_from(["sha1", "sha256"]))
def test_hmac_digest_with_prepared_keys_is_hmac(key: bytes, message: bytes, name: str) -> None:
    # Keys are prepared once and kept (an LRU): the second call must answer as the first.
    expected = hmac.new(key, message, getattr(hashlib, name)).digest()
    assert hmac_digest(key, message, name) == expected == hmac_digest(key, message, name)
