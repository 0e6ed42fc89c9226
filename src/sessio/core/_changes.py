"""What a socket changed in its session, and how to put that onto what the store holds now.

A socket's edits are found by comparing its session with the snapshot it loaded (so a nested
edit such as ``session["cart"].append(x)`` counts as setting ``"cart"``), and are saved as a
`Changes` value merged onto the store's current session: two writers that touch different keys
never lose each other's change.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

__all__ = [
    "MAX_NESTING",
    "TOO_DEEP",
    "Changes",
    "apply",
    "conflicts",
    "diff",
    "nested_too_deep",
    "same",
    "snapshot",
]

#: How deep containers in session data may nest. Snapshots and diffs recurse once per level
#: (``copy.deepcopy`` twice), so a 500-deep list in a cookie or a store value would exhaust
#: the interpreter's recursion limit; no real session comes near this.
MAX_NESTING = 100
#: Why a cookie session nested deeper than `MAX_NESTING` is refused (``malformed-cookie``).
TOO_DEEP = f"its session nests more than {MAX_NESTING} levels deep"


def _frozen_set(keys: frozenset[str] | set[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset(keys)


def _copy_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@frozen
class Changes:
    """Keys set (with their new values) and keys deleted, relative to a loaded snapshot."""

    set: Mapping[str, Any] = field(factory=dict, converter=_copy_map)
    deleted: frozenset[str] = field(factory=frozenset, converter=_frozen_set)

    @property
    def keys(self) -> frozenset[str]:
        """Every key this change touches."""
        return frozenset(self.set) | self.deleted

    def __bool__(self) -> bool:
        return bool(self.set) or bool(self.deleted)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (``1``, ``1.0`` and ``True`` differ).

    Floats compare as values, except that NaN is the same as NaN.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        # NaN is unequal to itself; a NaN left alone (or replaced by one) is no change.
        return bool(b != b)
    return bool(a == b)


def snapshot(data: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy to diff against later: nested values the user mutates are not shared."""
    return copy.deepcopy(dict(data))


def diff(loaded: Mapping[str, Any], current: Mapping[str, Any]) -> Changes:
    """The `Changes` that turn `loaded` into `current`."""
    return Changes(
        {k: v for k, v in current.items() if k not in loaded or not same(loaded[k], v)},
        frozenset(k for k in loaded if k not in current),
    )


def apply(base: Mapping[str, Any], changes: Changes) -> dict[str, Any]:
    """`base` with `changes` on top: set keys replaced, deleted keys removed."""
    merged = {k: v for k, v in base.items() if k not in changes.deleted}
    merged.update(changes.set)
    return merged


def conflicts(
    loaded: Mapping[str, Any], current: Mapping[str, Any], changes: Changes
) -> frozenset[str]:
    """Keys that `changes` touches and that someone else changed between `loaded` and `current`."""
    missing = object()
    return frozenset(
        k for k in changes.keys if not same(loaded.get(k, missing), current.get(k, missing))
    )


def nested_too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether containers in `value` nest more than `limit` levels deep.

    Walks `value` without recursion, visiting each container once, so it is safe on exactly
    the inputs it exists to refuse.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen: set[int] = set()
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        # Exact types first: a session is mostly str, int and plain dicts, and an ABC
        # isinstance check costs ten times a type comparison.
        if kind in _LEAVES:
            continue
        if kind is dict or isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple | set | frozenset):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        if id(item) in seen:
            continue
        seen.add(id(item))
        deeper = depth + 1
        for child in children:
            if type(child) not in _LEAVES:
                stack.append((child, deeper))
    return False


# Values that hold no others: never pushed, never looked at twice.
_LEAVES = frozenset({str, int, float, bool, type(None), bytes})
