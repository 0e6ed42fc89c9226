"""Session room names: one per session, hashed, and told apart from every other room."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from sessio.core._rooms import is_session_room, session_room
from sessio.core._users import user_room

session_ids = st.text(max_size=40)


@given(session_ids)
def test_session_rooms_are_told_from_others(session_id: str) -> None:
    assert is_session_room(session_room(session_id))
    assert not is_session_room(user_room(session_id))
    assert not is_session_room(session_id[:20])


@given(session_ids)
def test_the_room_is_the_ids_digest_never_the_id(session_id: str) -> None:
    room = session_room(session_id)
    assert room == "sessio:" + hashlib.sha256(session_id.encode()).hexdigest()[:32]
    if len(session_id) >= 8:
        assert session_id not in room


@given(session_ids, session_ids)
def test_two_sessions_two_rooms(first: str, second: str) -> None:
    assert (session_room(first) == session_room(second)) == (first == second)


@given(session_ids)
def test_asking_again_gives_the_same_string(session_id: str) -> None:
    # Interned and remembered: the registry and python-socketio share one string per session.
    assert session_room(session_id) is session_room(session_id)
    assert session_room(session_id) is session_room("".join(list(session_id)))


@given(st.text(alphabet="0123456789abcdefABCDEF:sio", max_size=45))
def test_only_the_prefix_and_32_lowercase_hex_digits_make_a_session_room(room: str) -> None:
    digest = room.removeprefix("sessio:")
    expected = (
        room.startswith("sessio:")
        and len(digest) == 32
        and all(c in "0123456789abcdef" for c in digest)
    )
    assert is_session_room(room) == expected
