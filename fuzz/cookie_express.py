"""express-session's ``connect.sid``: signed (two secrets) and unsigned (``secrets=None``).

Beyond `cookies_common`: a signed verdict agrees with express-session + cookie-signature,
re-implemented here from their JavaScript (not from sessio): ``cookie`` decodes a value with
a ``%`` (keeping it raw when decodeURIComponent throws), ``s:`` marks a signed value, the
signature is what follows the last ``.``, every secret is tried in order and JavaScript hashes
lone surrogates as U+FFFD.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import js
from harness import SECRET, SECRET_OLD, entry, expect, instrumented, split_now, text

with instrumented(exclude=["sessio.core._cookies"]):
    from cookies_common import Header, verdicts

    from sessio.core import SessionRef, express

SIGNED = express([SECRET, SECRET_OLD])
UNSIGNED = express(None)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _js_bytes(value: str) -> bytes:
    return _SURROGATE.sub("\ufffd", value).encode("utf-8")


def _reference(value: str) -> tuple[str, int] | None:
    """express-session's getcookie for one cookie value: (sid, secret index) or None."""
    if "%" in value:
        decoded = js.decode_uri_component(value)
        value = value if decoded is None else decoded
    if not value.startswith("s:"):
        return None
    signed = value[2:]
    # cookie-signature: input.slice(0, input.lastIndexOf('.')); slice(0, -1) without a dot.
    dot = signed.rfind(".")
    tentative = signed[:dot] if dot >= 0 else signed[:-1]
    for index, secret in enumerate((SECRET, SECRET_OLD)):
        mac = hmac.new(secret.encode(), _js_bytes(tentative), hashlib.sha256).digest()
        expected = tentative + "." + base64.b64encode(mac).decode().rstrip("=")
        if hmac.compare_digest(_js_bytes(expected), _js_bytes(signed)):
            return tentative, index
    return None


def exercise(data: bytes) -> object:
    """Both formats on the header."""
    now, rest = split_now(data)
    header = Header.of(text(rest), now)
    return header, verdicts(SIGNED, header), verdicts(UNSIGNED, header)


def check(data: bytes, result: object) -> None:
    """The signed verdict is express-session's."""
    header, (_, direct), _ = result  # type: ignore[misc]
    expected = _reference(header.value(SIGNED))
    got = (direct.session_id, direct.secret_index) if isinstance(direct, SessionRef) else None
    expect(got == expected, "express:differs-from-cookie-signature", f"{got!r} {expected!r}")


if __name__ == "__main__":
    entry("cookie_express", exercise, check)
