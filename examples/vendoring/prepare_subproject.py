"""Make ``subprojects/pyminpack``: the part of a pyminpack checkout this package builds.

Usage: ``python prepare_subproject.py [PYMINPACK_CHECKOUT]`` (default: the
checkout this example lives in, two directories up).

Copies pyminpack's top-level ``meson.build``, its ``LICENSE`` (which holds
MINPACK's notice) and ``minpack_src/`` (the unmodified netlib Fortran,
checked against ``SHA256SUMS``).  A real project would rather use a git
submodule or a ``subprojects/pyminpack.wrap`` (``[wrap-git]`` pointing at
pyminpack's repository, or ``[wrap-file]`` at its sdist); the copy keeps
this example free of network access and of a second copy of MINPACK in git.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ("meson.build", "LICENSE")


def prepare(checkout: Path, destination: Path = HERE / "subprojects" / "pyminpack") -> Path:
    """Copy the sources from ``checkout`` into ``destination`` (replacing it); return it."""
    meson_build = (checkout / "meson.build").read_text(encoding="utf-8")
    if "minpack_dep" not in meson_build or "meson.is_subproject()" not in meson_build:
        raise RuntimeError(
            f"{checkout / 'meson.build'} does not declare minpack_dep for subprojects "
            "(see examples/vendoring/README.md)"
        )
    if destination.exists():
        shutil.rmtree(destination)
    (destination / "minpack_src").mkdir(parents=True)
    for name in FILES:
        shutil.copy2(checkout / name, destination / name)
    sums = (checkout / "minpack_src" / "SHA256SUMS").read_text(encoding="utf-8").split("\n")
    for line in filter(None, sums):
        digest, name = line.split()
        source = checkout / "minpack_src" / name.lstrip("*")
        if hashlib.sha256(source.read_bytes()).hexdigest() != digest:
            raise RuntimeError(f"{source} does not match minpack_src/SHA256SUMS")
        shutil.copy2(source, destination / "minpack_src" / source.name)
    shutil.copy2(checkout / "minpack_src" / "SHA256SUMS", destination / "minpack_src" / "SHA256SUMS")
    return destination


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1]
    try:
        print(prepare(root.resolve()))
    except RuntimeError as error:
        raise SystemExit(f"prepare_subproject.py: {error}") from None
