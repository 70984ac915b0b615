"""fit_many: each curve's result is exactly leastsq's for that curve alone.

The oracle is leastsq with a Python callback computing the same residuals
operation for operation (see native_functions.py).
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import mgh
import native_functions as nf
import numpy as np
import pytest

from pyminpack import fit_many, leastsq
from pyminpack._batch import chunks
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


# -- how the inputs are read -----------------------------------------------------


@nf.MODEL
def constant(m, n, p, x, out, user_data):
    """The one-parameter model out[i] = p[0] (a Python callback: for small tests only)."""
    for i in range(m):
        out[i] = p[0]
    return 0


def test_one_curve_as_a_1d_array(native):
    x, y = curves(1)
    one = fit_many(native["rational_model"], y[0], [1.0, 1.0, 0.5], x=x, workers=1)
    assert one.params.shape == (1, 3)
    assert_matches(one, one_by_one(x, y, [1.0, 1.0, 0.5]), len(x))


def test_one_point_one_parameter_and_a_scalar_p0():
    fits = fit_many(constant, [[3.0], [-2.0]], 0.0, workers=1)
    assert fits.params.tolist() == [[3.0], [-2.0]]
    assert fits.ier.tolist() == [2, 2]  # no residual variance: m == n
    assert np.isnan(fits.stderr).all()


def test_integer_and_fortran_ordered_inputs_give_the_same_fits(native):
    # x, ydata, p0 and sigma of any real dtype and memory order are read as
    # C-ordered float64: integral values give the fits of their float copies.
    x = np.arange(30)
    values = np.round(10 * (2 * x + 1) / (1 + 0.5 * x))
    y = np.asfortranarray(np.stack([values, values + 3, 2 * values, values + x % 3]).astype(np.int64))
    p0 = np.asfortranarray(np.tile([1, 1, 0], (4, 1)))
    sigma = np.full((4, 30), 2)
    assert y.dtype.kind == p0.dtype.kind == sigma.dtype.kind == "i"
    assert not (y.flags.c_contiguous or p0.flags.c_contiguous)
    fits = fit_many(native["rational_model"], y, p0, x=x, sigma=sigma, workers=1)
    expected = fit_many(
        native["rational_model"], y.astype(float), p0.astype(float, order="C"), x=x.astype(float),
        sigma=sigma.astype(float), workers=1,
    )  # fmt: skip
    assert np.isin(expected.ier, [1, 2, 3, 4]).all()
    for got, want in zip(fits, expected, strict=True):
        np.testing.assert_array_equal(got, want)


BAD_SHAPES = {
    "ydata 3-D": (
        {"ydata": np.ones((2, 3, 4))},
        r"^ydata must be a \(K, m\) array of curves; got shape \(2, 3, 4\)\.$",
    ),
    "ydata empty": ({"ydata": np.ones((2, 0))}, r"^ydata must be a \(K, m\) array of curves; got shape \(2, 0\)\.$"),
    "p0 of other curves": (
        {"p0": np.ones((3, 3))},
        r"^p0 must have shape \(n,\) or \(K, n\) = \(2, n\); got \(3, 3\)\.$",
    ),
    "p0 empty": ({"p0": []}, r"^p0 must have shape \(n,\) or \(K, n\) = \(2, n\); got \(0,\)\.$"),
    "p0 not finite": ({"p0": [1.0, np.nan, 1.0]}, r"^p0 must be finite\.$"),
    "sigma of other points": (
        {"sigma": np.ones(5)},
        r"^sigma must have shape \(m,\) or \(K, m\) = \(2, 30\); got \(5,\)\.$",
    ),
    "sigma zero": ({"sigma": np.zeros(30)}, r"^sigma must be positive and finite\.$"),
    "sigma inf": ({"sigma": np.full(30, np.inf)}, r"^sigma must be positive and finite\.$"),
}


@pytest.mark.parametrize(("change", "message"), BAD_SHAPES.values(), ids=BAD_SHAPES.keys())
def test_bad_shapes_and_values_are_refused_naming_the_argument(native, change, message):
    x, y = curves(2)
    arguments = {"ydata": y, "p0": [1.0, 1.0, 0.5], **change}
    with pytest.raises(ValueError, match=message):
        fit_many(native["rational_model"], arguments["ydata"], arguments["p0"], x=x, sigma=change.get("sigma"))


def test_the_error_of_a_wrong_jacobian_names_it(native):
    x, y = curves(2)
    with pytest.raises(TypeError, match=r"^jacobian: the ctypes function .* does not match"):
        fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, jacobian=native["rational_jacobian"])
    with pytest.raises(TypeError, match=r"^model: the ctypes function .* does not match"):
        fit_many(native["rational"], y, [1.0, 1.0, 0.5], x=x)


def _recording_threads(threads):
    """:func:`constant`, appending the thread that runs each evaluation to ``threads``."""

    @nf.MODEL
    def recording_constant(m, n, p, x, out, user_data):
        threads.append(threading.get_ident())
        return constant(m, n, p, x, out, user_data)

    return recording_constant


def test_the_curves_are_shared_among_workers_threads():
    # Eight chunks of curves: with workers=2 the fits run on at most two pool
    # threads (a pool of the default size would start more), none on the
    # caller's; with workers=1 all on the caller's.
    threads = []
    recording_constant = _recording_threads(threads)
    y = np.arange(2000.0).reshape(2000, 1)
    fits = fit_many(recording_constant, y, 0.0, workers=2)
    np.testing.assert_array_equal(fits.params, y)
    assert 1 <= len(set(threads)) <= 2 and threading.get_ident() not in threads
    threads.clear()
    fit_many(recording_constant, y, 0.0, workers=1)
    assert set(threads) == {threading.get_ident()}


@pytest.mark.parametrize("workers", [2, 3])
def test_the_pool_has_as_many_threads_as_workers(monkeypatch, workers):
    # What the test above cannot see deterministically: a pool of another
    # size may still run the chunks on as few threads as it likes.
    sizes = []

    class RecordingPool(ThreadPoolExecutor):
        def __init__(self, max_workers=None, *args, **kwargs):
            sizes.append(max_workers)
            super().__init__(max_workers, *args, **kwargs)

    monkeypatch.setattr(chunks, "ThreadPoolExecutor", RecordingPool)
    y = np.arange(2000.0).reshape(2000, 1)
    fits = fit_many(_recording_threads([]), y, 0.0, workers=workers)
    np.testing.assert_array_equal(fits.params, y)
    assert sizes == [workers]


def test_float32_sigma_weighs_as_its_float64_copy(native):
    x, y = curves(3)
    sigma = np.linspace(0.5, 2.0, len(x), dtype=np.float32)
    fits = fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, sigma=sigma, workers=1)
    expected = fit_many(native["rational_model"], y, [1.0, 1.0, 0.5], x=x, sigma=sigma.astype(np.float64), workers=1)
    for got, want in zip(fits, expected, strict=True):
        np.testing.assert_array_equal(got, want)


# MGH problem 10 (Meyer) as a fit_many model: from 10 times its standard
# start, lmder needs more than leastsq's default limit (tests/mgh.py).
MEYER_T = 45.0 + 5.0 * np.arange(1, 17)


@nf.MODEL
def meyer(m, n, p, x, out, user_data):
    for i in range(m):
        out[i] = p[0] * math.exp(p[1] / (x[i] + p[2]))
    return 0


@nf.MODEL_JACOBIAN
def meyer_jacobian(m, n, p, x, fjac, ldfjac, user_data):
    for i in range(m):
        temp = x[i] + p[2]
        ratio = p[1] / temp
        value = math.exp(ratio)
        fjac[i], fjac[i + ldfjac] = value, p[0] * value / temp
        fjac[i + 2 * ldfjac] = -ratio * fjac[i + ldfjac]
    return 0


def test_the_default_maxfev_is_leastsqs_with_and_without_a_jacobian():
    y = np.array(mgh._Y3)
    p0 = mgh.initial_point(3, 10, 10.0)
    with_jacobian = fit_many(meyer, y, p0, x=MEYER_T, jacobian=meyer_jacobian, workers=1)
    without = fit_many(meyer, y, p0, x=MEYER_T, workers=1)
    assert (with_jacobian.ier[0], with_jacobian.nfev[0]) == (5, 100 * (3 + 1))
    expected = leastsq(lambda p: mgh.residuals(p, 10, 16), p0, full_output=True)
    assert (without.ier[0], without.nfev[0]) == (expected[4], expected[2]["nfev"])


def test_workers_default_to_the_cpu_count(monkeypatch):
    threads = []
    recording_constant = _recording_threads(threads)
    y = np.arange(600.0).reshape(600, 1)
    np.testing.assert_array_equal(fit_many(recording_constant, y, 0.0).params, y)
    assert (threading.get_ident() in threads) is ((os.cpu_count() or 1) == 1)
    threads.clear()
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: one worker, the caller
    fit_many(recording_constant, y, 0.0)
    assert set(threads) == {threading.get_ident()}
