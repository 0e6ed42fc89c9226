"""express's `decode_uri_component` against JavaScript's ``decodeURIComponent``.

The reference (`js.decode_uri_component`) is written from ECMA-262, not from sessio's code.
"""

from __future__ import annotations

import js
from harness import entry, expect, instrumented, text

with instrumented():
    from sessio.core.formats.express import decode_uri_component


def exercise(data: bytes) -> object:
    """Decode the input; the result is a str or None."""
    value = text(data)
    decoded = decode_uri_component(value)
    expect(decoded is None or isinstance(decoded, str), "decode-type")
    return value, decoded


def check(data: bytes, result: object) -> None:
    """Same answer as JavaScript."""
    value, decoded = result  # type: ignore[misc]
    if value != value.encode("utf-8", "replace").decode("utf-8"):
        # Raw lone surrogates: JavaScript keeps them, sessio answers None (and express then
        # keeps the raw value). A header read off the wire (latin-1) never holds one.
        return
    expected = js.decode_uri_component(value)
    expect(decoded == expected, "differs-from-js", f"{value!r}: {decoded!r} != {expected!r}")


if __name__ == "__main__":
    entry("uri_component", exercise, check)
