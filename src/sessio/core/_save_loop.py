"""The save loop: a compare-and-set, retried until it lands, as a stepper the shells drive.

In the style of h11: `SaveLoop` does no I/O, reads no clock and draws no random numbers. The
shell asks it what to do (`start`), does it (`Read`, `CompareAndSet`, `Sleep`), and tells it
what happened (`read`, `compared`, `slept`), with the time and, where a pause may follow, a
jitter fraction it drew; until the answer is `Done`, `Unchanged` or a `Failure`. So the two
shells run the same policy, and tests drive it against a dict with rival writers in between.

The policy: the first attempt assumes the store still holds what the socket loaded; a refused
compare-and-set answers with what the store holds, and the next attempt merges onto that at
once. Later attempts first pause a random moment (up to 1 ms, doubling per retry, at most
50 ms) and read the store afresh: retrying at once lets the quickest writers win every race,
and with six sockets of one session saving on two nodes a socket on the busier event loop lost
16 races in a row. Each retry means another writer saved in between; past `MAX_SAVE_ATTEMPTS`
(about a second of backing off) something is spinning, and the save is a ``conflict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from attrs import define, field, frozen

from sessio.core._changes import Changes, apply, diff
from sessio.core._failures import Failure, redact_key
from sessio.core._handshake import decode_stored
from sessio.core._saving import Write, plan_save
from sessio.core._stored import StoredSession
from sessio.core._verdicts import SessionRef
from sessio.core.formats._base import StoreFormat

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_MAX",
    "MAX_SAVE_ATTEMPTS",
    "Action",
    "CompareAndSet",
    "Done",
    "Read",
    "SaveLoop",
    "Sleep",
    "Unchanged",
    "backoff",
]

#: How many compare-and-sets one save tries before it gives up with a ``conflict``.
MAX_SAVE_ATTEMPTS = 32
#: The longest pause before the third attempt (seconds); it doubles per attempt after that.
BACKOFF_FIRST = 0.001
#: The longest pause before any attempt (seconds).
BACKOFF_MAX = 0.05


def backoff(attempt: int) -> float:
    """The longest pause before try number `attempt` (counted from 0) of a save.

    0 for the first two: the first assumes the store holds what was loaded, the second uses
    what the refused compare-and-set said it holds.
    """
    if attempt < 2:
        return 0.0
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** (attempt - 2))


def _shown_bytes(value: bytes | None) -> str:
    # Store bytes are the user's session: a repr says how many, not what.
    return "None" if value is None else f"<{len(value)} bytes>"


def _shown_key(key: str) -> str:
    return repr(redact_key(key))


@frozen
class Read:
    """Read what the store holds under `key` now, and pass it to `SaveLoop.read`."""

    key: str = field(repr=_shown_key)


@frozen
class CompareAndSet:
    """If `key` holds `expected`, write `value` with `ttl` (delete when `value` is None).

    Pass the store's answer (whether it wrote, and what the key holds) to `SaveLoop.compared`.
    """

    key: str = field(repr=_shown_key)
    expected: bytes | None = field(repr=_shown_bytes)
    value: bytes | None = field(repr=_shown_bytes)
    ttl: int | None


@frozen
class Sleep:
    """Pause `seconds` (0 or more), then call `SaveLoop.slept`."""

    seconds: float


@frozen
class Done:
    """The save landed: the store holds `stored`, as the bytes `raw` (None: deleted).

    `destroyed` is True when the write was past the session's lifetime, so it deleted the
    session, which must stay gone. `pending` is what the socket changed while the save was
    under way, relative to what it saved: its new baseline is `stored`, with `pending` on top.
    """

    stored: StoredSession
    raw: bytes | None = field(repr=_shown_bytes)
    destroyed: bool
    pending: Changes


@frozen
class Unchanged:
    """Nothing to write (no changes, no touch): the session stays as it is, untouched."""


#: What `SaveLoop` asks of the shell next; a `Failure` ends the save (the shell raises it).
Action = Read | CompareAndSet | Sleep | Done | Unchanged | Failure

_Step = Literal["start", "read", "compared", "slept", "over"]


@define
class SaveLoop:
    """One save of one session: merges `changes` (made against `loaded`) onto the store's.

    `current` and `expected` are what the socket believes the store holds (decoded, and as
    bytes). With `strict`, a key that this socket changed and someone else changed too since
    `loaded` ends the save with a ``conflict``; otherwise this socket's value wins. With
    `touch`, the framework's rolling expiry is applied as well.

    Call `start`, then answer each action with the matching method; each returns the next
    action. Calling out of turn is a bug in the shell and raises `RuntimeError`.
    """

    fmt: StoreFormat
    ref: SessionRef
    loaded: Mapping[str, Any]
    current: StoredSession
    expected: bytes | None
    changes: Changes
    strict: bool = field(default=False, kw_only=True)
    touch: bool = field(default=False, kw_only=True)
    #: How many compare-and-sets were refused so far (the number of the next attempt).
    attempt: int = field(default=0, init=False)
    _step: _Step = field(default="start", init=False)
    _write: Write | None = field(default=None, init=False)
    _planned_at: float = field(default=0.0, init=False)

    def start(self, now: float) -> Action:
        """The first action of the save, planned at `now`."""
        self._turn("start")
        return self._plan(now)

    def read(self, raw: bytes | None, now: float) -> Action:
        """The store answered a `Read` with `raw` (None: nothing there) at `now`."""
        self._turn("read")
        fresh = decode_stored(self.ref, raw, self.fmt, now)
        if isinstance(fresh, Failure):
            return self._over(fresh)
        self.current, self.expected = fresh, raw
        return self._plan(now)

    def compared(
        self,
        swapped: bool,
        actual: bytes | None,
        now: float,
        *,
        jitter: float,
        live: Mapping[str, Any],
    ) -> Action:
        """The store answered a `CompareAndSet`: whether it wrote, and what it holds now.

        `jitter` is a fraction in [0, 1] drawn at random by the shell; a pause before the
        next attempt is that fraction of `backoff`. `live` is the socket's session as it is
        now, for the edits it made while the save was under way.
        """
        self._turn("compared")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError(f"jitter must be a fraction in [0, 1], not {jitter!r}")
        write = self._write
        assert write is not None  # set by every plan that led here
        if swapped:
            saved = apply(self.loaded, self.changes)
            return self._over(
                Done(write.stored, write.value, write.value is None, diff(saved, live))
            )
        # Decoded as of the plan: what the store held when this attempt was made.
        latest = decode_stored(self.ref, actual, self.fmt, self._planned_at)
        if isinstance(latest, Failure):
            return self._over(latest)
        self.current, self.expected = latest, actual
        self.attempt += 1
        if self.attempt >= MAX_SAVE_ATTEMPTS:
            return self._over(Failure.conflict(self.changes.keys))
        if self.attempt < 2:
            return self._plan(now)
        self._step = "slept"
        return Sleep(jitter * backoff(self.attempt))

    def slept(self) -> Action:
        """The pause is over: what the store held before it is stale, so read it again."""
        self._turn("slept")
        self._step = "read"
        return Read(self.ref.key)

    def _plan(self, now: float) -> Action:
        plan = plan_save(
            self.fmt,
            self.ref.session_id,
            self.loaded,
            self.current,
            self.changes,
            now,
            strict=self.strict,
            touch=self.touch,
        )
        if plan is None:
            return self._over(Unchanged())
        if isinstance(plan, Failure):
            return self._over(plan)
        self._write, self._planned_at = plan, now
        self._step = "compared"
        return CompareAndSet(plan.key, self.expected, plan.value, plan.ttl)

    def _turn(self, step: _Step) -> None:
        if self._step != step:
            raise RuntimeError(f"the save loop expects {self._step!r}, not {step!r}")

    def _over(self, action: Action) -> Action:
        self._step = "over"
        return action
