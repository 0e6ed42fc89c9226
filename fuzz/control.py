"""Control-channel messages: `decode_control` on anything a Redis channel can carry.

Invariants: never raises; a message is a `Disconnect` whose room is a sessio room and whose
reason is at most 64 characters; encoding a decoded message decodes to the same message.
"""

from __future__ import annotations

import contextlib

from harness import entry, expect, instrumented

with instrumented():
    from sessio.core._control import Disconnect, decode_control, encode_control


def exercise(data: bytes) -> object:
    """Decode the bytes, and the same as text when they are UTF-8."""
    decoded = [decode_control(data)]
    with contextlib.suppress(UnicodeDecodeError):
        decoded.append(decode_control(data.decode("utf-8")))
    for message in decoded:
        if message is None:
            continue
        expect(isinstance(message, Disconnect), "type")
        expect(message.room.startswith("sessio:"), "room")
        expect(len(message.reason) <= 64, "reason-length")
        expect(decode_control(encode_control(message)) == message, "roundtrip")
    return decoded


if __name__ == "__main__":
    entry("control", exercise)
