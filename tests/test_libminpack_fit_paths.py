"""The other ways into MINPACK, every setting, against Debian's libminpack1.

``test_libminpack_settings.py`` checks ``leastsq`` with Python functions.
Here the same settings (:mod:`minpack_settings`) go in through the other
paths, which hand them to MINPACK by other code: ``leastsq`` with a
:class:`pyminpack.Compiled` function (``_native.c``), ``curve_fit`` with a
Python or a compiled model, and ``fit_many``. The problem is the rational
model of :mod:`native_functions`, whose C functions do the same
floating-point operations as their Python twins; libminpack solves the
twins, so every result must agree bit for bit, and every covariance with the
exact one of MINPACK's ``R`` (:func:`libminpack.covariance_oracle`).
"""

import re

import libminpack
import native_functions as nf
import numpy as np
import pytest
from minpack_settings import IMPROPER, LMDIF_SETTINGS, SETTINGS

import pyminpack

LIB = libminpack.load_or_skip()

pytestmark = pytest.mark.skipif(nf.compiler() is None, reason="needs a C compiler (cc) to build the test functions")

X, Y = nf.rational_data()
M = len(X)
#: Two starts on which every setting of the tables changes MINPACK's path
#: on at least one of lmdif and lmder.
STARTS = {"start (1, 1, 1)": np.array([1.0, 1.0, 1.0]), "start (10, -1, 5)": np.array([10.0, -1.0, 5.0])}
#: Uncertainties of the data, for the weighted fits.
SIGMA = np.linspace(0.5, 2.0, M)
#: The messages of the failures the tables provoke (curve_fit raises them).
FAILURES = {0: "Improper input parameters.", 5: "Number of calls to function has reached maxfev = 12."}


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    return nf.build(tmp_path_factory.mktemp("native_oracle"))


def weighted_residuals(p, x, y, weight):
    """The residuals that MINPACK sees for data weighted by ``weight = 1/sigma`` (None: unweighted), in Python."""
    r = nf.rational_residuals(p, x, y)
    return r if weight is None else r * weight


def weighted_jacobian(p, x, y, weight):
    """Their Jacobian (module-level functions, as the oracle keys calls by function name)."""
    j = nf.rational_jacobian(p, x, y)
    return j if weight is None else j * weight[:, None]


def _oracle(p0, jacobian, y=Y, sigma=None, **settings):
    weight = None if sigma is None else 1.0 / sigma
    return libminpack.leastsq_oracle(
        LIB, weighted_residuals, p0, M, (X, y, weight), weighted_jacobian if jacobian else None, **settings
    )


def _table(settings):
    """(name, start) for each setting and start, by readable ids."""
    return [pytest.param(name, start, id=f"{name}-{start}") for name in settings for start in STARTS]


# -- leastsq with a compiled function ------------------------------------------


def _compiled(native, jacobian):
    return pyminpack.Compiled(
        native["rational"], M, jacobian=native["rational_jacobian"] if jacobian else None, user_data=np.r_[X, Y]
    )


@pytest.mark.parametrize(("name", "start"), _table(SETTINGS))
def test_compiled_lmder_setting_matches_libminpack(native, name, start):
    p0, settings = STARTS[start], SETTINGS[name](3)
    output = pyminpack.leastsq(_compiled(native, True), p0, full_output=True, **settings)
    libminpack.assert_leastsq_matches(output, _oracle(p0, True, **settings))


@pytest.mark.parametrize(("name", "start"), _table({**SETTINGS, **LMDIF_SETTINGS}))
def test_compiled_lmdif_setting_matches_libminpack(native, name, start):
    p0, settings = STARTS[start], {**SETTINGS, **LMDIF_SETTINGS}[name](3)
    output = pyminpack.leastsq(_compiled(native, False), p0, full_output=True, **settings)
    libminpack.assert_leastsq_matches(output, _oracle(p0, False, **settings))


def test_compiled_epsfcn_does_not_reach_lmder(native):
    p0 = STARTS["start (10, -1, 5)"]
    output = pyminpack.leastsq(_compiled(native, True), p0, full_output=True, epsfcn=1e-3)
    libminpack.assert_leastsq_matches(output, _oracle(p0, True))


@pytest.mark.parametrize("jacobian", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("name", IMPROPER)
def test_compiled_improper_setting_is_refused_as_minpack_refuses_it(native, name, jacobian):
    p0, settings = STARTS["start (1, 1, 1)"], IMPROPER[name](3)
    assert _oracle(p0, jacobian, **settings).info == 0
    x, cov_x, infodict, mesg, ier = pyminpack.leastsq(_compiled(native, jacobian), p0, full_output=True, **settings)
    assert (ier, infodict["nfev"], cov_x, mesg) == (0, 0, None, FAILURES[0])
    libminpack.assert_same_bits(x, p0)


# -- curve_fit -----------------------------------------------------------------


def rational(x, a, b, c):
    """The rational model, as nf.rational_residuals computes it before subtracting y."""
    return (a * x + b) / (1.0 + c * x)


def rational_jacobian(x, a, b, c):
    return nf.rational_jacobian(np.array([a, b, c]), x, None)


def _curve_fit_table():
    return [
        pytest.param(
            name, model, sigma, jacobian, id=f"{name}-{model}-sigma {sigma}-{'lmder' if jacobian else 'lmdif'}"
        )
        for name in {**SETTINGS, **LMDIF_SETTINGS, **IMPROPER}
        for model in ("python", "compiled")
        for sigma in ("none", "1-d")
        for jacobian in ((True, False) if name in SETTINGS or name in IMPROPER else (False,))
    ]


@pytest.mark.parametrize(("name", "model", "sigma", "jacobian"), _curve_fit_table())
def test_curve_fit_setting_matches_libminpack(native, name, model, sigma, jacobian):
    # curve_fit passes its keyword arguments to leastsq: the settings must
    # reach MINPACK from a Python model and from a compiled one alike.
    p0 = STARTS["start (10, -1, 5)"]
    settings = {**SETTINGS, **LMDIF_SETTINGS, **IMPROPER}[name](3)
    sigma = None if sigma == "none" else SIGMA
    if model == "python":
        f, jac = rational, rational_jacobian if jacobian else None
    else:
        f, jac = native["rational_model"], native["rational_model_jacobian"] if jacobian else None
    expected = _oracle(p0, jacobian, sigma=sigma, **settings)
    if expected.info not in (1, 2, 3, 4):
        with pytest.raises(RuntimeError, match=f"^Optimal parameters not found: {re.escape(FAILURES[expected.info])}$"):
            pyminpack.curve_fit(f, X, Y, p0, sigma=sigma, jac=jac, **settings)
        return
    popt, pcov, infodict, _mesg, ier = pyminpack.curve_fit(
        f, X, Y, p0, sigma=sigma, jac=jac, full_output=True, **settings
    )
    libminpack.assert_outputs_match(popt, infodict, ier, expected)
    # pcov is cov_x scaled by the residual variance (absolute_sigma=False).
    covariance, atol = libminpack.covariance_oracle(expected)
    scale = np.sum(infodict["fvec"] ** 2) / (M - 3)
    np.testing.assert_allclose(pcov, covariance * scale, rtol=0, atol=atol * scale)


# -- fit_many --------------------------------------------------------------------

#: fit_many takes every setting but diag (MINPACK's MODE is 1 for every curve).
FIT_MANY_SETTINGS = {
    name: settings for name, settings in {**SETTINGS, **LMDIF_SETTINGS}.items() if "diag" not in settings(3)
}


def _fit_many_table():
    return [
        pytest.param(name, sigma, jacobian, id=f"{name}-sigma {sigma}-{'lmder' if jacobian else 'lmdif'}")
        for name in FIT_MANY_SETTINGS
        for sigma in ("none", "per curve")
        for jacobian in ((True, False) if name in SETTINGS else (False,))
    ]


@pytest.mark.parametrize(("name", "sigma", "jacobian"), _fit_many_table())
def test_fit_many_setting_matches_libminpack(native, name, sigma, jacobian):
    # Four fits, each as libminpack makes it alone. The first is the one on
    # which factor=1e4 changes MINPACK's path without its trying a > 1000,
    # where the C model asks to stop (Y from (1, 1, 1) would); a sigma of 2
    # keeps that path (a power of two scales the residuals exactly).
    settings = FIT_MANY_SETTINGS[name](3)
    curves = np.array(
        [Y + X * (4.0 - X) / 4.0, Y, 2.0 * Y, Y + X * (4.0 - X) / 4.0]
    )  # arithmetic only (see nf.rational_data)
    starts = np.array([STARTS["start (1, 1, 1)"], *[STARTS["start (10, -1, 5)"]] * 3])
    sigmas = None if sigma == "none" else np.array([np.full(M, 2.0), SIGMA, 1.5 * SIGMA, 2.0 * SIGMA])
    fits = pyminpack.fit_many(
        native["rational_model"],
        curves,
        starts,
        x=X,
        sigma=sigmas,
        jacobian=native["rational_model_jacobian"] if jacobian else None,
        workers=1,
        **settings,
    )
    for k, (y, p0) in enumerate(zip(curves, starts, strict=True)):
        expected = _oracle(p0, jacobian, y=y, sigma=None if sigmas is None else sigmas[k], **settings)
        assert (fits.ier[k], fits.nfev[k]) == (expected.info, expected.nfev)
        libminpack.assert_same_bits(fits.params[k], expected.x)
        chisqr = 0.0
        for r in expected.fvec.tolist():  # in order, as the C loop sums
            chisqr += r * r
        libminpack.assert_same_bits([fits.chisqr[k]], [chisqr])
        covariance, atol = libminpack.covariance_oracle(expected)
        if covariance is None:
            assert np.isnan(fits.stderr[k]).all()
        else:
            scale = chisqr / (M - 3)
            np.testing.assert_allclose(fits.stderr[k] ** 2, np.diag(covariance) * scale, rtol=0, atol=atol * scale)
