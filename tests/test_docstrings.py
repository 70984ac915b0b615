"""Every public name has a numpydoc docstring with Examples, and every module's examples run as doctests.

The modules are those of the *installed* package (found through
``pyminpack.__path__``, imported by their ``pyminpack.*`` names), so the
examples run against the compiled extension that the rest of the suite
tests, never against a second copy of the sources imported from ``src/``.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
from types import ModuleType

import pytest

import pyminpack

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None

#: Public names that are not functions or classes.
NOT_DOCUMENTED_OBJECTS = {"__version__"}


def python_modules() -> list[str]:
    """Return the names of the package's pure-Python modules (compiled ones have no examples)."""
    names = []
    for info in pkgutil.walk_packages(pyminpack.__path__, prefix="pyminpack."):
        spec = importlib.util.find_spec(info.name)
        if spec is not None and spec.origin is not None and spec.origin.endswith(".py"):
            names.append(info.name)
    return sorted(names)


MODULES = python_modules()


def public_objects() -> list[tuple[str, object]]:
    """Return ``(qualified name, object)`` for every public function, class, and public method of a class."""
    objects = []
    for name in pyminpack.__all__:
        if name in NOT_DOCUMENTED_OBJECTS:
            continue
        obj = getattr(pyminpack, name)
        objects.append((f"pyminpack.{name}", obj))
        if inspect.isclass(obj):
            for attribute, value in vars(obj).items():
                if not attribute.startswith("_") and inspect.isfunction(value):
                    objects.append((f"pyminpack.{name}.{attribute}", value))
    return objects


PUBLIC = public_objects()


def section(docstring: str, title: str) -> bool:
    """Return whether ``docstring`` has a numpydoc section ``title`` (a title underlined with dashes)."""
    return re.search(rf"^\s*{re.escape(title)}\n\s*-{{{len(title)}}}\s*$", docstring, flags=re.MULTILINE) is not None


def test_modules_are_the_installed_package() -> None:
    assert "pyminpack._solver.leastsq" in MODULES
    assert importlib.import_module("pyminpack._minpack")  # the compiled extension, next to the modules
    duplicates = [name for name in sys.modules if name.endswith("._leastsq") and name != "pyminpack._solver.leastsq"]
    assert not duplicates
    assert "src.pyminpack" not in sys.modules


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module, name)
    if not HAVE_MATPLOTLIB and any("plot" in example.source for test in tests for example in test.examples):
        pytest.skip("the examples draw plots: needs matplotlib")
    if name == "pyminpack._batch.dask":
        pytest.importorskip("dask.array", reason="the examples run on dask: pip install 'pyminpack[dask]'")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} of {runner.tries} examples in {name} failed (see the output above)"


@pytest.mark.parametrize(("name", "obj"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_docstring_has_numpydoc_sections(name: str, obj: object) -> None:
    docstring = inspect.getdoc(obj)
    assert docstring, f"{name} has no docstring"
    summary = docstring.split("\n\n", 1)[0]
    assert summary.endswith("."), f"{name}: the summary line should be a sentence"
    assert section(docstring, "Examples"), f"{name} has no Examples section"
    assert ">>> " in docstring.split("Examples", 1)[1], f"{name}'s Examples show no doctest"
    if inspect.isfunction(obj):
        parameters = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
        if parameters:
            assert section(docstring, "Parameters"), f"{name} has no Parameters section"
        assert section(docstring, "Returns"), f"{name} has no Returns section"
    elif inspect.isclass(obj) and not issubclass(obj, Warning):
        assert section(docstring, "Attributes") or section(docstring, "Parameters"), f"{name} documents no attributes"


#: numpydoc's checks that every public docstring must pass (structure, not style).
NUMPYDOC_CHECKS = {
    "GL02",
    "GL03",
    "GL05",
    "GL06",
    "GL07",
    "GL08",
    "GL09",
    "GL10",
    "SS01",
    "SS02",
    "SS03",
    "SS04",
    "PR02",
    "PR03",
    "PR04",
    "PR05",
    "PR06",
    "PR09",
    "PR10",
    "RT01",
    "RT03",
    "YD01",
    "EX01",
}


@pytest.mark.parametrize("name", [name for name, _ in PUBLIC])
def test_numpydoc_validation(name: str) -> None:
    validate = pytest.importorskip("numpydoc.validate")
    errors = [(code, message) for code, message in validate.validate(name)["errors"] if code in NUMPYDOC_CHECKS]
    assert not errors, f"{name}: {errors}"
