"""sessio's metrics as Prometheus metrics, with ``prometheus_client`` (``sessio[prometheus]``).

::

    from sessio.metrics.prometheus import PrometheusMetrics

    metrics = PrometheusMetrics()            # registers in prometheus_client's default REGISTRY
    sessions = AsyncSessionSockets(sio, store, fmt, metrics=metrics)

and expose the registry as you already do (``prometheus_client.make_asgi_app()``,
``start_http_server``, ...). Make one per process and give it to every ``SessionSockets``: a
second one in the same registry would register the same names twice, which
``prometheus_client`` refuses.

============================================ ========= =================================
name                                         type      labels
============================================ ========= =================================
``sessio_connects_total``                    counter   namespace, outcome, code
``sessio_store_operation_seconds``           histogram operation, error
``sessio_saves_total``                       counter   outcome
``sessio_touches_total``                     counter   outcome
``sessio_save_retries_total``                counter   kind (save, touch)
``sessio_revalidations_total``               counter   outcome (live, gone, store-unavailable)
``sessio_disconnects_total``                 counter   namespace, reason
``sessio_control_messages_total``            counter   kind (disconnect, unreadable)
``sessio_control_channel_outages_total``     counter
``sessio_control_channel_up``                gauge
``sessio_sockets_with_session``              gauge     namespace
============================================ ========= =================================

``code`` is the failure code, or ``none`` for a socket that got its session.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from sessio.metrics._tally import STORE_BUCKETS, Snapshot, Tally

__all__ = ["STORE_BUCKETS", "PrometheusMetrics"]

# name: (help, label names), for each counter and gauge `Tally` keeps.
COUNTERS = {
    "connects": ("Socket.IO connects, by how they ended", ("namespace", "outcome", "code")),
    "saves": ("session.save() calls, by how they ended", ("outcome",)),
    "touches": ("Rolling-expiry touches, by how they ended", ("outcome",)),
    "save_retries": ("Compare-and-sets refused because another writer won", ("kind",)),
    "revalidations": ("Checks that a session still exists in the store", ("outcome",)),
    "disconnects": ("Sockets that sessio disconnected, by reason", ("namespace", "reason")),
    "control_messages": ("Control-channel messages received", ("kind",)),
    "control_channel_outages": ("Control-channel subscriptions lost", ()),
}
GAUGES = {
    "sockets_with_session": ("Sockets that hold a session on this process", ("namespace",)),
    "control_channel_up": ("1 while the control-channel subscription is live", ()),
}


class PrometheusMetrics(Tally, Collector):
    """sessio's counts as Prometheus metrics, collected from `registry` at each scrape.

    Counting is a dict update (`Tally`); the metric families are built when the registry is
    collected. `prefix` starts every name (``sessio`` by default); `buckets` are the store
    latency histogram's upper bounds in seconds (`STORE_BUCKETS`). With ``registry=None``
    nothing is registered: register it yourself.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = REGISTRY,
        *,
        prefix: str = "sessio",
        buckets: Sequence[float] = STORE_BUCKETS,
    ) -> None:
        super().__init__(buckets)
        self.prefix = prefix
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterator[Metric]:
        """The metric families with no samples: the registry refuses names taken twice."""
        return self._families(({}, {}, {}))

    def collect(self) -> Iterator[Metric]:
        """The metric families, from the counts as they are now."""
        return self._families(self.snapshot())

    def _families(self, counts: Snapshot) -> Iterator[Metric]:
        counters, gauges, store = counts
        for name, (about, labels) in COUNTERS.items():
            counter = CounterMetricFamily(f"{self.prefix}_{name}", about, labels=labels)
            for values, number in sorted(counters.get(name, {}).items()):
                counter.add_metric(values, number)
            yield counter
        for name, (about, labels) in GAUGES.items():
            gauge = GaugeMetricFamily(f"{self.prefix}_{name}", about, labels=labels)
            for values, number in sorted(gauges.get(name, {}).items()):
                gauge.add_metric(values, number)
            yield gauge
        histogram = HistogramMetricFamily(
            f"{self.prefix}_store_operation_seconds",
            "Time a session store operation took",
            labels=("operation", "error"),
        )
        for values, seen in sorted(store.items()):
            cumulative, buckets = 0, []
            for bound, count in zip([*map(repr, seen.bounds), "+Inf"], seen.counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            histogram.add_metric(values, buckets, seen.sum)
        yield histogram
