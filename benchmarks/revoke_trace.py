"""Where a revoke's time goes: `revoke_latency.py`'s rounds, with a timestamp at every hop.

Run: .venv/bin/python benchmarks/revoke_trace.py [--rounds R] [--batch K] [--nagle]

The setup and rounds of ``benchmarks/revoke_latency.py`` (a threaded and an asyncio node,
Redis managers, a `RedisStore`, K sessions with a websocket on each node, one revoke per
round), with ``revoke_trace_hooks/sitecustomize.py`` loaded in this process and both nodes: it
timestamps each hop of every round (see that file). Per node kind, the time of each hop:

- ``publish``: from just before ``revoke()`` until its PUBLISH returned (DEL + PUBLISH);
- ``to_node``: from then until the node's control listener took the message;
- ``on_node``: from then until python-socketio's ``disconnect`` returned for the socket
  (packet queued, disconnect handlers run);
- ``to_kernel``: until the node's websocket writer handed the DISCONNECT packet to the kernel;
- ``wire``: until the client's engine.io read loop read it;
- ``client``: until python-socketio ran the client's disconnect handler (the end of a round);
- ``total``: from just before ``revoke()`` to the end.

``--nagle`` keeps Nagle's algorithm on the nodes' sockets (no TCP_NODELAY), as
`sessio.testing` served them before 2026-12-01. Prints one JSON line: p50/p90/p99/max of each
hop in milliseconds, per node kind, and which rounds made the slowest 1 %: how many were the
first of their batch (just after the batch's acknowledged calls).
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import importlib.util
import itertools
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The multi-node harness lives with the tests: tests/live/multinode_support.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "live"))

from multinode_support import Minter, Node, Tab, express, running_nodes, tabs
from revoke_latency import WARM_UP_ROUNDS, percentile

from redis_server import RedisServer

HOOKS = Path(__file__).resolve().parent / "revoke_trace_hooks"
HOPS = ("publish", "to_node", "on_node", "to_kernel", "wire", "client", "total")


def install_hooks(directory: Path, nagle: bool) -> None:
    """Trace this process, and every process it starts from now on."""
    os.environ["SESSIO_TRACE"] = str(directory)
    if nagle:
        os.environ["SESSIO_TRACE_NAGLE"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(HOOKS), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    spec = importlib.util.spec_from_file_location("revoke_trace_hooks", HOOKS / "sitecustomize.py")
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


async def run_rounds(
    nodes: dict[str, Node], minter: Minter, redis_url: str, rounds: int, batch: int
) -> list[dict[str, Any]]:
    """The rounds of `revoke_latency.measure`, each as a record of what to match up."""
    import redis.asyncio

    import sessio.aio
    from sessio.core._rooms import session_room

    client = redis.asyncio.Redis.from_url(redis_url)
    await client.ping()
    store = sessio.aio.RedisStore(client)
    fmt = express()
    records: list[dict[str, Any]] = []
    total = WARM_UP_ROUNDS + rounds
    try:
        while len(records) < total:
            size = min(batch, total - len(records))
            minted = [minter.mint({"user": f"user-{len(records) + i}"}) for i in range(size)]
            async with tabs() as open_tab:
                pairs: list[list[Tab]] = await asyncio.gather(
                    *(
                        asyncio.gather(*(open_tab(node, session) for node in nodes.values()))
                        for session in minted
                    )
                )
                await asyncio.gather(*(tab.call("whoami") for pair in pairs for tab in pair))
                for index, (session, session_tabs) in enumerate(zip(minted, pairs, strict=True)):
                    eio_sids = [tab.client.eio.sid for tab in session_tabs]
                    started = time.time()
                    await sessio.aio.revoke(store, fmt, session.session_id)
                    gone = await asyncio.gather(*(tab.gone(5.0) for tab in session_tabs))
                    records.append(
                        {
                            "index_in_batch": index,
                            "room": session_room(session.session_id),
                            "started": started,
                            "tabs": [
                                {"kind": tab.node.kind, "sid": tab.sid, "eio_sid": eio, "gone": at}
                                for tab, eio, at in zip(session_tabs, eio_sids, gone, strict=True)
                            ],
                        }
                    )
    finally:
        await client.aclose()
    return records


def hops(directory: Path, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Match each round's tabs with the events the processes wrote; the hops' percentiles."""
    events: list[dict[str, Any]] = []
    for name in glob.glob(str(directory / "events-*.jsonl")):
        with open(name) as lines:
            events.extend(json.loads(line) for line in lines)
    events.sort(key=lambda event: event["t"])
    published = [e["t"] for e in events if e["event"] == "published"]
    received: dict[tuple[str, str], float] = {}
    ends: dict[str, float] = {}
    starts: dict[str, list[str]] = {}
    written: dict[str, list[float]] = {}
    read: dict[str, float] = {}
    for event in events:
        kind = event.get("kind", "")
        if event["event"] == "received":
            received.setdefault((kind, event["room"]), event["t"])
        elif event["event"] == "disconnect_start":
            starts.setdefault(kind, []).append(event["sid"])
        elif event["event"] == "disconnect_end":
            ends[event["sid"]] = event["t"]
        elif event["event"] == "written":
            written.setdefault(kind, []).append(event["t"])
        elif event["event"] == "client_read":
            read[event["eio_sid"]] = event["t"]
    # One server-side disconnect per node per round, in order: the n-th packet written is
    # the n-th socket disconnected.
    written_for = {
        sid: at
        for kind in starts
        for sid, at in zip(starts[kind], written.get(kind, []), strict=False)
    }
    samples: dict[str, dict[str, list[float]]] = {}
    totals: list[tuple[float, int]] = []
    for number, (record, sent) in enumerate(zip(records, published, strict=True)):
        if number < WARM_UP_ROUNDS:
            continue
        worst = 0.0
        for tab in record["tabs"]:
            kind, sid = tab["kind"], tab["sid"]
            marks = [
                record["started"],
                sent,
                received[(kind, record["room"])],
                ends[sid],
                written_for[sid],
                read[tab["eio_sid"]],
                tab["gone"],
            ]
            for hop, (before, after) in zip(HOPS, itertools.pairwise(marks), strict=False):
                samples.setdefault(kind, {}).setdefault(hop, []).append(after - before)
            samples[kind].setdefault("total", []).append(tab["gone"] - record["started"])
            worst = max(worst, tab["gone"] - record["started"])
        totals.append((worst, record["index_in_batch"]))
    slowest = sorted(totals, reverse=True)[: max(1, len(totals) // 100)]
    return {
        "hops_ms": {
            kind: {hop: _summary(values) for hop, values in by_hop.items()}
            for kind, by_hop in samples.items()
        },
        "total_ms": _summary([worst for worst, _ in totals]),
        "slowest_1pct": len(slowest),
        "slowest_1pct_first_in_batch": sum(1 for _, index in slowest if index == 0),
    }


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 0.50) * 1000, 2),
        "p90": round(percentile(values, 0.90) * 1000, 2),
        "p99": round(percentile(values, 0.99) * 1000, 2),
        "max": round(max(values) * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--nagle", action="store_true", help="servers without TCP_NODELAY")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="sessio-revoke-trace-"))
    install_hooks(directory, args.nagle)
    (directory / "redis").mkdir()
    server = RedisServer(directory / "redis")
    server.start()
    try:
        with running_nodes(server.url) as (nodes, minter):
            records = asyncio.run(run_rounds(nodes, minter, server.url, args.rounds, args.batch))
    finally:
        server.close()
    report = {
        "benchmark": "revoke_trace",
        "rounds": args.rounds,
        "nagle": args.nagle,
        **hops(directory, records),
        "load_average": os.getloadavg()[0],
        "command": shlex.join([".venv/bin/python", "benchmarks/revoke_trace.py", *sys.argv[1:]]),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
