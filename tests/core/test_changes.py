"""A socket's edits as `Changes`: diff, apply, conflicts, and the strict equality `same`."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sessio.core import Changes, apply, conflicts, diff, same, snapshot

keys = st.sampled_from(["a", "b", "c", "d", "cart", "user", ""]) | st.text(max_size=4)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True, width=16),
    st.sampled_from(["", "x", "1"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(keys, inner, max_size=3)
    ),
    max_leaves=6,
)
sessions = st.dictionaries(keys, values, max_size=5)
changes = st.builds(
    Changes,
    st.dictionaries(keys, values, max_size=4),
    st.frozensets(keys, max_size=3),
)


@settings(max_examples=80)
@given(sessions, sessions)
def test_apply_of_diff_gives_current(loaded: dict[str, Any], current: dict[str, Any]) -> None:
    merged = apply(loaded, diff(loaded, current))
    assert same(merged, current)


@settings(max_examples=80)
@given(sessions, changes)
def test_diff_reproduces_a_change_and_touches_no_other_key(
    loaded: dict[str, Any], change: Changes
) -> None:
    after = apply(loaded, change)
    found = diff(loaded, after)
    assert same(apply(loaded, found), after)
    assert found.keys <= change.keys
    assert not (set(found.set) & found.deleted)


@settings(max_examples=60)
@given(sessions)
def test_nothing_changed_is_an_empty_diff(loaded: dict[str, Any]) -> None:
    copy = snapshot(loaded)
    assert not diff(loaded, copy)
    assert diff(loaded, copy) == Changes()
    assert not diff(loaded, loaded)


@settings(max_examples=60)
@given(sessions)
def test_empty_changes_is_the_identity(base: dict[str, Any]) -> None:
    assert not Changes()
    result = apply(base, Changes())
    assert same(result, base)
    assert result is not base


@settings(max_examples=80)
@given(sessions, changes, changes)
def test_disjoint_changes_commute(base: dict[str, Any], c1: Changes, c2: Changes) -> None:
    c2 = Changes(
        {k: v for k, v in c2.set.items() if k not in c1.keys},
        c2.deleted - c1.keys,
    )
    assert not (c1.keys & c2.keys)
    one = apply(apply(base, c1), c2)
    two = apply(apply(base, c2), c1)
    assert same(one, two)


@settings(max_examples=80)
@given(sessions, changes)
def test_deleted_keys_stay_deleted_unless_set(base: dict[str, Any], change: Changes) -> None:
    result = apply(base, change)
    for key in change.deleted:
        assert (key in result) == (key in change.set)
    for key, value in change.set.items():
        assert result[key] is value
    for key in base.keys() - change.keys:
        assert result[key] is base[key]


@settings(max_examples=80)
@given(sessions, changes)
def test_no_conflicts_when_the_store_did_not_change(
    loaded: dict[str, Any], change: Changes
) -> None:
    assert conflicts(loaded, loaded, change) == frozenset()
    assert conflicts(loaded, snapshot(loaded), change) == frozenset()


@settings(max_examples=80)
@given(sessions, changes, changes)
def test_conflicts_are_the_touched_keys_someone_else_changed(
    loaded: dict[str, Any], mine: Changes, theirs: Changes
) -> None:
    current = apply(loaded, theirs)
    clashing = conflicts(loaded, current, mine)
    assert clashing <= mine.keys
    assert clashing <= theirs.keys
    assert clashing == diff(loaded, current).keys & mine.keys


def test_same_distinguishes_types() -> None:
    assert not same(1, 1.0)
    assert not same(1, True)
    assert not same(1.0, True)
    assert not same(0, False)
    assert not same([1], (1,))
    assert not same({"a": 1}, {"a": 1.0})
    assert not same([1, [2]], [1, [2.0]])
    assert not same({"a": 1}, {"a": 1, "b": 2})
    assert not same([1], [1, 1])
    assert not same(None, 0)
    assert not same("1", 1)
    assert same({"a": [1, (2, "x")], "b": None}, {"a": [1, (2, "x")], "b": None})
    assert same(float("nan"), float("nan"))  # a NaN replaced by a NaN is no change


@settings(max_examples=80)
@given(values, values)
def test_same_is_equality_with_types(a: Any, b: Any) -> None:
    assert same(a, a)
    assert same(a, snapshot({"v": a})["v"])
    assert same(a, b) == same(b, a)
    if same(a, b) and "nan" not in repr(a):
        assert a == b


def test_a_type_change_is_a_change() -> None:
    found = diff({"n": 1, "f": True, "l": [1]}, {"n": 1.0, "f": 1, "l": [1]})
    assert found == Changes({"n": 1.0, "f": 1})


def test_nested_edits_are_seen() -> None:
    loaded = {"cart": ["apple"], "user": {"name": "a"}}
    current = snapshot(loaded)
    current["cart"].append("pear")
    current["user"]["name"] = "b"
    assert loaded == {"cart": ["apple"], "user": {"name": "a"}}
    found = diff(loaded, current)
    assert found == Changes({"cart": ["apple", "pear"], "user": {"name": "b"}})
    assert found.keys == {"cart", "user"}


def test_changes_copies_its_input() -> None:
    source = {"a": 1}
    change = Changes(source, {"b"})
    source["c"] = 2
    assert change.set == {"a": 1}
    assert change.deleted == frozenset({"b"})
    assert change.keys == {"a", "b"}
    assert bool(Changes(deleted={"x"}))
    assert bool(Changes({"x": None}))
