# Generated from src/sessio/aio/_control_listener.py by scripts/unasync.py: edit that file instead.
"""`ControlListener`: follows the control channel for one node's `Liveness`.

Other nodes, and `revoke`, publish on the channel which session or user room to disconnect
(`sessio.core._control`), and which session was rotated to which; the listener hands each
message to the liveness (or to its ``on_rotate``). When the store drops the subscription it
subscribes again; what was published meanwhile is lost, so each time the subscription is live
again every session the node holds is re-checked in the store.

No message anyone publishes may stop the listener: each one is fenced, logged on the
``sessio`` logger, and the loop goes on.
"""

from __future__ import annotations

import logging
from contextlib import closing
from typing import TYPE_CHECKING

from sessio.core._control import CONTROL_CHANNEL, SUBSCRIBED, Rotate, decode_control
from sessio.core._recent import ANY_ROOM
from sessio.sync.stores._protocol import ControlChannel

if TYPE_CHECKING:
    from sessio.sync._liveness import Liveness

__all__ = ["RESUBSCRIBE_AFTER", "ControlListener"]

logger = logging.getLogger("sessio")

# How long the control-channel listener waits before subscribing again after losing it.
RESUBSCRIBE_AFTER = 1.0


class ControlListener:
    """The control-channel subscription of `liveness`, which ends when `liveness` closes."""

    def __init__(self, liveness: Liveness) -> None:
        self.liveness = liveness

    def listen(self, channel: ControlChannel) -> None:
        """Follow the control channel until `close`; resubscribe when the store drops it.

        Whatever was published while this node was not listening (before its first
        subscription, while the store was away, while its client reconnected) is lost, so
        each time the subscription is live again (`SUBSCRIBED`, or the first item of a
        subscription), every session this node holds is re-checked: a revoke missed on the
        channel is found in the store.
        """
        liveness = self.liveness
        lost = False
        while not liveness.closed:
            try:
                with closing(channel.subscribe(CONTROL_CHANNEL)) as messages:
                    fresh = True
                    for raw in messages:
                        if liveness.closed:
                            break
                        if fresh or raw == SUBSCRIBED:
                            fresh = False
                            # What was missed may have been for a session being read now.
                            liveness.note_gone(ANY_ROOM)
                            if liveness.metrics is not None:
                                liveness.metrics.control_channel(True)
                            if lost:
                                logger.warning("control channel back")
                                lost = False
                            # Beside the listener, not in its way: a store read that hangs
                            # (one cluster master down) must not hold up the messages.
                            liveness.sio.start_background_task(self._recheck_all)
                        if raw:
                            self.on_message(raw)
            except Exception as error:
                if liveness.closed:
                    return  # closed, and its store went too (a shutdown): nothing is lost
                # Said once per outage, by type only (a store's error text may name keys or
                # addresses); the traceback is there for whoever turns DEBUG on.
                if not lost:
                    logger.warning(
                        "control channel lost (%s); subscribing again", type(error).__name__
                    )
                    logger.debug("control channel lost", exc_info=True)
                    if liveness.metrics is not None:
                        liveness.metrics.control_channel(False)
                lost = True
            if liveness.closing(RESUBSCRIBE_AFTER):
                return

    def on_message(self, raw: bytes) -> None:
        """Hand one message to `liveness` (a disconnect) or its ``on_rotate``; never raises."""
        # Whatever goes wrong with one message, the subscription stays.
        liveness = self.liveness
        message = decode_control(raw)
        if liveness.metrics is not None:
            kind = "unreadable" if message is None else type(message).__name__.lower()
            liveness.metrics.control_message(kind)
        if message is None:
            # Never the bytes themselves: whoever can publish chose them.
            logger.warning(
                "control channel: skipped a message sessio cannot read (%d bytes)", len(raw)
            )
            return
        try:
            if isinstance(message, Rotate):
                if liveness.on_rotate is not None:
                    liveness.on_rotate(message)
            else:
                liveness.disconnect_local(message.room, message.reason)
        except Exception:
            logger.exception("control channel: a %s failed", type(message).__name__.lower())

    def _recheck_all(self) -> None:
        try:
            self.liveness.recheck(due_only=False)
        except Exception:
            logger.exception("re-check after subscribing failed")
