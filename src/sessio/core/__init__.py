"""sessio's pure core: cookies, formats, verdicts, merges and write plans.

Nothing here performs I/O, reads the clock, starts a thread or touches an event loop; the
current time is always an argument. The shells (`sessio.sync`, `sessio.aio`) do the I/O that
the values returned here name.
"""

from sessio.core._changes import Changes, apply, conflicts, diff, same, snapshot
from sessio.core._cookies import parse_cookie_header, unquote
from sessio.core._failures import Failure, FailureCode
from sessio.core._handshake import decode_stored, resolve
from sessio.core._saving import Creation, Minted, Write, plan_create, plan_save, plan_write
from sessio.core._stored import Encoded, StoredSession
from sessio.core._verdicts import ClientSession, SessionRef, Verdict
from sessio.core.formats._base import CookieFormat, Format, StoreFormat
from sessio.core.formats.express import ExpressFormat, express

__all__ = [
    "Changes",
    "ClientSession",
    "CookieFormat",
    "Creation",
    "Encoded",
    "ExpressFormat",
    "Failure",
    "FailureCode",
    "Format",
    "Minted",
    "SessionRef",
    "StoreFormat",
    "StoredSession",
    "Verdict",
    "Write",
    "apply",
    "conflicts",
    "decode_stored",
    "diff",
    "express",
    "parse_cookie_header",
    "plan_create",
    "plan_save",
    "plan_write",
    "resolve",
    "same",
    "snapshot",
    "unquote",
]
