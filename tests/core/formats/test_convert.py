"""The converters the formats' fields share: secrets as bytes, lifetimes as whole seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessio.core.formats._convert import (
    optional_seconds,
    optional_secret_bytes,
    seconds,
    secrets_bytes,
)

keys = st.text(min_size=1) | st.binary(min_size=1)


def as_bytes(key: str | bytes) -> bytes:
    return key if isinstance(key, bytes) else key.encode("utf-8")


@given(st.lists(keys, min_size=1, max_size=4))
def test_secrets_become_bytes_in_order(values: list[str | bytes]) -> None:
    assert secrets_bytes(values) == tuple(as_bytes(v) for v in values)
    assert secrets_bytes(tuple(values)) == secrets_bytes(values)


def test_secrets_refuse_what_the_key_rules_refuse() -> None:
    with pytest.raises(ValueError, match="secrets"):
        secrets_bytes([])
    with pytest.raises(ValueError, match=r"secrets\[1\]"):
        secrets_bytes(["k", ""])
    with pytest.raises(TypeError, match="secrets"):
        secrets_bytes("one key")


@given(keys)
def test_an_optional_secret_is_bytes_or_none(value: str | bytes) -> None:
    assert optional_secret_bytes(value) == as_bytes(value)
    assert optional_secret_bytes(None) is None
    with pytest.raises(ValueError, match="secret_key"):
        optional_secret_bytes("")


@given(st.floats(-1e12, 1e12) | st.integers(-(10**12), 10**12))
def test_seconds_are_whole_and_a_timedelta_counts_the_same(value: float) -> None:
    assert seconds(value) == int(value)
    lifetime = timedelta(seconds=value)
    assert seconds(lifetime) == int(lifetime.total_seconds())
    assert optional_seconds(value) == seconds(value)
    assert optional_seconds(None) is None
