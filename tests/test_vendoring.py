"""examples/vendoring: a package that builds MINPACK from pyminpack's sources as a meson subproject.

The example (``tinyfit``) is copied to a temporary directory, its
``subprojects/pyminpack`` is made from this checkout by its own
``prepare_subproject.py``, and it is built and installed into a fresh
virtual environment (meson-python, meson, ninja and numpy from PyPI), where
it must solve Rosenbrock's problem with MINPACK's lmdif, carry MINPACK's
notice in its wheel, install nothing of pyminpack, and keep MINPACK's
symbols out of its extension's dynamic symbol table.

``PYMINPACK_VENDOR_SOURCE`` names another pyminpack checkout to take the
sources from (default: this one).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "vendoring"

pytestmark = pytest.mark.slow

SOLVE = """
import importlib.metadata, importlib.util, json
import numpy as np
import tinyfit
x, info, nfev = tinyfit.solve(lambda p: np.array([10 * (p[1] - p[0] ** 2), 1 - p[0]]), [-1.2, 1.0])
dist = importlib.metadata.distribution("tinyfit")
licenses = [f for f in dist.files if f.name == "LICENSE"]
print(json.dumps({
    "x": x.tolist(), "info": info, "nfev": nfev,
    "license": licenses[0].read_text() if licenses else "",
    "files": [str(f) for f in dist.files],
    "pyminpack": importlib.util.find_spec("pyminpack") is not None,
    "extension": [str(f.locate()) for f in dist.files if f.suffix in (".so", ".pyd")],
}))
"""


def _load_prepare():
    spec = importlib.util.spec_from_file_location("prepare_subproject", EXAMPLE / "prepare_subproject.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import json

    work = tmp_path_factory.mktemp("vendoring")
    package = work / "tinyfit"
    shutil.copytree(EXAMPLE, package, ignore=shutil.ignore_patterns("build", "pyminpack", "__pycache__"))
    source = Path(os.environ.get("PYMINPACK_VENDOR_SOURCE", ROOT))
    _load_prepare().prepare(source, package / "subprojects" / "pyminpack")
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    build = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", str(package)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run([str(python), "-c", SOLVE], capture_output=True, text=True, timeout=120, cwd=work, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(run.stdout)


def test_it_solves_with_minpack(installed: dict) -> None:
    # Rosenbrock's problem from MINPACK's standard start: the minimum is (1, 1).
    assert installed["info"] in (1, 2, 3, 4)
    assert installed["x"] == pytest.approx([1.0, 1.0], abs=1e-10)
    assert installed["nfev"] > 0


def test_the_wheel_carries_minpacks_notice(installed: dict) -> None:
    assert "Minpack Copyright Notice (1999) University of Chicago" in installed["license"]
    assert "This product includes software developed by the" in installed["license"]


def test_nothing_of_pyminpack_is_installed(installed: dict) -> None:
    assert not installed["pyminpack"]
    assert not [f for f in installed["files"] if "pyminpack" in f]


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("nm") is None, reason="needs ELF and nm")
def test_minpack_symbols_are_not_exported(installed: dict) -> None:
    (extension,) = installed["extension"]
    exported = subprocess.run(["nm", "-D", "--defined-only", extension], capture_output=True, text=True, check=True)
    names = {line.split()[-1] for line in exported.stdout.splitlines() if line.strip()}
    assert not {"lmdif_", "lmder_", "enorm_", "dpmpar_"} & names
