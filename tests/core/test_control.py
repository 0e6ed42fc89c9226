"""The control channel's wire format, version 1: disconnects, sealed rotations, and junk."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessio.core._control import (
    MAX_ROTATED_ID,
    Disconnect,
    Rotate,
    decode_control,
    encode_control,
    open_rotation,
    seal_rotation,
)
from sessio.core._rooms import session_room

ids = st.text(min_size=1, max_size=64).filter(
    lambda s: len(s.encode("utf-8", "surrogatepass")) <= 200
)


def test_disconnect_is_versioned_and_unversioned_messages_still_read() -> None:
    message = Disconnect(session_room("a"), "session-revoked")
    document = json.loads(encode_control(message))
    assert document == {
        "v": 1,
        "op": "disconnect",
        "room": message.room,
        "reason": "session-revoked",
    }
    del document["v"]  # what sessio wrote before versions
    assert decode_control(json.dumps(document).encode()) == message


@pytest.mark.parametrize("version", [0, 2, "1", None, True, [1]])
def test_another_version_is_skipped(version: object) -> None:
    raw = json.dumps({"v": version, "op": "disconnect", "room": "sessio:x", "reason": "r"})
    assert decode_control(raw.encode()) is None


@given(ids, ids)
def test_a_rotation_opens_with_the_old_id_only(old: str, new: str) -> None:
    sealed = seal_rotation(session_room(old), old, new)
    decoded = decode_control(encode_control(sealed))
    assert decoded == sealed
    assert isinstance(decoded, Rotate)
    assert open_rotation(decoded, old) == new
    if old != new:
        assert open_rotation(decoded, new) is None


def test_the_new_id_never_travels_in_clear() -> None:
    old, new = "old-session-id-0123456789", "new-session-id-9876543210"
    raw = encode_control(seal_rotation(session_room(old), old, new))
    assert new.encode() not in raw and old.encode() not in raw
    assert new not in repr(seal_rotation(session_room(old), old, new))


def test_a_tampered_rotation_does_not_open() -> None:
    old, new = "old-id", "new-id"
    message = seal_rotation(session_room(old), old, new)
    flipped = Rotate(message.room, bytes([message.sealed[0] ^ 1]) + message.sealed[1:], message.tag)
    assert open_rotation(flipped, old) is None


def test_a_new_id_too_long_or_empty_is_refused() -> None:
    with pytest.raises(ValueError):
        seal_rotation("sessio:x", "old", "x" * (MAX_ROTATED_ID + 1))
    with pytest.raises(ValueError):
        seal_rotation("sessio:x", "old", "")


@pytest.mark.parametrize(
    "document",
    [
        {"v": 1, "op": "rotate", "room": "sessio:x", "sealed": "AAAA"},
        {"v": 1, "op": "rotate", "room": "sessio:x", "sealed": "", "tag": "A" * 22},
        {"v": 1, "op": "rotate", "room": "sessio:x", "sealed": "@@@@", "tag": "A" * 22},
        {"v": 1, "op": "rotate", "room": "sessio:x", "sealed": "AAAA", "tag": "AAAA"},
        {"v": 1, "op": "rotate", "room": "other", "sealed": "AAAA", "tag": "A" * 22},
        {"v": 1, "op": "rotate", "room": "sessio:x", "sealed": "A" * 1000, "tag": "A" * 22},
        {"v": 1, "op": "rotate", "room": "sessio:x", "sealed": {"a": 1}, "tag": "A" * 22},
        {"v": 1, "op": "explode", "room": "sessio:x"},
    ],
)
def test_malformed_rotations_are_skipped(document: dict[str, object]) -> None:
    assert decode_control(json.dumps(document).encode()) is None


@given(st.binary(max_size=600) | st.text(max_size=600).map(str.encode))
def test_decode_never_raises(raw: bytes) -> None:
    decoded = decode_control(raw)
    assert decoded is None or isinstance(decoded, Disconnect | Rotate)
