"""``pyminpack.fit`` and its ``FitResult``.

Oracles: for models linear in the parameters, the closed-form (weighted)
linear least-squares solution from ``numpy.linalg.lstsq``, with covariance
``s**2 inv(X.T X)``; for nonlinear ones, ``scipy.optimize.curve_fit``; the
statistics from lmfit's definitions written out here.
"""

import dataclasses
import math

import numpy as np
import pytest

from pyminpack import FitResult, OptimizeWarning, fit, leastsq

RNG = np.random.default_rng(12345)
X = np.linspace(-2.0, 3.0, 25)
Y_LINE = 1.7 * X - 0.4 + RNG.normal(0.0, 0.3, X.size)
SIGMA = np.linspace(0.2, 0.6, X.size)


def line(x, slope, intercept):
    return slope * x + intercept


def parabola(x, a, b, c):
    return a * x**2 + b * x + c


def decay(x, amplitude, rate, offset):
    return amplitude * np.exp(-rate * x) + offset


def linear_oracle(design, y, sigma=None, absolute_sigma=False):
    """Weighted linear least squares: values, covariance, chi-square."""
    weights = np.ones_like(y) if sigma is None else 1.0 / sigma
    a = design * weights[:, None]
    b = y * weights
    values = np.linalg.lstsq(a, b, rcond=None)[0]
    chisqr = float(np.sum((b - a @ values) ** 2))
    covariance = np.linalg.inv(a.T @ a)
    if not absolute_sigma:
        covariance *= chisqr / (y.size - values.size)
    return values, covariance, chisqr


LINEAR_CASES = {
    "line": (line, np.column_stack([X, np.ones_like(X)]), None, False),
    "line, sigma": (line, np.column_stack([X, np.ones_like(X)]), SIGMA, False),
    "line, absolute sigma": (line, np.column_stack([X, np.ones_like(X)]), SIGMA, True),
    "parabola": (parabola, np.column_stack([X**2, X, np.ones_like(X)]), None, False),
}


@pytest.mark.parametrize("case", LINEAR_CASES)
def test_linear_model_matches_closed_form(case):
    model, design, sigma, absolute_sigma = LINEAR_CASES[case]
    values, covariance, chisqr = linear_oracle(design, Y_LINE, sigma, absolute_sigma)
    result = fit(model, X, Y_LINE, sigma=sigma, absolute_sigma=absolute_sigma)
    assert result.success
    # MINPACK stops when the relative step is below xtol = 1.49e-8: the values
    # agree to a few xtol; chi-square, quadratic about its minimum, to its square.
    np.testing.assert_allclose(result.values, values, rtol=1e-7)
    # The covariance comes from lmdif's forward-difference Jacobian, good to
    # about sqrt(machine epsilon) = 1.5e-8, amplified by the conditioning.
    np.testing.assert_allclose(result.covariance, covariance, rtol=1e-6)
    np.testing.assert_allclose(result.stderr, np.sqrt(np.diag(covariance)), rtol=1e-6)
    assert result.chisqr == pytest.approx(chisqr, rel=1e-12)


@pytest.mark.parametrize("case", LINEAR_CASES)
def test_statistics_follow_lmfit_definitions(case):
    model, design, sigma, absolute_sigma = LINEAR_CASES[case]
    values, covariance, chisqr = linear_oracle(design, Y_LINE, sigma, absolute_sigma)
    result = fit(model, X, Y_LINE, sigma=sigma, absolute_sigma=absolute_sigma)
    n, k = X.size, values.size
    assert (result.ndata, result.nvarys, result.nfree) == (n, k, n - k)
    assert result.redchi == pytest.approx(chisqr / (n - k), rel=1e-12)
    assert result.aic == pytest.approx(n * math.log(chisqr / n) + 2 * k, rel=1e-12)
    assert result.bic == pytest.approx(n * math.log(chisqr / n) + math.log(n) * k, rel=1e-12)
    residuals = Y_LINE - design @ values
    # The values are known to a few xtol (see above); so are the residuals, on the scale of y.
    np.testing.assert_allclose(result.residuals, residuals, atol=1e-7 * np.abs(Y_LINE).max())
    r_squared = 1 - np.sum(residuals**2) / np.sum((Y_LINE - Y_LINE.mean()) ** 2)
    assert result.r_squared == pytest.approx(r_squared, rel=1e-9)
    expected_correlation = covariance / np.sqrt(np.outer(np.diag(covariance), np.diag(covariance)))
    np.testing.assert_allclose(result.correlation, expected_correlation, rtol=1e-6)


def test_nonlinear_fit_matches_scipy_curve_fit():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    x = np.linspace(0.0, 5.0, 50)
    y = decay(x, 2.0, 1.5, 0.5) + np.random.default_rng(1).normal(0.0, 0.2, x.size)
    popt, pcov, infodict, mesg, ier = scipy_optimize.curve_fit(decay, x, y, p0=[1.0, 1.0, 1.0], full_output=True)
    result = fit(decay, x, y, p0=[1.0, 1.0, 1.0])
    # SciPy >= 1.15 runs a C translation of MINPACK: agreement to tolerance, not bits.
    np.testing.assert_allclose(result.values, popt, rtol=1e-7)
    np.testing.assert_allclose(result.covariance, pcov, rtol=1e-6)
    assert result.chisqr == pytest.approx(np.sum(infodict["fvec"] ** 2), rel=1e-10)
    assert (result.success, result.ier, result.message) == (True, ier, mesg)


def test_parameters_are_named_by_the_signature():
    result = fit(decay, X, decay(X, 2.0, 0.5, 1.0), p0=[1.0, 1.0, 0.0])
    assert result.names == ("amplitude", "rate", "offset")
    assert dict(result.params) == pytest.approx({"amplitude": 2.0, "rate": 0.5, "offset": 1.0}, rel=1e-8)
    assert list(result.params) == list(result.names)
    np.testing.assert_array_equal(result.values, list(result.params.values()))


def test_parameters_without_names_are_p0_p1():
    result = fit(lambda x, *p: p[0] * x + p[1], X, Y_LINE, p0=[1.0, 0.0])
    assert result.names == ("p0", "p1")


def test_init_values_are_where_the_fit_started():
    started = []

    def recording_line(x, slope, intercept):
        started.append((slope, intercept))
        return line(x, slope, intercept)

    assert tuple(fit(recording_line, X, Y_LINE, p0=[3.0, -1.0]).init_values) == (
        3.0,
        -1.0,
    )
    # Without p0 and with bounds, curve_fit chooses the start: the first evaluation.
    started.clear()
    result = fit(recording_line, X, Y_LINE, bounds=([0.0, -5.0], [10.0, 5.0]))
    assert tuple(result.init_values) == started[0]


def test_non_convergence_gives_a_failed_result_with_scipys_message():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    x = np.linspace(0.0, 5.0, 50)
    y = decay(x, 2.0, 1.5, 0.5)
    with pytest.raises(RuntimeError) as scipy_error:
        scipy_optimize.curve_fit(decay, x, y, p0=[1.0, 1.0, 1.0], maxfev=8)
    result = fit(decay, x, y, p0=[1.0, 1.0, 1.0], maxfev=8)
    assert not result.success
    assert "Optimal parameters not found: " + result.message == str(scipy_error.value)
    assert result.ier == 5
    assert np.all(np.isnan(result.covariance)) and np.all(np.isnan(result.stderr))
    assert result.chisqr == pytest.approx(np.sum(result.residuals**2), rel=1e-12)


def test_a_failed_fit_reports_where_minpack_stopped():
    x = np.linspace(0.0, 5.0, 50)
    y = decay(x, 2.0, 1.5, 0.5)
    result = fit(decay, x, y, p0=[1.0, 1.0, 1.0], maxfev=8)
    # leastsq on the same residuals is MINPACK's own verdict: its x, fvec and nfev.
    x_minpack, _, infodict, mesg, ier = leastsq(lambda p: decay(x, *p) - y, [1.0, 1.0, 1.0], maxfev=8, full_output=True)
    assert (result.success, result.ier, result.message, result.nfev) == (False, ier, mesg, infodict["nfev"])
    np.testing.assert_array_equal(result.values, x_minpack)
    assert result.chisqr == np.sum(infodict["fvec"] ** 2)


def test_covariance_that_cannot_be_estimated_warns_and_gives_inf_stderr():
    with pytest.warns(OptimizeWarning, match="Covariance of the parameters could not be estimated"):
        result = fit(line, [0.0, 1.0], [1.0, 3.0])
    assert result.success
    assert np.all(np.isinf(result.stderr))
    assert np.all(np.isnan(result.correlation))
    assert math.isnan(result.redchi)


def test_errors_of_the_model_propagate():
    def broken(x, a):
        raise ZeroDivisionError("model bug")

    with pytest.raises(ZeroDivisionError, match="model bug"):
        fit(broken, X, Y_LINE)


@pytest.mark.parametrize("keyword", ["full_output", "nan_policy"])
def test_keywords_fit_sets_itself_are_refused(keyword):
    with pytest.raises(ValueError, match=keyword):
        fit(line, X, Y_LINE, **{keyword: True})


def test_invalid_input_raises_as_curve_fit_does():
    with pytest.raises(ValueError, match="array must not contain infs or NaNs"):
        fit(line, X, np.where(X > 0, np.nan, Y_LINE))


def test_result_is_frozen_and_its_arrays_read_only():
    result = fit(line, list(X), list(Y_LINE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.values = np.zeros(2)
    for array in (
        result.values,
        result.covariance,
        result.ydata,
        result.init_values,
        result.xdata,
    ):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0.0
    with pytest.raises(TypeError):
        result.params["slope"] = 0.0
    assert isinstance(result.xdata, np.ndarray)  # converted as curve_fit converts a list


def test_to_dict_holds_plain_values():
    result = fit(line, X, Y_LINE)
    data = result.to_dict()
    assert data["params"] == dict(result.params)
    assert data["stderr"] == dict(zip(result.names, result.stderr.tolist(), strict=False))
    assert data["covariance"] == result.covariance.tolist()
    assert data["statistics"]["chisqr"] == result.chisqr
    assert (data["model"], data["success"], data["ier"]) == ("line", True, result.ier)
    assert isinstance(result, FitResult)
