"""The README's first command: ``sessio demo`` plays its script and says ``demo ok``."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sessio", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("demo ok")
    assert any("greeting 'hello, alice'" in line for line in lines)
    assert any("'count': 3" in line for line in lines)
