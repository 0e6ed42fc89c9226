"""sessio's metrics as OpenTelemetry instruments (``sessio[otel]``: ``opentelemetry-api``).

::

    from sessio.metrics.otel import OtelMetrics

    sessions = AsyncSessionSockets(sio, store, fmt, metrics=OtelMetrics())

The instruments come from the global meter provider (the one your OpenTelemetry SDK setup
installs) unless `meter_provider` is given. Names and attributes:

======================================= ================ ===================================
instrument                              kind             attributes
======================================= ================ ===================================
``sessio.connects``                     counter          namespace, outcome, code
``sessio.store.operation.duration``     histogram (s)    operation, error
``sessio.saves``                        counter          outcome
``sessio.touches``                      counter          outcome
``sessio.save.retries``                 counter          kind
``sessio.revalidations``                counter          outcome
``sessio.disconnects``                  counter          namespace, reason
``sessio.control.messages``             counter          kind
``sessio.control.outages``              counter
``sessio.control.up``                   gauge
``sessio.sockets_with_session``         up-down counter  namespace
======================================= ================ ===================================
"""

from __future__ import annotations

from opentelemetry import metrics as otel
from opentelemetry.metrics import MeterProvider

from sessio import __version__
from sessio.metrics import ConnectOutcome, Metrics, RevalidationOutcome, SaveKind

__all__ = ["OtelMetrics"]


class OtelMetrics(Metrics):
    """Records what sessio does with OpenTelemetry instruments from one meter (``sessio``)."""

    def __init__(self, meter_provider: MeterProvider | None = None) -> None:
        meter = otel.get_meter("sessio", __version__, meter_provider)
        self.connects = meter.create_counter(
            "sessio.connects", "{connection}", "Socket.IO connects, by how they ended"
        )
        self.store_duration = meter.create_histogram(
            "sessio.store.operation.duration", "s", "Time a session store operation took"
        )
        self.saves = meter.create_counter("sessio.saves", "{save}", "session.save() calls")
        self.touches = meter.create_counter("sessio.touches", "{touch}", "Rolling-expiry touches")
        self.retries = meter.create_counter(
            "sessio.save.retries", "{retry}", "Compare-and-sets refused: another writer won"
        )
        self.revalidations = meter.create_counter(
            "sessio.revalidations", "{check}", "Checks that a session still exists"
        )
        self.disconnects = meter.create_counter(
            "sessio.disconnects", "{socket}", "Sockets that sessio disconnected, by reason"
        )
        self.control_messages = meter.create_counter(
            "sessio.control.messages", "{message}", "Control-channel messages received"
        )
        self.outages = meter.create_counter(
            "sessio.control.outages", "{outage}", "Control-channel subscriptions lost"
        )
        self.control_up = meter.create_gauge(
            "sessio.control.up", "1", "1 while the control-channel subscription is live"
        )
        self.sockets = meter.create_up_down_counter(
            "sessio.sockets_with_session", "{socket}", "Sockets that hold a session"
        )

    def connect(self, namespace: str, outcome: ConnectOutcome, code: str | None) -> None:
        """Count a connect."""
        attributes = {"namespace": namespace, "outcome": outcome, "code": code or "none"}
        self.connects.add(1, attributes)

    def store_call(self, operation: str, seconds: float, error: bool) -> None:
        """Record a store operation's time."""
        self.store_duration.record(seconds, {"operation": operation, "error": error})

    def save(self, kind: SaveKind, outcome: str, retries: int) -> None:
        """Count a save or a touch, and its retries."""
        (self.touches if kind == "touch" else self.saves).add(1, {"outcome": outcome})
        if retries:
            self.retries.add(retries, {"kind": kind})

    def revalidation(self, outcome: RevalidationOutcome) -> None:
        """Count a revalidation."""
        self.revalidations.add(1, {"outcome": outcome})

    def disconnect(self, namespace: str, reason: str) -> None:
        """Count a disconnect sessio made."""
        self.disconnects.add(1, {"namespace": namespace, "reason": reason})

    def control_message(self, kind: str) -> None:
        """Count a control message."""
        self.control_messages.add(1, {"kind": kind})

    def control_channel(self, up: bool) -> None:
        """Set the control channel's state; count an outage."""
        self.control_up.set(1 if up else 0)
        if not up:
            self.outages.add(1)

    def sockets_with_session(self, namespace: str, delta: int) -> None:
        """Move the sockets counter."""
        self.sockets.add(delta, {"namespace": namespace})
