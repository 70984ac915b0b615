"""``show_config``: what a bug report needs to say about this installation."""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ._build_info import BUILD_INFO


def _installed_version() -> str:
    try:
        return _version("pyminpack")
    except PackageNotFoundError:  # imported from a build tree, not installed
        return BUILD_INFO["pyminpack_version"]


def _config() -> dict[str, Any]:
    compilers = BUILD_INFO["compilers"]
    return {
        "pyminpack": {
            "version": _installed_version(),
            "path": str(Path(__file__).resolve().parent),
        },
        "minpack": {
            "source": "netlib MINPACK (Fortran), as packaged by Debian",
            "version": BUILD_INFO["minpack_version"],
        },
        "numpy": {
            "runtime": np.__version__,
            "build": BUILD_INFO["numpy_version"],
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "build_version": BUILD_INFO["python_version"],
            "executable": sys.executable,
        },
        "platform": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "byteorder": sys.byteorder,
        },
        "build": {
            "meson": BUILD_INFO["meson_version"],
            "buildtype": BUILD_INFO["buildtype"],
            "optimization": BUILD_INFO["optimization"],
            "debug": BUILD_INFO["debug"],
            "b_ndebug": BUILD_INFO["b_ndebug"],
            "host": dict(BUILD_INFO["host"]),
            "compilers": {name: dict(info) for name, info in compilers.items()},
        },
    }


def _lines(config: dict[str, Any], indent: str = "") -> list[str]:
    lines = []
    for key, value in config.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.extend(_lines(value, indent + "  "))
        else:
            lines.append(f"{indent}{key}: {value if value != '' else '(none)'}")
    return lines


def show_config(file: TextIO | None = None) -> dict[str, Any]:
    """Print, and return, how this pyminpack was built and what it runs on.

    Paste the printed text into a bug report: it gives the versions of
    pyminpack, of the MINPACK source it compiles, of NumPy (the one running
    and the one the extension was compiled against), of Python and the
    platform, and the compilers, flags and build type recorded when the
    extension was built.

    Parameters
    ----------
    file : file-like, optional
        Where to print (anything with a ``write`` method); the default is
        ``sys.stdout``.

    Returns
    -------
    dict
        The same information as nested dictionaries of strings, with the
        keys ``"pyminpack"``, ``"minpack"``, ``"numpy"``, ``"python"``,
        ``"platform"`` and ``"build"``.

    Notes
    -----
    The build details come from ``pyminpack/_build_info.py``, which meson
    writes when the build is configured.  ``build.compilers.*.args`` are the
    user's extra flags (``CFLAGS``, ``FFLAGS`` or ``-Dc_args=...``), empty
    for a default build; ``build.compilers.*.fp_args`` the build's own
    floating-point flags (contraction off, so that results do not depend on
    the CPU); the optimisation level is ``build.optimization``.

    Examples
    --------
    >>> import pyminpack
    >>> config = pyminpack.show_config()  # doctest: +ELLIPSIS
    pyminpack:
      version: ...
    minpack:
      source: netlib MINPACK (Fortran), as packaged by Debian
      version: 19961126+dfsg1
    numpy:
      runtime: ...
    >>> config["minpack"]["version"]
    '19961126+dfsg1'
    >>> sorted(config["build"]["compilers"])
    ['c', 'fortran']
    """
    config = _config()
    print("\n".join(_lines(config)), file=sys.stdout if file is None else file)
    return config
