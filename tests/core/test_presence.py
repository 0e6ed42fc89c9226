"""`sessio.core._presence`: the user table, the presence ledger and the index memo."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessio.core._presence import (
    HEARTBEAT_MISSES,
    IndexMemo,
    PresenceLedger,
    SetUpdate,
    UserTable,
    presence_ttl,
)
from sessio.core._users import user_presence_key, user_room

sockets = st.tuples(st.sampled_from(["/", "/chat"]), st.sampled_from("abcdef"))
users = st.none() | st.sampled_from(["ann", "bob", "carol"])
operations = st.lists(st.tuples(sockets, users), max_size=60)


@given(operations)
def test_the_user_table_agrees_with_a_plain_model(
    steps: list[tuple[tuple[str, str], str | None]],
) -> None:
    table = UserTable()
    model: dict[tuple[str, str], str] = {}
    for key, user in steps:
        before = table.assign(key, user)
        assert before == model.get(key)
        if user is None:
            model.pop(key, None)
        else:
            model[key] = user
        for name in ("ann", "bob", "carol"):
            expected = sorted(k for k, u in model.items() if u == name)
            assert table.sockets_of(name) == expected
            assert table.sockets_in(user_room(name)) == expected
            assert table.room(name) == user_room(name)
        assert table.held() == {
            u: sorted(k for k, v in model.items() if v == u) for u in set(model.values())
        }
    for key in list(model):
        assert table.release(key) == model[key]
    assert table.counts() == {"users": 0, "user_sockets": 0}


def test_only_a_user_room_finds_sockets() -> None:
    table = UserTable()
    table.assign(("/", "a"), "ann")
    assert table.sockets_in("sessio:" + "0" * 32) == []
    assert table.sockets_in("anything") == []
    assert table.sockets_in(user_room("ann")) == [("/", "a")]


def test_the_ledger_merges_until_taken() -> None:
    ledger = PresenceLedger(30.0)
    assert not ledger and ledger.take() == []
    ledger.joined("ann", "t1")
    ledger.joined("ann", "t2")
    ledger.left("ann", "t2")  # came and went before a flush
    ledger.left("bob", "t3")
    assert ledger
    updates = {update.key: update for update in ledger.take()}
    assert updates == {
        user_presence_key("ann"): SetUpdate(user_presence_key("ann"), {"t1": 30.0}, {"t2"}),
        user_presence_key("bob"): SetUpdate(user_presence_key("bob"), {}, {"t3"}),
    }
    assert not ledger and ledger.take() == []


def test_a_heartbeat_refreshes_every_live_socket_and_sends_what_is_owed() -> None:
    ledger = PresenceLedger(3.0)
    ledger.left("ann", "gone")
    ledger.joined("bob", "b1")
    updates = ledger.heartbeat({"ann": ["a1", "a2"], "carol": ["c1"]})
    assert updates == [
        SetUpdate(user_presence_key("ann"), {"a1": 3.0, "a2": 3.0}, {"gone"}),
        SetUpdate(user_presence_key("bob"), {"b1": 3.0}, set()),
        SetUpdate(user_presence_key("carol"), {"c1": 3.0}, set()),
    ]
    assert not ledger


@given(st.lists(st.tuples(st.sampled_from(["ann", "bob"]), st.sampled_from("xyz"), st.booleans())))
def test_what_is_taken_is_each_sockets_last_word(events: list[tuple[str, str, bool]]) -> None:
    ledger = PresenceLedger(9.0)
    last: dict[tuple[str, str], bool] = {}
    for user, tag, present in events:
        (ledger.joined if present else ledger.left)(user, tag)
        last[(user, tag)] = present
    for update in ledger.take():
        user = "ann" if update.key == user_presence_key("ann") else "bob"
        assert not set(update.add) & update.remove
        for tag in update.add:
            assert last[(user, tag)] is True and update.add[tag] == 9.0
        for tag in update.remove:
            assert last[(user, tag)] is False
        assert len(update.add) + len(update.remove) == sum(1 for u, _ in last if u == user)


def test_presence_ttl_is_three_heartbeats() -> None:
    assert HEARTBEAT_MISSES == 3
    assert presence_ttl(10.0) == 30.0
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError):
            presence_ttl(bad)


def test_the_memo_writes_once_per_half_lifetime() -> None:
    memo = IndexMemo()
    assert memo.due("s1", "ann", 0.0)
    memo.wrote("s1", "ann", 0.0, 100)
    assert not memo.due("s1", "ann", 49.9)
    assert memo.due("s1", "ann", 50.0)
    assert memo.due("s1", "bob", 1.0)  # the session names someone else now
    memo.wrote("s2", "ann", 0.0, None)  # a session without expiry: once
    assert not memo.due("s2", "ann", 1e12)
    memo.forget("s2")
    assert memo.due("s2", "ann", 1.0)


def test_the_memo_forgets_the_oldest_past_its_capacity() -> None:
    memo = IndexMemo(capacity=3)
    for index in range(5):
        memo.wrote(f"s{index}", "ann", 0.0, 100)
    assert len(memo) == 3
    assert memo.due("s0", "ann", 1.0) and memo.due("s1", "ann", 1.0)
    assert not memo.due("s4", "ann", 1.0)
