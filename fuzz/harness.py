"""What every sessio fuzz target shares: instrumented imports, invariants, timing, findings.

A target is a file ``fuzz/<name>.py`` that defines ``exercise(data: bytes) -> object`` (every
call into sessio, timed; it raises `Finding` when an invariant fails) and, optionally,
``check(data, result)`` (comparisons with the real frameworks, not timed), then calls
`main`. `scripts/fuzz` (``fuzz/run.py``) runs the targets and reads what this module writes.

By default an exception escaping sessio does not stop libFuzzer: it is counted, its smallest
input is kept under ``<out>/findings/``, and the run goes on, so that one known defect does
not hide the others and every target reaches its execution count. ``SESSIO_FUZZ_STOP=1``
restores libFuzzer's own stop-at-first-crash behaviour (``crash-*`` artifacts).

Environment (set by ``fuzz/run.py``): ``SESSIO_FUZZ_OUT`` (directory for ``stats.json`` and
findings), ``SESSIO_FUZZ_RUNS`` (the ``-runs`` given to libFuzzer, to flush the last stats),
``SESSIO_FUZZ_LEAK_CHECK`` (``0`` turns the cookie-value-in-message check off),
``SESSIO_FUZZ_STOP``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import atheris

__all__ = [
    "FERNET_KEY",
    "FERNET_OLD_KEY",
    "NOW",
    "SECRET",
    "SECRET_OLD",
    "Finding",
    "expect",
    "expect_no_leak",
    "expect_verdict",
    "instrumented",
    "main",
    "split",
    "split_now",
    "text",
]

#: The clock of every seed: seeds.py freezes the frameworks' time here, and most inputs are
#: read at this moment (`split_now`), so that seeded cookies are fresh and reach the decoders.
NOW = 1_800_000_000.0
# The first input byte picks the clock: fresh, a little later, past every default lifetime,
# before the cookie was signed, the epoch, and far in the future.
_NOWS = (NOW, NOW + 30, NOW + 40 * 86400, NOW - 3600, 0.0, 1e12)

#: Secrets the targets configure and the seeds are signed with (the last one in Flask's and
#: Django's order is the current key; SECRET_OLD is a fallback / a rotated-out key).
SECRET = "fuzz-secret-key-0123456789abcdef"
SECRET_OLD = "fuzz-old-secret-key-fedcba987654"
#: 32 raw bytes each, Fernet keys for aiohttp-session's EncryptedCookieStorage.
FERNET_KEY = bytes(range(32))
FERNET_OLD_KEY = bytes(range(100, 132))

#: Failure messages must not quote a cookie value longer than this (it may be a credential).
LEAK_MIN = 16

# sessio.core._failures.FailureCode's values, read when first needed (sessio is imported by
# the target, inside `instrumented`).
_CODES: frozenset[str] = frozenset()


class Finding(Exception):  # noqa: N818 - a finding, not an error of the harness
    """An invariant that sessio broke; `ident` names it (the finding's signature)."""

    def __init__(self, ident: str, detail: str = "") -> None:
        super().__init__(f"{ident}: {detail}" if detail else ident)
        self.ident = ident


def expect(condition: object, ident: str, detail: str = "") -> None:
    """Raise `Finding` `ident` unless `condition` holds."""
    if not condition:
        raise Finding(ident, detail)


def split_now(data: bytes) -> tuple[float, bytes]:
    """The clock the first byte picks, and the rest of the input."""
    if not data:
        return NOW, b""
    return _NOWS[data[0] % len(_NOWS)], data[1:]


def split(data: bytes, modes: int = 1) -> tuple[float, int, bytes]:
    """The clock and the mode (of `modes`) that the first byte picks, and the rest."""
    if not data:
        return NOW, 0, b""
    return _NOWS[data[0] % len(_NOWS)], data[0] // len(_NOWS) % modes, data[1:]


def text(data: bytes) -> str:
    """Input bytes as a str; invalid UTF-8 becomes lone surrogates, as hostile text can hold."""
    return data.decode("utf-8", "surrogateescape")


def instrumented(exclude: Iterable[str] = ()) -> Any:
    """Import sessio inside this context: its code is then instrumented for coverage.

    A target excludes modules that another target fuzzes and that would only slow it down
    (the header parser's per-character loop is the costliest code under instrumentation).
    """
    return atheris.instrument_imports(include=["sessio"], exclude=list(exclude))


_LEAK_CHECK = os.environ.get("SESSIO_FUZZ_LEAK_CHECK", "1") != "0"
_SECRETS = (SECRET, SECRET_OLD)


def expect_verdict(verdict: object, allowed: tuple[type, ...] = ()) -> None:
    """`resolve`'s contract: a SessionRef, ClientSession or Failure with a known code, and no
    configured secret in any message."""
    from sessio.core import ClientSession, Failure, SessionRef

    kinds = allowed or (SessionRef, ClientSession, Failure)
    expect(isinstance(verdict, kinds), "verdict-type", type(verdict).__name__)
    if isinstance(verdict, Failure):
        expect(verdict.code in _codes(), "failure-code", verdict.code)
        expect(isinstance(verdict.message, str), "failure-message-type")
        for secret in _SECRETS:
            expect(secret not in verdict.message, "secret-in-message", verdict.code)
    if isinstance(verdict, SessionRef):
        # An empty sid is possible where the framework signs one (Flask-Session does too).
        expect(isinstance(verdict.session_id, str), "sid-type")


def _codes() -> frozenset[str]:
    global _CODES
    if not _CODES:
        from sessio.core._failures import FailureCode

        _CODES = frozenset(FailureCode.__args__)  # type: ignore[attr-defined]
    return _CODES


def expect_no_leak(verdict: object, values: Iterable[str]) -> None:
    """A Failure's message quotes none of `values` (cookie values) longer than `LEAK_MIN`."""
    from sessio.core import Failure

    if not _LEAK_CHECK or not isinstance(verdict, Failure):
        return
    for value in values:
        if len(value) > LEAK_MIN and value in verdict.message:
            raise Finding(f"leak:{verdict.code}", f"{verdict.message[:200]!r}")


def expect_session_data(data: Mapping[str, Any], ident: str) -> None:
    """What a socket does with loaded data: snapshot it and diff against it (nothing changed)."""
    from sessio.core import diff, snapshot

    loaded = snapshot(data)
    expect(not diff(loaded, data), f"{ident}:snapshot-differs")


# -- bookkeeping ------------------------------------------------------------------------------

_SESSIO_FRAME = re.compile(r"[/\\]sessio[/\\](.*)$")
# An input slower than this (under instrumentation) is timed again; the fastest try counts.
_RETIME_MS = 1.0
#: The budget for one input (the issue's: every input in under 10 ms).
SLOW_MS = 10.0


class _Stats:
    def __init__(self, name: str) -> None:
        self.name = name
        self.out = Path(os.environ.get("SESSIO_FUZZ_OUT", f"fuzz/out/{name}"))
        self.runs = int(os.environ.get("SESSIO_FUZZ_RUNS", "0"))
        self.executions = 0
        self.exceptions = 0
        self.violations = 0
        self.slowest_ms = 0.0
        self.slow_inputs = 0
        self.findings: dict[str, dict[str, Any]] = {}
        self.started = time.time()
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "findings").mkdir(exist_ok=True)

    def flush(self) -> None:
        document = {
            "target": self.name,
            "executions": self.executions,
            "exceptions_escaping": self.exceptions,
            "invariant_violations": self.violations,
            "slowest_ms": round(self.slowest_ms, 3),
            "slow_inputs": self.slow_inputs,
            "seconds": round(time.time() - self.started, 1),
            "leak_check": _LEAK_CHECK,
            "findings": self.findings,
        }
        tmp = self.out / "stats.json.tmp"
        tmp.write_text(json.dumps(document, indent=1, sort_keys=True))
        tmp.replace(self.out / "stats.json")

    def record(self, kind: str, ident: str, data: bytes, detail: str) -> None:
        entry = self.findings.get(ident)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", ident)[:80]
        path = self.out / "findings" / f"{slug}-{hashlib.sha1(ident.encode()).hexdigest()[:8]}"
        if entry is None:
            entry = self.findings[ident] = {"kind": kind, "count": 0, "input": str(path)}
        entry["count"] += 1
        # Keep the smallest input of each signature; for "slowest" and "slow", the slowest.
        if kind in ("slowest", "slow"):
            ms = float(detail.split()[0])
            keep = entry["count"] == 1 or ms > entry.get("ms", 0.0)
            if keep:
                entry["ms"] = ms
        else:
            keep = entry["count"] == 1 or len(data) < entry["size"]
        if keep:
            entry["size"] = len(data)
            entry["detail"] = detail[-2000:]
            path.write_bytes(data)
            path.with_suffix(".txt").write_text(detail)
            self.flush()


def _signature(error: BaseException) -> str:
    """``Type at sessio/file.py:line`` for the innermost sessio frame (else the innermost)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = frames[-1] if frames else None
    for frame in reversed(frames):
        match = _SESSIO_FRAME.search(frame.filename)
        if match:
            return f"{type(error).__name__} at {match[1]}:{frame.lineno}"
    if where is None:
        return type(error).__name__
    return f"{type(error).__name__} at {Path(where.filename).name}:{where.lineno}"


def main(
    name: str,
    exercise: Callable[[bytes], object],
    check: Callable[[bytes, object], None] | None = None,
) -> None:
    """Fuzz `exercise` (then `check`) with atheris; libFuzzer options come from ``sys.argv``."""
    stats = _Stats(name)
    stop = os.environ.get("SESSIO_FUZZ_STOP") == "1"
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))

    def one(data: bytes) -> None:
        stats.executions += 1
        started = time.thread_time()
        try:
            result = exercise(data)
        except Finding as finding:
            stats.violations += 1
            stats.record("invariant", finding.ident, data, str(finding))
            if stop:
                raise
            return
        except Exception as error:
            stats.exceptions += 1
            stats.record("exception", _signature(error), data, traceback.format_exc())
            if stop:
                raise
            return
        finally:
            if stats.executions % 2000 == 0 or stats.executions >= stats.runs - 2:
                stats.flush()
        # CPU time of this thread: on a shared machine, time spent waiting for a core is not
        # the input's. A slow one is timed again (up to 8 more times) and the fastest kept.
        elapsed = (time.thread_time() - started) * 1000
        for _ in range(8):
            if elapsed <= _RETIME_MS:
                break
            elapsed = min(elapsed, _time(exercise, data))
        if elapsed > stats.slowest_ms:
            stats.slowest_ms = elapsed
            stats.record("slowest", "slowest", data, f"{elapsed:.3f} ms")
        if elapsed > SLOW_MS:
            stats.slow_inputs += 1
            stats.record("slow", "slow", data, f"{elapsed:.3f} ms")
        if check is not None:
            try:
                check(data, result)
            except Finding as finding:
                stats.violations += 1
                stats.record("invariant", finding.ident, data, str(finding))
                if stop:
                    raise
            except Exception as error:  # the reference or the harness, not sessio
                stats.record("check-error", _signature(error), data, traceback.format_exc())

    atheris.Setup(sys.argv, one)
    stats.flush()
    atheris.Fuzz()


def _time(exercise: Callable[[bytes], object], data: bytes) -> float:
    started = time.thread_time()
    exercise(data)
    return (time.thread_time() - started) * 1000


def entry(
    name: str,
    exercise: Callable[[bytes], object],
    check: Callable[[bytes, object], None] | None = None,
) -> None:
    """A target's ``__main__``: ``--repro FILE...`` runs inputs once, else fuzz."""
    if len(sys.argv) > 2 and sys.argv[1] == "--repro":
        for path in sys.argv[2:]:
            data = Path(path).read_bytes()
            result = exercise(data)
            if check is not None:
                check(data, result)
            print(f"{path}: {result!r}"[:2000])
        return
    main(name, exercise, check)
