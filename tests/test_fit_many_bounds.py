"""fit_many's bounds, fixed parameters and per-curve x.

The oracle, as in test_fit_many.py, is leastsq on one curve with a Python
callback computing the same residuals operation for operation: here on the
internal parameters of the bounds' transform (through the C twin of the
transform, ``_native.bounded_transform``, which test_c_transform_is_curve_fits
pins to ``ParameterTransform``), on the fitted parameters only.
"""

from __future__ import annotations

import native_functions as nf
import numpy as np
import pytest

from pyminpack import _native, builtin_models, curve_fit, fit_many, leastsq
from pyminpack._fitting.bounds import ParameterTransform

pytestmark = pytest.mark.skipif(nf.compiler() is None, reason="needs a C compiler (cc) to build the test functions")

INF = np.inf


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    return nf.build(tmp_path_factory.mktemp("native_many_bounds"))


def test_c_transform_is_curve_fits():
    # Every kind of bound, at q from tiny to huge (sin and sqrt of libm and
    # numpy may differ in the last bit: agreement to rounding).
    q = np.concatenate([[0.0, -0.0, 1e-300, -3.0, 0.5, 1e8, -1e8, 1e150], np.linspace(-7.0, 7.0, 57)])
    for lb, ub in [(-2.0, 3.0), (1e-3, 1e3), (5.0, INF), (-INF, -4.0), (-INF, INF)]:
        lbs, ubs = np.full(q.size, lb), np.full(q.size, ub)
        p, d = _native.bounded_transform(q, lbs, ubs)
        transform = ParameterTransform(lbs, ubs)
        scale = max(1.0, abs(lb) if np.isfinite(lb) else 0.0, abs(ub) if np.isfinite(ub) else 0.0)
        np.testing.assert_allclose(p, transform.to_external(q), rtol=4e-16, atol=4e-16 * scale)
        np.testing.assert_allclose(d, transform.derivative(q), rtol=4e-16, atol=4e-16 * scale)
        assert ((p >= lb) & (p <= ub)).all()
    p, d = _native.bounded_transform(np.array([np.nan]), np.array([0.0]), np.array([1.0]))
    assert np.isnan(p).all() and np.isnan(d).all()  # as np.clip: nan stays nan


def oracle(x, y, p0, lb=None, ub=None, fitted=None, sigma=None, jacobian=False, **kwargs):
    """leastsq on one curve's internal, fitted parameters; returns (p, ier, nfev, chisqr, stderr)."""
    n = len(p0)
    fitted = np.arange(n) if fitted is None else np.asarray(fitted)
    lb = np.full(n, -INF) if lb is None else np.asarray(lb, float)
    ub = np.full(n, INF) if ub is None else np.asarray(ub, float)
    w = None if sigma is None else 1.0 / sigma
    q0 = ParameterTransform(lb, ub).to_internal(np.asarray(p0, float))[fitted]

    def external(q):
        p = np.array(p0, float)
        p[fitted] = _native.bounded_transform(np.ascontiguousarray(q), lb[fitted], ub[fitted])[0]
        return p

    def func(q):
        r = nf.rational_residuals(external(q), x, y)
        return r if w is None else r * w

    def dfun(q):
        J = nf.rational_jacobian(external(q), x, None)[:, fitted]
        J = J if w is None else J * w[:, None]
        return J * _native.bounded_transform(np.ascontiguousarray(q), lb[fitted], ub[fitted])[1]

    q, cov, info, _mesg, ier = leastsq(func, q0, Dfun=dfun if jacobian else None, full_output=True, **kwargs)
    chisqr = np.sum(info["fvec"] ** 2)
    stderr = np.zeros(n)
    slope = _native.bounded_transform(np.ascontiguousarray(q), lb[fitted], ub[fitted])[1]
    stderr[fitted] = np.sqrt(np.diag(cov) * chisqr / (len(x) - len(fitted))) * np.abs(slope)
    return external(q), ier, info["nfev"], chisqr, stderr


def assert_fit_is(fits, k, expected):
    p, ier, nfev, chisqr, stderr = expected
    np.testing.assert_array_equal(fits.params[k], p)
    assert (fits.ier[k], fits.nfev[k]) == (ier, nfev)
    assert fits.chisqr[k] == pytest.approx(chisqr, rel=1e-14)
    np.testing.assert_allclose(fits.stderr[k], stderr, rtol=1e-12)


# -- bounds ------------------------------------------------------------------------

# Each kind of bound on the rational model's three parameters; the last
# holds c above its best values (0.1 to 1 for these curves), so c ends at 1.2.
BOUNDS = {
    "two-sided": ([0.0, -1.0, 0.0], [5.0, 4.0, 2.0]),
    "one-sided": ([0.5, -INF, -INF], [INF, INF, 3.0]),
    "a bound reached": ([0.0, -INF, 1.2], [10.0, INF, 5.0]),
}


@pytest.mark.parametrize("jacobian", [False, True])
@pytest.mark.parametrize(("lb", "ub"), BOUNDS.values(), ids=BOUNDS.keys())
def test_bounded_fits_are_leastsq_on_the_internal_parameters(native, lb, ub, jacobian):
    x, y = nf.rational_curves(6)
    sigma = np.linspace(0.5, 2.0, len(x))
    p0 = [1.0, 0.2, 1.5]
    fits = fit_many(
        native["rational_model"], y, p0, x=x, sigma=sigma, bounds=(lb, ub),
        jacobian=native["rational_model_jacobian"] if jacobian else None, workers=1,
    )  # fmt: skip
    assert np.isin(fits.ier, [1, 2, 3, 4]).all()
    assert ((fits.params >= lb) & (fits.params <= ub)).all()
    assert np.allclose(fits.params[:, 2], 1.2, rtol=1e-6) == (lb[2] == 1.2)
    for k in range(len(y)):
        assert_fit_is(fits, k, oracle(x, y[k], p0, lb, ub, sigma=sigma, jacobian=jacobian))


def test_bounded_fits_agree_with_curve_fits(native):
    # curve_fit's bounded fit of the same curves (a Python model, numpy's sin):
    # the same transform, so the same optimum and standard errors, to rounding.
    x, y = nf.rational_curves(4)
    lb, ub = [0.0, -1.0, 0.0], [5.0, 4.0, 2.0]
    fits = fit_many(native["rational_model"], y, [1.0, 0.2, 0.5], x=x, bounds=(lb, ub), workers=1)
    for k in range(len(y)):
        popt, pcov = curve_fit(
            lambda x, a, b, c: (a * x + b) / (1.0 + c * x), x, y[k], [1.0, 0.2, 0.5], bounds=(lb, ub)
        )
        np.testing.assert_allclose(fits.params[k], popt, rtol=1e-7)
        np.testing.assert_allclose(fits.stderr[k], np.sqrt(np.diag(pcov)), rtol=1e-5)


def test_bounds_per_curve_are_each_curves_own(native):
    x, y = nf.rational_curves(3)
    lb = np.array([[0.0, -1.0, 0.0], [0.5, -INF, 0.1], [-INF, -INF, -INF]])
    ub = np.array([[5.0, 4.0, 2.0], [INF, 0.5, 0.9], [INF, 2.0, INF]])
    fits = fit_many(native["rational_model"], y, [1.0, 0.2, 0.5], x=x, bounds=(lb, ub), workers=1)
    for k in range(3):
        one = fit_many(native["rational_model"], y[k], [1.0, 0.2, 0.5], x=x, bounds=(lb[k], ub[k]), workers=1)
        for got, want in zip(fits, one, strict=True):
            np.testing.assert_array_equal(got[k], want[0])


def test_scalar_and_infinite_bounds(native):
    x, y = nf.rational_curves(3)
    model = native["rational_model"]
    scalar = fit_many(model, y, [1.0, 0.2, 0.5], x=x, bounds=(0.0, 10.0), workers=1)
    full = fit_many(model, y, [1.0, 0.2, 0.5], x=x, bounds=(np.zeros(3), np.full(3, 10.0)), workers=1)
    for got, want in zip(scalar, full, strict=True):
        np.testing.assert_array_equal(got, want)
    # Infinite bounds everywhere are no bounds: the unbounded fits, bit for bit.
    plain = fit_many(model, y, [1.0, 0.2, 0.5], x=x, workers=1)
    infinite = fit_many(model, y, [1.0, 0.2, 0.5], x=x, bounds=(np.full((3, 3), -INF), INF), workers=1)
    for got, want in zip(infinite, plain, strict=True):
        np.testing.assert_array_equal(got, want)


BAD_BOUNDS = {
    "not a pair": ((0.0, 1.0, 2.0), r"^`bounds` must be a 2-tuple \(lb, ub\) or have attributes lb and ub\.$"),
    "wrong shape": (
        ([0.0, 0.0], 10.0),
        r"^The lower bounds must be a scalar or have one entry per parameter \(N=3\); got shape \(2,\)\.$",
    ),
    "wrong rows": (
        (0.0, np.ones((3, 3))),
        r"^The upper bounds must be a scalar, have one entry per parameter \(N=3\) or one row per curve "
        r"\(K, N\) = \(2, 3\); got shape \(3, 3\)\.$",
    ),
    "nan": (([0.0, np.nan, 0.0], 10.0), r"^The lower bounds must not be nan\.$"),
    "nan per curve": ((0.0, np.full((2, 3), np.nan)), r"^The upper bounds must not be nan\.$"),
    "crossed": (
        ([0.0, 5.0, 0.0], [10.0, 5.0, 10.0]),
        r"^Each lower bound must be strictly less than each upper bound; parameter 1 has lower bound 5 >= "
        r"upper bound 5\.$",
    ),
    "crossed on one curve": (
        (0.0, [[10.0, 10.0, 10.0], [10.0, 10.0, -1.0]]),
        r"^Each lower bound must be strictly less than each upper bound; parameter 2 of curve 1 has lower "
        r"bound 0 >= upper bound -1\.$",
    ),
    "start outside": (
        ([0.0, 0.5, 0.0], 10.0),
        r"^Initial guess p0\[1\] = 0\.2 is outside its bounds \[0\.5, 10\]; start every parameter within its "
        r"bounds\.$",
    ),
    "start outside one curve's bounds": (
        (0.0, [[10.0, 10.0, 10.0], [10.0, 10.0, 0.1]]),
        r"^Initial guess p0\[2\] = 0\.5 is outside its bounds \[0, 0\.1\] on curve 1; start every parameter "
        r"within its bounds\.$",
    ),
}


@pytest.mark.parametrize(("bounds", "message"), BAD_BOUNDS.values(), ids=BAD_BOUNDS.keys())
def test_bad_bounds_are_refused_before_any_fit(bounds, message):
    calls = []

    @nf.MODEL
    def counting(m, n, p, x, out, user_data):
        calls.append(1)
        return 0

    with pytest.raises(ValueError, match=message):
        fit_many(counting, np.ones((2, 5)), [1.0, 0.2, 0.5], bounds=bounds, workers=1)
    assert not calls


def test_a_curve_s_own_start_outside_its_bounds_is_named_by_curve_and_parameter():
    starts = [[1.0, 0.2, 0.5], [1.0, 20.0, 0.5]]
    message = r"^Initial guess p0\[1, 1\] = 20 is outside its bounds \[0, 10\]; start every parameter within"
    with pytest.raises(ValueError, match=message):
        fit_many(nf.MODEL(lambda m, n, p, x, out, user_data: 0), np.ones((2, 5)), starts, bounds=(0.0, 10.0))


def test_a_start_on_a_bound_is_moved_inside_as_curve_fit_moves_it(native):
    x, y = nf.rational_curves(2)
    lb, ub = [0.0, -INF, -INF], [5.0, INF, INF]
    fits = fit_many(native["rational_model"], y, [0.0, 0.2, 0.5], x=x, bounds=(lb, ub), workers=1)
    assert np.isin(fits.ier, [1, 2, 3, 4]).all()
    for k in range(2):
        assert_fit_is(fits, k, oracle(x, y[k], [0.0, 0.2, 0.5], lb, ub))


# -- fixed parameters -----------------------------------------------------------------


@pytest.mark.parametrize("jacobian", [False, True])
def test_fixed_parameters_keep_p0_and_the_others_are_fitted(native, jacobian):
    x, y = nf.rational_curves(5)
    p0 = np.random.default_rng(7).uniform(0.5, 1.5, (5, 3))
    fixed = np.array([False, True, False])
    fits = fit_many(
        native["rational_model"], y, p0, x=x, fixed=fixed,
        jacobian=native["rational_model_jacobian"] if jacobian else None, workers=1,
    )  # fmt: skip
    np.testing.assert_array_equal(fits.params[:, 1], p0[:, 1])
    assert (fits.stderr[:, 1] == 0).all() and (fits.stderr[:, [0, 2]] > 0).all()
    for k in range(5):
        assert_fit_is(fits, k, oracle(x, y[k], p0[k], fitted=[0, 2], jacobian=jacobian))


def test_fixed_and_bounded_together(native):
    x, y = nf.rational_curves(3)
    lb, ub = [0.0, -1.0, 0.0], [5.0, 4.0, 2.0]
    fits = fit_many(
        native["rational_model"], y, [1.0, 0.2, 0.5], x=x, bounds=(lb, ub), fixed=[True, False, False],
        jacobian=native["rational_model_jacobian"], workers=1,
    )  # fmt: skip
    for k in range(3):
        assert_fit_is(fits, k, oracle(x, y[k], [1.0, 0.2, 0.5], lb, ub, fitted=[1, 2], jacobian=True))


def test_no_parameter_fixed_is_the_plain_fit(native):
    x, y = nf.rational_curves(3)
    plain = fit_many(native["rational_model"], y, [1.0, 0.2, 0.5], x=x, workers=1)
    none_fixed = fit_many(native["rational_model"], y, [1.0, 0.2, 0.5], x=x, fixed=[False] * 3, workers=1)
    for got, want in zip(none_fixed, plain, strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_failed_fit_has_nan_stderr_for_its_fixed_parameters_too(native):
    x, y = nf.rational_curves(2)
    fits = fit_many(native["rational_model"], y, [1.0, 0.2, 0.5], x=x, fixed=[False, True, False], maxfev=3)
    assert (fits.ier == 5).all()
    assert np.isnan(fits.stderr).all()


def test_fixing_parameters_leaves_fewer_points_needed():
    # Two points, three parameters of which two are fixed: the fit of one is proper.
    fits = fit_many("polynomial", [[1.0, 3.0]], [0.0, 2.0, 0.0], x=[0.0, 1.0], fixed=[False, True, True])
    assert fits.params[0].tolist() == pytest.approx([1.0, 2.0, 0.0], abs=1e-12)


BAD_FIXED = {
    "wrong length": ([True, False], r"^fixed must be a boolean mask of the n=3 parameters .*got bool of shape \(2,\)"),
    "indices": ([0, 1, 0], r"^fixed must be a boolean mask .*got int64 of shape \(3,\)"),
    "all": ([True, True, True], r"^fixed holds every parameter; at least one must be fitted\.$"),
}


@pytest.mark.parametrize(("fixed", "message"), BAD_FIXED.values(), ids=BAD_FIXED.keys())
def test_bad_fixed_is_refused(native, fixed, message):
    x, y = nf.rational_curves(2)
    with pytest.raises(ValueError, match=message):
        fit_many(native["rational_model"], y, [1.0, 0.2, 0.5], x=x, fixed=fixed)


# -- x per curve ----------------------------------------------------------------------


def test_x_per_curve_is_each_curves_own(native):
    # With sigma per curve, bounds per curve and a fixed parameter: every
    # per-curve input read at its own curve's row.
    rng = np.random.default_rng(11)
    K, m = 4, 30
    xs = np.sort(rng.uniform(0.0, 4.0, (K, m)), axis=1)
    y = (2.0 * xs + 1.0) / (1.0 + 0.5 * xs) + 0.01 * rng.standard_normal((K, m))
    sigma = rng.uniform(0.5, 2.0, (K, m))
    lb = np.tile([0.0, -1.0, 0.0], (K, 1))
    ub = np.tile([5.0, 4.0, 2.0], (K, 1)) + np.arange(K)[:, None]
    kwargs = {"jacobian": native["rational_model_jacobian"], "fixed": [False, False, True], "workers": 2}
    fits = fit_many(native["rational_model"], y, [1.0, 0.2, 0.5], x=xs, sigma=sigma, bounds=(lb, ub), **kwargs)
    for k in range(K):
        one = fit_many(
            native["rational_model"], y[k], [1.0, 0.2, 0.5], x=xs[k], sigma=sigma[k], bounds=(lb[k], ub[k]), **kwargs
        )
        for got, want in zip(fits, one, strict=True):
            np.testing.assert_array_equal(got[k], want[0])
        assert_fit_is(fits, k, oracle(xs[k], y[k], [1.0, 0.2, 0.5], lb[k], ub[k], [0, 1], sigma[k], jacobian=True))


def test_2d_coordinates_per_curve():
    spot = builtin_models()["gauss_2d"]
    rng = np.random.default_rng(2)
    coordinates = rng.uniform(0.0, 6.0, (3, 2, 40))
    truth = np.array([[10.0, 2.2, 1.9, 1.1, 3.0], [8.0, 3.5, 2.5, 0.9, 1.0], [5.0, 4.0, 4.0, 1.5, 0.5]])
    spots = np.array([spot.values(truth[k], coordinates[k]) for k in range(3)])
    fits = fit_many("gauss_2d", spots, [7.0, 3.0, 3.0, 1.0, 1.0], x=coordinates, workers=1)
    np.testing.assert_allclose(fits.params, truth, rtol=1e-8)
    for k in range(3):
        one = fit_many("gauss_2d", spots[k], [7.0, 3.0, 3.0, 1.0, 1.0], x=coordinates[k], workers=1)
        np.testing.assert_array_equal(fits.params[k], one.params[0])


BAD_X = {
    "rows of other curves": (np.ones((3, 30)), r"^x given per curve must have K = 2 rows, one per curve; got shape"),
    "other points": (
        np.ones((2, 29)),
        r"^x must have shape \(m,\) = \(30,\) or \(K, m\) = \(2, 30\); got \(2, 29\)\.$",
    ),
    "3-D for a 1-D model": (np.ones((2, 1, 30)), r"^x must have shape \(m,\) = \(30,\) or \(K, m\)"),
}


@pytest.mark.parametrize(("x", "message"), BAD_X.values(), ids=BAD_X.keys())
def test_bad_x_per_curve_is_refused(native, x, message):
    with pytest.raises(ValueError, match=message):
        fit_many(native["rational_model"], np.ones((2, 30)), [1.0, 0.2, 0.5], x=x)


def test_bad_2d_coordinates_per_curve_are_refused_in_the_models_words():
    with pytest.raises(ValueError, match=r"^model 'gauss_2d': x must have shape \(2, 25\)"):
        fit_many("gauss_2d", np.ones((2, 25)), [1.0, 2.0, 2.0, 1.0, 0.0], x=np.ones((2, 3, 25)))
