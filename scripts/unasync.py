"""Generate the sync shell (src/sessio/sync/) from the async one (src/sessio/aio/).

The two shells must do the same thing line for line; writing one from the other keeps them
so. ``python scripts/unasync.py`` rewrites the sync files; ``--check`` (run in CI) fails when
they differ from what would be generated. Lines marked ``# unasync: drop`` exist only in the
async shell.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "sessio" / "aio"
TARGET = ROOT / "src" / "sessio" / "sync"
FILES = [
    "django_store.py",
    "liveness.py",
    "redis_store.py",
    "revoke.py",
    "session.py",
    "sockets.py",
    "store.py",
]

# Longest first where one replacement's text contains another's.
REPLACEMENTS = [
    ("import anyio.to_thread\n", ""),
    ("await anyio.to_thread.run_sync(function, *args)", "function(*args)"),
    ("await anyio.sleep(", "time.sleep("),
    ("Callable[..., Awaitable[T]]", "Callable[..., T]"),
    ("AsyncGenerator[bytes | None, None]", "Generator[bytes | None, None, None]"),
    ("AsyncGenerator", "Generator"),
    ("aclosing", "closing"),
    ("async for ", "for "),
    ("from collections.abc import Awaitable, Callable", "from collections.abc import Callable"),
    ("socketio.AsyncServer", "socketio.Server"),
    ("`AsyncServer`", "`Server`"),
    ("AsyncSessionSockets", "SessionSockets"),
    ("AsyncSessionNamespace", "SessionNamespace"),
    ("AsyncLiveness", "Liveness"),
    ("AsyncWakeup", "Wakeup"),
    ("AsyncSession", "Session"),
    ("sessio.aio", "sessio.sync"),
    ("redis.asyncio", "redis"),
    ("import anyio", "import threading"),
    ("anyio.Lock()", "threading.RLock()"),
    ("async with ", "with "),
    ("async def ", "def "),
    ("await ", ""),
    ("the async shell", "the sync shell"),
    ("an async store", "a blocking store"),
]
DROP = "# unasync: drop"
HEADER = "# Generated from src/sessio/aio/{name} by scripts/unasync.py: edit that file instead.\n"


def unasync(text: str, name: str) -> str:
    """The sync twin of one async module's source."""
    lines = [line for line in text.splitlines(keepends=True) if DROP not in line]
    out = "".join(lines)
    for old, new in REPLACEMENTS:
        out = out.replace(old, new)
    out = HEADER.format(name=name) + out
    # Renamed imports sort differently and shorter lines may fit on one: let ruff settle both.
    for command in (["check", "--select", "I", "--fix", "--quiet"], ["format"]):
        out = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(TARGET / name), "-"],
            input=out,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        ).stdout
    return out


def main(argv: list[str]) -> int:
    """Write (or with ``--check`` compare) every generated file."""
    check = "--check" in argv
    stale = []
    for name in FILES:
        generated = unasync((SOURCE / name).read_text(), name)
        target = TARGET / name
        if check:
            if not target.exists() or target.read_text() != generated:
                stale.append(str(target.relative_to(ROOT)))
        else:
            target.write_text(generated)
    if stale:
        print("out of date (run python scripts/unasync.py):", *stale, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
