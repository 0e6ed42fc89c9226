"""`Tally`: sessio's counts in plain dicts, which the exporters read when they are collected.

Both exporters count here and hand the numbers over only when scraped or collected: a
``prometheus_client`` child lookup (``labels(...)``) or an OpenTelemetry ``add`` with
attributes costs several microseconds, a dict update under a lock a fraction of one, and
these calls sit in every connect and save (``benchmarks/metrics_cost.py`` measures both).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence

from sessio.metrics import ConnectOutcome, Metrics, RevalidationOutcome, SaveKind

__all__ = ["STORE_BUCKETS", "Histogram", "Snapshot", "Tally"]

#: Store latency buckets (seconds, upper bounds): a Redis round trip is ~0.1-1 ms, a Django
#: query more.
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

Labels = tuple[str, ...]
#: A metric's name -> {label values: number}.
Tables = dict[str, dict[Labels, float]]


class Histogram:
    """Counts per bucket (the last one past every bound), a sum and a count."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        """Count `value` in the first bucket whose bound it does not pass."""
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value

    def copy(self) -> Histogram:
        """A copy that later observations do not change."""
        copied = Histogram(self.bounds)
        copied.counts, copied.sum = list(self.counts), self.sum
        return copied


#: Copies of a `Tally`'s counters, gauges and store histograms, taken together.
Snapshot = tuple[Tables, Tables, dict[Labels, Histogram]]


class Tally(Metrics):
    """Every count sessio reports, by name and label values, safe to update from any thread.

    `counters` and `gauges` map a metric's name to ``{label values: number}``; `store` maps
    ``(operation, "true" | "false")`` to a `Histogram` of seconds. Read them with `snapshot`.
    """

    def __init__(self, buckets: Sequence[float] = STORE_BUCKETS) -> None:
        self.buckets = tuple(buckets)
        self._lock = threading.Lock()
        self.counters: Tables = {
            name: {}
            for name in (
                "connects",
                "saves",
                "touches",
                "save_retries",
                "revalidations",
                "disconnects",
                "control_messages",
                "control_channel_outages",
            )
        }
        self.gauges: Tables = {
            "sockets_with_session": {},
            "control_channel_up": {},
        }
        self.store: dict[Labels, Histogram] = {}
        # The tables every connection updates, bound once (these calls sit in every connect).
        self._connects = self.counters["connects"]
        self._saves = self.counters["saves"]
        self._touches = self.counters["touches"]
        self._sockets = self.gauges["sockets_with_session"]

    def _add(self, table: dict[Labels, float], labels: Labels, amount: float = 1) -> None:
        with self._lock:
            table[labels] = table.get(labels, 0) + amount

    def snapshot(self) -> Snapshot:
        """Copies of `counters`, `gauges` and `store`, taken together."""
        with self._lock:
            return (
                {name: dict(rows) for name, rows in self.counters.items()},
                {name: dict(rows) for name, rows in self.gauges.items()},
                {labels: histogram.copy() for labels, histogram in self.store.items()},
            )

    def connect(self, namespace: str, outcome: ConnectOutcome, code: str | None) -> None:
        """Count a connect (``code`` is ``none`` for a socket that got its session)."""
        key, table = (namespace, outcome, code or "none"), self._connects
        with self._lock:
            table[key] = table.get(key, 0) + 1

    def store_call(self, operation: str, seconds: float, error: bool) -> None:
        """Put a store operation's time in its histogram."""
        labels = (operation, "true" if error else "false")
        with self._lock:
            histogram = self.store.get(labels)
            if histogram is None:
                histogram = self.store[labels] = Histogram(self.buckets)
            histogram.observe(seconds)

    def save(self, kind: SaveKind, outcome: str, retries: int) -> None:
        """Count a save or a touch, and its retries."""
        key, table = (outcome,), self._touches if kind == "touch" else self._saves
        with self._lock:
            table[key] = table.get(key, 0) + 1
        if retries:
            self._add(self.counters["save_retries"], (kind,), retries)

    def revalidation(self, outcome: RevalidationOutcome) -> None:
        """Count a revalidation."""
        self._add(self.counters["revalidations"], (outcome,))

    def disconnect(self, namespace: str, reason: str) -> None:
        """Count a disconnect sessio made."""
        self._add(self.counters["disconnects"], (namespace, reason))

    def control_message(self, kind: str) -> None:
        """Count a control message."""
        self._add(self.counters["control_messages"], (kind,))

    def control_channel(self, up: bool) -> None:
        """Note the control channel's state; count an outage."""
        with self._lock:
            self.gauges["control_channel_up"][()] = 1 if up else 0
        if not up:
            self._add(self.counters["control_channel_outages"], ())

    def sockets_with_session(self, namespace: str, delta: int) -> None:
        """Move the sockets gauge."""
        key, table = (namespace,), self._sockets
        with self._lock:
            table[key] = table.get(key, 0) + delta
