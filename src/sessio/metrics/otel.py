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

from collections.abc import Callable, Iterable

from opentelemetry import metrics as otel
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

from sessio import __version__
from sessio.metrics._tally import Tally

__all__ = ["OtelMetrics"]

# instrument: (the Tally table it reads, its unit, its description, its attribute names)
COUNTERS = {
    "sessio.connects": ("connects", "{connection}", "Socket.IO connects, by how they ended"),
    "sessio.saves": ("saves", "{save}", "session.save() calls, by how they ended"),
    "sessio.touches": ("touches", "{touch}", "Rolling-expiry touches, by how they ended"),
    "sessio.save.retries": ("save_retries", "{retry}", "Compare-and-sets refused: a rival won"),
    "sessio.revalidations": ("revalidations", "{check}", "Checks that a session still exists"),
    "sessio.disconnects": ("disconnects", "{socket}", "Sockets sessio disconnected, by reason"),
    "sessio.control.messages": ("control_messages", "{message}", "Control messages received"),
    "sessio.control.outages": ("control_channel_outages", "{outage}", "Subscriptions lost"),
}
ATTRIBUTES = {
    "connects": ("namespace", "outcome", "code"),
    "saves": ("outcome",),
    "touches": ("outcome",),
    "save_retries": ("kind",),
    "revalidations": ("outcome",),
    "disconnects": ("namespace", "reason"),
    "control_messages": ("kind",),
    "control_channel_outages": (),
    "sockets_with_session": ("namespace",),
    "control_channel_up": (),
}


class OtelMetrics(Tally):
    """sessio's counts as OpenTelemetry instruments of one meter (``sessio``).

    Counting is a dict update (`Tally`); counters, the sockets count and the channel's state
    are observable instruments, read when the SDK collects. Store latency is a histogram,
    recorded as it happens (OpenTelemetry has no observable histogram).
    """

    def __init__(self, meter_provider: MeterProvider | None = None) -> None:
        super().__init__()
        meter = otel.get_meter("sessio", __version__, meter_provider)
        for name, (table, unit, about) in COUNTERS.items():
            meter.create_observable_counter(name, [self._reader(table)], unit, about)
        meter.create_observable_up_down_counter(
            "sessio.sockets_with_session",
            [self._reader("sockets_with_session")],
            "{socket}",
            "Sockets that hold a session",
        )
        meter.create_observable_gauge(
            "sessio.control.up",
            [self._reader("control_channel_up")],
            "1",
            "1 while the control-channel subscription is live",
        )
        self._durations = meter.create_histogram(
            "sessio.store.operation.duration", "s", "Time a session store operation took"
        )

    def _reader(self, table: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        names = ATTRIBUTES[table]

        def observe(options: CallbackOptions) -> Iterable[Observation]:
            counters, gauges, _ = self.snapshot()
            rows = counters[table] if table in counters else gauges[table]
            return [Observation(n, dict(zip(names, key, strict=True))) for key, n in rows.items()]

        return observe

    def store_call(self, operation: str, seconds: float, error: bool) -> None:
        """Record a store operation's time."""
        self._durations.record(seconds, {"operation": operation, "error": error})
