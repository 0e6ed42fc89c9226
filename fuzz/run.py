"""Run sessio's fuzz targets one after another and print the RELIABILITY.md table rows.

Usage (from the repository root, as ``scripts/fuzz``)::

    scripts/fuzz [--runs N] [--max-len N] [--no-leak-check] [--stop] [--update-doc] [target...]

Each target runs as its own libFuzzer process under ``nice -n 19`` on ``fuzz/corpus/<target>``
(the working corpus, kept between runs) and ``fuzz/seeds/<target>`` (committed seeds made by
the real frameworks, see ``fuzz/seeds.py``). Results go to ``fuzz/out/<target>/stats.json``
and findings (the smallest input per distinct exception or broken invariant, the slowest
input) to ``fuzz/out/<target>/findings/``. The exit status is 1 when any exception escaped or
any invariant broke.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
TARGETS = (
    "cookie_header",
    "uri_component",
    "control",
    "cookie_express",
    "cookie_flask",
    "cookie_flask_session",
    "cookie_starlette",
    "cookie_django",
    "cookie_aiohttp",
    "store_express",
    "store_flask_session",
    "store_django",
    "store_aiohttp",
)
TABLE_START = "<!-- fuzz-table-start -->"
TABLE_END = "<!-- fuzz-table-end -->"
HEADER = (
    "| target | executions | exceptions escaping | invariant violations | slowest input "
    "| corpus | command | date | commit |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
)


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--", "src", "fuzz")
    return git("rev-parse", "--short", "HEAD") + ("-dirty" if dirty else "")


def run_target(name: str, args: argparse.Namespace) -> dict[str, object]:
    """One libFuzzer run of `name`; its stats, with libFuzzer's own figures added."""
    out = FUZZ / "out" / name
    corpus = FUZZ / "corpus" / name
    seeds = FUZZ / "seeds" / name
    for directory in (out, corpus):
        directory.mkdir(parents=True, exist_ok=True)
    (out / "stats.json").unlink(missing_ok=True)
    command = [
        sys.executable,
        str(FUZZ / f"{name}.py"),
        f"-runs={args.runs}",
        f"-max_len={args.max_len}",
        f"-timeout={args.timeout}",
        "-print_final_stats=1",
        f"-artifact_prefix={out}/",
        str(corpus),
    ]
    if seeds.is_dir():
        command.append(str(seeds))
    if args.seed is not None:
        command.insert(2, f"-seed={args.seed}")
    env = {
        **os.environ,
        "SESSIO_FUZZ_OUT": str(out),
        "SESSIO_FUZZ_RUNS": str(args.runs),
        "SESSIO_FUZZ_LEAK_CHECK": "0" if args.no_leak_check else "1",
        "SESSIO_FUZZ_STOP": "1" if args.stop else "0",
    }
    log = out / "libfuzzer.log"
    with log.open("w") as sink:
        process = subprocess.run(
            ["nice", "-n", str(args.nice), *command],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
        )
    text = log.read_text(errors="replace")
    try:
        stats: dict[str, object] = json.loads((out / "stats.json").read_text())
    except (OSError, ValueError):
        stats = {"target": name, "executions": 0, "exceptions_escaping": "?"}
    units = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    corp = re.findall(r"corp: (\d+)/", text)
    stats["libfuzzer_executions"] = int(units[1]) if units else None
    stats["corpus"] = int(corp[-1]) if corp else len(list(corpus.iterdir()))
    stats["returncode"] = process.returncode
    stats["log"] = str(log.relative_to(ROOT))
    return stats


def row(stats: dict[str, object], args: argparse.Namespace, date: str, commit: str) -> str:
    """The RELIABILITY.md table row for one target's run."""
    executions = stats.get("libfuzzer_executions") or stats.get("executions")
    flags = " --no-leak-check" if args.no_leak_check else ""
    command = f"`scripts/fuzz --runs {args.runs}{flags} {stats['target']}`"
    slowest = f"{stats.get('slowest_ms', 0):.2f} ms"
    if stats.get("returncode") not in (0, None):
        slowest += f" (libFuzzer exit {stats['returncode']})"
    return (
        f"| {stats['target']} | {executions:,} | {stats.get('exceptions_escaping')} "
        f"| {stats.get('invariant_violations')} | {slowest} | {stats['corpus']} | {command} "
        f"| {date} | {commit} |"
    )


def findings(stats: dict[str, object]) -> list[str]:
    """One line per distinct finding (the slowest input is not one)."""
    lines = []
    found = stats.get("findings") or {}
    assert isinstance(found, dict)
    for ident, entry in sorted(found.items()):
        if entry["kind"] == "slowest":
            continue
        where = (
            Path(entry["input"]).relative_to(ROOT)
            if ROOT in Path(entry["input"]).parents
            else entry["input"]
        )
        lines.append(
            f"  {stats['target']}: [{entry['kind']}] {ident} x{entry['count']} "
            f"(smallest: {entry['size']} bytes, {where})"
        )
    return lines


def update_doc(rows: dict[str, str]) -> None:
    """Replace (or add) the rows of the targets just run in RELIABILITY.md's table."""
    doc = ROOT / "RELIABILITY.md"
    text = doc.read_text()
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    kept = {}
    for line in text[start:end].splitlines():
        cells = line.split("|")
        if len(cells) > 2 and cells[1].strip() in TARGETS:
            kept[cells[1].strip()] = line
    kept.update(rows)
    body = "\n".join(kept[name] for name in TARGETS if name in kept)
    doc.write_text(f"{text[:start]}{TABLE_START}\n{HEADER}\n{body}\n{text[end:]}")


def main() -> int:
    """Run the targets named (all by default), then print rows and findings."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="target", help=", ".join(TARGETS))
    parser.add_argument("--runs", type=int, default=1_000_000, help="executions per target")
    parser.add_argument("--max-len", type=int, default=4096, help="largest input, bytes")
    parser.add_argument("--timeout", type=int, default=10, help="libFuzzer -timeout, seconds")
    parser.add_argument("--seed", type=int, default=None, help="libFuzzer -seed")
    parser.add_argument("--nice", type=int, default=19, help="niceness of the fuzzers")
    parser.add_argument(
        "--no-leak-check",
        action="store_true",
        help="do not check failure messages for cookie values (a known finding, being fixed)",
    )
    parser.add_argument("--stop", action="store_true", help="stop a target at its first finding")
    parser.add_argument(
        "--update-doc", action="store_true", help="write the rows into RELIABILITY.md"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)}")
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    commit = _commit()
    rows: dict[str, str] = {}
    notes: list[str] = []
    bad = False
    for name in args.targets or TARGETS:
        print(f"== {name}: {args.runs:,} runs", file=sys.stderr, flush=True)
        stats = run_target(name, args)
        rows[name] = row(stats, args, date, commit)
        notes += findings(stats)
        print(rows[name], flush=True)
        bad = bad or stats.get("exceptions_escaping") != 0 or stats.get("invariant_violations") != 0
        bad = bad or stats.get("returncode") != 0
    print(f"\n{HEADER}\n" + "\n".join(rows.values()))
    if notes:
        print("\nfindings (inputs under fuzz/out/<target>/findings/):\n" + "\n".join(notes))
    if args.update_doc:
        update_doc(rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
