"""pyminpack.curve_fit against scipy.optimize.curve_fit (method 'lm') as the oracle.

SciPy >= 1.15 runs a C translation of MINPACK with a full-precision
``dpmpar``, so results are compared with tolerances, not bit for bit;
messages, exception types and warnings are compared exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pyminpack

optimize = pytest.importorskip("scipy.optimize")

# Both solvers stop at xtol = 1.49012e-08 relative; the minimiser they
# converge to agrees well inside that, the covariance (from the final
# Jacobian, by forward differences unless jac is given) a little less well.
POPT_RTOL = 1e-6
PCOV_RTOL = 1e-4

RNG = np.random.default_rng(20240611)
X = np.linspace(0.0, 4.0, 40)
NOISE = 0.05 * RNG.normal(size=X.size)
SIGMA_1D = RNG.uniform(0.5, 2.0, X.size)
SIGMA_2D = np.diag(SIGMA_1D**2) + 0.2 * (np.eye(X.size, k=1) + np.eye(X.size, k=-1))


def decay(x, a, b, c):
    return a * np.exp(-b * x) + c


def decay_jac(x, a, b, c):
    e = np.exp(-b * x)
    return np.column_stack([e, -a * x * e, np.ones_like(x)])


def gaussian(x, height, centre, width):
    return height * np.exp(-(((x - centre) / width) ** 2) / 2)


def plane(x, a, b, c):
    return a * x[0] + b * np.sin(x[1]) + c


PROBLEMS = {
    "decay": (decay, X, decay(X, 2.5, 1.3, 0.5) + NOISE, None),
    "gaussian": (gaussian, X, gaussian(X, 3.0, 2.1, 0.6) + NOISE, [2.0, 2.0, 1.0]),
    "two-predictors": (plane, np.vstack([X, X**2]), plane(np.vstack([X, X**2]), 1.0, -2.0, 0.3) + NOISE, None),
}
SIGMAS = {"none": None, "scalar": 0.2, "1-d": SIGMA_1D, "2-d": SIGMA_2D}


def both(*args, **kwargs):
    """Return (pyminpack's, scipy's) curve_fit results for the same call."""
    return pyminpack.curve_fit(*args, **kwargs), optimize.curve_fit(*args, **kwargs)


@pytest.mark.parametrize("absolute_sigma", [False, True], ids=["relative", "absolute"])
@pytest.mark.parametrize("sigma", SIGMAS.values(), ids=SIGMAS.keys())
@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_popt_and_pcov(problem, sigma, absolute_sigma):
    f, xdata, ydata, p0 = problem
    (popt, pcov), (expected_popt, expected_pcov) = both(
        f, xdata, ydata, p0=p0, sigma=sigma, absolute_sigma=absolute_sigma
    )
    np.testing.assert_allclose(popt, expected_popt, rtol=POPT_RTOL)
    np.testing.assert_allclose(pcov, expected_pcov, rtol=PCOV_RTOL)


# SciPy 1.17 fails on a scalar sigma with a jac (it solves with the 0-d
# 1/sigma as if it were a triangular matrix), so that case is not compared.
@pytest.mark.parametrize("sigma", [None, SIGMA_1D, SIGMA_2D], ids=["none", "1-d", "2-d"])
def test_with_jac(sigma):
    ydata = PROBLEMS["decay"][2]
    (popt, pcov, info, mesg, ier), (expected_popt, expected_pcov, expected_info, expected_mesg, expected_ier) = both(
        decay, X, ydata, sigma=sigma, jac=decay_jac, full_output=True
    )
    np.testing.assert_allclose(popt, expected_popt, rtol=POPT_RTOL)
    np.testing.assert_allclose(pcov, expected_pcov, rtol=PCOV_RTOL)
    assert set(info) == set(expected_info)
    np.testing.assert_allclose(info["fvec"], expected_info["fvec"], rtol=1e-6, atol=1e-9)
    assert (mesg, ier) == (expected_mesg, expected_ier)


def test_full_output():
    f, xdata, ydata, p0 = PROBLEMS["gaussian"]
    (_popt, _, info, mesg, ier), (_expected_popt, _, expected_info, expected_mesg, expected_ier) = both(
        f, xdata, ydata, p0=p0, full_output=True
    )
    assert set(info) == set(expected_info)
    np.testing.assert_allclose(info["fvec"], expected_info["fvec"], rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(info["ipvt"], expected_info["ipvt"])
    assert (mesg, ier) == (expected_mesg, expected_ier)


def test_nan_policy_omit():
    ydata = PROBLEMS["decay"][2].copy()
    ydata[[3, 17]] = np.nan
    (popt, pcov), (expected_popt, expected_pcov) = both(decay, X, ydata, sigma=SIGMA_2D, nan_policy="omit")
    np.testing.assert_allclose(popt, expected_popt, rtol=POPT_RTOL)
    np.testing.assert_allclose(pcov, expected_pcov, rtol=PCOV_RTOL)


@pytest.mark.parametrize(
    ("f", "xdata", "ydata"),
    [
        (lambda x, a, b, unused: a * x + b, X, 2 * X + NOISE),
        (lambda x, a, b: a * x + b, [0.0, 1.0], [1.0, 3.0]),
    ],
    ids=["ignored-parameter", "as-many-parameters-as-points"],
)
def test_covariance_could_not_be_estimated(f, xdata, ydata):
    with pytest.warns(pyminpack.OptimizeWarning) as ours:
        popt, pcov = pyminpack.curve_fit(f, xdata, ydata)
    with pytest.warns(optimize.OptimizeWarning) as theirs:
        expected_popt, expected_pcov = optimize.curve_fit(f, xdata, ydata)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    np.testing.assert_allclose(popt, expected_popt, rtol=POPT_RTOL)
    np.testing.assert_array_equal(pcov, expected_pcov)


ERROR_CASES = {
    "no-parameter-count": (lambda x, *p: x, X, X, {}),
    "nan-check-finite": (decay, X, np.where(X > 2, np.nan, X), {}),
    "inf-xdata": (decay, np.where(X > 2, np.inf, X), X, {}),
    "nan-policy-raise": (decay, X, np.where(X > 2, np.nan, X), {"nan_policy": "raise"}),
    "nan-policy-propagate": (decay, X, X, {"nan_policy": "propagate"}),
    "nan-policy-unknown": (decay, X, X, {"nan_policy": "skip"}),
    "empty-ydata": (decay, [], [], {"p0": [1, 1, 1]}),
    "sigma-shape": (decay, X, X, {"sigma": np.ones(3)}),
    "sigma-not-positive-definite": (decay, X, X, {"sigma": -np.eye(X.size)}),
    "args": (decay, X, X, {"args": (1,)}),
    "too-many-parameters": (decay, X[:2], X[:2], {}),
    "maxfev": (decay, X, PROBLEMS["decay"][2], {"maxfev": 2}),
    "improper-input": (decay, X, X, {"factor": -1.0}),
    "jac-not-callable": (decay, X, X, {"jac": "2-point", "method": "lm"}),
}


@pytest.mark.parametrize(("f", "xdata", "ydata", "kwargs"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_errors(f, xdata, ydata, kwargs):
    with pytest.raises(Exception) as expected:
        optimize.curve_fit(f, xdata, ydata, **kwargs)
    with pytest.raises(expected.type) as raised:
        pyminpack.curve_fit(f, xdata, ydata, **kwargs)
    assert str(raised.value) == str(expected.value)


def test_unknown_nan_policy_is_ignored_when_data_are_checked():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (popt, _), (expected_popt, _) = both(decay, X, PROBLEMS["decay"][2], nan_policy="skip", check_finite=True)
    np.testing.assert_allclose(popt, expected_popt, rtol=POPT_RTOL)


@pytest.mark.parametrize("method", ["trf", "dogbox"])
def test_other_methods_raise_value_error(method):
    with pytest.raises(ValueError):
        pyminpack.curve_fit(decay, X, X, method=method)


def test_bounds_with_lm_are_refused_by_scipy_and_fitted_by_pyminpack():
    # SciPy's 'lm' has no bounds; pyminpack transforms the parameters (see test_bounds.py).
    with pytest.raises(ValueError, match="only works for unconstrained problems"):
        optimize.curve_fit(decay, X, X, bounds=(0, np.inf), method="lm")
    y = decay(X, 2.0, 1.5, 0.5) + NOISE  # the optimum is inside the bounds
    popt, _ = pyminpack.curve_fit(decay, X, y, bounds=(0, np.inf), method="lm")
    expected, _ = optimize.curve_fit(decay, X, y, p0=np.ones(3), bounds=(0, np.inf), method="trf")
    np.testing.assert_allclose(popt, expected, rtol=1e-6)
