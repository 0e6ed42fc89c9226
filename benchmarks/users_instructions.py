"""The server's instructions per connection with and without ``user_key``, time-dilated.

Run: .venv/bin/python benchmarks/users_instructions.py [--connections N] [--store redis|memory]
     [--coalesce S]

``benchmarks/connections.py --pair sessio,users --instructions N`` counts each server's
instructions under callgrind, where everything runs ~50 times slower, but a presence flush
waits the same 0.2 s of wall clock (`sessio.aio._presence.COALESCE`) for more changes to
merge. At full speed a connection of that benchmark lasts ~3.5 ms, so one flush covers dozens
of them and a socket that joins and leaves within it costs no write at all; under callgrind a
connection lasts longer than the window, and nearly every one pays two flushes (its join, then
its leave): the count then describes a node that sees one short connection at a time, not one
under load.

This runs the same measurement (`connections.measure_instructions`) with the window stretched
as the connections are (``--coalesce``, default 10 s = 50 x 0.2 s) in both servers, through
``coalesce_hook/sitecustomize.py``: what a connection costs when it is one of many. Prints
the JSON line of ``connections.py``, plus the window used and the command.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
from pathlib import Path

from bench_support import private_redis
from connections import measure_instructions

HOOK = Path(__file__).resolve().parent / "coalesce_hook"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--store", choices=["memory", "redis"], default="redis")
    parser.add_argument("--coalesce", type=float, default=10.0, help="seconds")
    args = parser.parse_args()
    os.environ["SESSIO_COALESCE"] = repr(args.coalesce)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(HOOK), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(private_redis()) if args.store == "redis" else None
        report = measure_instructions(args.connections, redis_url, ("sessio", "users"))
    report["coalesce_s"] = args.coalesce
    report["command"] = shlex.join(
        [".venv/bin/python", "benchmarks/users_instructions.py", *sys.argv[1:]]
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
