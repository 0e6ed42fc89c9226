"""`RecentDisconnects`: a read is stale exactly when its session (or any) was let go of since."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sessio.core._recent import ANY_ROOM, RecentDisconnects

ROOMS = ["a", "b", "c"]
# A step: a read begins (None), or a room (or any room) is let go of.
steps = st.lists(st.one_of(st.none(), st.sampled_from([*ROOMS, ANY_ROOM, "any"])), max_size=60)


@given(steps, st.integers(min_value=1, max_value=8), st.sampled_from(ROOMS))
def test_since_matches_a_model_that_forgets_nothing(
    plan: list[str | None], capacity: int, room: str
) -> None:
    recent = RecentDisconnects(capacity=capacity)
    notes: list[str | None] = []
    stamps: list[tuple[int, int]] = []  # (stamp, how many notes then)
    for step in plan:
        if step is None:
            stamps.append((recent.stamp(), len(notes)))
        else:
            noted = ANY_ROOM if step == "any" else step
            recent.note(noted)
            notes.append(noted)
    for stamp, seen in stamps:
        since = notes[seen:]
        truly = any(noted is ANY_ROOM or noted == room for noted in since)
        answer = recent.since(stamp, room)
        if truly:
            assert answer  # never a stale read taken for fresh
        elif len(since) <= capacity:
            assert not answer  # and within what it remembers, no needless re-read
        if not since:
            assert not answer


def test_a_read_with_nothing_since_is_fresh() -> None:
    recent = RecentDisconnects()
    recent.note("a")
    stamp = recent.stamp()
    assert not recent.since(stamp, "a")
    recent.note("b")
    assert not recent.since(stamp, "a")
    recent.note(ANY_ROOM)
    assert recent.since(stamp, "a")
