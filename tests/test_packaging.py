"""The README's install from a checkout: ``python -m build`` makes an sdist and a wheel that
install cleanly into a fresh venv, declare the right dependencies, and run.

``python -m build`` builds the sdist first and the wheel from the unpacked sdist, so a file
missing from the sdist fails here too. The fresh venv gets the wheel and its declared
dependencies from the package index (nothing from this checkout or the test venv), then
imports every public module and runs ``sessio --help``.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


def clean_env() -> dict[str, str]:
    """This environment without what would let the checkout's source be imported."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_the_wheel_holds_the_package_and_declares_its_dependencies(dist: Path) -> None:
    [wheel] = dist.glob("sessio-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [metadata_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(metadata_name))
    for needed in ("sessio/py.typed", "sessio/flask_socketio.py", "sessio/sync/_primitives.py"):
        assert needed in names
    assert not any(n.startswith(("tests/", "examples/")) for n in names)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = {r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r}
    assert {r.replace(" ", "") for r in required} == {_normal(r) for r in project["dependencies"]}
    assert set(metadata.get_all("Provides-Extra") or []) == set(project["optional-dependencies"])
    assert metadata["Name"] == "sessio" and metadata["Version"] == project["version"]


def _normal(requirement: str) -> str:
    # Metadata writes "python-socketio<6,>=5.12" for "python-socketio>=5.12,<6".
    name = requirement.split("<")[0].split(">")[0].split("=")[0]
    return name + ",".join(sorted(requirement[len(name) :].split(",")))


def test_the_sdist_holds_what_a_build_needs(dist: Path) -> None:
    [sdist] = dist.glob("sessio-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE", "src/sessio/__init__.py"} <= names
    assert not any("node_modules" in n for n in names)


def test_the_wheel_installs_into_a_fresh_venv_and_runs(dist: Path, tmp_path: Path) -> None:
    [wheel] = dist.glob("sessio-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # This venv's pip installs into the fresh one: the wheel and what it declares, nothing more.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
        env=clean_env(),
    )
    code = (
        "import sessio, sessio.aio, sessio.sync, sessio.formats, sessio.core; "
        "print(sessio.__file__, sessio.__version__)"
    )
    imported = subprocess.run(
        [str(python), "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
    )
    assert imported.stdout.startswith(str(venv)), imported.stdout  # not the checkout's source
    helped = subprocess.run(
        [str(venv / "bin" / "sessio"), "--help"], capture_output=True, text=True, env=clean_env()
    )
    assert helped.returncode == 0 and "inspect" in helped.stdout, helped.stderr
