"""The release path: ``python -m build`` makes an sdist holding everything the
build and the tests need and nothing stray, a wheel builds from that sdist,
installs into a fresh virtual environment and solves.

Slow (about a minute) and needs the ``build`` package, git, a checkout (not
an unpacked sdist) and PyPI (the isolated build environment downloads
meson-python, meson, ninja and numpy; the venv downloads numpy).  The sdist
is ``git archive`` of the *committed* tree, so uncommitted changes are not
in it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

# What building and testing from the sdist cannot do without.
REQUIRED = [
    "pyproject.toml",
    "meson.build",
    "README.md",
    "LICENSE",
    ".ci/run",  # tests/test_readme.py reads it
    "minpack_src/README.md",
    "minpack_src/SHA256SUMS",
    "minpack_src/LICENSE",
    "minpack_src/lmdif.f",
    "minpack_src/lmder.f",
    "src/pyminpack/meson.build",
    "src/pyminpack/native/minpack.pyf",
    "src/pyminpack/native/pycallback.c",
    "src/pyminpack/_build_info.py.in",
    "tests/conftest.py",
    "tests/data/README.md",
    "tests/data/mgh_reference.json",
    "tests/data/nist_strd/SHA256SUMS",
    "tools/install-build-deps.sh",
]
# Files that only git itself uses (export-ignore in .gitattributes).
STRAY = [".gitignore", ".gitattributes"]  # the top-level ones

SOLVE = """
import json, numpy as np, pyminpack
x = np.linspace(0, 5, 50)
y = 2.0 * np.exp(-1.5 * x) + 0.5
p, ier = pyminpack.leastsq(lambda p: p[0] * np.exp(-p[1] * x) + p[2] - y, [1, 1, 1])
config = pyminpack.show_config()
print(json.dumps({"p": p.round(9).tolist(), "ier": ier, "file": pyminpack.__file__,
                  "numpy_build": config["numpy"]["build"]}))
"""


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the sdist is made from a git checkout")
    outdir = tmp_path_factory.mktemp("dist")
    # Without --sdist/--wheel, build makes the sdist, then the wheel from it.
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(outdir), str(ROOT)], check=True, capture_output=True, text=True
    )
    return outdir


def _sdist_members(dist: Path) -> list[str]:
    (sdist,) = dist.glob("pyminpack-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    prefix = sdist.name.removesuffix(".tar.gz") + "/"
    assert all(name.startswith(prefix) for name in names)
    return [name.removeprefix(prefix) for name in names]


def test_sdist_holds_what_the_build_and_tests_need(dist: Path) -> None:
    members = set(_sdist_members(dist))
    assert not [name for name in REQUIRED if name not in members]
    committed = set(_git("ls-tree", "-r", "--name-only", "HEAD").split("\n")) - {""}
    # Every committed file ships, except git's own; every test and data file too.
    assert committed - set(STRAY) <= members
    assert {name for name in committed if name.startswith("tests/")} <= members


def test_sdist_holds_nothing_stray(dist: Path) -> None:
    members = set(_sdist_members(dist))
    committed = set(_git("ls-tree", "-r", "--name-only", "HEAD").split("\n"))
    assert members - committed == {"PKG-INFO"}
    assert not members & set(STRAY)
    assert not [name for name in members if name.startswith(("build/", "dist/", ".git/"))]
    assert not [name for name in members if "__pycache__" in name or name.endswith((".so", ".pyc"))]


def test_wheel_holds_every_module(dist: Path) -> None:
    (wheel,) = dist.glob("pyminpack-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    committed = _git("ls-tree", "-r", "--name-only", "HEAD", "src/pyminpack/").split()
    modules = {name.removeprefix("src/") for name in committed if name.endswith((".py", ".typed"))}
    assert not modules - names, "a module missing from install_sources in src/pyminpack/meson.build"
    assert "pyminpack/_build_info.py" in names
    extensions = {name.split(".")[0] for name in names if name.endswith((".so", ".pyd"))}
    # One extension per hand-written C file of native/, and f2py's from the signature file, each named _<file>.
    sources = {
        f"pyminpack/_{Path(name).stem}"
        for name in committed
        if name.startswith("src/pyminpack/native/") and name.endswith((".c", ".pyf"))
    }
    assert extensions == sources


def test_wheel_built_from_the_sdist_installs_and_solves(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("pyminpack-*.whl")
    venv.create(tmp_path / "venv", with_pip=True)
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = str(tmp_path / "venv" / bindir / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True, text=True)
    out = subprocess.run([python, "-c", SOLVE], check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["p"] == pytest.approx([2.0, 1.5, 0.5], abs=1e-8)
    assert result["ier"] in (1, 2, 3, 4)
    assert str(tmp_path / "venv") in result["file"]
    assert int(result["numpy_build"].split(".")[0]) >= 2
