"""Generate the sync shell (src/sessio/sync/) from the async one (src/sessio/aio/).

The two shells must do the same thing line for line; writing one from the other keeps them
so, as httpcore does. Every module under ``aio/`` is rewritten by the `RULES` below (a handful
of whole-word regexes) into the same place under ``sync/``; ``_primitives.py`` is the one
module written by hand on both sides, because its sync form is not a renaming. A rule that
matches nowhere is an error: it is either dead or a sign that the source changed under it.
Lines marked ``# unasync: drop`` exist only in the async shell.

``python scripts/unasync.py`` rewrites the sync files; ``--check`` (run in CI) fails when
they differ from what would be generated, and shows the first line that differs. With
``--tests``, the same goes for the test modules listed in `TESTS`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "sessio" / "aio"
TARGET = ROOT / "src" / "sessio" / "sync"
HAND_WRITTEN = {"_primitives.py"}
# Test modules written for the async shell, and the sync twins generated from them.
TESTS: dict[Path, Path] = {}

RULES: list[tuple[str, str]] = [
    (r"\bAsyncGenerator\[(.+?), None\]", r"Generator[\1, None, None]"),
    (r"\bAsync(?=[A-Z])", ""),
    (r"\basync (def|with|for)\b", r"\1"),
    (r"\bawait ", ""),
    (r"\bAwaitable\[(\w+)\]", r"\1"),
    (r"\baclosing\b", "closing"),
    (r"\bredis\.asyncio\b", "redis"),
    (r"\bsessio\.aio\b", "sessio.sync"),
    (r"\bthe async shell\b", "the sync shell"),
]
DROP = "# unasync: drop"
HEADER = "# Generated from {source} by scripts/unasync.py: edit that file instead.\n"


def unasync(text: str, source: str, target: Path, used: set[int]) -> str:
    """The sync twin of one async module's source; records in `used` the rules that matched."""
    out = "".join(line for line in text.splitlines(keepends=True) if DROP not in line)
    for index, (pattern, replacement) in enumerate(RULES):
        out, count = re.subn(pattern, replacement, out)
        if count:
            used.add(index)
    out = HEADER.format(source=source) + out
    # Renamed names sort differently, and an import may fall out of use: let ruff order
    # the imports and __all__ and drop unused imports (and nothing else).
    command = ["ruff", "check", "--select", "I,F401,RUF022", "--fix", "--quiet"]
    return subprocess.run(
        [sys.executable, "-m", *command, "--stdin-filename", str(target), "-"],
        input=out,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    ).stdout


def pairs(with_tests: bool) -> Iterator[tuple[Path, Path]]:
    """Each async source and the sync file generated from it."""
    for source in sorted(SOURCE.rglob("*.py")):
        if source.name not in HAND_WRITTEN:
            yield source, TARGET / source.relative_to(SOURCE)
    if with_tests:
        yield from TESTS.items()


def first_difference(expected: str, actual: str) -> str:
    """Where two texts first differ, as ``line N: expected ... / found ...``."""
    for number, (want, have) in enumerate(
        zip(expected.splitlines(), actual.splitlines(), strict=False), 1
    ):
        if want != have:
            return f"line {number}:\n  generated: {want!r}\n  on disk:   {have!r}"
    return "the files differ in length"


def main(argv: list[str]) -> int:
    """Write (or with ``--check`` compare) every generated file."""
    check = "--check" in argv
    used: set[int] = set()
    stale: list[str] = []
    for source, target in pairs(with_tests="--tests" in argv or check):
        generated = unasync(source.read_text(), str(source.relative_to(ROOT)), target, used)
        if check:
            on_disk = target.read_text() if target.exists() else ""
            if on_disk != generated:
                where = first_difference(generated, on_disk) if on_disk else "missing"
                stale.append(f"{target.relative_to(ROOT)}: {where}")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(generated)
    expected = {target for _, target in pairs(with_tests=False)}
    for orphan in sorted(TARGET.rglob("*.py")):
        if orphan not in expected and orphan.name not in HAND_WRITTEN:
            stale.append(f"{orphan.relative_to(ROOT)}: no async source (delete it)")
    unused = [RULES[i][0] for i in range(len(RULES)) if i not in used]
    if unused:
        print("rules that matched nothing (remove them):", *unused, file=sys.stderr)
        return 1
    if stale:
        print("out of date (run python scripts/unasync.py):", *stale, sep="\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
