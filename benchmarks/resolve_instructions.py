"""Instructions per header: sessio's `resolve` against Node's cookie + cookie-signature.

Run: .venv/bin/python benchmarks/resolve_instructions.py [N]

Wall-clock ratios on a shared machine swing by ±30 % from one pair of runs to the next; the
number of instructions executed does not. Both sides run under valgrind's callgrind, once
with 1 pass and once with 4 passes over the same N headers, so that start-up and Node's JIT
warm-up cancel out: (I(4) - I(1)) / (3 N) is the steady-state cost per header. Instructions
are not time (the two runtimes retire them at different rates), so this complements
resolve_vs_node.py rather than replacing it. Takes about two minutes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE = HERE / "node"
SECRET = "keyboard cat"
PYTHON_LOOP = """
import sys, time
from sessio import formats
from sessio.core import resolve
headers = open(sys.argv[1]).read().splitlines()
fmt = formats.express(secrets=[sys.argv[2]])
now = time.time()
for _ in range(int(sys.argv[3])):
    for header in headers:
        resolve(header, fmt, now)
"""


def instructions(command: list[str]) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    assert found, result.stderr[-2000:]
    return int(found[1].replace(",", ""))


def per_header(command: list[str], n: int) -> float:
    return (instructions([*command, "4"]) - instructions([*command, "1"])) / (3 * n)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        headers = Path(tmp) / "headers.txt"
        with headers.open("w") as out:
            subprocess.run(
                ["node", str(NODE / "make_headers.js"), str(n), SECRET], stdout=out, check=True
            )
        loop = Path(tmp) / "loop.py"
        loop.write_text(PYTHON_LOOP)
        node = per_header(["node", str(NODE / "count_passes.js"), str(headers), SECRET], n)
        sessio = per_header([sys.executable, str(loop), str(headers), SECRET], n)
    print(
        json.dumps(
            {
                "headers": n,
                "node_instructions_per_header": round(node),
                "sessio_instructions_per_header": round(sessio),
                "ratio_sessio_over_node": round(sessio / node, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
