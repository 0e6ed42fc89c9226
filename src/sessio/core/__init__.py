"""sessio's pure core: cookies, formats, verdicts, merges and write plans.

Nothing here performs I/O, reads the clock, starts a thread or touches an event loop; the
current time is always an argument. The shells (`sessio.sync`, `sessio.aio`) do the I/O that
the values returned here name.
"""

from sessio.core.changes import Changes, apply, conflicts, diff, same, snapshot
from sessio.core.cookies import parse_cookie_header, unquote
from sessio.core.express import ExpressFormat, express
from sessio.core.failures import Failure, FailureCode
from sessio.core.format import Format
from sessio.core.handshake import Verdict, load, resolve
from sessio.core.saving import Creation, plan_create, plan_save, plan_write
from sessio.core.values import ClientSession, Encoded, Minted, SessionRef, StoredSession, Write

__all__ = [
    "Changes",
    "ClientSession",
    "Creation",
    "Encoded",
    "ExpressFormat",
    "Failure",
    "FailureCode",
    "Format",
    "Minted",
    "SessionRef",
    "StoredSession",
    "Verdict",
    "Write",
    "apply",
    "conflicts",
    "diff",
    "express",
    "load",
    "parse_cookie_header",
    "plan_create",
    "plan_save",
    "plan_write",
    "resolve",
    "same",
    "snapshot",
    "unquote",
]
