"""Hostile structure in pure inputs: nesting past what the shells can copy, and control messages
that anyone who can publish on the channel may send. Both are classified, never raised."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sessio import formats
from sessio.core import SessionRef, decode_stored, resolve
from sessio.core._changes import MAX_NESTING, nested_too_deep, snapshot
from sessio.core._control import Disconnect, decode_control, encode_control

NOW = 1_700_000_000.0


def depth(value: Any) -> int:
    """How many containers deep `value` goes (0 for a scalar), by plain recursion."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=30,
)


@given(json_values, st.integers(min_value=1, max_value=8))
def test_nested_too_deep_agrees_with_a_recursive_depth(value: Any, limit: int) -> None:
    assert nested_too_deep(value, limit) == (depth(value) > limit)


def test_nested_too_deep_handles_what_recursion_cannot() -> None:
    assert nested_too_deep(nested(100_000))
    assert not nested_too_deep(nested(MAX_NESTING))
    assert nested_too_deep(nested(MAX_NESTING + 1))
    # What is allowed can be snapshotted.
    snapshot({"x": nested(MAX_NESTING - 1)})


def test_a_deep_cookie_session_is_malformed() -> None:
    fmt = formats.aiohttp(storage="simple")
    document = json.dumps({"created": int(NOW), "session": {"deep": nested(500)}})
    verdict = resolve(f"AIOHTTP_SESSION={document}", fmt, NOW)
    assert not isinstance(verdict, SessionRef)
    assert getattr(verdict, "code", None) == "malformed-cookie"


def test_a_deep_stored_session_is_corrupt() -> None:
    fmt = formats.express(secrets=["s"])
    raw = json.dumps({"cookie": {}, "deep": nested(500)}).encode()
    failure = decode_stored(SessionRef("sid", "sess:sid"), raw, fmt, NOW)
    assert getattr(failure, "code", None) == "corrupt-session"


def test_hostile_control_messages_are_ignored() -> None:
    for raw in (b"[" * 100_000, b"[" * 4000, b"{" * 3000, b"\xff", b"", b"null", b"[]"):
        assert decode_control(raw) is None


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_decode_control_never_raises(raw: bytes) -> None:
    decoded = decode_control(raw)
    assert decoded is None or isinstance(decoded, Disconnect)


def test_a_control_message_round_trips() -> None:
    message = Disconnect("sessio:" + "a" * 32, "session-revoked")
    assert decode_control(encode_control(message)) == message
