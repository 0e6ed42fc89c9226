"""A `sessio.metrics.Metrics` that records every call, for tests to wait on."""

from __future__ import annotations

from typing import Any

from sessio.metrics import ConnectOutcome, Metrics, RevalidationOutcome, SaveKind
from sessio.testing import Inbox

TIMEOUT = 5.0


class Recorder(Metrics):
    """Each call, by method name, in order; `take` waits for the next one."""

    def __init__(self) -> None:
        self.inbox = Inbox()

    def _add(self, method: str, *args: Any) -> None:
        self.inbox.add("metrics", method, args)

    def calls(self, method: str) -> list[tuple[Any, ...]]:
        """Every call of `method` so far."""
        return self.inbox.all("metrics", method)

    def take(self, method: str, timeout: float = TIMEOUT) -> tuple[Any, ...]:
        """The next call of `method` not taken yet (waits up to `timeout`)."""
        return self.inbox.take("metrics", method, timeout)

    def connect(self, namespace: str, outcome: ConnectOutcome, code: str | None) -> None:
        self._add("connect", namespace, outcome, code)

    def store_call(self, operation: str, seconds: float, error: bool) -> None:
        self._add("store_call", operation, seconds, error)

    def save(self, kind: SaveKind, outcome: str, retries: int) -> None:
        self._add("save", kind, outcome, retries)

    def revalidation(self, outcome: RevalidationOutcome) -> None:
        self._add("revalidation", outcome)

    def disconnect(self, namespace: str, reason: str) -> None:
        self._add("disconnect", namespace, reason)

    def control_message(self, kind: str) -> None:
        self._add("control_message", kind)

    def control_channel(self, up: bool) -> None:
        self._add("control_channel", up)

    def sockets_with_session(self, namespace: str, delta: int) -> None:
        self._add("sockets_with_session", namespace, delta)


class Clock:
    """A clock a test moves by hand (sessio judges expiry and intervals by it)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
