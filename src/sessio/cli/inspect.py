"""``sessio inspect``: one handshake, step by step, to see why a socket has no session.

It reads a ``Cookie`` header as a socket.io handshake would, with the web app's format and
secrets, and says which cookie it found, whether and by which secret it was verified,
whether it expired, which store key it names and what the store holds there, and what to
try when the settings look like a common mistake. With ``--json`` it prints exactly one
JSON object instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
import urllib.parse
from typing import Any

from sessio.cli._explain import Step, explain
from sessio.cli._jsonview import to_json
from sessio.cli._options import NAMES, by_name, ignored_secret, options_help
from sessio.core import ClientSession, Failure, Format, SessionRef, StoreFormat, decode_stored
from sessio.core._cookies import find_cookie
from sessio.core._failures import id_tag, redact_key
from sessio.core._handshake import MAX_COOKIE_HEADER
from sessio.core.formats.flask_session import FlaskSessionFormat

__all__ = ["DESCRIPTION", "EPILOG", "main"]

#: What ``--help`` says (plain text: argparse shows it as it is).
DESCRIPTION = textwrap.fill(
    "Walk one socket.io handshake step by step, as sessio would: which cookie was found, "
    "which secret verified it, whether it expired, which store key it names and what the "
    "store holds there. Exit status: 0 session found, 1 not found, 2 bad arguments.",
    78,
)
EPILOG = "--option names, by format:\n" + options_help()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``inspect`` subcommand's options."""
    parser.add_argument("--format", required=True, choices=sorted(NAMES), help="the web framework")
    parser.add_argument("--cookie", required=True, help="the Cookie header, as the browser sent it")
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        help="a secret; repeat for rotation (flask, django: the last is the current key; "
        "aiohttp: a Fernet key, which means storage=encrypted)",
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other format option (names below), e.g. max_age=none, use_signer=true, "
        "prefix=myapp:, storage=redis (aiohttp has no default storage)",
    )
    parser.add_argument("--store", help="redis://host:port/db of the session store")
    parser.add_argument("--now", type=float, help="the time to judge expiry at (Unix seconds)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise ValueError(f"--option takes KEY=VALUE, not {pair!r}")
        if key in options:
            raise ValueError(f"--option {key}: given twice")
        options[key] = value
    return options


def _read_store(url: str, key: str) -> tuple[bytes | None, float | None]:
    import redis

    from sessio.sync import RedisStore

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        store = RedisStore(client)
        return store.get(key), store.ttl(key)
    finally:
        client.close()


def run(args: argparse.Namespace) -> int:
    """Inspect one handshake; 0 when the session was found, 1 when not, 2 on bad arguments."""
    try:
        fmt: Format = by_name(args.format, args.secret, _options(args.option))
    except (ValueError, TypeError) as error:
        print(f"sessio inspect: {error}", file=sys.stderr)
        return 2
    now = time.time() if args.now is None else args.now
    explanation = explain(args.cookie, fmt, now)
    steps = list(explanation.steps)
    unused = ignored_secret(fmt) if args.secret else None
    if unused is not None:
        # "not signed (no secrets configured)" would contradict the --secret just given.
        steps = [
            Step(s.label, s.ok, f"not checked: --secret is not used here: {unused}")
            if s.label == "signature"
            else s
            for s in steps
        ]
    verdict = explanation.verdict
    outcome: Failure | tuple[str | None, dict[str, Any], bool]
    if isinstance(verdict, Failure):
        outcome = verdict
    elif isinstance(verdict, ClientSession):
        outcome = (None, dict(verdict.data), True)
    elif isinstance(fmt, StoreFormat):
        outcome = _load(args.store, verdict, fmt, now, steps)
    else:  # only a store format names a stored session
        outcome = Failure.read_only(fmt.name)
    hints = _hints(fmt, args.cookie, outcome)
    if args.json:
        document: dict[str, Any] = (
            {"ok": False, "code": outcome.code, "message": outcome.message}
            if isinstance(outcome, Failure)
            else {
                "ok": True,
                "sid": _redact_sid(outcome[0]),
                "data": to_json(outcome[1]),
                "read_only": outcome[2],
            }
        )
        if hints:
            document["hints"] = hints
        print(json.dumps(document, ensure_ascii=False))
    else:
        _print_steps(fmt, steps)
        if isinstance(outcome, Failure):
            print(f"\nno session: {outcome.code}\n  {outcome.message}")
        else:
            sid, data, read_only = outcome
            where = "in the cookie (read-only)" if read_only else f"id {_redact_sid(sid)}"
            print(f"\nsession {where}:")
            print(json.dumps(to_json(data), indent=2, ensure_ascii=False, sort_keys=True))
        for hint in hints:
            print(f"\nhint: {hint}")
    return 1 if isinstance(outcome, Failure) else 0


def _load(
    url: str | None, ref: SessionRef, fmt: StoreFormat, now: float, steps: list[Step]
) -> Failure | tuple[str | None, dict[str, Any], bool]:
    shown = redact_key(ref.key, fmt.store_key(""))
    if url is None:
        failure = Failure(
            "store-unavailable",
            f"the cookie is valid and names store key {shown!r}; pass --store to look it up",
        )
        steps.append(Step("store", False, "no --store given"))
        return failure
    try:
        raw, ttl = _read_store(url, ref.key)
    except Exception as error:
        steps.append(Step("store", False, f"{type(error).__name__} from {_redact_url(url)}"))
        return Failure.store_unavailable(error)
    if raw is None:
        steps.append(Step("store", False, f"nothing stored under {shown!r}"))
    else:
        life = "no expiry" if ttl is None else f"expires in {ttl:.0f} s"
        steps.append(Step("store", True, f"{len(raw)} bytes under {shown!r}, {life}"))
    stored = decode_stored(ref, raw, fmt, now)
    if isinstance(stored, Failure):
        if raw is not None:
            steps.append(Step("decode", False, stored.message))
        return stored
    steps.append(Step("decode", True, f"{len(stored.data)} key(s)"))
    return ref.session_id, dict(stored.data), False


def _hints(
    fmt: Format, cookie_header: str, outcome: Failure | tuple[str | None, dict[str, Any], bool]
) -> list[str]:
    """What to try, for settings that look like a common mistake."""
    hints = []
    value = find_cookie(cookie_header[:MAX_COOKIE_HEADER], fmt.key)
    if (
        isinstance(fmt, FlaskSessionFormat)
        and not fmt.use_signer
        and value is not None
        and "." in value
        and isinstance(outcome, Failure)
    ):
        # token_urlsafe never makes a '.': 'id.signature' is what SESSION_USE_SIGNER sends,
        # and read unsigned, the signature becomes part of a store key nothing is under.
        hints.append(
            "the cookie looks signed (id.signature): the app sets SESSION_USE_SIGNER, so "
            "add --option use_signer=true and its SECRET_KEY as --secret"
        )
    return hints


def _redact_sid(sid: str | None) -> str | None:
    # Output of inspect gets pasted into tickets: the id is a credential, its tag is not.
    return None if sid is None else "…" + id_tag(sid)


def _redact_url(url: str) -> str:
    """Where the store is, from `url`: no user, password or query (Redis URLs carry them)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "the store"
    if not parts.scheme:
        return "the store"
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _print_steps(fmt: Format, steps: list[Step]) -> None:
    print(f"sessio inspect ({fmt.name} format, cookie {fmt.key!r})")
    for number, step in enumerate(steps, 1):
        mark = "ok  " if step.ok else "FAIL"
        print(f"  {number}. {step.label:<10} {mark} {step.detail}")


def main(argv: list[str] | None = None) -> int:
    """``python -m sessio.cli.inspect``: the same as ``sessio inspect``."""
    parser = argparse.ArgumentParser(
        prog="sessio inspect",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
