"""The Examples in the docstrings of fit, its report, plot, command line and model expressions run as doctests."""

import doctest
import importlib

import pytest

MODULES = [
    "pyminpack.__main__",
    "pyminpack._atomic_write",
    "pyminpack._data_file",
    "pyminpack._demo",
    "pyminpack._fit",
    "pyminpack._fit_command",
    "pyminpack._fit_report",
    "pyminpack._model_expression",
    pytest.param(
        "pyminpack._plot",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib"
        ),
    ),
]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    module = importlib.import_module(name)
    failures, attempted = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert attempted > 0
    assert failures == 0
