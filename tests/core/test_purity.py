"""The core stays pure: no I/O, clock, threads, event loop or socket.io, and no shell.

Read from the source (not by importing), so that an import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "sessio" / "core"
FORBIDDEN = {
    "time",
    "logging",
    "threading",
    "asyncio",
    "anyio",
    "socketio",
    "engineio",
    "socket",
    "os",
    "random",
    "secrets",
    "subprocess",
    "sessio.aio",
    "sessio.sync",
    "sessio.cli",
}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_nothing_impure(path: Path) -> None:
    bad = {
        name
        for name in imported(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_the_check_sees_an_impure_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    import time\n    from sessio.aio import x\n")
    assert {"time", "sessio.aio"} <= imported(module)
