"""Zero parameters: an empty ``x0`` is MINPACK's "Improper input parameters.", as in SciPy.

lmfit's ``conf_interval2d`` fits with every parameter fixed, so it calls
``leastsq(func, [], full_output=True)`` and reads ``infodict['fvec']``.
SciPy (1.14.1 and 1.17.1 alike) answers without raising: ``x`` empty,
``cov_x`` None, ``fvec = func(x0)``, no evaluation counted, ``fjac`` of shape
``(0, M)``, empty ``ipvt`` (int32) and ``qtf``, ier 0; without
``full_output``, ``TypeError('Improper input parameters.')``.  The oracle
here is that documented answer of MINPACK (lmdif/lmder test ``N <= 0``
before anything else); the last tests compare with SciPy when it is there.

``curve_fit`` has no such answer: SciPy's raises TypeError on every path
(an accident of its memoizer), and pyminpack's raises TypeError saying why.
"""

from __future__ import annotations

import ctypes
import re

import numpy as np
import pytest

from pyminpack import Compiled, check_jacobian, curve_fit, fit, leastsq

IMPROPER = "Improper input parameters."
RESIDUALS = np.array([1.0, -2.0, 3.0])


def constant(x, *args):
    """Three residuals that do not depend on the (absent) parameters."""
    return RESIDUALS + sum(args)


def no_columns(x, *args):
    return np.zeros((3, 0))


DRIVERS = {
    "lmdif": {},
    "lmder": {"Dfun": no_columns},
    "lmder-col_deriv": {"Dfun": lambda x: np.zeros((0, 3)), "col_deriv": True},
}


def assert_improper_input(result, fvec, with_njev):
    x, cov_x, infodict, mesg, ier = result
    assert x.dtype == np.float64 and x.shape == (0,)
    assert cov_x is None
    assert mesg == IMPROPER and ier == 0 and type(ier) is int
    keys = ["fvec", "nfev", "njev", "fjac", "ipvt", "qtf"] if with_njev else ["fvec", "nfev", "fjac", "ipvt", "qtf"]
    assert list(infodict) == keys
    np.testing.assert_array_equal(infodict["fvec"], fvec)
    assert infodict["fvec"].dtype == np.float64
    assert infodict["nfev"] == 0 and type(infodict["nfev"]) is int
    if with_njev:
        assert infodict["njev"] == 0 and type(infodict["njev"]) is int
    assert infodict["fjac"].dtype == np.float64 and infodict["fjac"].shape == (0, len(fvec))
    assert infodict["ipvt"].dtype == np.int32 and infodict["ipvt"].shape == (0,)
    assert infodict["qtf"].dtype == np.float64 and infodict["qtf"].shape == (0,)


@pytest.mark.parametrize("kwargs", DRIVERS.values(), ids=DRIVERS.keys())
@pytest.mark.parametrize("x0", [[], (), np.zeros(0), np.zeros((2, 0)), np.zeros(0, dtype=np.int32)], ids=repr)
def test_empty_x0_with_full_output_is_improper_input_with_func_at_x0(x0, kwargs):
    calls = []

    def func(x):
        calls.append(x)
        return constant(x)

    result = leastsq(func, x0, full_output=True, **kwargs)
    assert_improper_input(result, RESIDUALS, "Dfun" in kwargs)
    assert [x.shape for x in calls] == [(0,)]  # the checking call; MINPACK evaluates nothing


@pytest.mark.parametrize("kwargs", DRIVERS.values(), ids=DRIVERS.keys())
def test_empty_x0_without_full_output_raises_scipys_type_error(kwargs):
    with pytest.raises(TypeError, match=rf"^{re.escape(IMPROPER)}$"):
        leastsq(constant, [], **kwargs)


def test_args_reach_func_at_the_empty_x0():
    _, _, infodict, _, _ = leastsq(constant, [], args=(10.0,), full_output=True)
    np.testing.assert_array_equal(infodict["fvec"], RESIDUALS + 10.0)


def test_func_with_no_residuals_gives_a_0_by_0_fjac():
    result = leastsq(lambda x: np.zeros(0), [], full_output=True)
    assert_improper_input(result, np.zeros(0), False)


def test_callback_gets_minpacks_one_closing_report():
    # MINPACK's exit reports progress once when NPRINT > 0, improper input included.
    reports = []
    leastsq(constant, [], full_output=True, callback=lambda x, fvec: reports.append((x, fvec)))
    assert len(reports) == 1
    assert reports[0][0].shape == (0,)
    np.testing.assert_array_equal(reports[0][1], RESIDUALS)


def test_the_checks_of_dfun_and_of_nonfinite_residuals_still_apply():
    with pytest.raises(TypeError, match=r"Shape should be \(3, 0\) but it is \(3, 1\)"):
        leastsq(constant, [], Dfun=lambda x: np.zeros((3, 1)))
    with pytest.raises(ValueError, match="returned nan or inf at the checking call"):
        leastsq(lambda x: np.array([np.nan, 1.0]), [])
    result = leastsq(lambda x: np.array([np.nan, 1.0]), [], full_output=True, allow_nonfinite=True)
    assert result[4] == 0 and np.isnan(result[2]["fvec"][0])


_DOUBLES = ctypes.POINTER(ctypes.c_double)


@ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, _DOUBLES, _DOUBLES, ctypes.c_void_p)
def _compiled_constant(m, n, x, fvec, user_data):
    for i in range(m):
        fvec[i] = RESIDUALS[i]
    return 0


@ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, _DOUBLES, _DOUBLES, ctypes.c_int, ctypes.c_void_p)
def _compiled_no_columns(m, n, x, fjac, ldfjac, user_data):
    return 0


@pytest.mark.parametrize("jacobian", [None, _compiled_no_columns], ids=["lmdif", "lmder"])
def test_compiled_func_answers_the_same(jacobian):
    func = Compiled(_compiled_constant, 3, jacobian=jacobian)
    assert_improper_input(leastsq(func, [], full_output=True), RESIDUALS, jacobian is not None)
    with pytest.raises(TypeError, match=rf"^{re.escape(IMPROPER)}$"):
        leastsq(func, [])


SETTINGS = {
    "epsfcn": ({"epsfcn": np.nan}, ValueError, "epsfcn must be finite"),
    "ftol": ({"ftol": "tight"}, TypeError, "ftol must be a real number"),
    "diag": ({"diag": [1.0]}, ValueError, "diag must have one entry per parameter"),
    "maxfev": ({"maxfev": 1.5}, TypeError, "cannot be interpreted as an integer"),
}


@pytest.mark.parametrize(("kwargs", "error", "message"), SETTINGS.values(), ids=SETTINGS.keys())
@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
def test_the_settings_are_still_checked(kwargs, error, message, compiled):
    func = Compiled(_compiled_constant, 3) if compiled else constant
    with pytest.raises(error, match=message):
        leastsq(func, [], full_output=True, **kwargs)


# -- beyond leastsq -----------------------------------------------------------


def line(x, a):
    return a * x


def no_parameters(x):
    return 0.0 * x


XDATA = np.arange(4.0)


@pytest.mark.parametrize("model", [line, no_parameters])
@pytest.mark.parametrize(
    "kwargs", [{}, {"full_output": True}, {"bounds": (0.0, 1.0)}, {"jac": lambda x: np.zeros((4, 0))}], ids=repr
)
def test_curve_fit_with_empty_p0_raises_type_error(model, kwargs):
    with pytest.raises(TypeError, match=r"^curve_fit: p0 is empty; there are no parameters to fit\.$"):
        curve_fit(model, XDATA, 2.0 * XDATA, p0=[], **kwargs)


def test_curve_fit_cannot_count_zero_parameters_from_a_signature():
    with pytest.raises(ValueError, match=r"^Unable to determine number of fit parameters\.$"):
        curve_fit(no_parameters, XDATA, 2.0 * XDATA)


def test_fit_with_empty_p0_raises_curve_fits_type_error():
    with pytest.raises(TypeError, match="p0 is empty"):
        fit(line, XDATA, 2.0 * XDATA, p0=[])


def test_check_jacobian_refuses_an_empty_x0():
    with pytest.raises(ValueError, match=r"^check_jacobian: x0 is empty"):
        check_jacobian(constant, no_columns, [])


# -- SciPy, the oracle of the interface ---------------------------------------


@pytest.mark.parametrize("kwargs", DRIVERS.values(), ids=DRIVERS.keys())
def test_same_as_scipy(kwargs):
    so = pytest.importorskip("scipy.optimize")
    ours = leastsq(constant, [], full_output=True, **kwargs)
    theirs = so.leastsq(constant, [], full_output=True, **kwargs)
    assert ours[0].dtype == theirs[0].dtype and ours[0].shape == theirs[0].shape
    assert ours[1] is theirs[1] is None
    assert ours[3:] == theirs[3:]
    assert list(ours[2]) == list(theirs[2])
    for key, value in theirs[2].items():
        assert type(ours[2][key]) is type(value)
        if isinstance(value, np.ndarray):
            assert ours[2][key].dtype == value.dtype and ours[2][key].shape == value.shape
            np.testing.assert_array_equal(ours[2][key], value)
        else:
            assert ours[2][key] == value
    with pytest.raises(TypeError) as scipy_error:
        so.leastsq(constant, [], **kwargs)
    with pytest.raises(TypeError) as our_error:
        leastsq(constant, [], **kwargs)
    assert str(our_error.value) == str(scipy_error.value)


def test_scipys_curve_fit_raises_type_error_too():
    so = pytest.importorskip("scipy.optimize")
    with pytest.raises(TypeError):
        so.curve_fit(line, XDATA, 2.0 * XDATA, p0=[])
