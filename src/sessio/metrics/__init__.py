"""What sessio does, told to an observer: connects, store calls, saves, touches, logouts.

Off by default. Pass one `Metrics` to ``SessionSockets`` / ``AsyncSessionSockets``
(``metrics=``) and the shells call it at a few points; without one, each point costs one
``is not None`` check. Two exporters, each behind an extra:

* `sessio.metrics.prometheus.PrometheusMetrics` (sessio's ``prometheus`` extra)
* `sessio.metrics.otel.OtelMetrics` (sessio's ``otel`` extra)

Or subclass `Metrics` and override what you count: every method here does nothing. The
methods are called on the server's threads or event loop, in the middle of a connect or a
save: they must be quick and must not raise. Their arguments are labels and numbers only:
never a session id, a cookie or a socket id (sids are unbounded, and label sets must not be).
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "ConnectOutcome",
    "Metrics",
    "RevalidationOutcome",
    "SaveKind",
]

#: How a connection ended up: with a session; without one but accepted by the connect handler
#: (``anonymous``); refused (by ``require_session`` or the handler, which returned False,
#: refused or raised); or ``abandoned``: the client left before sessio had read its session.
ConnectOutcome = Literal["session", "anonymous", "refused", "abandoned"]
#: A ``save()`` or a ``touch()`` (rolling expiry, by hand or on activity).
SaveKind = Literal["save", "touch"]
#: What a revalidation found: the session is there (``live``), it is ``gone`` (its sockets are
#: disconnected), or the store did not answer (the sockets stay; checked again later).
RevalidationOutcome = Literal["live", "gone", "store-unavailable"]


class Metrics:
    """The observer the shells report to; every method does nothing: override what you count.

    Labels a method receives come from small fixed sets (outcomes, failure codes, store
    operations, message kinds) or from the application's configuration (namespaces).
    """

    def connect(self, namespace: str, outcome: ConnectOutcome, code: str | None) -> None:
        """A connection in `namespace` ended its connect as `outcome`.

        `code` is the handshake's failure code (``no-cookie``, ``bad-signature``, ...) when
        the socket got no session, None when it got one.
        """

    def store_call(self, operation: str, seconds: float, error: bool) -> None:
        """One store `operation` (``get``, ``set``, ``compare_and_set``, ``delete``, ``ttl``,
        ``publish``) took `seconds`; `error` when it raised."""

    def save(self, kind: SaveKind, outcome: str, retries: int) -> None:
        """A save or a touch ended as `outcome` after `retries` refused compare-and-sets.

        `outcome` is ``saved``, ``unchanged`` (nothing to write) or a failure code:
        ``conflict`` (a strict save, or too many rival writers), ``session-not-found``,
        ``store-unavailable``, ...
        """

    def revalidation(self, outcome: RevalidationOutcome) -> None:
        """A revalidation (``revalidate_every``, or a re-check after subscribing) ended."""

    def disconnect(self, namespace: str, reason: str) -> None:
        """sessio disconnected a socket in `namespace`: a logout (``disconnect_session``, a
        control message), a session found gone (``session-not-found``), ..."""

    def control_message(self, kind: str) -> None:
        """A control-channel message arrived: ``disconnect`` (a revoke or a
        ``disconnect_session`` from any node), or ``unreadable`` (skipped)."""

    def control_channel(self, up: bool) -> None:
        """The control-channel subscription became live (`up`), or was lost (an outage)."""

    def sockets_with_session(self, namespace: str, delta: int) -> None:
        """A socket in `namespace` came to hold a session (+1) or left with one (-1)."""
