"""The hand-written C keeps to what every platform's compiler reads the same way.

tools/cross-build-windows.sh (run by CI) compiles it for Windows with
warnings as errors, including every implicit narrowing conversion.  Two
mistakes compile cleanly there and are pinned here instead, on the source:

- ``long`` is 32 bits on 64-bit Windows and 64 bits elsewhere, so an index
  or size computed in it (``(long)j * ldfjac``) overflows on one platform
  only, silently.  Sizes and indices are ``npy_intp``/``Py_ssize_t``/
  ``size_t``; addresses go through ``PyLong_AsVoidPtr``.
- A C runtime may define its standard names as macros (Windows' UCRT:
  ``#define stderr (__acrt_iob_func(2))``), so a variable of that name does
  not compile there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SOURCES = sorted((Path(__file__).resolve().parents[1] / "src" / "pyminpack" / "native").glob("*.[ch]"))

#: Names that C runtimes define as macros (C11 7.21.1 and 7.5 allow it; windows.h defines min and max).
RUNTIME_MACROS = ("stderr", "stdin", "stdout", "errno", "min", "max")


def code_of(path: Path) -> str:
    """The C source without its comments and string literals (which may say anything)."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", path.read_text(), flags=re.DOTALL)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def test_the_sources_are_found():
    assert {path.name for path in SOURCES} >= {"native.c", "pycallback.c", "fcn_common.h", "builtin_models.c"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_long(path):
    assert not re.findall(r"\blong\b", code_of(path))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_no_runtime_macro_names(path):
    used = set(re.findall(r"\b(?:" + "|".join(RUNTIME_MACROS) + r")\b", code_of(path)))
    assert not used
