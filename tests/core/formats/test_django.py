"""Django's formats, pure: the shared session keys, expiry ages and serializers, and the split.

What Django itself makes of the same values is in tests/interop/test_django_interop.py and
tests/interop/test_django_store.py.
"""

from __future__ import annotations

import math
import pickle
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessio import formats
from sessio.core import ClientSession, Failure, SessionRef
from sessio.core.formats._django import (
    check_session_key,
    deserialize,
    new_session_key,
    serialize,
    session_expiry,
)

NOW = 1_700_000_000.0
SESSION_KEY = re.compile(r"[a-z0-9]{8,}")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
sessions = st.dictionaries(st.text(max_size=6), json_values, max_size=5)


@given(st.text(max_size=40) | st.from_regex(SESSION_KEY, fullmatch=True))
def test_a_session_key_is_what_django_would_look_up(value: str) -> None:
    refused = check_session_key(value, "sessionid")
    assert (refused is None) is bool(SESSION_KEY.fullmatch(value))
    if refused is not None:
        # The reason is one of two fixed sentences: nothing of the value shows.
        assert refused in (
            Failure.malformed("sessionid", "a session key is at least 8 characters"),
            Failure.malformed("sessionid", "a session key is made of a-z and 0-9 only"),
        )


@given(st.binary(min_size=21, max_size=40))
def test_new_session_keys_are_keys_django_mints(entropy: bytes) -> None:
    key = new_session_key(entropy)
    assert len(key) == 32 and check_session_key(key, "sessionid") is None
    assert new_session_key(entropy) == key


@given(st.sampled_from([None, 0, "", False, 0.0]))
def test_no_own_expiry_leaves_the_format_its_default(expiry: Any) -> None:
    assert session_expiry({"_session_expiry": expiry}, NOW, "django") is None
    assert session_expiry({}, NOW, "django") is None


@given(st.floats(-1e9, 1e9) | st.integers(-(10**9), 10**9))
def test_a_number_is_whole_seconds(expiry: float) -> None:
    expected = None if not expiry else math.floor(expiry)
    assert session_expiry({"_session_expiry": expiry}, NOW, "django") == expected


@given(st.integers(-(10**6), 10**6), st.booleans())
def test_a_datetime_is_the_whole_seconds_until_it(offset: int, naive: bool) -> None:
    moment = datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=offset, microseconds=500)
    text = (moment.replace(tzinfo=None) if naive else moment).isoformat()
    # A naive datetime is UTC; Django rounds the timedelta down to whole seconds.
    assert session_expiry({"_session_expiry": text}, NOW, "django") == offset


@pytest.mark.parametrize("expiry", ["next week", [1], {"a": 1}, math.inf, math.nan])
def test_anything_else_cannot_be_written(expiry: Any) -> None:
    failure = session_expiry({"_session_expiry": expiry}, NOW, "django")
    assert isinstance(failure, Failure) and failure.code == "unserializable"


@given(sessions)
def test_both_serializers_round_trip(data: dict[str, Any]) -> None:
    for serializer in ("json", "pickle"):
        payload = serialize(data, serializer)
        assert isinstance(payload, bytes)
        assert deserialize(payload, serializer) == data


def test_a_payload_that_is_no_session_says_why() -> None:
    assert deserialize(b"[1]", "json") == "the payload is not a JSON object"
    assert isinstance(deserialize(b"{", "json"), str)
    assert deserialize(pickle.dumps([1]), "pickle") == "the pickle is not a dict"
    failure = serialize({"a": {1, 2}}, "json")
    assert isinstance(failure, Failure) and failure.code == "unserializable"


def test_the_cookie_and_the_store_formats_sign_alike() -> None:
    cookie = formats.DjangoCookieFormat((b"k",), salt="s")
    stored = formats.DjangoStoreFormat((b"k",), salt="s")
    assert cookie.sign({"a": 1}, NOW) == stored.sign({"a": 1}, NOW)
    # Each kind defaults to its backend's salt, as the factory does.
    assert formats.django("k") == formats.DjangoCookieFormat((b"k",))
    assert formats.django("k", backend="db") == formats.DjangoStoreFormat((b"k",))
    signed = cookie.sign({"a": 1}, NOW)
    assert isinstance(signed, str)
    assert formats.django("k", salt="s").read_cookie(signed, NOW) == ClientSession({"a": 1}, 0, NOW)


@given(st.from_regex(SESSION_KEY, fullmatch=True))
def test_the_store_backends_and_the_native_engine_read_a_key_alike(key: str) -> None:
    native = formats.django_native().read_cookie(key, NOW)
    assert native == SessionRef(key, key)
    for backend in ("db", "file", "cache"):
        fmt = formats.django("k", backend=backend)
        assert fmt.read_cookie(key, NOW) == SessionRef(key, fmt.store_key(key))
