"""A handshake, step by step: what ``sessio inspect`` shows a developer."""

from __future__ import annotations

from attrs import frozen

from sessio.core._cookies import parse_cookie_header
from sessio.core._failures import Failure, redact_key
from sessio.core._handshake import MAX_COOKIE_HEADER, resolve
from sessio.core._verdicts import ClientSession, SessionRef, Verdict
from sessio.core.formats._base import Format, StoreFormat

__all__ = ["Explanation", "Step", "explain"]

# Which step a failure belongs to, so that the walk-through stops where it went wrong.
_STEP_OF_CODE = {
    "no-cookie": "cookie",
    "malformed-cookie": "cookie",
    "unsigned-cookie": "signature",
    "bad-signature": "signature",
    "expired": "expiry",
}


# How many other cookie names the cookie step lists, and how much of each.
_NAMES_SHOWN = 10
_NAME_SHOWN = 40


@frozen
class Step:
    """One step of the handshake: its `label`, whether it passed, and what was seen."""

    label: str
    ok: bool
    detail: str


@frozen
class Explanation:
    """The steps up to the verdict, and the verdict `resolve` gives for the same input."""

    steps: tuple[Step, ...]
    verdict: Verdict


def explain(cookie_header: str | None, fmt: Format, now: float) -> Explanation:
    """Walk `resolve` for `cookie_header`, saying what each step found (no values, no secrets).

    A session id is shown only as `redact_key` shows it.
    """
    verdict = resolve(cookie_header, fmt, now)
    steps: list[Step] = []
    failed_at = _STEP_OF_CODE.get(verdict.code, "") if isinstance(verdict, Failure) else ""
    if failed_at == "cookie":
        steps.append(Step("cookie", False, verdict.message if isinstance(verdict, Failure) else ""))
        return Explanation(tuple(steps), verdict)
    # resolve has read the header, so it is no longer than MAX_COOKIE_HEADER.
    header = (cookie_header or "")[:MAX_COOKIE_HEADER]
    others = [n for n in parse_cookie_header(header) if n != fmt.key]
    # Names come from the request: a hostile header must not fill the output with itself.
    names = [n if len(n) <= _NAME_SHOWN else n[:_NAME_SHOWN] + "…" for n in others[:_NAMES_SHOWN]]
    more = f" and {len(others) - _NAMES_SHOWN} more" if len(others) > _NAMES_SHOWN else ""
    seen = f" (other cookies: {', '.join(names)}{more})" if others else ""
    steps.append(Step("cookie", True, f"found {fmt.key!r}{seen}"))
    if failed_at == "signature" and isinstance(verdict, Failure):
        steps.append(Step("signature", False, verdict.message))
        return Explanation(tuple(steps), verdict)
    index = verdict.secret_index if isinstance(verdict, SessionRef | ClientSession) else None
    steps.append(
        Step(
            "signature",
            True,
            "not signed (no secrets configured)"
            if index is None
            else f"verified by secret #{index} of the configured secrets",
        )
    )
    if failed_at == "expiry" and isinstance(verdict, Failure):
        steps.append(Step("expiry", False, verdict.message))
        return Explanation(tuple(steps), verdict)
    if isinstance(verdict, Failure):
        steps.append(Step("decode", False, verdict.message))
    elif isinstance(verdict, SessionRef):
        prefix = fmt.store_key("") if isinstance(fmt, StoreFormat) else None
        shown = redact_key(verdict.key, prefix)
        steps.append(Step("session", True, f"server-side session, store key {shown!r}"))
    else:
        issued = "" if verdict.issued_at is None else f", issued at {verdict.issued_at:.0f}"
        steps.append(Step("session", True, f"session lives in the cookie (read-only){issued}"))
    return Explanation(tuple(steps), verdict)
