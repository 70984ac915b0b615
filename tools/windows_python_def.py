"""Write the module-definition (.def) file of a stand-in ``pythonXY.dll`` import library.

Used by tools/cross-build-windows.sh.  On Windows, CPython's headers declare
every function and variable of its C API ``__declspec(dllimport)``
(``PyAPI_FUNC``/``PyAPI_DATA``): those are the names that ``pythonXY.dll``
exports and that an extension may link against.  This script reads the
output of the cross-compiler's preprocessor run over ``Python.h`` (with line
markers), keeps the declarations that come from CPython's own headers (not
the C runtime's, which use ``dllimport`` too) and prints them as a .def file
for ``dlltool``, variables marked ``DATA`` (imported through ``__imp_``
only, as the headers' ``dllimport`` declarations make the compiler do).

Usage: python windows_python_def.py PREPROCESSED HEADER_DIR DLL_NAME > pythonXY.def
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

LINE_MARKER = re.compile(r'^# \d+ "(?P<file>[^"]*)"')
DLLIMPORT = "__attribute__((dllimport))"
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def python_header_text(preprocessed: str, header_dir: Path) -> str:
    """The preprocessed text that came from files under ``header_dir``, line markers dropped."""
    root = str(header_dir.resolve())
    keep, lines = False, []
    for line in preprocessed.splitlines():
        marker = LINE_MARKER.match(line)
        if marker:
            keep = str(Path(marker["file"]).resolve()).startswith(root)
        elif keep:
            lines.append(line)
    return "\n".join(lines)


def without_attributes(declaration: str) -> str:
    """``declaration`` with every ``__attribute__((...))`` removed (nested parentheses allowed)."""
    out, i = [], 0
    while (start := declaration.find("__attribute__", i)) >= 0:
        out.append(declaration[i:start])
        depth, j = 0, declaration.index("(", start)
        while True:
            depth += {"(": 1, ")": -1}.get(declaration[j], 0)
            j += 1
            if depth == 0:
                break
        i = j
    out.append(declaration[i:])
    return "".join(out)


def exported_names(text: str) -> dict[str, bool]:
    """Map each ``dllimport`` name declared in ``text`` to whether it is a variable (DATA)."""
    names: dict[str, bool] = {}
    # Line markers may split a declaration over lines; the C runtime spells it __dllimport__.
    normalised = re.sub(r"__attribute__\s*\(\(\s*(__)?dllimport(__)?\s*\)\)", DLLIMPORT, " ".join(text.split()))
    for declaration in re.split(r"[;{}]", normalised):
        if DLLIMPORT not in declaration:
            continue
        plain = without_attributes(declaration)
        # The first parenthesis decides: "NAME(" declares a function, "(*NAME)" a
        # function pointer variable (int (*PyOS_InputHook)(void)).
        first = re.search(r"(\w+)\s*\((?!\s*\*)|\(\s*\*\s*(\w+)\s*\)", plain)
        if first is None:  # a variable, perhaps an array: _Py_ctype_tolower[256]
            names[IDENTIFIER.findall(re.sub(r"\[[^\]]*\]", "", plain))[-1]] = True
        else:
            names[first[1] or first[2]] = first[1] is None
    return names


def main() -> None:
    preprocessed, header_dir, dll = sys.argv[1:]
    names = exported_names(python_header_text(Path(preprocessed).read_text(), Path(header_dir)))
    if not names:
        raise SystemExit(f"no dllimport declarations found under {header_dir}")
    print(f"LIBRARY {dll}")
    print("EXPORTS")
    for name in sorted(names):
        print(f"    {name}{' DATA' if names[name] else ''}")


if __name__ == "__main__":
    main()
