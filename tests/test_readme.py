"""The README's code: every Python block parses, and the quick starts run as written."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.splitlines()[0][:40] for b in BLOCKS])
def test_every_python_block_parses(block: str) -> None:
    # Snippets may await at the top level, or return, as the body of a handler would.
    ast.parse(block, feature_version=(3, 11))


@pytest.mark.parametrize("title", ["asyncio", "threads"])
def test_the_quick_starts_build_their_app(title: str) -> None:
    [block] = [
        b
        for b in BLOCKS
        if 'sessions.on("incr")' in b and (title == "asyncio") == ("async def" in b)
    ]
    namespace: dict[str, object] = {}
    exec(compile(block, f"README quick start ({title})", "exec"), namespace)
    assert namespace["app"] is not None
    assert "incr" in namespace["sio"].handlers["/"]  # type: ignore[attr-defined]
