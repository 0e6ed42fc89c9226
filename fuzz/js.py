"""JavaScript's ``decodeURIComponent``, from ECMA-262's Decode algorithm (not from sessio).

A ``%`` must start ``%XX``; escapes are UTF-8, one character at a time: a lead byte and
exactly its continuation bytes, no overlong forms, no surrogates, nothing past U+10FFFF; raw
characters (lone surrogates included) pass through.
"""

from __future__ import annotations

import string

_HEX = frozenset(string.hexdigits)


def decode_uri_component(value: str) -> str | None:
    """ECMA-262 Decode(string, reservedSet = "") — None where JavaScript throws URIError."""
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        hexes = value[i + 1 : i + 3]
        if len(hexes) < 2 or not set(hexes) <= _HEX:
            return None
        lead = int(hexes, 16)
        i += 3
        if lead < 0x80:
            out.append(chr(lead))
            continue
        if 0xC0 <= lead < 0xE0:
            count = 1
        elif 0xE0 <= lead < 0xF0:
            count = 2
        elif 0xF0 <= lead < 0xF8:
            count = 3
        else:
            return None
        octets = [lead]
        for _ in range(count):
            hexes = value[i + 1 : i + 3]
            if value[i : i + 1] != "%" or len(hexes) < 2 or not set(hexes) <= _HEX:
                return None
            octets.append(int(hexes, 16))
            i += 3
        try:
            # Python's strict decoder refuses exactly what the spec does: bad continuation
            # bytes, overlong forms, surrogates and code points past U+10FFFF.
            out.append(bytes(octets).decode("utf-8"))
        except UnicodeDecodeError:
            return None
    return "".join(out)
