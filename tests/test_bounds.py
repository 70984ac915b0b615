"""Bounds in pyminpack.curve_fit: MINUIT's parameter transformation (``_fitting/bounds.py``).

Oracles: closed-form least squares for a straight line (free, or with the
slope held at a bound, where the intercept is the mean of ``y - slope * x``),
the transform's own formulas differentiated numerically, and
``scipy.optimize.curve_fit(method='trf')`` on problems whose optimum is
interior.
"""

from __future__ import annotations

import doctest
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from pyminpack import OptimizeWarning, curve_fit, fit
from pyminpack._fitting import bounds as _bounds
from pyminpack._fitting.bounds import ParameterTransform, parse_bounds
from pyminpack._fitting.curve_fit import solve_curve_fit as _solve_curve_fit

X = np.linspace(0.0, 4.0, 9)
NOISE = np.array([0.12, -0.08, 0.05, -0.11, 0.02, 0.09, -0.04, -0.06, 0.07])
Y = 1.5 * X - 0.7 + NOISE
DESIGN = np.column_stack([X, np.ones_like(X)])
FREE_POPT, *_ = np.linalg.lstsq(DESIGN, Y, rcond=None)  # slope ~1.5, intercept ~-0.7
FREE_PCOV = np.linalg.inv(DESIGN.T @ DESIGN) * np.sum((Y - DESIGN @ FREE_POPT) ** 2) / (X.size - 2)

# The transform changes what MINPACK's xtol (1.5e-8, relative, on the
# internal parameters) measures, so a bounded fit agrees with the closed form
# to a few times xtol rather than to rounding.
POPT_RTOL = 1e-6
# The covariance is mapped back through dp/dq at popt, but MINPACK's R is
# that of the Jacobian at the start of its last iteration, where dp/dq
# differed by the last step (through the curved transform): some 1e-5.
PCOV_RTOL = 1e-4
# At an active bound the internal parameter approaches the transform's
# stationary point, where the fit in q is flat to first order; MINPACK stops
# on xtol with the other parameters still some 1e-6 off (SciPy's trf too).
AT_BOUND_ATOL = 2e-5


def line(x, a, b):
    return a * x + b


def line_jac(x, a, b):
    return np.column_stack([x, np.ones_like(x)])


def fit_quietly(*args, **kwargs):
    """Run curve_fit and return its result and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = curve_fit(*args, **kwargs)
    assert all(issubclass(w.category, OptimizeWarning) for w in caught)
    return result, [str(w.message) for w in caught]


# --- the transformation ----------------------------------------------------

TRANSFORM_CASES = {
    "two-sided": (0.0, 2.0, [0.3, 1.0, 1.9]),
    "lower-only": (-1.0, np.inf, [-0.5, 0.0, 100.0]),
    "upper-only": (-np.inf, 5.0, [-100.0, 4.0, 4.99]),
    "free": (-np.inf, np.inf, [-3.0, 0.0, 7.0]),
}


@pytest.mark.parametrize(("lb", "ub", "values"), TRANSFORM_CASES.values(), ids=TRANSFORM_CASES.keys())
def test_round_trip(lb, ub, values):
    t = ParameterTransform(np.full(3, lb), np.full(3, ub))
    p = np.array(values)
    np.testing.assert_allclose(t.to_external(t.to_internal(p)), p, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("lb", "ub", "values"), TRANSFORM_CASES.values(), ids=TRANSFORM_CASES.keys())
def test_derivative_matches_central_differences(lb, ub, values):
    t = ParameterTransform(np.full(3, lb), np.full(3, ub))
    q = t.to_internal(np.array(values))
    h = 1e-6
    numeric = (t.to_external(q + h) - t.to_external(q - h)) / (2 * h)
    np.testing.assert_allclose(t.derivative(q), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("lb", "ub", "values"), TRANSFORM_CASES.values(), ids=TRANSFORM_CASES.keys())
def test_any_internal_value_lands_within_bounds(lb, ub, values):
    t = ParameterTransform(np.full(7, lb), np.full(7, ub))
    p = t.to_external(np.array([-1e6, -10.0, -1.0, 0.0, 1.0, 10.0, 1e6]))
    assert np.all((lb <= p) & (p <= ub))


def test_the_bound_itself_is_not_overshot_by_rounding():
    # At q = 0 a one-sided transform gives its bound: lb - 1 + sqrt(1) and
    # ub + 1 - sqrt(1), which in floating point miss 0.1 by an ulp, outside.
    t = ParameterTransform(np.array([0.1, -np.inf]), np.array([np.inf, 0.1]))
    assert t.to_external(np.zeros(2)).tolist() == [0.1, 0.1]


def test_at_a_bound_means_within_a_millionth_of_the_scale_inclusive():
    # The scale: ub - lb between two bounds, max(1, |bound|) for one.
    t = ParameterTransform(
        np.array([0.0, -np.inf, 1000.0, -np.inf, 2.0]), np.array([np.inf, 0.0, np.inf, -1000.0, 4.0])
    )
    tol = _bounds.AT_BOUND_RTOL * np.array([1.0, 1.0, 1000.0, 1000.0, 2.0])
    near = np.array([0.0, 0.0, 1000.0, -1000.0, 4.0]) + np.array([1, -1, 0.5, -0.5, -0.5]) * tol
    assert t.at_bound(near).tolist() == [0, 1, 2, 3, 4]  # the first two exactly at the tolerance
    far = np.array([0.0, 0.0, 1000.0, -1000.0, 4.0]) + np.array([2, -2, 2, -2, -2]) * tol
    assert t.at_bound(far).tolist() == []


def test_a_start_on_a_bound_moves_inside_by_a_hundredth_of_the_tolerance():
    t = ParameterTransform(np.array([1000.0, 2.0]), np.array([np.inf, 4.0]))
    moved = t.to_external(t.to_internal(np.array([1000.0, 4.0])))
    step = _bounds.AT_BOUND_RTOL / 100 * np.array([1000.0, 2.0])
    np.testing.assert_allclose(moved, [1000.0 + step[0], 4.0 - step[1]], rtol=1e-13)


def test_start_on_a_bound_is_moved_inside_to_where_the_slope_is_not_zero():
    t = ParameterTransform(np.array([0.0, 1.0, -np.inf]), np.array([2.0, np.inf, 3.0]))
    q = t.to_internal(np.array([0.0, 1.0, 3.0]))
    assert np.all(t.derivative(q) != 0)
    np.testing.assert_allclose(t.to_external(q), [0.0, 1.0, 3.0], atol=1e-7)


def test_default_start_is_scipys():
    t = ParameterTransform(np.array([0.0, 1.0, -np.inf, -np.inf]), np.array([4.0, np.inf, 3.0, np.inf]))
    np.testing.assert_array_equal(t.default_start(), [2.0, 2.0, 2.0, 1.0])


def test_covariance_maps_back_with_the_transform_jacobian():
    t = ParameterTransform(np.array([0.0, 1.0]), np.array([2.0, np.inf]))
    q = np.array([0.4, 2.0])
    cov_q = np.array([[2.0, 0.5], [0.5, 1.0]])
    d = np.diag(t.derivative(q))
    np.testing.assert_allclose(t.covariance_to_external(cov_q, q), d @ cov_q @ d, rtol=1e-15)


# --- parsing bounds --------------------------------------------------------


@pytest.mark.parametrize(
    "bounds",
    [(-np.inf, np.inf), (np.full(2, -np.inf), np.inf), (-np.inf, np.full(2, np.inf)), (np.float64(-np.inf), np.inf)],
    ids=["default", "array lb", "array ub", "numpy scalar"],
)
def test_infinite_bounds_in_any_form_are_no_bounds(bounds):
    lb, ub = parse_bounds(bounds, 2)
    assert lb.tolist() == [-np.inf, -np.inf] and ub.tolist() == [np.inf, np.inf]
    np.testing.assert_array_equal(curve_fit(line, X, Y, bounds=bounds)[0], curve_fit(line, X, Y)[0])


@pytest.mark.parametrize(
    "bounds",
    [(0.0, 10.0), ([0.0, 0.0], 10.0), (np.zeros(2), np.full(2, 10.0)), SimpleNamespace(lb=0.0, ub=[10.0, 10.0])],
    ids=["scalars", "mixed", "arrays", "object-with-lb-ub"],
)
def test_bounds_forms_are_equivalent(bounds):
    lb, ub = parse_bounds(bounds, 2)
    np.testing.assert_array_equal(lb, [0.0, 0.0])
    np.testing.assert_array_equal(ub, [10.0, 10.0])


def test_scipy_bounds_object_is_accepted():
    optimize = pytest.importorskip("scipy.optimize")
    popt, _ = curve_fit(line, X, Y, bounds=optimize.Bounds([0.0, -5.0], [10.0, 5.0]))
    np.testing.assert_allclose(popt, FREE_POPT, rtol=POPT_RTOL)


ORDER = "Each lower bound must be strictly less than each upper bound; "
NOT_A_PAIR = r"^`bounds` must be a 2-tuple \(lb, ub\) or have attributes lb and ub\.$"


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        ((0.0, [1.0, 0.0]), rf"^{ORDER}parameter 1 has lower bound 0 >= upper bound 0\.$"),
        (([0.0, 3.0], [1.0, 2.0]), rf"^{ORDER}parameter 1 has lower bound 3 >= upper bound 2\.$"),
        ((np.inf, np.inf), rf"^{ORDER}parameter 0 has lower bound inf >= upper bound inf\.$"),
        (([0.0, 0.0, 0.0], 1.0), r"lower bounds must be a scalar or have one entry per parameter \(N=2\)"),
        ((0.0, [1.0, np.nan]), r"upper bounds must not be nan"),
        ((0.0,), NOT_A_PAIR),
        ((-np.inf, np.inf, 0.0), NOT_A_PAIR),
        (SimpleNamespace(lb=0.0), NOT_A_PAIR),
        ((np.nan, 1.0), r"lower bounds must not be nan"),
        ((None, 1.0), r"lower bounds must not be nan"),  # None as numpy reads it: nan (use -np.inf)
    ],
    ids=[
        "equal",
        "crossed",
        "both inf",
        "wrong-length",
        "nan",
        "one",
        "three",
        "lb only",
        "scalar nan",
        "None",
    ],
)
def test_bad_bounds_raise_value_error(bounds, match):
    with pytest.raises(ValueError, match=match):
        curve_fit(line, X, Y, p0=[0.5, 0.5], bounds=bounds)


@pytest.mark.parametrize(("bounds", "p0"), [((0.0, np.inf), [0.5, 0.5]), ((-np.inf, -1.0), [-2.0, -2.0])])
def test_one_sided_bounds_as_a_tuple_of_floats_are_bounds(bounds, p0):
    # Such a tuple looks like the default (-inf, inf) at a glance; only the
    # default means no bounds. The unbounded intercept, -1.69, is outside both.
    (popt, _), _ = fit_quietly(line, X, Y - 1.0, p0=p0, bounds=bounds)
    assert np.all(popt >= bounds[0]) and np.all(popt <= bounds[1])


@pytest.mark.parametrize(
    ("p0", "match"),
    [([5.0, 0.0], r"p0\[0\] = 5 is outside its bounds \[-1, 2\]"), ([1.0, -3.0], r"p0\[1\] = -3 is outside")],
)
def test_start_outside_bounds_raises_value_error_naming_the_parameter(p0, match):
    with pytest.raises(ValueError, match=match):
        curve_fit(line, X, Y, p0=p0, bounds=([-1.0, -2.0], [2.0, 2.0]))


# --- fits ------------------------------------------------------------------

INTERIOR_BOUNDS = {
    "two-sided": ([0.0, -5.0], [10.0, 5.0]),
    "scalar": (-10.0, 10.0),
    "lower-only": ([1.0, -1.0], np.inf),
    "upper-only": (-np.inf, [2.0, 0.0]),
    "one-parameter": ([-np.inf, -1.0], [np.inf, 0.0]),
}


@pytest.mark.parametrize("jac", [None, line_jac], ids=["no-jac", "jac"])
@pytest.mark.parametrize("bounds", INTERIOR_BOUNDS.values(), ids=INTERIOR_BOUNDS.keys())
def test_interior_optimum_is_the_unbounded_one(bounds, jac):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        popt, pcov = curve_fit(line, X, Y, p0=[1.0, -0.5], bounds=bounds, jac=jac)
    np.testing.assert_allclose(popt, FREE_POPT, rtol=POPT_RTOL)
    np.testing.assert_allclose(pcov, FREE_PCOV, rtol=PCOV_RTOL)


@pytest.mark.parametrize("method", [None, "lm"])
def test_bounds_are_accepted_with_method_lm(method):
    popt, _ = curve_fit(line, X, Y, bounds=(-10.0, 10.0), method=method)
    np.testing.assert_allclose(popt, FREE_POPT, rtol=POPT_RTOL)


def test_other_methods_are_refused_with_bounds_too():
    with pytest.raises(ValueError, match=r"supports only method='lm'.*got method='trf'"):
        curve_fit(line, X, Y, bounds=(-10.0, 10.0), method="trf")


def test_default_start_with_bounds_fits():
    popt, _ = curve_fit(line, X, Y, bounds=([0.0, -5.0], [3.0, 5.0]))  # starts at (1.5, 0)
    np.testing.assert_allclose(popt, FREE_POPT, rtol=POPT_RTOL)


def test_start_on_a_bound_still_reaches_an_interior_optimum():
    popt, _ = curve_fit(line, X, Y, p0=[0.0, 0.0], bounds=([0.0, -5.0], [3.0, 0.0]))
    np.testing.assert_allclose(popt, FREE_POPT, rtol=POPT_RTOL)


# -- the evaluation limit: maxfev, or max_nfev as SciPy's bounded fit names it --

TWO_SIDED = ([0.0, -5.0], [3.0, 5.0])


@pytest.mark.parametrize("jac", [None, line_jac], ids=["no-jac", "jac"])
@pytest.mark.parametrize("limit", [None, 1, 3, 1000])
def test_max_nfev_is_maxfev_with_bounds(limit, jac):
    # The same MINPACK limit, so the same solve: identical results, whether
    # the limit stops the fit (1, the smallest, or 3) or not.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        by_max_nfev = _solve_curve_fit(line, X, Y, p0=[1.0, 0.0], bounds=TWO_SIDED, jac=jac, max_nfev=limit)
        by_maxfev = _solve_curve_fit(line, X, Y, p0=[1.0, 0.0], bounds=TWO_SIDED, jac=jac, maxfev=limit or 0)
    np.testing.assert_array_equal(by_max_nfev[0], by_maxfev[0])
    assert by_max_nfev[2]["nfev"] == by_maxfev[2]["nfev"]
    assert (by_max_nfev.mesg, by_max_nfev.ier) == (by_maxfev.mesg, by_maxfev.ier)
    if limit in (1, 3):
        assert by_max_nfev[4] == 5  # "Number of calls to function has reached maxfev = 3."
    else:
        assert by_max_nfev[4] in (1, 2, 3, 4)


def test_scipys_maxfev_and_bounds_test_passes():
    # SciPy's TestCurveFit.test_maxfev_and_bounds (scipy#6340), verbatim but for the import.
    x = np.arange(0, 10)
    y = 2 * x
    popt1, _ = curve_fit(lambda x, p: p * x, x, y, bounds=(0, 3), maxfev=100)
    popt2, _ = curve_fit(lambda x, p: p * x, x, y, bounds=(0, 3), max_nfev=100)
    np.testing.assert_allclose(popt1, 2, atol=1e-14)
    np.testing.assert_allclose(popt2, 2, atol=1e-14)


def test_max_nfev_that_stops_the_fit_raises_like_maxfev():
    with pytest.raises(
        RuntimeError, match=r"^Optimal parameters not found: Number of calls to function has reached maxfev = 3\.$"
    ):
        curve_fit(line, X, Y, p0=[1.0, 0.0], bounds=TWO_SIDED, max_nfev=3)


def test_maxfev_and_max_nfev_together_are_refused():
    with pytest.raises(
        TypeError, match=r"^curve_fit: maxfev and max_nfev are two names of one evaluation limit; give only one\.$"
    ):
        curve_fit(line, X, Y, bounds=TWO_SIDED, maxfev=100, max_nfev=100)


@pytest.mark.parametrize(
    ("max_nfev", "error"), [(0, ValueError), (-1, ValueError), (2.5, TypeError), ("100", TypeError)]
)
def test_max_nfev_must_be_none_or_a_positive_integer(max_nfev, error):
    with pytest.raises(error, match=r"^`max_nfev` must be None or positive integer"):
        curve_fit(line, X, Y, bounds=TWO_SIDED, max_nfev=max_nfev)


def test_max_nfev_without_bounds_is_refused_as_by_scipys_leastsq():
    # Unbounded, SciPy's curve_fit hands its keywords to leastsq, which has no max_nfev: Python's own
    # TypeError, which from CPython 3.13 on suggests the keyword meant.
    with pytest.raises(
        TypeError, match=r"^leastsq\(\) got an unexpected keyword argument 'max_nfev'(\. Did you mean 'maxfev'\?)?$"
    ):
        curve_fit(line, X, Y, max_nfev=100)


def test_fit_takes_max_nfev_with_bounds():
    result = fit(line, X, Y, p0=[1.0, 0.0], bounds=TWO_SIDED, max_nfev=3)
    assert not result.success and result.message == "Number of calls to function has reached maxfev = 3."


def test_max_nfev_errors_are_scipys():
    optimize = pytest.importorskip("scipy.optimize")
    for library in (optimize.curve_fit, curve_fit):
        with pytest.raises(TypeError, match="max_nfev"):
            library(line, X, Y, max_nfev=100)
        with pytest.raises(TypeError):
            library(line, X, Y, bounds=TWO_SIDED, maxfev=100, max_nfev=100)
        with pytest.raises(ValueError, match=r"^`max_nfev` must be None or positive integer\.$"):
            library(line, X, Y, bounds=TWO_SIDED, max_nfev=0)


# The free slope is about 1.5; these bounds keep it away from there.
ACTIVE_SLOPE_BOUNDS = {
    "upper-two-sided": (([0.0, -5.0], [1.2, 5.0]), 1.2, [1.0, 0.0]),
    "upper-only": (([-np.inf, -np.inf], [1.2, np.inf]), 1.2, [1.0, 0.0]),
    "lower-two-sided": (([1.8, -5.0], [3.0, 5.0]), 1.8, [2.0, 0.0]),
    "lower-only": (([1.8, -np.inf], np.inf), 1.8, [2.0, 0.0]),
}


@pytest.mark.parametrize("jac", [None, line_jac], ids=["no-jac", "jac"])
@pytest.mark.parametrize(("bounds", "slope", "p0"), ACTIVE_SLOPE_BOUNDS.values(), ids=ACTIVE_SLOPE_BOUNDS.keys())
def test_optimum_outside_bounds_stops_at_the_bound_and_warns(bounds, slope, p0, jac):
    (popt, _), messages = fit_quietly(line, X, Y, p0=p0, bounds=bounds, jac=jac)
    # With the slope held at its bound the intercept is the mean of what is left.
    np.testing.assert_allclose(popt, [slope, np.mean(Y - slope * X)], atol=AT_BOUND_ATOL)
    at_bound = [m for m in messages if "ended at a bound" in m]
    assert len(at_bound) == 1
    assert f"p[0] = {slope:g}" in at_bound[0]
    assert "p[1]" not in at_bound[0]
    assert "unreliable" in at_bound[0]


def test_optimum_on_the_bound_warns():
    bound = FREE_POPT[0]  # the unbounded optimum sits exactly on the bound
    (popt, _), messages = fit_quietly(line, X, Y, p0=[1.0, 0.0], bounds=([-np.inf, -np.inf], [bound, np.inf]))
    np.testing.assert_allclose(popt, FREE_POPT, atol=AT_BOUND_ATOL)
    assert any("p[0]" in m and "ended at a bound" in m for m in messages)


def test_bounded_jacobian_uses_the_chain_rule():
    """With and without an analytic Jacobian the bounded fit reaches the same point."""
    bounds = ([1.8, -5.0], [3.0, 5.0])
    (with_jac, _), _ = fit_quietly(line, X, Y, p0=[2.0, 0.0], bounds=bounds, jac=line_jac, full_output=False)
    (without, _), _ = fit_quietly(line, X, Y, p0=[2.0, 0.0], bounds=bounds)
    np.testing.assert_allclose(with_jac, without, rtol=POPT_RTOL)


# --- SciPy's bounded curve_fit (method 'trf') as the oracle ----------------


def decay(x, a, k, c):
    return a * np.exp(-k * x) + c


def decay_jac(x, a, k, c):
    e = np.exp(-k * x)
    return np.column_stack([e, -a * x * e, np.ones_like(x)])


T = np.linspace(0.0, 5.0, 30)
DECAY_Y = decay(T, 2.5, 1.3, 0.4) + 0.02 * np.sin(7.0 * T)

SCIPY_CASES = {
    "two-sided": ([0.0, 0.0, -1.0], [5.0, 3.0, 1.0]),
    "lower-only": (0.0, np.inf),
    "upper-only": (-np.inf, [10.0, 10.0, 10.0]),
    "mixed": ([0.0, -np.inf, -1.0], [np.inf, 2.0, 1.0]),
}


@pytest.mark.parametrize("jac", [None, decay_jac], ids=["no-jac", "jac"])
@pytest.mark.parametrize("bounds", SCIPY_CASES.values(), ids=SCIPY_CASES.keys())
def test_interior_optimum_agrees_with_scipy_trf(bounds, jac):
    optimize = pytest.importorskip("scipy.optimize")
    p0 = [1.0, 1.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        popt, pcov = curve_fit(decay, T, DECAY_Y, p0=p0, bounds=bounds, jac=jac)
        expected_popt, expected_pcov = optimize.curve_fit(
            decay, T, DECAY_Y, p0=p0, bounds=bounds, jac=jac, method="trf", xtol=1e-12, ftol=1e-12
        )
    np.testing.assert_allclose(popt, expected_popt, rtol=POPT_RTOL)
    # trf's covariance comes from its own final Jacobian (an SVD): a
    # forward-difference one agrees to about sqrt(eps).
    np.testing.assert_allclose(pcov, expected_pcov, rtol=1e-4)


def test_module_doctests():
    assert doctest.testmod(_bounds, raise_on_error=False).failed == 0


# -- the non-finite guard's errors show the user's parameters -----------------


def _decay_finite_below(limit):
    """a*exp(-b*x), nan wherever b >= limit."""

    def decay(x, a, b):
        return a * np.exp(-b * x) if b < limit else np.full_like(x, np.nan)

    return decay


def test_nan_at_the_start_of_a_bounded_fit_names_p0_not_the_internal_parameters():
    x = np.linspace(0.0, 1.0, 10)
    with pytest.raises(ValueError, match=r"at the checking call \(at the starting point\), x = ") as caught:
        curve_fit(_decay_finite_below(5.0), x, 2.0 * np.exp(-x), p0=[1.0, 6.0], bounds=([0.0, 0.0], [10.0, 10.0]))
    np.testing.assert_allclose(caught.value.x, [1.0, 6.0], rtol=1e-15)  # p0, through the transform and back
    assert f"x = {np.array2string(caught.value.x, precision=17, separator=', ')}." in str(caught.value)


def test_a_refused_convergence_of_a_bounded_fit_names_the_users_parameters():
    """The fit wants b = 5 but the model is nan from b = 4: MINPACK's steps shrink on nan trials alone."""
    x = np.linspace(0.0, 1.0, 10)
    with pytest.raises(ValueError, match="every trial point MINPACK tried after its last finite one") as caught:
        curve_fit(_decay_finite_below(4.0), x, 2.0 * np.exp(-5.0 * x), p0=[2.0, 3.9], bounds=([0.0, 0.0], [10.0, 10.0]))
    b = caught.value.x[1]
    assert 3.99 < b < 4.0  # the model's b, not its internal variable
    assert f"all from x = {np.array2string(caught.value.x, precision=17, separator=', ')}." in str(caught.value)
