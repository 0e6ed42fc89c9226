"""sessio's `resolve` against Node's cookie + cookie-signature, on the same 10,000 headers.

Run: .venv/bin/python benchmarks/resolve_vs_node.py [N]
Needs node and `npm ci` in benchmarks/node. Both sides time their whole loop several times
after a warm-up and report the median per header; the figure that matters is the ratio,
measured in one run on one machine (these machines are shared and noisy).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sessio import formats
from sessio.core import SessionRef, resolve

HERE = Path(__file__).resolve().parent
NODE = HERE / "node"
SECRET = "keyboard cat"
RUNS = 5
PAIRS = 7


def node_side(headers_file: Path) -> dict[str, float]:
    """Node's median ns per header (cookie.parse + unsign), as unsign_bench.js reports it."""
    out = subprocess.run(
        ["node", str(NODE / "unsign_bench.js"), str(headers_file), SECRET, str(RUNS)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def python_side(headers: list[str]) -> tuple[float, int]:
    """sessio's median ns per header and how many verified."""
    fmt = formats.express(secrets=[SECRET])
    now = time.time()
    ok = sum(isinstance(resolve(h, fmt, now), SessionRef) for h in headers)  # warm-up
    runs = []
    for _ in range(RUNS):
        start = time.perf_counter_ns()
        for header in headers:
            resolve(header, fmt, now)
        runs.append((time.perf_counter_ns() - start) / len(headers))
    return statistics.median(runs), ok


def main() -> int:
    """Print both medians and the ratio as one JSON line.

    Node and sessio take turns (`PAIRS` times, `RUNS` timed loops each), so that a noisy
    neighbour slows both alike; the reported ratio is the median of the pairs' ratios.
    """
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        headers_file = Path(tmp) / "headers.txt"
        with headers_file.open("w") as out:
            subprocess.run(
                ["node", str(NODE / "make_headers.js"), str(n), SECRET], stdout=out, check=True
            )
        headers = headers_file.read_text().splitlines()
        assert len(set(headers)) == n, "headers must be distinct"
        node_ns: list[float] = []
        py_ns: list[float] = []
        for _ in range(PAIRS):
            node = node_side(headers_file)
            py, py_ok = python_side(headers)
            node_ns.append(node["median_ns_per_header"])
            py_ns.append(py)
    ratios = [p / q for p, q in zip(py_ns, node_ns, strict=True)]
    report = {
        "headers": n,
        "node_ok": node["ok"],
        "sessio_ok": py_ok,
        "node_ns_per_header": round(statistics.median(node_ns), 1),
        "sessio_ns_per_header": round(statistics.median(py_ns), 1),
        "ratio_sessio_over_node": round(statistics.median(ratios), 3),
        "pair_ratios": [round(r, 3) for r in ratios],
        "target": "<= 0.6",
    }
    print(json.dumps(report))
    return 0 if report["node_ok"] == report["sessio_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
