"""aiohttp-session's RedisStorage bytes: `stores_common` on any bytes."""

from __future__ import annotations

from harness import entry, instrumented, split

with instrumented(exclude=["sessio.core._cookies"]):
    from stores_common import roundtrip

    from sessio.formats import aiohttp

FMT = aiohttp("redis", max_age=86400)


def exercise(data: bytes) -> object:
    """Decode, round-trip and save."""
    now, flags, rest = split(data, 4)
    return roundtrip(FMT, rest, now, flags)


if __name__ == "__main__":
    entry("store_aiohttp", exercise)
