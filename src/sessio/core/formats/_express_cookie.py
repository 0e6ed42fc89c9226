"""The ``connect.sid`` cookie value: how express-session signs it and how it is read back.

Facts, from cookie 0.7.2's and cookie-signature 1.0.7's own code (express-session 1.19.0's):

* cookie value: ``s:`` + sid + ``.`` + base64(HMAC-SHA256(secret, sid)), standard alphabet,
  ``=`` padding stripped (``sign``); ``unsign`` splits the signature off at the *last* ``.``
  and compares ``sign(value)`` with the whole input.
* in the header the value is URL-encoded; the ``cookie`` module decodes it only when it
  contains ``%``, with ``decodeURIComponent``, and keeps the raw value if that throws.
"""

from __future__ import annotations

import string
from binascii import b2a_base64
from collections.abc import Callable, Sequence
from hmac import compare_digest

from sessio.core.signers._primitives import (
    b64encode_std_nopad,
    hmac_digest,
    hmac_sha256_with,
    to_bytes,
)

__all__ = [
    "SIGNATURE_LENGTH",
    "decode_uri_component",
    "keyed_hmacs",
    "sign",
    "unsign",
    "unsign_with",
]

_HEX_BYTE = {a + b: bytes((int(a + b, 16),)) for a in string.hexdigits for b in string.hexdigits}


def decode_uri_component(value: str) -> str | None:
    """JavaScript's ``decodeURIComponent``: None where it would throw (bad ``%`` or UTF-8)."""
    if "%" not in value:
        return value
    # The escapes express-session writes into a signed cookie. Each match starts at a "%"
    # of the input and none yields a "%", so replacing them one after another decodes each
    # escape exactly once, as decodeURIComponent does; anything left goes the long way.
    # A replace costs a method call even when it finds nothing; "%" in ... does not.
    common = value.replace("%3A", ":")
    if "%" in common:
        common = common.replace("%2F", "/")
        if "%" in common:
            common = common.replace("%2B", "+")
            if "%" in common:
                common = common.replace("%3D", "=")
    if "%" not in common:
        return common
    # Percent-escapes are UTF-8 bytes; raw characters encode to whole UTF-8 sequences, so
    # decoding the joined bytes fails exactly where decodeURIComponent throws.
    first, *rest = value.split("%")
    try:
        chunks = [first.encode("utf-8")]
        for part in rest:
            byte = _HEX_BYTE.get(part[:2])
            if byte is None:
                return None
            chunks.append(byte)
            chunks.append(part[2:].encode("utf-8"))
        return b"".join(chunks).decode("utf-8")
    except UnicodeError:
        return None


def sign(value: str, secret: str | bytes) -> str:
    """cookie-signature's ``sign``: ``value.base64(HMAC-SHA256)`` without padding."""
    mac = hmac_digest(to_bytes(secret), value.encode("utf-8"), "sha256")
    return f"{value}.{b64encode_std_nopad(mac)}"


def unsign(signed: str, secrets: Sequence[str | bytes]) -> tuple[str, int] | None:
    """The value and the index of the secret that signed it, or None when none did.

    cookie-signature compares ``sign(value)`` with the whole input; as the input starts with
    ``value``, comparing the signatures alone is the same test.
    """
    return unsign_with(signed, keyed_hmacs(secrets))


def keyed_hmacs(secrets: Sequence[str | bytes]) -> tuple[Callable[[bytes], bytes], ...]:
    return tuple(hmac_sha256_with(to_bytes(secret)) for secret in secrets)


# A SHA-256 digest is 32 bytes: 44 base64 characters, the last one the "=" that
# cookie-signature strips.
SIGNATURE_LENGTH = 43


def unsign_with(signed: str, keyed: Sequence[Callable[[bytes], bytes]]) -> tuple[str, int] | None:
    dot = signed.rfind(".")
    if dot < 0:
        return None
    value = signed[:dot]
    message = value.encode("utf-8")
    given = signed[dot + 1 :].encode("utf-8", "replace")
    if len(keyed) == 1:
        # One secret, the usual case: no loop to set up on every handshake.
        expected = b2a_base64(keyed[0](message), newline=False)[:SIGNATURE_LENGTH]
        return (value, 0) if compare_digest(expected, given) else None
    found: tuple[str, int] | None = None
    for index, mac in enumerate(keyed):
        expected = b2a_base64(mac(message), newline=False)[:SIGNATURE_LENGTH]
        # Every secret is tried, so the time taken does not say which one matched.
        if compare_digest(expected, given) and found is None:
            found = (value, index)
    return found
