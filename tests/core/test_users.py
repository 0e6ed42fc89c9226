"""`sessio.core._users`: user ids from sessions, their validation, and the names they get."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessio import Failure, formats
from sessio.core._rooms import session_room
from sessio.core._users import (
    DEFAULT_USER_KEYS,
    MAX_USER_ID,
    UserKey,
    as_user_id,
    index_lifetime,
    owner_verdict,
    socket_tag,
    user_index_key,
    user_presence_key,
    user_room,
)

NOW = 1_700_000_000.0

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
anything = json_values | st.binary() | st.tuples(st.integers()) | st.sets(st.integers())
good_ids = st.text(min_size=1, max_size=MAX_USER_ID).filter(
    lambda text: not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
) | st.integers(min_value=-(2**500), max_value=2**500)


@given(anything)
def test_as_user_id_never_raises_and_answers_a_bounded_str_or_invalid_user(value: Any) -> None:
    found = as_user_id(value)
    if isinstance(found, Failure):
        assert found.code == "invalid-user"
    else:
        assert isinstance(found, str) and 0 < len(found) <= MAX_USER_ID


@given(st.integers(min_value=-(2**512) + 1, max_value=2**512 - 1))
def test_an_int_is_the_same_user_as_its_decimal_str(number: int) -> None:
    assert as_user_id(number) == as_user_id(str(number)) == str(number)


@pytest.mark.parametrize(
    "value",
    [None, True, False, "", "x" * (MAX_USER_ID + 1), "\ud800", 2**513, 1.0, b"42", {"id": 1}, [1]],
    ids=repr,
)
def test_what_is_no_user_id(value: Any) -> None:
    found = as_user_id(value)
    assert isinstance(found, Failure) and found.code == "invalid-user"
    # The message says what kind of value it was, never the value.
    if isinstance(value, str) and value:
        assert value not in found.message


@pytest.mark.parametrize("spec", ["", ".", "a..b", "a.", ".a"])
def test_a_user_key_path_needs_every_part(spec: str) -> None:
    with pytest.raises(ValueError):
        UserKey.of(spec)


@pytest.mark.parametrize("spec", [None, 42, ["a"], b"a"])
def test_a_user_key_is_a_path_or_a_function(spec: Any) -> None:
    with pytest.raises(TypeError):
        UserKey.of(spec)


@pytest.mark.parametrize(
    ("spec", "session", "user"),
    [
        ("_auth_user_id", {"_auth_user_id": "42", "cart": []}, "42"),
        ("_user_id", {"_user_id": 7}, "7"),
        ("passport.user", {"passport": {"user": "ann@example.com"}}, "ann@example.com"),
        ("passport.user", {"passport": {}}, None),
        ("passport.user", {"passport": "ann"}, None),
        ("passport.user", {}, None),
        ("_user_id", {"_user_id": None}, None),
    ],
)
def test_a_dotted_path_finds_the_user(
    spec: str, session: Mapping[str, Any], user: str | None
) -> None:
    assert UserKey.of(spec).user_of(session) == user


@given(
    json_values,
    st.lists(
        st.text(min_size=1, max_size=4).filter(lambda t: "." not in t), min_size=1, max_size=3
    ),
)
def test_a_path_never_raises_whatever_the_session_holds(data: Any, parts: list[str]) -> None:
    session = data if isinstance(data, dict) else {"root": data}
    found = UserKey.of(".".join(parts)).user_of(session)
    assert found is None or isinstance(found, str) or found.code == "invalid-user"


@given(
    good_ids,
    st.lists(
        st.text(min_size=1, max_size=4).filter(lambda t: "." not in t), min_size=1, max_size=3
    ),
)
def test_a_path_to_a_user_id_gives_it(user: str | int, parts: list[str]) -> None:
    session: dict[str, Any] = {}
    node = session
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = user
    assert UserKey.of(".".join(parts)).user_of(session) == str(user)


def test_a_function_that_raises_or_returns_junk_names_no_usable_user() -> None:
    def broken(session: Mapping[str, Any]) -> object:
        raise KeyError("secret-session-value")

    found = UserKey.of(broken).user_of({})
    assert isinstance(found, Failure) and found.code == "invalid-user"
    assert "secret-session-value" not in found.message and "KeyError" in found.message
    junk = UserKey.of(lambda session: {"id": 1}).user_of({})
    assert isinstance(junk, Failure)
    assert UserKey.of(lambda session: session.get("u")).user_of({"u": 3}) == "3"


@given(good_ids)
def test_names_are_distinct_bounded_and_do_not_carry_the_id(user: str | int) -> None:
    user_id = as_user_id(user)
    assert isinstance(user_id, str)
    names = [user_room(user_id), user_index_key(user_id), user_presence_key(user_id)]
    assert len(set(names)) == 3
    assert all(name.startswith("sessio:user:") and len(name) <= 60 for name in names)
    # A session room is "sessio:" and 32 hex digits: a user's room is never one.
    assert user_room(user_id) != session_room(user_id)
    assert json.dumps(names).isascii()
    # Nothing of the id but its digest: a fixed prefix, hex digits, a fixed suffix (an id may
    # well occur inside the fixed parts: "ess", "user").
    pattern = re.compile(r"sessio:user:[0-9a-f]{32}(:sessions|:sockets)?")
    assert all(pattern.fullmatch(name) for name in names)


@given(st.text(), st.text())
def test_socket_tags_are_short_hashes(namespace: str, sid: str) -> None:
    tag = socket_tag(namespace, sid)
    assert len(tag) == 24 and all(c in "0123456789abcdef" for c in tag)
    assert socket_tag(namespace, sid + "x") != tag


def test_index_lifetime_is_the_frameworks_session_lifetime() -> None:
    assert index_lifetime(formats.express(secrets=["s"], ttl=3600), NOW) == 3600
    assert index_lifetime(formats.flask_session(lifetime=600), NOW) == 600
    assert index_lifetime(formats.django_native(max_age=1209600), NOW) == 1209600


def test_revoke_user_knows_each_frameworks_usual_key() -> None:
    assert DEFAULT_USER_KEYS["django"] == "_auth_user_id"
    assert DEFAULT_USER_KEYS["flask_session"] == "_user_id"
    assert DEFAULT_USER_KEYS["express"] == "passport.user"


def test_owner_verdict() -> None:
    key = UserKey.of("uid")
    assert owner_verdict(key, "ann", None) == "gone"
    assert owner_verdict(key, "ann", {"uid": "ann"}) == "theirs"
    assert owner_verdict(key, "42", {"uid": 42}) == "theirs"
    assert owner_verdict(key, "ann", {"uid": "bob"}) == "other"
    assert owner_verdict(key, "ann", {}) == "other"
    assert owner_verdict(key, "ann", {"uid": {"id": "ann"}}) == "other"
