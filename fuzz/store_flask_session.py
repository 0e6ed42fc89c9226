"""Flask-Session's store bytes, msgpack and JSON serializers: `stores_common` on any bytes."""

from __future__ import annotations

from harness import entry, instrumented, split

with instrumented(exclude=["sessio.core._cookies"]):
    from stores_common import roundtrip

    from sessio.formats import flask_session

MSGPACK = flask_session()
JSON = flask_session(serializer="json")


def exercise(data: bytes) -> object:
    """Decode, round-trip and save, with both serializers."""
    now, flags, rest = split(data, 4)
    return roundtrip(MSGPACK, rest, now, flags), roundtrip(JSON, rest, now, flags)


if __name__ == "__main__":
    entry("store_flask_session", exercise)
