"""Generate the sync shell (src/sessio/sync/) from the async one (src/sessio/aio/).

The two shells must do the same thing line for line; writing one from the other keeps them
so, as httpcore does. Every module under ``aio/`` is rewritten by the `RULES` below (a handful
of whole-word regexes) into the same place under ``sync/``; ``_primitives.py`` is the one
module written by hand on both sides, because its sync form is not a renaming. A rule that
matches nowhere is an error: it is either dead or a sign that the source changed under it.
Lines marked ``# unasync: drop`` exist only in the async shell.

The end-to-end tests of the shells are generated the same way: each module in `TESTS` is
rewritten by `RULES` and then `TEST_RULES` (names only the tests use; each of these must match
in the tests), and ruff-formatted, since tests are formatted where the sync shell is not. The
hand-written twins there are ``tests/e2e/aio_support.py`` and ``sync_support.py``.

``python scripts/unasync.py`` rewrites the sync files, shell and tests; ``--check`` (run in
CI) fails when they differ from what would be generated, and shows the first line that
differs.
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
HAND_WRITTEN = {"_primitives.py", "_inbox.py"}
# Test modules written for the async shell, and the sync twins generated from them.
TESTS: dict[Path, Path] = {
    ROOT / "tests" / "e2e" / "test_aio_shell.py": ROOT / "tests" / "e2e" / "test_sync_shell.py",
    ROOT / "tests" / "e2e" / "test_aio_tickets.py": ROOT / "tests" / "e2e" / "test_sync_tickets.py",
    ROOT / "tests" / "e2e" / "test_aio_users.py": ROOT / "tests" / "e2e" / "test_sync_users.py",
}

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
# Applied to `TESTS` after `RULES`: names only the tests use, each of which must match there.
TEST_RULES: list[tuple[str, str]] = [
    (r"\b__a(enter|exit)__\b", r"__\1__"),
    (r"\basynccontextmanager\b", "contextmanager"),
    (r"\baio_support\b", "sync_support"),  # the hand-written twins
    (r"\basync_client\b", "sync_client"),  # servers.py's client factories
    (r"\.await_\(", ".wait("),  # e2e_support.Seen: `await_` is `wait` off the event loop
]
DROP = "# unasync: drop"
HEADER = "# Generated from {source} by scripts/unasync.py: edit that file instead.\n"


def rewrite(text: str, rules: list[tuple[str, str]], used: set[int]) -> str:
    """`text` with every rule applied in order; records in `used` the rules that matched."""
    for index, (pattern, replacement) in enumerate(rules):
        text, count = re.subn(pattern, replacement, text)
        if count:
            used.add(index)
    return text


def ruff(text: str, target: Path, *command: str) -> str:
    """`text` passed through a ruff command as if it were the file `target`."""
    # Not check=True: `ruff check` exits 1 when a violation it may not fix is left, and still
    # prints the fixed text. No text at all means ruff failed, and must not become the file.
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(target), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if not done.stdout:
        raise SystemExit(f"ruff {command[0]} failed on {target}:\n{done.stderr}")
    return done.stdout


class Used:
    """Which rules matched: `RULES` in the shell, `TEST_RULES` in the tests."""

    def __init__(self) -> None:
        self.shell: set[int] = set()
        self.tests: set[int] = set()

    def unused(self) -> list[str]:
        """The patterns of the rules that matched nothing."""
        return [pattern for i, (pattern, _) in enumerate(RULES) if i not in self.shell] + [
            pattern for i, (pattern, _) in enumerate(TEST_RULES) if i not in self.tests
        ]


def unasync(text: str, source: str, target: Path, used: Used) -> str:
    """The sync twin of one async module's source; records in `used` the rules that matched."""
    out = "".join(line for line in text.splitlines(keepends=True) if DROP not in line)
    test = target in TESTS.values()
    out = rewrite(out, RULES, set() if test else used.shell)
    if test:
        out = rewrite(out, TEST_RULES, used.tests)
    out = HEADER.format(source=source) + out
    # Renamed names sort differently, and an import may fall out of use: let ruff order
    # the imports and __all__ and drop unused imports (and nothing else).
    out = ruff(out, target, "check", "--select", "I,F401,RUF022", "--fix", "--quiet")
    # A line that lost its `await` or `Async` may now fit where it was wrapped.
    return ruff(out, target, "format", "--quiet") if test else out


def pairs() -> Iterator[tuple[Path, Path]]:
    """Each async source and the sync file generated from it: the shell's, then the tests'."""
    for source in sorted(SOURCE.rglob("*.py")):
        if source.name not in HAND_WRITTEN:
            yield source, TARGET / source.relative_to(SOURCE)
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
    used = Used()
    stale: list[str] = []
    for source, target in pairs():
        generated = unasync(source.read_text(), str(source.relative_to(ROOT)), target, used)
        if check:
            on_disk = target.read_text() if target.exists() else ""
            if on_disk != generated:
                where = first_difference(generated, on_disk) if on_disk else "missing"
                stale.append(f"{target.relative_to(ROOT)}: {where}")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(generated)
    expected = {target for _, target in pairs()}
    for orphan in sorted(TARGET.rglob("*.py")):
        if orphan not in expected and orphan.name not in HAND_WRITTEN:
            stale.append(f"{orphan.relative_to(ROOT)}: no async source (delete it)")
    unused = used.unused()
    if unused:
        print("rules that matched nothing (remove them):", *unused, file=sys.stderr)
        return 1
    if stale:
        print("out of date (run python scripts/unasync.py):", *stale, sep="\n", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
