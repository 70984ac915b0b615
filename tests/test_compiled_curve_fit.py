"""curve_fit with a compiled model: the whole fit in C, results identical to the Python model's.

The model has fit_many's signature (``int model(int m, int n, const double *p,
const double *x, double *out, void *user_data)``, and optionally its
Jacobian); the residuals ``(model - ydata) / sigma`` are formed in C.  The
oracle is curve_fit with the Python twin of the same model, which performs
the same IEEE operations in the same order (see native_functions.py), so
popt, pcov and infodict agree bit for bit.
"""

from __future__ import annotations

import gc
import re
import weakref

import native_functions as nf
import numpy as np
import pytest

from pyminpack import UserTermination, curve_fit, fit
from pyminpack._fitting.compiled_model import CallableModel

pytestmark = pytest.mark.skipif(nf.compiler() is None, reason="needs a C compiler (cc) to build the test functions")

P0 = [1.0, 1.0, 0.5]


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    return nf.build(tmp_path_factory.mktemp("native_curve_fit"))


@pytest.fixture(scope="module")
def data():
    return nf.rational_data(40)


def rational(x, a, b, c):
    """The Python twin of the C rational_model."""
    return (a * x + b) / (1.0 + c * x)


def rational_jac(x, a, b, c):
    """The Python twin of the C rational_model_jacobian (rows: data points)."""
    return nf.rational_jacobian(np.array([a, b, c]), x, None)


SIGMAS = {
    "no sigma": lambda m: None,
    "one sigma": lambda m: 0.25,
    "sigma per point": lambda m: np.linspace(0.5, 2.0, m),
}


@pytest.mark.parametrize("absolute_sigma", [False, True])
@pytest.mark.parametrize("jacobian", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("make_sigma", SIGMAS.values(), ids=SIGMAS.keys())
def test_identical_to_the_python_model(native, data, make_sigma, jacobian, absolute_sigma):
    x, y = data
    sigma = make_sigma(len(x))
    compiled = curve_fit(
        native["rational_model"], x, y, P0, sigma=sigma, absolute_sigma=absolute_sigma,
        jac=native["rational_model_jacobian"] if jacobian else None, full_output=True,
    )  # fmt: skip
    python = curve_fit(
        rational, x, y, P0, sigma=sigma, absolute_sigma=absolute_sigma,
        jac=rational_jac if jacobian else None, full_output=True,
    )  # fmt: skip
    popt, pcov, infodict, mesg, ier = compiled
    np.testing.assert_array_equal(popt, python[0])
    np.testing.assert_array_equal(pcov, python[1])
    assert (mesg, ier) == python[3:]
    assert infodict.keys() == python[2].keys()
    for key, value in infodict.items():
        np.testing.assert_array_equal(value, python[2][key], err_msg=key)


def test_settings_reach_minpack(native, data):
    x, y = data
    settings = {"ftol": 1e-12, "xtol": 1e-13, "maxfev": 300, "epsfcn": 1e-10, "factor": 10.0, "diag": [1, 2, 3]}
    compiled = curve_fit(native["rational_model"], x, y, P0, full_output=True, **settings)
    python = curve_fit(rational, x, y, P0, full_output=True, **settings)
    np.testing.assert_array_equal(compiled[0], python[0])
    assert compiled[2]["nfev"] == python[2]["nfev"]


def test_nan_policy_omit_drops_the_same_points(native, data):
    x, y = data
    y = y.copy()
    y[[3, 17]] = np.nan
    compiled = curve_fit(native["rational_model"], x, y, P0, nan_policy="omit", check_finite=False)
    python = curve_fit(rational, x, y, P0, nan_policy="omit", check_finite=False)
    np.testing.assert_array_equal(compiled[0], python[0])


def test_user_data_carries_the_abscissae(native, data):
    x, y = data
    # rational_model_ud reads x from user_data; xdata=None hands the model NULL.
    popt, _ = curve_fit(native["rational_model_ud"], None, y, P0, user_data=x)
    np.testing.assert_array_equal(popt, curve_fit(rational, x, y, P0)[0])


def test_a_model_that_asks_to_stop(native, data):
    x, y = data
    with pytest.raises(UserTermination):
        curve_fit(native["rational_model"], x, y * 1e7, P0)  # the model stops once a > 1000


def test_nonfinite_data_in_the_residuals_are_refused(native, data):
    x, y = data
    y = y.copy()
    y[5] = np.inf
    with pytest.raises(ValueError, match=r"returned nan or inf .*at the starting point"):
        curve_fit(native["rational_model"], x, y, P0, check_finite=False)


def test_failure_raises_runtime_error_as_for_a_python_model(native, data):
    x, y = data
    with pytest.raises(RuntimeError, match=r"^Optimal parameters not found: Number of calls to function has reached"):
        curve_fit(native["rational_model"], x, y, P0, maxfev=3)


REFUSED = {
    "no p0": (
        {"p0": None},
        ValueError,
        "curve_fit: p0 is required with a compiled model (a compiled function has no signature to count its "
        "parameters from).",
    ),
    "bounds": (
        {"bounds": (0.0, 10.0)},
        ValueError,
        "curve_fit: bounds need a Python model; a compiled model is fitted without them.",
    ),
    "2-D sigma": (
        {"sigma": np.eye(40)},
        ValueError,
        "curve_fit: a 2-D sigma (a covariance matrix) needs a Python model; a compiled model takes None, a scalar "
        "or one sigma per data point.",
    ),
    "check_jac": (
        {"check_jac": True},
        ValueError,
        "curve_fit: check_jac calls the model from Python (chkder); not with a compiled model.",
    ),
    "callback": (
        {"callback": print},
        TypeError,
        "curve_fit: callback needs a Python call at every iteration; it is not available with a compiled model.",
    ),
    "a Python jac": (
        {"jac": rational_jac},
        TypeError,
        "curve_fit: with a compiled model, jac must be compiled too (fit_many's model_jacobian signature), or None "
        "for forward differences.",
    ),
    "xdata of the wrong length": (
        {"xdata": np.ones(39)},
        ValueError,
        "curve_fit: with a compiled model, xdata must be None or 40 values (one per data point); got shape (39,).",
    ),
    "xdata in 2-D": (
        {"xdata": np.ones((2, 40))},
        ValueError,
        "curve_fit: with a compiled model, xdata must be None or 40 values (one per data point); got shape (2, 40).",
    ),
}


@pytest.mark.parametrize(("change", "error", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_what_a_compiled_model_cannot_do_is_refused_clearly(native, data, change, error, message):
    x, y = data
    arguments = {"xdata": x, "p0": P0, **change}
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        curve_fit(native["rational_model"], arguments.pop("xdata"), y, **arguments)


def test_a_residual_signature_is_not_a_model(native, data):
    x, y = data
    with pytest.raises(TypeError, match="signature"):
        curve_fit(native["rational"], x, y, P0)


def test_user_data_needs_a_compiled_model(data):
    x, y = data
    with pytest.raises(
        TypeError, match=r"^curve_fit: user_data is handed to a compiled model only; f is a Python function\.$"
    ):
        curve_fit(rational, x, y, P0, user_data=x)


def test_numba_cfunc_model(data):
    x, y = data
    popt, _ = curve_fit(nf.numba_rational_model(), x, y, P0)
    np.testing.assert_allclose(popt, curve_fit(rational, x, y, P0)[0], rtol=1e-12)


def test_fit_with_a_compiled_model_matches_the_python_model(native, data):
    x, y = data
    compiled = fit(native["rational_model"], x, y, P0, jac=native["rational_model_jacobian"], sigma=0.01)
    python = fit(rational, x, y, P0, jac=rational_jac, sigma=0.01)
    assert compiled.success and python.success
    np.testing.assert_array_equal(compiled.values, python.values)
    np.testing.assert_array_equal(compiled.covariance, python.covariance)
    assert (compiled.chisqr, compiled.nfev, compiled.ier) == (python.chisqr, python.nfev, python.ier)
    np.testing.assert_array_equal(compiled.best_fit, python.best_fit)  # the model evaluated from Python
    assert compiled.names == ("p0", "p1", "p2")  # a compiled function names no parameters
    assert compiled.report().startswith("[[Model]]\n    compiled model\n")


def test_fit_with_a_compiled_model_reports_a_failure(native, data):
    x, y = data
    result = fit(native["rational_model"], x, y, P0, maxfev=3)
    assert not result.success and result.ier == 5
    assert result.message.startswith("Number of calls to function has reached maxfev = 3.")
    assert np.isnan(result.covariance).all() and np.isfinite(result.values).all()


def test_fit_plots_a_compiled_model(native, data, tmp_path):
    pytest.importorskip("matplotlib")
    x, y = data
    figure = fit(native["rational_model"], x, y, P0).plot()
    figure.savefig(tmp_path / "fit.png")
    assert (tmp_path / "fit.png").stat().st_size > 0


def test_threads_fit_compiled_models_side_by_side(native, data):
    # The solves hold no Python state between evaluations and release the GIL:
    # eight threads at once give each the result a serial fit gives.
    from concurrent.futures import ThreadPoolExecutor

    x, y = data
    curves = [y * (1.0 + 0.01 * k) for k in range(8)]

    def one(curve):
        return curve_fit(native["rational_model"], x, curve, P0, jac=native["rational_model_jacobian"])

    serial = [one(curve) for curve in curves]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(one, curves * 5))
    for k, (popt, pcov) in enumerate(threaded):
        np.testing.assert_array_equal(popt, serial[k % 8][0])
        np.testing.assert_array_equal(pcov, serial[k % 8][1])


def test_the_gil_is_released_for_the_whole_fit(native):
    x = np.linspace(0.0, 1.0, 5)
    result = {}

    def solve():
        result["popt"] = curve_fit(native["slow_model"], x, 2.0 * x + 1.0, [1.0, 0.0])[0]

    ticks, elapsed = nf.ticks_while_running(solve)
    np.testing.assert_allclose(result["popt"], [2.0, 1.0])
    assert elapsed > 0.05, "the fit was too quick to tell"
    # With the GIL held for the fit, this thread would be frozen (a handful of ticks).
    assert ticks > 10_000, f"{ticks} ticks in {elapsed:.3f} s"


def test_callable_model_evaluates_the_compiled_model_from_python(native, data):
    # What FitResult.model is for a compiled model: model(x, *params), as the Python twin is called.
    x, _ = data
    model = CallableModel(native["rational_model"], None, len(x))
    np.testing.assert_array_equal(model(x, 2.0, 1.0, 0.5), rational(x, 2.0, 1.0, 0.5))
    # Integer parameters and abscissae are converted, any shape of x is flattened.
    np.testing.assert_array_equal(model([0, 1, 2, 3], 2, 1, 0), [1.0, 3.0, 5.0, 7.0])
    np.testing.assert_array_equal(model(x.reshape(4, 10), 2.0, 1.0, 0.5), rational(x, 2.0, 1.0, 0.5))
    assert model.__name__ == "compiled model"  # a ctypes function has no name


def test_callable_model_without_x_reads_user_data_and_makes_m_values(native, data):
    x, _ = data
    model = CallableModel(native["rational_model_ud"], x.copy(), len(x))
    np.testing.assert_array_equal(model(None, 2.0, 1.0, 0.5), rational(x, 2.0, 1.0, 0.5))


def test_callable_model_raises_when_the_model_asks_to_stop(native, data):
    x, _ = data
    with pytest.raises(UserTermination) as caught:
        CallableModel(native["rational_model"], None, len(x))(x, 2000.0, 1.0, 0.5)  # stops above 1000
    stop = caught.value
    assert (stop.status, stop.function, stop.nfev, stop.njev, stop.x.tolist()) == (1, "func", 1, 0, [2000.0, 1.0, 0.5])


def test_callable_model_refuses_another_signature_naming_f(native):
    with pytest.raises(TypeError, match=r"^f: the ctypes function .* does not match"):
        CallableModel(native["rational"], None, 3)


def test_callable_model_of_a_numba_cfunc_has_its_name():
    assert CallableModel(nf.numba_rational_model(), None, 3).__name__ == "model"


def test_xdata_of_another_sequence_type_reaches_a_compiled_model_as_float64(native):
    # curve_fit converts only lists, tuples and arrays; a compiled model still
    # reads M float64 values from any other sequence of numbers.
    x = np.arange(40.0)
    y = rational(x, 2.0, 1.0, 0.5) + 0.01 * np.cos(x)
    from_range = curve_fit(native["rational_model"], range(40), y, P0)
    from_array = curve_fit(native["rational_model"], x, y, P0)
    for got, want in zip(from_range, from_array, strict=True):
        np.testing.assert_array_equal(got, want)


def test_callable_model_keeps_the_compiled_function_alive():
    # FitResult.model outlives the caller's reference to the model: the
    # function object (here a ctypes callback, freed with it) must stay alive.
    @nf.MODEL
    def line(m, n, p, x, out, user_data):
        for i in range(m):
            out[i] = p[0] * x[i] + p[1]
        return 0

    alive = weakref.ref(line)
    model = CallableModel(line, None, 3)
    del line
    gc.collect()
    assert alive() is not None
    np.testing.assert_array_equal(model([0.0, 1.0, 2.0], 2.0, 1.0), [1.0, 3.0, 5.0])
