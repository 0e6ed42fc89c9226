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
    ledger.left("ann", "t2")  # came and went before a flush: the store never hears of it
    ledger.left("bob", "t3")
    assert ledger
    updates = {update.key: update for update in ledger.take()}
    assert updates == {
        user_presence_key("ann"): SetUpdate(user_presence_key("ann"), {"t1": 30.0}, set()),
        user_presence_key("bob"): SetUpdate(user_presence_key("bob"), {}, {"t3"}),
    }
    assert not ledger and ledger.take() == []


def test_a_socket_that_comes_and_goes_between_flushes_costs_no_write() -> None:
    ledger = PresenceLedger(30.0)
    assert ledger.joined("ann", "t1")  # a flush is due
    assert not ledger.left("ann", "t1")  # and nothing is owed any more
    assert not ledger and ledger.take() == []
    assert ledger.joined("ann", "t1")
    assert not ledger.joined("ann", "t2")  # due already
    assert ledger.take() == [SetUpdate(user_presence_key("ann"), {"t1": 30.0, "t2": 30.0}, set())]
    # Written, so its leaving is owed, even if it comes back and goes again meanwhile.
    assert ledger.left("ann", "t1")
    assert not ledger.joined("ann", "t1")
    assert not ledger.left("ann", "t1")
    assert ledger.take() == [SetUpdate(user_presence_key("ann"), {}, {"t1"})]


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


@given(
    st.lists(
        st.one_of(
            st.tuples(st.sampled_from(["ann", "bob"]), st.sampled_from("xyz")),
            st.sampled_from(["take", "heartbeat"]),
        )
    )
)
def test_the_store_ends_with_every_live_socket_and_no_other(
    steps: list[tuple[str, str] | str],
) -> None:
    # A model store and the sockets' true state; each (user, tag) step toggles a socket, as
    # `UserTable.assign` reports joins and leaves. Whatever the order of flushes, once the
    # ledger is taken the store holds exactly the live sockets.
    ledger = PresenceLedger(9.0)
    store: dict[str, set[str]] = {}
    live: set[tuple[str, str]] = set()
    users = {user_presence_key(user): user for user in ("ann", "bob")}

    def apply(updates: list[SetUpdate]) -> None:
        for update in updates:
            assert not set(update.add) & update.remove
            assert all(ttl == 9.0 for ttl in update.add.values())
            members = store.setdefault(users[update.key], set())
            members -= update.remove
            members |= set(update.add)

    signalled = False  # whether joined/left said a flush is due since the last take
    for step in steps:
        if step == "take":
            apply(ledger.take())
            signalled = False
        elif step == "heartbeat":
            held: dict[str, list[str]] = {}
            for user, tag in sorted(live):
                held.setdefault(user, []).append(tag)
            apply(ledger.heartbeat(held))
            signalled = False
        else:
            assert isinstance(step, tuple)
            if step in live:
                live.discard(step)
                signalled = ledger.left(*step) or signalled
            else:
                live.add(step)
                signalled = ledger.joined(*step) or signalled
        # Something owed is never left without a flush having been asked for.
        assert signalled or not ledger
    apply(ledger.take())
    assert {(user, tag) for user, tags in store.items() for tag in tags} == live
    assert not ledger


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
