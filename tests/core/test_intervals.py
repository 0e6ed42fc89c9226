"""`Interval`: at most once per interval, and only intervals that mean something.

How the registry claims intervals per session and socket is `test_registry.py`'s; this is
the value itself.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessio.core._intervals import Interval

seconds = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
moments = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(seconds, moments, moments)
def test_due_once_the_interval_has_passed_since_last(every: float, last: float, now: float) -> None:
    assert Interval(every).due(last, now) == (now - last >= every)


@given(seconds, moments)
def test_never_done_is_due_and_never_is_never_due(every: float, now: float) -> None:
    assert Interval(every).due(None, now)
    assert not Interval(None).due(None, now)
    assert not Interval(None).due(now - 1e9, now)


@given(seconds, moments, st.lists(moments, max_size=20))
def test_claiming_when_due_keeps_claims_an_interval_apart(
    every: float, start: float, offsets: list[float]
) -> None:
    # What `Registry.claim` does with it: do it when due, then remember when.
    interval, last = Interval(every), None
    claims: list[float] = []
    for now in sorted(start + abs(offset) for offset in offsets):
        if interval.due(last, now):
            claims.append(now)
            last = now
    assert all(later - earlier >= every for earlier, later in itertools.pairwise(claims))


@pytest.mark.parametrize("bad", [0, 0.0, -1, -0.5, math.inf, -math.inf, math.nan])
def test_zero_negative_and_non_finite_seconds_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="more than 0 seconds"):
        Interval(bad)
    with pytest.raises(ValueError, match=r"^touch_every must"):
        Interval.named("touch_every", bad)


@pytest.mark.parametrize("bad", [True, False, "5", b"5", [5]])
def test_what_is_no_number_of_seconds_is_refused_by_type(bad: object) -> None:
    with pytest.raises(TypeError, match=r"^revalidate_every must be a number of seconds or None"):
        Interval.named("revalidate_every", bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^seconds must"):
        Interval(bad)  # type: ignore[arg-type]


@given(st.one_of(st.none(), seconds, st.integers(min_value=1, max_value=10**9)))
def test_named_is_the_same_interval(value: float | None) -> None:
    assert Interval.named("touch_every", value) == Interval(value)
