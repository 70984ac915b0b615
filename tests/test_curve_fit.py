"""pyminpack.curve_fit without SciPy: closed-form answers and SciPy's documented behaviour.

The oracle for results is linear least squares in closed form: for a model
linear in its parameters, ``y = X p``, with data covariance ``C``, the fit is
``p = inv(X.T inv(C) X) X.T inv(C) y`` and its covariance ``inv(X.T inv(C) X)``
(times ``chisq / (M - N)`` unless ``absolute_sigma``).
"""

from __future__ import annotations

import doctest
import functools
import inspect
import warnings

import numpy as np
import pytest

import pyminpack
from pyminpack import OptimizeWarning, curve_fit
from pyminpack._fitting import curve_fit as _curve_fit
from pyminpack._fitting import triangular as _triangular
from pyminpack._fitting.triangular import solve_lower
from pyminpack._solver import warnings as _warnings

# A forward-difference Jacobian of a linear model is exact up to rounding in
# the difference quotient, about sqrt(eps) relative to the residuals' size.
FD_RTOL = 1e-6
# With an analytic Jacobian only the LM convergence test (xtol ~ 1.5e-8) and
# rounding remain.
POPT_RTOL = 1e-7
EXACT_JAC_RTOL = 1e-9

X = np.linspace(0.0, 4.0, 9)
NOISE = np.array([0.12, -0.08, 0.05, -0.11, 0.02, 0.09, -0.04, -0.06, 0.07])
Y = 1.5 * X - 0.7 + NOISE
SIGMA_1D = np.linspace(0.5, 1.5, X.size)
# A positive definite covariance with correlated neighbours.
SIGMA_2D = np.diag(SIGMA_1D**2) + 0.1 * (np.eye(X.size, k=1) + np.eye(X.size, k=-1))
DESIGN = np.column_stack([X, np.ones_like(X)])


def line(x, a, b):
    return a * x + b


def line_jac(x, a, b):
    return np.column_stack([x, np.ones_like(x)])


def closed_form(y, covariance):
    """Return (popt, pcov with absolute sigma, chisq) of the generalised least-squares line."""
    weight = np.linalg.inv(covariance)
    pcov = np.linalg.inv(DESIGN.T @ weight @ DESIGN)
    popt = pcov @ DESIGN.T @ weight @ y
    residual = y - DESIGN @ popt
    return popt, pcov, residual @ weight @ residual


def covariance_of(sigma):
    """The data covariance matrix a ``sigma`` argument stands for."""
    if sigma is None:
        return np.eye(X.size)
    sigma = np.asarray(sigma, dtype=float)
    if sigma.ndim == 2:
        return sigma
    return np.diag(np.broadcast_to(sigma, X.shape) ** 2)


SIGMAS = {
    "none": None,
    "scalar": 0.3,
    "1-d": SIGMA_1D,
    "2-d diagonal": np.diag(SIGMA_1D**2),
    "2-d correlated": SIGMA_2D,
}


@pytest.mark.parametrize("jac", [None, line_jac], ids=["forward-differences", "analytic-jac"])
@pytest.mark.parametrize("absolute_sigma", [False, True], ids=["relative", "absolute"])
@pytest.mark.parametrize("sigma", SIGMAS.values(), ids=SIGMAS.keys())
def test_linear_fit_matches_closed_form(sigma, absolute_sigma, jac):
    popt, pcov = curve_fit(line, X, Y, sigma=sigma, absolute_sigma=absolute_sigma, jac=jac)
    expected_popt, expected_pcov, chisq = closed_form(Y, covariance_of(sigma))
    if not absolute_sigma:
        expected_pcov = expected_pcov * chisq / (X.size - 2)
    rtol = FD_RTOL if jac is None else EXACT_JAC_RTOL
    np.testing.assert_allclose(popt, expected_popt, rtol=POPT_RTOL)
    np.testing.assert_allclose(pcov, expected_pcov, rtol=rtol)


def test_relative_sigma_ignores_a_common_scale():
    _, pcov_one = curve_fit(line, X, Y, sigma=SIGMA_1D)
    _, pcov_ten = curve_fit(line, X, Y, sigma=10 * SIGMA_1D)
    np.testing.assert_allclose(pcov_ten, pcov_one, rtol=FD_RTOL)


def test_absolute_sigma_scales_pcov_by_sigma_squared():
    _, pcov_one = curve_fit(line, X, Y, sigma=SIGMA_1D, absolute_sigma=True)
    _, pcov_ten = curve_fit(line, X, Y, sigma=10 * SIGMA_1D, absolute_sigma=True)
    np.testing.assert_allclose(pcov_ten, 100 * pcov_one, rtol=FD_RTOL)


# --- the starting point ----------------------------------------------------


class Model:
    def line(self, x, a, b):
        return a * x + b


@pytest.mark.parametrize(
    ("model", "n"),
    [
        (line, 2),
        (lambda x, a, b, c: a * x**2 + b * x + c, 3),
        (Model().line, 2),  # a bound method: self is not a parameter
        (lambda x, a, *, scale=1.0: scale * a * x, 1),  # keyword-only arguments are not parameters
    ],
    ids=["function", "lambda", "bound-method", "keyword-only"],
)
def test_p0_is_counted_from_the_signature(model, n):
    popt, pcov = curve_fit(model, X, Y)
    assert popt.shape == (n,)
    assert pcov.shape == (n, n)


def test_p0_defaults_to_ones():
    starts = []

    def recording(x, a, b, c):
        starts.append((a, b, c))
        return a * x**2 + b * x + c

    curve_fit(recording, X, Y)
    assert starts[0] == (1.0, 1.0, 1.0)


@pytest.mark.parametrize(
    "model",
    [lambda x, *params: params[0] * x, lambda x: x, lambda *args: args[0]],
    ids=["varargs", "no-parameters", "only-varargs"],
)
def test_p0_required_when_the_signature_does_not_say(model):
    with pytest.raises(ValueError, match=r"^Unable to determine number of fit parameters\.$"):
        curve_fit(model, X, Y)


def test_p0_given_sets_the_parameter_count():
    popt, _ = curve_fit(lambda x, *params: params[0] * x + params[1], X, Y, p0=[1.0, 0.0])
    np.testing.assert_allclose(popt, closed_form(Y, np.eye(X.size))[0], rtol=POPT_RTOL)


def test_f_is_called_once_at_the_starting_point():
    # leastsq's output check and MINPACK's first evaluation share one call (SciPy gh-13670).
    calls_at_p0 = []

    def counting(x, a, b):
        if (a, b) == (1.0, 1.0):
            calls_at_p0.append(1)
        return line(x, a, b)

    curve_fit(counting, X, Y)
    assert len(calls_at_p0) == 1


@pytest.mark.parametrize("bounds", [(-np.inf, np.inf), ([0.0, -5.0], [5.0, 5.0])], ids=["unbounded", "bounded"])
def test_f_and_jac_are_called_once_at_the_first_point(bounds):
    # The same sharing for jac, and through the bounds' transform.
    points = {"f": [], "jac": []}

    def counting(x, a, b):
        points["f"].append((a, b))
        return line(x, a, b)

    def counting_jac(x, a, b):
        points["jac"].append((a, b))
        return line_jac(x, a, b)

    curve_fit(counting, X, Y, p0=[1.0, 1.0], jac=counting_jac, bounds=bounds)
    assert points["f"].count(points["f"][0]) == 1
    assert points["jac"].count(points["jac"][0]) == 1


# --- xdata and ydata -------------------------------------------------------


def test_xdata_with_k_predictors():
    xdata = np.vstack([X, X**2])
    ydata = 0.5 * xdata[0] + 2.0 * xdata[1] + NOISE
    popt, _ = curve_fit(lambda x, a, b: a * x[0] + b * x[1], xdata, ydata)
    design = xdata.T
    np.testing.assert_allclose(popt, np.linalg.lstsq(design, ydata, rcond=None)[0], rtol=POPT_RTOL)


def test_xdata_that_is_not_array_like_reaches_f_unchanged():
    data = {"x": X}
    received = []

    def model(xdata, a, b):
        received.append(xdata)
        return line(xdata["x"], a, b)

    curve_fit(model, data, Y)
    assert all(item is data for item in received)


def test_xdata_lists_are_converted_to_float_arrays():
    received = []

    def model(xdata, a, b):
        received.append(xdata)
        return line(xdata, a, b)

    curve_fit(model, [0, 1, 2, 3], [1, 3, 5, 7.5])
    assert isinstance(received[0], np.ndarray) and received[0].dtype == np.float64


def test_single_data_point_may_be_broadcast():
    popt, _pcov = curve_fit(lambda x, a: a * x, X, 3.0, absolute_sigma=True)
    np.testing.assert_allclose(popt, [3.0 * X.sum() / (X**2).sum()], rtol=POPT_RTOL)


def test_more_parameters_than_data_points():
    with pytest.raises(
        TypeError, match=r"^The number of func parameters=3 must not exceed the number of data points=2$"
    ):
        curve_fit(lambda x, a, b, c: a + b * x + c * x**2, [0.0, 1.0], [1.0, 2.0])


def test_empty_ydata():
    with pytest.raises(ValueError, match=r"^`ydata` must not be empty!$"):
        curve_fit(line, [], [], p0=[1.0, 1.0])


# --- check_finite and nan_policy -------------------------------------------


def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("where", ["xdata", "ydata"])
def test_check_finite_by_default(where, bad):
    data = {"xdata": X, "ydata": Y, where: with_value({"xdata": X, "ydata": Y}[where], 3, bad)}
    with pytest.raises(ValueError, match=r"^array must not contain infs or NaNs$"):
        curve_fit(line, data["xdata"], data["ydata"])


@pytest.mark.parametrize("where", ["xdata", "ydata"])
def test_nan_policy_raise(where):
    data = {"xdata": X, "ydata": Y, where: with_value({"xdata": X, "ydata": Y}[where], 3, np.nan)}
    with pytest.raises(ValueError, match=r"^The input contains nan values$"):
        curve_fit(line, data["xdata"], data["ydata"], nan_policy="raise")


def test_nan_policy_raise_without_nan_fits():
    popt, _ = curve_fit(line, X, Y, nan_policy="raise")
    np.testing.assert_allclose(popt, closed_form(Y, np.eye(X.size))[0], rtol=POPT_RTOL)


def test_nan_policy_is_ignored_when_check_finite_is_explicit():
    # SciPy checks finiteness first, and then looks at nan_policy no more.
    with pytest.raises(ValueError, match=r"^array must not contain infs or NaNs$"):
        curve_fit(line, X, with_value(Y, 3, np.nan), nan_policy="omit", check_finite=True)


@pytest.mark.parametrize(
    ("nan_policy", "message"),
    [
        ("propagate", r"^`nan_policy='propagate'` is not supported by this function\.$"),
        ("ignore", r"^nan_policy must be one of \{None, 'raise', 'omit'\}$"),
    ],
)
def test_unsupported_nan_policy(nan_policy, message):
    with pytest.raises(ValueError, match=message):
        curve_fit(line, X, Y, nan_policy=nan_policy)


KEEP = np.ones(X.size, dtype=bool)
KEEP[[2, 6]] = False


@pytest.mark.parametrize("sigma", [None, SIGMA_1D, SIGMA_2D], ids=["none", "1-d", "2-d"])
def test_nan_policy_omit_drops_points_and_their_sigma(sigma):
    xdata = with_value(X, 2, np.nan)
    ydata = with_value(Y, 6, np.nan)
    popt, pcov = curve_fit(line, xdata, ydata, sigma=sigma, absolute_sigma=True, nan_policy="omit")
    if sigma is None:
        kept_sigma = None
    elif np.ndim(sigma) == 1:
        kept_sigma = sigma[KEEP]
    else:
        kept_sigma = sigma[np.ix_(KEEP, KEEP)]
    expected_popt, expected_pcov = curve_fit(line, X[KEEP], Y[KEEP], sigma=kept_sigma, absolute_sigma=True)
    np.testing.assert_allclose(popt, expected_popt, rtol=POPT_RTOL)
    np.testing.assert_allclose(pcov, expected_pcov, rtol=FD_RTOL)


def test_nan_policy_omit_drops_columns_of_k_predictors():
    xdata = np.vstack([X, X**2])
    xdata[1, 4] = np.nan
    keep = np.arange(X.size) != 4

    def plane(x, a, b):
        return a * x[0] + b * x[1]

    popt, _ = curve_fit(plane, xdata, Y, nan_policy="omit")
    expected = np.linalg.lstsq(xdata[:, keep].T, Y[keep], rcond=None)[0]
    np.testing.assert_allclose(popt, expected, rtol=POPT_RTOL)


# --- sigma -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sigma",
    [np.ones(X.size - 1), np.ones((X.size, X.size - 1)), np.ones((2, 2, 2))],
    ids=["short", "rectangular", "3-d"],
)
def test_sigma_of_the_wrong_shape(sigma):
    with pytest.raises(ValueError, match=r"^`sigma` has incorrect shape\.$"):
        curve_fit(line, X, Y, sigma=sigma)


def test_sigma_not_positive_definite():
    with pytest.raises(ValueError, match=r"^`sigma` must be positive definite\.$") as info:
        curve_fit(line, X, Y, sigma=-np.eye(X.size))
    assert isinstance(info.value.__cause__, np.linalg.LinAlgError)


def test_infodict_fvec_is_the_whitened_residual():
    popt, _, infodict, _, _ = curve_fit(line, X, Y, sigma=SIGMA_2D, full_output=True)
    lower = np.linalg.cholesky(SIGMA_2D)
    np.testing.assert_allclose(infodict["fvec"], np.linalg.solve(lower, line(X, *popt) - Y), rtol=1e-12, atol=1e-14)


# --- jac -------------------------------------------------------------------


def test_jac_is_called_with_xdata_and_the_parameters():
    received = []

    def jac(x, a, b):
        received.append((x, a, b))
        return line_jac(x, a, b)

    _, _, infodict, _, _ = curve_fit(line, X, Y, jac=jac, full_output=True)
    assert np.array_equal(received[0][0], X)
    assert (received[0][1], received[0][2]) == (1.0, 1.0)
    assert infodict["njev"] >= 1


def test_jac_may_return_nested_lists():
    popt, _ = curve_fit(line, X, Y, sigma=SIGMA_1D, jac=lambda x, a, b: [[xi, 1.0] for xi in x])
    np.testing.assert_allclose(popt, closed_form(Y, covariance_of(SIGMA_1D))[0], rtol=POPT_RTOL)


def test_jac_that_is_not_callable_is_refused_by_leastsq():
    with pytest.raises(TypeError, match="not callable"):
        curve_fit(line, X, Y, jac="2-point")


# --- full_output, kwargs ---------------------------------------------------


@pytest.mark.parametrize("jac", [None, line_jac], ids=["forward-differences", "analytic-jac"])
def test_full_output(jac):
    popt, pcov, infodict, mesg, ier = curve_fit(line, X, Y, jac=jac, full_output=True)
    assert ier in (1, 2, 3, 4)
    assert isinstance(mesg, str) and mesg
    expected_keys = {"nfev", "fvec", "fjac", "ipvt", "qtf"} | ({"njev"} if jac else set())
    assert set(infodict) == expected_keys
    np.testing.assert_allclose(infodict["fvec"], line(X, *popt) - Y, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(curve_fit(line, X, Y, jac=jac)[1], pcov)


def test_kwargs_reach_leastsq():
    *_, mesg, _ = curve_fit(line, X, Y, full_output=True, ftol=0.5, xtol=0.25)
    assert "0.500000" in mesg or "0.250000" in mesg


def test_args_is_not_accepted():
    with pytest.raises(ValueError, match=r"^'args' is not a supported keyword argument\.$"):
        curve_fit(line, X, Y, args=(1,))


def test_failure_to_converge_raises_runtime_error():
    with pytest.raises(
        RuntimeError, match=r"^Optimal parameters not found: Number of calls to function has reached maxfev = 2\.$"
    ):
        curve_fit(lambda x, a, b: a * np.exp(-b * x), X, Y, maxfev=2)


def test_improper_input_raises_runtime_error():
    with pytest.raises(RuntimeError, match=r"^Optimal parameters not found: Improper input parameters\.$"):
        curve_fit(line, X, Y, factor=-1.0)


# --- the covariance could not be estimated ---------------------------------


def test_a_parameter_f_ignores_leaves_the_covariance_undetermined():
    with pytest.warns(OptimizeWarning, match=r"^Covariance of the parameters could not be estimated$"):
        popt, pcov = curve_fit(lambda x, a, b, unused: a * x + b, X, Y)
    np.testing.assert_allclose(popt[:2], closed_form(Y, np.eye(X.size))[0], rtol=POPT_RTOL)
    assert np.all(np.isinf(pcov)) and pcov.shape == (3, 3)


def test_as_many_parameters_as_points_needs_absolute_sigma():
    xdata, ydata = np.array([0.0, 1.0]), np.array([1.0, 3.0])
    with pytest.warns(OptimizeWarning, match=r"^Covariance of the parameters could not be estimated$"):
        _, pcov = curve_fit(line, xdata, ydata)
    assert np.all(np.isinf(pcov))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        popt, pcov = curve_fit(line, xdata, ydata, absolute_sigma=True)
    np.testing.assert_allclose(popt, [2.0, 1.0], rtol=POPT_RTOL)
    # inv(X.T X) for X = [[0, 1], [1, 1]].
    np.testing.assert_allclose(pcov, [[2.0, -1.0], [-1.0, 1.0]], rtol=FD_RTOL)


def test_optimize_warning_is_a_user_warning():
    assert issubclass(OptimizeWarning, UserWarning)


# --- method and bounds -----------------------------------------------------


@pytest.mark.parametrize("method", [None, "lm"])
def test_method_lm(method):
    popt, _ = curve_fit(line, X, Y, method=method)
    np.testing.assert_allclose(popt, closed_form(Y, np.eye(X.size))[0], rtol=POPT_RTOL)


@pytest.mark.parametrize("method", ["trf", "dogbox", "LM", "nelder-mead"])
def test_other_methods_are_refused(method):
    with pytest.raises(ValueError, match=rf"supports only method='lm'.*got method={method!r}"):
        curve_fit(line, X, Y, method=method)


@pytest.mark.parametrize(
    "bounds",
    [(-np.inf, np.inf), ([-np.inf, -np.inf], np.inf), (np.full(2, -np.inf), np.full(2, np.inf))],
    ids=["scalars", "mixed", "arrays"],
)
def test_infinite_bounds_are_no_bounds(bounds):
    popt, _ = curve_fit(line, X, Y, bounds=bounds)
    np.testing.assert_allclose(popt, closed_form(Y, np.eye(X.size))[0], rtol=POPT_RTOL)


# --- the triangular solve and the examples ---------------------------------


@pytest.mark.parametrize("order", [1, 64, 65, 300])
@pytest.mark.parametrize("columns", [None, 3])
def test_solve_lower_matches_a_general_solve(order, columns):
    rng = np.random.default_rng(order)
    lower = np.tril(rng.uniform(-1, 1, (order, order))) + order * np.eye(order)
    rhs = rng.normal(size=order if columns is None else (order, columns))
    garbage_above = lower + np.triu(np.full((order, order), np.nan), k=1)
    solution = solve_lower(garbage_above, rhs)
    assert solution.shape == rhs.shape
    np.testing.assert_allclose(lower @ solution, rhs, rtol=1e-12, atol=1e-12)


def test_public_names():
    assert {"curve_fit", "OptimizeWarning"} <= set(pyminpack.__all__)
    assert pyminpack.curve_fit is curve_fit


@pytest.mark.parametrize("module", [_curve_fit, _triangular, _warnings], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    failures, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0
    assert failures == 0


WARNING_CASES = {
    # a parameter with no effect: the covariance cannot be estimated
    "covariance": ({"f": lambda x, a, b: a + 0.0 * b * x}, "Covariance of the parameters could not be estimated"),
    # the slope (about 2) held below its optimum by an upper bound
    "at a bound": ({"f": lambda x, a, b: a * x + b, "bounds": ([0.0, -5.0], [1.0, 5.0])}, "ended at a bound"),
}


@pytest.mark.parametrize(("arguments", "message"), WARNING_CASES.values(), ids=WARNING_CASES.keys())
def test_warnings_point_at_the_line_that_called_curve_fit(arguments, message):
    x = np.linspace(0.0, 1.0, 10)
    with pytest.warns(OptimizeWarning, match=message) as record:
        curve_fit(xdata=x, ydata=2.0 * x + 1.0, p0=[0.5, 0.5], **arguments)
    assert {warning.filename for warning in record} == {__file__}


def test_check_jac_names_the_problem_and_the_remedy():
    def wrong_slope_jac(x, a, b):
        return np.column_stack([-x, np.ones_like(x)])  # d(a x + b)/da is x

    with pytest.raises(ValueError) as caught:
        curve_fit(line, X, Y, p0=[1.0, 1.0], jac=wrong_slope_jac, check_jac=True)
    message = str(caught.value)
    assert message.startswith("check_jac: the Jacobian `jac` disagrees with the model `f` at p0 (MINPACK chkder): ")
    assert message.endswith(" Rows are data points; fix `jac`, or fit without it.")


def test_a_bounded_fit_solves_with_jac():
    # Through the bounds' transform jac still reaches MINPACK (lmder, which counts njev).
    calls = []

    def counting_jac(x, a, b):
        calls.append((a, b))
        return line_jac(x, a, b)

    popt, _, infodict, _, _ = curve_fit(
        line, X, Y, p0=[1.0, 0.0], bounds=([0.0, -5.0], [5.0, 5.0]), jac=counting_jac, full_output=True
    )
    assert infodict["njev"] >= 1 and len(calls) >= infodict["njev"]
    np.testing.assert_allclose(popt, curve_fit(line, X, Y)[0], rtol=POPT_RTOL)


def test_the_warning_about_parameters_at_bounds_in_full():
    # The slope (about 1.5) held at its upper bound 1, the intercept then at its lower bound 0.5.
    with pytest.warns(OptimizeWarning) as record:
        popt, _ = curve_fit(line, X, Y, bounds=([0.0, 0.5], [1.0, 5.0]))
    np.testing.assert_allclose(popt, [1.0, 0.5], rtol=1e-6)
    assert [str(warning.message) for warning in record] == [
        f"Parameter(s) p[0] = {popt[0]:.8g}, p[1] = {popt[1]:.8g} ended at a bound. The fit is constrained there, "
        "and pcov, a linear approximation that ignores the bounds (and whose transformation has zero slope at a "
        "bound), does not describe their uncertainty: their standard errors and covariances in pcov are unreliable."
    ]


def test_check_jac_without_jac_is_refused_in_full():
    with pytest.raises(ValueError, match=r"^check_jac=True needs an analytic Jacobian `jac` to check\.$"):
        curve_fit(line, X, Y, check_jac=True)


def test_float32_ydata_is_fitted_as_its_float64_copy():
    # SciPy's guard: ydata is cast to float64, so a float32 model's residuals
    # are float64 differences (float32 ones would round them).
    def line32(x, a, b):
        return (a * x + b).astype(np.float32)

    y32 = Y.astype(np.float32)
    popt32, pcov32 = curve_fit(line32, X, y32, jac=line_jac)
    popt, pcov = curve_fit(line32, X, y32.astype(np.float64), jac=line_jac)
    np.testing.assert_array_equal(popt32, popt)
    np.testing.assert_array_equal(pcov32, pcov)


@pytest.mark.parametrize("bounds", [(-np.inf, np.inf), ([0.0, -5.0], [5.0, 5.0])], ids=["unbounded", "bounded"])
def test_a_jac_that_is_not_callable_is_refused_as_scipy_refuses_it(bounds):
    with pytest.raises(TypeError, match=r"^'str' object is not callable$"):
        curve_fit(line, X, Y, p0=[1.0, 1.0], jac="2-point", bounds=bounds)


# -- what mutation testing found unpinned (issue 12) --


@pytest.mark.parametrize("bounds", [None, ([0.0, -5.0], [5.0, 5.0])], ids=["unbounded", "bounded"])
def test_leastsqs_errors_name_the_users_model_and_jacobian(bounds):
    # curve_fit hands leastsq wrappers (weighted, through the bounds' transform): they carry the user's names.
    def nan_model(x, a, b):
        return np.full_like(x, np.nan)

    def nan_jacobian(x, a, b):
        return np.full((x.size, 2), np.nan)

    kwargs = {} if bounds is None else {"bounds": bounds}
    with pytest.raises(ValueError, match=r"^leastsq: the 'func' argument 'nan_model' returned nan or inf "):
        curve_fit(nan_model, X, Y, p0=[1.0, 1.0], **kwargs)
    with pytest.raises(ValueError, match=r"^leastsq: the 'Dfun' argument 'nan_jacobian' returned nan or inf "):
        curve_fit(line, X, Y, p0=[1.0, 1.0], jac=nan_jacobian, **kwargs)


def test_the_parameters_of_a_decorated_model_are_those_it_wraps():
    # functools.wraps sets __wrapped__: the parameters are read from the model, not from the wrapper's *args.
    @functools.wraps(line)
    def logged(*args):
        return line(*args)

    np.testing.assert_array_equal(curve_fit(logged, X, Y)[0], curve_fit(line, X, Y)[0])


def test_the_parameters_of_a_model_with_a_signature_are_its_signatures():
    def model(x, *p):
        return line(x, *p)

    model.__signature__ = inspect.signature(line)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(curve_fit(model, X, Y)[0], curve_fit(line, X, Y)[0])


def test_nan_policy_omit_passes_an_xdata_of_any_type_through_unchanged():
    # Only arrays are searched for nan; anything else is f's business, as without nan_policy.
    def line_of_table(table, a, b):
        return line(table["x"], a, b)

    popt, _ = curve_fit(line_of_table, {"x": X}, Y, nan_policy="omit")
    np.testing.assert_array_equal(popt, curve_fit(line, X, Y)[0])
