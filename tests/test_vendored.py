"""The MINPACK that ships is the vendored netlib copy, and SciPy is not needed.

``minpack_src/SHA256SUMS`` records the hash of each of the eighteen vendored
Fortran files (see ``minpack_src/README.md`` for their origin); any edit to a
file, a missing file, or a file added without a recorded hash fails here.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

MINPACK_SRC = Path(__file__).resolve().parents[1] / "minpack_src"

#: What lmdif, lmder, hybrd, hybrj and lmstr need, plus chkder; nothing more
#: is vendored.
VENDORED = (
    "chkder.f",
    "dogleg.f",
    "dpmpar.f",
    "enorm.f",
    "fdjac1.f",
    "fdjac2.f",
    "hybrd.f",
    "hybrj.f",
    "lmder.f",
    "lmdif.f",
    "lmpar.f",
    "lmstr.f",
    "qform.f",
    "qrfac.f",
    "qrsolv.f",
    "r1mpyq.f",
    "r1updt.f",
    "rwupdt.f",
)


def recorded_sums() -> dict[str, str]:
    """Return ``{file name: sha256}`` from ``SHA256SUMS`` (``sha256sum`` format)."""
    sums = {}
    for line in (MINPACK_SRC / "SHA256SUMS").read_text(encoding="ascii").splitlines():
        digest, name = line.split(maxsplit=1)
        assert len(digest) == 64 and name not in sums, line
        sums[name.lstrip("*")] = digest
    return sums


def test_sha256sums_lists_exactly_the_vendored_files():
    assert sorted(recorded_sums()) == sorted(VENDORED)


def test_no_unrecorded_fortran_file_is_vendored():
    assert sorted(path.name for path in MINPACK_SRC.glob("*.f")) == sorted(VENDORED)


@pytest.mark.parametrize("name", VENDORED)
def test_vendored_file_is_unmodified(name):
    digest = hashlib.sha256((MINPACK_SRC / name).read_bytes()).hexdigest()
    assert digest == recorded_sums()[name]


def test_importing_and_solving_does_not_import_scipy():
    code = (
        "import sys, pyminpack; "
        "pyminpack.leastsq(lambda x: [x[0] - 1.0, x[0] + 1.0], 0.0, full_output=True); "
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert completed.stdout.strip() == "[]"


#: The vendored routines' symbols, as gfortran names them.
MINPACK_ROUTINES = tuple(name.removesuffix(".f") + "_" for name in VENDORED)


@pytest.mark.parametrize("name", VENDORED)
def test_each_file_holds_the_routine_it_is_named_after(name):
    # MINPACK_ROUTINES relies on it: netlib's one routine per file, declared
    # on its first line.
    first_line = (MINPACK_SRC / name).read_text(encoding="ascii").splitlines()[0]
    declaration = first_line.split("(")[0].split()
    assert declaration[-2:] in (["subroutine", name[:-2]], ["function", name[:-2]])


def test_minpack_symbols_stay_private_to_the_extensions():
    # Another MINPACK in the same process (SciPy <= 1.14, Debian's libminpack)
    # must never bind to ours, nor ours to it: no extension exports them.
    import shutil

    if sys.platform != "linux" or shutil.which("nm") is None:
        pytest.skip("reads ELF dynamic symbol tables with nm (Linux, binutils)")
    import importlib
    import pkgutil

    import pyminpack

    modules = [info.name for info in pkgutil.iter_modules(pyminpack.__path__, "pyminpack.")]
    extensions = [
        Path(module.__file__)
        for module in map(importlib.import_module, modules)
        if module.__file__ and module.__file__.endswith((".so", ".pyd"))
    ]
    assert extensions, "no compiled extension found in pyminpack"
    for extension in extensions:
        exported = subprocess.run(
            ["nm", "-D", "--defined-only", str(extension)], capture_output=True, text=True, check=True
        ).stdout.split()
        assert not set(MINPACK_ROUTINES) & set(exported), extension.name
