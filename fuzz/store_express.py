"""express-session's store bytes (connect-redis): `stores_common` on any bytes."""

from __future__ import annotations

from harness import SECRET, entry, instrumented, split

with instrumented(exclude=["sessio.core._cookies"]):
    from stores_common import roundtrip

    from sessio.core import express

FMT = express([SECRET], cookie_max_age=3600)


def exercise(data: bytes) -> object:
    """Decode, round-trip and save."""
    now, flags, rest = split(data, 4)
    return roundtrip(FMT, rest, now, flags)


if __name__ == "__main__":
    entry("store_express", exercise)
