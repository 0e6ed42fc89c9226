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

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from sessio.metrics import ConnectOutcome, Metrics, RevalidationOutcome, SaveKind

__all__ = ["STORE_BUCKETS", "PrometheusMetrics"]

#: Store latency buckets (seconds): a Redis round trip is ~0.1-1 ms, a Django query more.
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class PrometheusMetrics(Metrics):
    """Counts what sessio does into ``prometheus_client`` metrics in `registry`.

    `prefix` starts every name (``sessio`` by default); `buckets` are the store latency
    histogram's (`STORE_BUCKETS`).
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = REGISTRY,
        *,
        prefix: str = "sessio",
        buckets: tuple[float, ...] = STORE_BUCKETS,
    ) -> None:
        def counter(name: str, about: str, *labels: str) -> Counter:
            return Counter(name, about, labels, namespace=prefix, registry=registry)

        self.connects = counter(
            "connects", "Socket.IO connects, by how they ended", "namespace", "outcome", "code"
        )
        self.store_seconds = Histogram(
            "store_operation_seconds",
            "Time a session store operation took",
            ("operation", "error"),
            namespace=prefix,
            registry=registry,
            buckets=buckets,
        )
        self.saves = counter("saves", "session.save() calls, by how they ended", "outcome")
        self.touches = counter("touches", "Rolling-expiry touches, by how they ended", "outcome")
        self.retries = counter(
            "save_retries", "Compare-and-sets refused because another writer won", "kind"
        )
        self.revalidations = counter(
            "revalidations", "Checks that a session still exists in the store", "outcome"
        )
        self.disconnects = counter(
            "disconnects", "Sockets that sessio disconnected, by reason", "namespace", "reason"
        )
        self.control_messages = counter(
            "control_messages", "Control-channel messages received", "kind"
        )
        self.outages = counter("control_channel_outages", "Control-channel subscriptions lost")
        self.control_up = Gauge(
            "control_channel_up",
            "1 while the control-channel subscription is live",
            namespace=prefix,
            registry=registry,
        )
        self.sockets = Gauge(
            "sockets_with_session",
            "Sockets that hold a session on this process",
            ("namespace",),
            namespace=prefix,
            registry=registry,
        )

    def connect(self, namespace: str, outcome: ConnectOutcome, code: str | None) -> None:
        """Count a connect."""
        self.connects.labels(namespace, outcome, code or "none").inc()

    def store_call(self, operation: str, seconds: float, error: bool) -> None:
        """Observe a store operation's time."""
        self.store_seconds.labels(operation, "true" if error else "false").observe(seconds)

    def save(self, kind: SaveKind, outcome: str, retries: int) -> None:
        """Count a save or a touch, and its retries."""
        (self.touches if kind == "touch" else self.saves).labels(outcome).inc()
        if retries:
            self.retries.labels(kind).inc(retries)

    def revalidation(self, outcome: RevalidationOutcome) -> None:
        """Count a revalidation."""
        self.revalidations.labels(outcome).inc()

    def disconnect(self, namespace: str, reason: str) -> None:
        """Count a disconnect sessio made."""
        self.disconnects.labels(namespace, reason).inc()

    def control_message(self, kind: str) -> None:
        """Count a control message."""
        self.control_messages.labels(kind).inc()

    def control_channel(self, up: bool) -> None:
        """Set the control channel's state; count an outage."""
        self.control_up.set(1 if up else 0)
        if not up:
            self.outages.inc()

    def sockets_with_session(self, namespace: str, delta: int) -> None:
        """Move the sockets gauge."""
        self.sockets.labels(namespace).inc(delta)
