"""fit_many: each curve's result is exactly leastsq's for that curve alone.

The oracle is leastsq with a Python callback computing the same residuals
operation for operation (see native_functions.py).
"""

from __future__ import annotations

import native_functions as nf
import numpy as np
import pytest

from pyminpack import fit_many, leastsq
from pyminpack._batch.fit_many import IER_NONFINITE, IER_USER_STOP

pytestmark = pytest.mark.skipif(nf.compiler() is None, reason="needs a C compiler (cc) to build the test functions")


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    return nf.build(tmp_path_factory.mktemp("native_many"))


curves = nf.rational_curves


def one_by_one(x, y, p0, sigma=None, jacobian=False, **kwargs):
    """leastsq on each curve, the residuals formed as fit_many forms them."""
    K, _m = y.shape
    p0 = np.broadcast_to(np.asarray(p0, float), (K, 3))
    out = []
    for k in range(K):
        w = None if sigma is None else 1.0 / np.broadcast_to(sigma, y.shape)[k]

        def func(p, yk=y[k], w=w):
            r = (p[0] * x + p[1]) / (1.0 + p[2] * x) - yk
            return r if w is None else r * w

        def dfun(p, w=w):
            J = nf.rational_jacobian(p, x, None)
            return J if w is None else J * w[:, None]

        res = leastsq(func, p0[k], Dfun=dfun if jacobian else None, full_output=True, **kwargs)
        out.append(res)
    return out


def assert_matches(fits, expected, m, n=3):
    for k, (p, cov, info, _mesg, ier) in enumerate(expected):
        np.testing.assert_array_equal(fits.params[k], p)
        assert fits.ier[k] == ier
        assert fits.nfev[k] == info["nfev"]
        assert fits.chisqr[k] == pytest.approx(np.sum(info["fvec"] ** 2), rel=1e-14)
        if cov is None:
            assert np.isnan(fits.stderr[k]).all()
        else:
            stderr = np.sqrt(np.diag(cov) * np.sum(info["fvec"] ** 2) / (m - n))
            np.testing.assert_allclose(fits.stderr[k], stderr, rtol=1e-12)


@pytest.mark.parametrize("jacobian", [False, True])
@pytest.mark.parametrize("sigma_kind", [None, "shared", "per-curve"])
def test_identical_to_leastsq_per_curve(native, jacobian, sigma_kind):
    x, y = curves(12)
    K, m = y.shape
    sigma = None
    if sigma_kind == "shared":
        sigma = np.linspace(0.5, 2.0, m)
    elif sigma_kind == "per-curve":
        sigma = np.random.default_rng(3).uniform(0.5, 2.0, (K, m))
    fits = fit_many(
        native["rational_model"],
        y,
        [1.0, 1.0, 0.5],
        x=x,
        sigma=sigma,
        jacobian=native["rational_model_jacobian"] if jacobian else None,
        workers=1,
    )
    assert_matches(fits, one_by_one(x, y, [1.0, 1.0, 0.5], sigma, jacobian), m)


def test_per_curve_p0_and_user_data(native):
    x, y = curves(5)
    p0 = np.random.default_rng(5).uniform(0.5, 1.5, (5, 3))
    fits = fit_many(native["rational_model_ud"], y, p0, user_data=x.copy(), workers=1)  # x from user_data
    assert_matches(fits, one_by_one(x, y, p0), len(x))


def test_workers_do_not_change_results(native):
    x, y = curves(1100)  # several chunks
    one = fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, workers=1)
    two = fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, workers=2)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (one.ier >= 1).all() and (one.ier <= 4).all()


def test_failed_fits_do_not_stop_the_others(native):
    x, y = curves(8)
    y[2, 0] = np.nan  # non-finite at the start
    y[5] *= 1e7  # a grows past 1000: the model asks to stop
    fits = fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, workers=2)
    assert fits.ier[2] == IER_NONFINITE
    assert fits.ier[5] == IER_USER_STOP
    assert np.isnan(fits.stderr[[2, 5]]).all()
    good = [0, 1, 3, 4, 6, 7]
    assert np.isin(fits.ier[good], [1, 2, 3, 4]).all()
    expected = one_by_one(x, y[good], [1.0, 1.0, 0.5])
    for row, k in enumerate(good):
        np.testing.assert_array_equal(fits.params[k], expected[row][0])


STANDARD_ERROR_EDGES = {
    # m == n: the fits are exact, and there is no degree of freedom left.
    "m == n": lambda: curves(4, m=3),
    # x = 0 everywhere: p[0] and p[2] have no effect, R is singular.
    "singular R": lambda: (np.zeros(30), curves(4)[1]),
}


@pytest.mark.parametrize("jacobian", [False, True])
@pytest.mark.parametrize("make", STANDARD_ERROR_EDGES.values(), ids=STANDARD_ERROR_EDGES.keys())
def test_standard_errors_are_nan_where_leastsq_has_no_covariance(native, make, jacobian):
    x, y = make()
    fits = fit_many(
        native["rational_model"],
        y,
        [1.0, 1.0, 0.5],
        x=x,
        jacobian=native["rational_model_jacobian"] if jacobian else None,
        workers=1,
    )
    assert np.isin(fits.ier, [1, 2, 3, 4]).all()
    assert np.isnan(fits.stderr).all()
    for k, (p, _cov, info, _mesg, ier) in enumerate(one_by_one(x, y, [1.0, 1.0, 0.5], jacobian=jacobian)):
        np.testing.assert_array_equal(fits.params[k], p)
        assert (fits.ier[k], fits.nfev[k]) == (ier, info["nfev"])


def test_maxfev_failure_is_reported(native):
    x, y = curves(3)
    fits = fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, maxfev=5, workers=1)
    assert (fits.ier == 5).all()
    assert np.isnan(fits.stderr).all()


def test_nonfinite_data_stops_its_fit_as_leastsq_does(native):
    # leastsq(..., allow_nonfinite=True) on that curve alone gives the same:
    # ier -2 at MINPACK's first evaluation (see test_nonfinite.py for why
    # MINPACK is never let run on from nan).
    x, y = curves(2)
    y[0, 0] = np.nan
    fits = fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, workers=1)
    (p, _cov, info, _mesg, ier), _ = one_by_one(x, y, [1.0, 1.0, 0.5], allow_nonfinite=True)
    assert (fits.ier[0], fits.nfev[0], ier, info["nfev"]) == (IER_NONFINITE, 1, IER_NONFINITE, 1)
    np.testing.assert_array_equal(fits.params[0], p)
    assert fits.ier[1] in (1, 2, 3, 4)


def test_bad_input(native):
    x, y = curves(3)
    model = native["rational_model"]
    with pytest.raises(TypeError, match="does not match"):
        fit_many(native["rational"], y, [1, 1, 1], x=x)
    with pytest.raises(TypeError, match="does not match"):
        fit_many(model, y, [1, 1, 1], x=x, jacobian=native["rational_jacobian"])
    with pytest.raises(ValueError, match="p0"):
        fit_many(model, y, np.ones((2, 3)), x=x)
    with pytest.raises(ValueError, match="x must have shape"):
        fit_many(model, y, [1, 1, 1], x=x[:-1])
    with pytest.raises(ValueError, match="sigma must be positive"):
        fit_many(model, y, [1, 1, 1], x=x, sigma=np.zeros(len(x)))
    with pytest.raises(ValueError, match="at least as many points"):
        fit_many(model, y[:, :2], [1, 1, 1], x=x[:2])
    with pytest.raises(ValueError, match="workers"):
        fit_many(model, y, [1, 1, 1], x=x, workers=0)


def test_numba_model():
    model = nf.numba_rational_model()
    x, y = curves(6)
    fits = fit_many(model, y, [1.0, 1.0, 0.5], x=x, workers=2)
    assert_matches(fits, one_by_one(x, y, [1.0, 1.0, 0.5]), len(x))
