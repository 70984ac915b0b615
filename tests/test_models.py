"""The built-in models: their values, their analytic Jacobians, and fitting them by name.

Oracles:

- values: a direct numpy transcription of each formula; for Gpufit's models,
  of Gpufit's own CPU code (``calc_values_*`` in Cpufit/lm_fit_cpp.cpp),
  pixel convention included, so that both give the same parameters;
- Jacobians: MINPACK's ``chkder`` (pyminpack.check_jacobian), on all
  parameters at once and on each parameter alone (one column at a time, so
  that no column's error can hide behind another's);
- fits: noise-free data made from known parameters, which the fit must
  recover, and the front ends against each other (fit_many's contract is
  that each curve gets what curve_fit gets for it alone).
"""

from __future__ import annotations

import ctypes
import pickle
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest

from pyminpack import (
    BuiltinModel,
    ManyFits,
    _builtin_models,
    builtin_models,
    check_jacobian,
    curve_fit,
    fit,
    fit_many,
    leastsq,
)
from pyminpack._fitting.models import callable_model, resolve
from pyminpack._solver.signatures import MODEL, native_function

MODELS = builtin_models()
NAMES = list(MODELS)
EPS = np.finfo(float).eps

# ---- oracles -----------------------------------------------------------------


def gauss_2d_rotated(p, x, y):
    """Cpufit's calc_values_gauss2drotated."""
    amplitude, x0, y0, sig_x, sig_y, background, rotation = p
    arga = (x - x0) * np.cos(rotation) - (y - y0) * np.sin(rotation)
    argb = (x - x0) * np.sin(rotation) + (y - y0) * np.cos(rotation)
    return amplitude * np.exp(-0.5 * ((arga / sig_x) ** 2 + (argb / sig_y) ** 2)) + background


def cauchy_2d_elliptic(p, x, y):
    """Cpufit's calc_values_cauchy2delliptic."""
    argx = ((p[1] - x) / p[3]) * ((p[1] - x) / p[3]) + 1
    argy = ((p[2] - y) / p[4]) * ((p[2] - y) / p[4]) + 1
    return p[0] / (argx * argy) + p[5]


#: Each model's formula in numpy: f(p, x) for 1-D models, f(p, x, y) for 2-D.
ORACLES = {
    # Cpufit's calc_values_gauss1d, _gauss2d, _gauss2delliptic, _linear1d:
    "gauss_1d": lambda p, x: p[0] * np.exp(-((x - p[1]) ** 2) / (2 * p[2] ** 2)) + p[3],
    "gauss_2d": lambda p, x, y: p[0] * np.exp(-((x - p[1]) ** 2 + (y - p[2]) ** 2) / (2 * p[3] ** 2)) + p[4],
    "gauss_2d_elliptic": lambda p, x, y: (
        p[0] * np.exp(-((x - p[1]) ** 2 / (2 * p[3] ** 2) + (y - p[2]) ** 2 / (2 * p[4] ** 2))) + p[5]
    ),
    "gauss_2d_rotated": gauss_2d_rotated,
    "cauchy_2d_elliptic": cauchy_2d_elliptic,
    "linear_1d": lambda p, x: p[0] + p[1] * x,
    "exp_decay": lambda p, x: p[0] * np.exp(-x / p[1]) + p[2],
    "exp_decay_2": lambda p, x: p[0] * np.exp(-x / p[1]) + p[2] * np.exp(-x / p[3]) + p[4],
    "lorentzian": lambda p, x: p[0] / (1 + ((x - p[1]) / p[2]) ** 2) + p[3],
    "logistic": lambda p, x: p[0] / (1 + np.exp(-p[2] * (x - p[1]))) + p[3],
    "power_law": lambda p, x: p[0] * x ** p[1],
    "polynomial": lambda p, x: sum(c * x**j for j, c in enumerate(p)),
}


def seeded(*case: object) -> np.random.Generator:
    """A generator seeded by the test case (crc32 of its repr: the same in every run, unlike hash())."""
    return np.random.default_rng(zlib.crc32(repr(case).encode()))


def pixel_grid(m: int) -> np.ndarray:
    """Gpufit's pixel coordinates of a square image of m pixels flattened row by row: (x, y) = (i % side, i // side)."""
    side = int(np.sqrt(m))
    rows, columns = np.divmod(np.arange(m), side)
    return np.array([columns, rows], dtype=float)


#: (model dimensions, abscissae or None, m): each model is checked on its default abscissae and on given ones.
LAYOUTS = {
    1: [(None, 30), (np.linspace(0.25, 6.0, 25), 25)],
    2: [(None, 49), (np.random.default_rng(7).uniform(0.0, 6.0, (2, 40)), 40)],
}


def cases():
    for name in NAMES:
        for x, m in LAYOUTS[MODELS[name].dimensions]:
            yield pytest.param(name, x, m, id=f"{name}-{'default' if x is None else 'given'}-x")


def coordinates(model: BuiltinModel, x, m: int) -> np.ndarray:
    """The abscissae as the model reads them (a row per coordinate)."""
    if x is not None:
        return np.atleast_2d(x)
    return np.arange(m, dtype=float)[None, :] if model.dimensions == 1 else pixel_grid(m)


def typical_parameters(name: str, xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random parameters of the kind a fit meets: peaks inside the data, widths a fraction of the span."""
    lo, hi = xy.min(axis=1), xy.max(axis=1)
    span = float(np.max(hi - lo))
    centre = lo + rng.uniform(0.3, 0.7, lo.size) * (hi - lo)
    amplitude, offset = rng.uniform(1.0, 5.0), rng.uniform(-1.0, 1.0)
    width = span * rng.uniform(0.08, 0.25)
    short, long = rng.uniform(0.05, 0.15), rng.uniform(0.5, 1.5)  # exp_decay_2's lifetimes, in spans
    elliptic = [amplitude, *centre, width, width * rng.uniform(1.5, 2.0), offset]
    return np.array(
        {
            "gauss_1d": lambda: [amplitude, *centre, width, offset],
            "lorentzian": lambda: [amplitude, *centre, width, offset],
            "gauss_2d": lambda: [amplitude, *centre, width, offset],
            "gauss_2d_elliptic": lambda: elliptic,
            "cauchy_2d_elliptic": lambda: elliptic,
            "gauss_2d_rotated": lambda: [*elliptic, rng.uniform(-1.5, 1.5)],
            "linear_1d": lambda: rng.uniform(-2.0, 2.0, 2),
            "exp_decay": lambda: [amplitude, span * rng.uniform(0.2, 1.0), offset],
            "exp_decay_2": lambda: [amplitude, short * span, rng.uniform(1.0, 5.0), long * span, offset],
            "logistic": lambda: [amplitude, *centre, rng.uniform(2.0, 8.0) / span, offset],
            "power_law": lambda: [amplitude, rng.uniform(0.5, 2.5)],
            "polynomial": lambda: rng.uniform(-1.0, 1.0, 4),
        }[name](),
        dtype=float,
    )


# ---- the registry ---------------------------------------------------------------


def test_every_registered_model_has_its_c_functions_and_no_other_exists():
    assert list(_builtin_models.FUNCTIONS) == NAMES


def test_gpufit_models_are_there_with_gpufit_parameters():
    gpufit = {model.gpufit: (name, model.parameters) for name, model in MODELS.items() if model.gpufit}
    ellipse = ("amplitude", "x0", "y0", "width_x", "width_y", "offset")
    assert gpufit == {
        "GAUSS_1D": ("gauss_1d", ("amplitude", "x0", "width", "offset")),
        "GAUSS_2D": ("gauss_2d", ("amplitude", "x0", "y0", "width", "offset")),
        "GAUSS_2D_ELLIPTIC": ("gauss_2d_elliptic", ellipse),
        "GAUSS_2D_ROTATED": ("gauss_2d_rotated", (*ellipse, "rotation")),
        "CAUCHY_2D_ELLIPTIC": ("cauchy_2d_elliptic", ellipse),
        "LINEAR_1D": ("linear_1d", ("offset", "slope")),
    }


def test_the_everyday_models_are_there():
    assert {"exp_decay", "exp_decay_2", "lorentzian", "logistic", "power_law", "polynomial"} <= set(MODELS)


def test_parameter_names():
    assert MODELS["exp_decay_2"].parameter_names(5) == ("amplitude1", "tau1", "amplitude2", "tau2", "offset")
    assert MODELS["polynomial"].parameter_names(1) == ("c0",)
    assert MODELS["polynomial"].parameter_names(4) == ("c0", "c1", "c2", "c3")
    with pytest.raises(
        ValueError, match=r"model 'gauss_1d' takes 4 parameters \(amplitude, x0, width, offset\); p0 has 3"
    ):
        MODELS["gauss_1d"].parameter_names(3)
    with pytest.raises(ValueError, match="at least one coefficient"):
        MODELS["polynomial"].parameter_names(0)


def test_the_readme_lists_every_model_with_its_parameters_and_formula():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if line.startswith("| `")}
    for name, model in MODELS.items():
        assert name in rows, name
        assert model.formula in rows[name].replace("\\|", "|"), name
        for parameter in model.parameters:
            assert parameter in rows[name], (name, parameter)


def test_models_pickle_by_value():
    model = MODELS["gauss_2d"]
    assert pickle.loads(pickle.dumps(model)) == model


# ---- values -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "x", "m"), list(cases()))
def test_values_match_the_formula(name, x, m):
    """Within 32 ulps of the curve's largest value.

    libm's exp, pow, sin and cos and numpy's each round within about an ulp;
    the C orders the arithmetic for speed (exp(-a) * exp(-b) for the
    separable 2-D models, 1/width**2 formed once), and sums of terms of either
    sign add a few ulps of cancellation.  A wrong formula, sign, parameter
    order or pixel convention is wrong by far more than 1e-14 of the peak.
    """
    model = MODELS[name]
    xy = coordinates(model, x, m)
    rng = seeded(name, m, "values")
    for _ in range(3):
        p = typical_parameters(name, xy, rng)
        expected = ORACLES[name](p, *xy)
        got = model.values(p, x, m=m)
        assert got.shape == (m,)
        np.testing.assert_allclose(got, expected, rtol=0, atol=32 * EPS * np.max(np.abs(expected)))


@pytest.mark.parametrize("name", [name for name in NAMES if MODELS[name].dimensions == 2])
def test_2d_models_read_given_pixel_coordinates_as_the_grid(name):
    """The grid (x None, the separable fast path for the axis-aligned models) and the same coordinates given as x
    (one point at a time): the same arithmetic, so the same bits."""
    model = MODELS[name]
    grid = pixel_grid(49)
    p = typical_parameters(name, grid, np.random.default_rng(3))
    np.testing.assert_array_equal(model.values(p, m=49), model.values(p, grid))
    np.testing.assert_array_equal(model.jacobian(p, m=49), model.jacobian(p, grid))


def test_2d_grid_larger_than_one_block_of_columns():
    """A side over 64 pixels is computed in blocks of 64 columns."""
    model = MODELS["gauss_2d_elliptic"]
    m = 70 * 70
    grid = pixel_grid(m)
    p = [4.0, 40.3, 30.1, 9.0, 14.0, 0.5]
    np.testing.assert_array_equal(model.values(p, m=m), model.values(p, grid))
    np.testing.assert_array_equal(model.jacobian(p, m=m), model.jacobian(p, grid))
    expected = ORACLES["gauss_2d_elliptic"](p, *grid)
    np.testing.assert_allclose(model.values(p, m=m), expected, rtol=0, atol=32 * EPS * expected.max())


def test_gpufit_pixel_convention():
    """A spot centred on the pixel at row 1, column 4 of a 7 by 7 image: x0 = 4, y0 = 1."""
    image = np.zeros((7, 7))
    image[1, 4] = 1.0
    values = MODELS["gauss_2d"].values([1.0, 4.0, 1.0, 0.3, 0.0], m=49).reshape(7, 7)
    assert np.unravel_index(np.argmax(values), values.shape) == (1, 4)
    assert values[1, 4] == 1.0


def test_widths_mean_what_the_documentation_says():
    # gauss: a standard deviation; lorentzian: the half width at half maximum.
    assert MODELS["gauss_1d"].values([2.0, 1.0, 0.5, 0.0], [1.5])[0] == pytest.approx(2.0 * np.exp(-0.5), rel=1e-15)
    assert MODELS["lorentzian"].values([2.0, 1.0, 0.5, 0.0], [1.5])[0] == pytest.approx(1.0, rel=1e-15)
    assert MODELS["logistic"].values([2.0, 1.0, 3.0, 0.5], [1.0])[0] == pytest.approx(1.5, rel=1e-15)


def test_logistic_does_not_overflow_far_from_its_midpoint():
    values = MODELS["logistic"].values([2.0, 0.0, 1.0, 0.5], [-1000.0, 1000.0])
    np.testing.assert_array_equal(values, [0.5, 2.5])
    assert np.isfinite(MODELS["logistic"].jacobian([2.0, 0.0, 1.0, 0.5], [-1000.0, 1000.0])).all()


def test_power_law_at_zero():
    """At x = 0 (the first default abscissa) the exponent's derivative is its limit, 0, not 0 * log(0) = nan."""
    jacobian = MODELS["power_law"].jacobian([2.0, 1.5], m=3)
    np.testing.assert_array_equal(jacobian[0], [0.0, 0.0])
    assert np.isfinite(jacobian).all()


# ---- Jacobians ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "x", "m"), list(cases()))
def test_jacobian_passes_chkder(name, x, m):
    """All columns at once, then each column alone, at three seeded points; at least half of the rows compared."""
    model = MODELS[name]
    rng = seeded(name, m, "jacobian")
    for _ in range(3):
        p = typical_parameters(name, coordinates(model, x, m), rng)
        jacobian = model.jacobian(p, x, m=m)
        assert jacobian.shape == (m, p.size)
        check = check_jacobian(lambda q: model.values(q, x, m=m), lambda q: model.jacobian(q, x, m=m), p)
        assert check.ok, check.summary()
        assert check.unchecked.size <= m // 2, check.summary()
        for j in range(p.size):

            def values(t, p=p, j=j):
                return model.values(np.concatenate([p[:j], t, p[j + 1 :]]), x, m=m)

            def column(t, p=p, j=j):
                return model.jacobian(np.concatenate([p[:j], t, p[j + 1 :]]), x, m=m)[:, [j]]

            check = check_jacobian(values, column, p[[j]])
            assert check.ok, f"column {j} ({model.parameter_names(p.size)[j]}): {check.summary()}"
            assert check.unchecked.size <= m // 2, f"column {j}: {check.summary()}"


@pytest.mark.parametrize(("name", "x", "m"), list(cases()))
def test_jacobian_matches_central_differences(name, x, m):
    """A finer test than chkder's (which notices a column wrong by about 1e-4 of itself, no less): central
    differences of the values with steps of eps**(1/3) of each parameter agree with every column to 1e-7 of the
    column's largest value (their truncation and rounding errors are of order eps**(2/3), 4e-11, of the scale)."""
    model = MODELS[name]
    rng = seeded(name, m, "differences")
    for _ in range(3):
        p = typical_parameters(name, coordinates(model, x, m), rng)
        jacobian = model.jacobian(p, x, m=m)
        for j in range(p.size):
            step = np.cbrt(EPS) * max(abs(p[j]), 1.0)
            up, down = p.copy(), p.copy()
            up[j] += step
            down[j] -= step
            column = (model.values(up, x, m=m) - model.values(down, x, m=m)) / (up[j] - down[j])
            np.testing.assert_allclose(jacobian[:, j], column, rtol=0, atol=1e-7 * np.max(np.abs(jacobian[:, j])))


def test_a_wrong_column_fails_the_same_check():
    """The check above can fail: gauss_1d's Jacobian with its x0 column halved does."""
    model, x = MODELS["gauss_1d"], np.linspace(0.25, 6.0, 25)
    p = np.array([3.0, 3.1, 0.9, 0.2])

    def wrong(q):
        jacobian = model.jacobian(q, x)
        jacobian[:, 1] /= 2
        return jacobian

    assert not check_jacobian(lambda q: model.values(q, x), wrong, p).ok


# ---- the C functions' own size guard --------------------------------------------------

_P = ctypes.POINTER(ctypes.c_double)


@pytest.mark.parametrize(("name", "m", "n"), [("gauss_1d", 10, 3), ("gauss_2d", 48, 5), ("gauss_2d_rotated", 50, 7)])
def test_c_functions_refuse_sizes_they_cannot_take(name, m, n):
    """Called directly (not through pyminpack, which refuses first), a model returns WRONG_SIZE: nonzero, a stop."""
    call = MODEL.prototype()(native_function(MODELS[name].functions[0], MODEL, "model").address)
    p, out = np.ones(n), np.empty(m)
    assert _builtin_models.WRONG_SIZE != 0
    assert call(m, n, p.ctypes.data_as(_P), None, out.ctypes.data_as(_P), None) == _builtin_models.WRONG_SIZE


# ---- fitting by name ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "x", "m"), list(cases()))
def test_fit_many_recovers_known_parameters(name, x, m):
    model = MODELS[name]
    rng = seeded(name, m, "fit")
    truth = np.array([typical_parameters(name, coordinates(model, x, m), rng) for _ in range(4)])
    curves = np.array([model.values(p, x, m=m) for p in truth])
    start = truth * rng.uniform(0.95, 1.05, truth.shape)
    fits = fit_many(name, curves, start, x=x, workers=2)
    assert np.isin(fits.ier, [1, 2, 3, 4]).all(), fits.ier
    np.testing.assert_allclose(fits.params, truth, rtol=1e-6, atol=1e-9)
    assert (fits.chisqr < 1e-16 * np.sum(curves**2, axis=1)).all()


def spots(K: int = 6, side: int = 7, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """K noisy round Gaussian spots of side x side pixels, flattened row by row, and a start for each."""
    rng = np.random.default_rng(seed)
    truth = np.column_stack(
        [rng.uniform(50, 100, K), rng.uniform(2.5, 3.5, (K, 2)), rng.uniform(0.9, 1.3, K), rng.uniform(5, 10, K)]
    )
    images = np.array([MODELS["gauss_2d"].values(p, m=side * side) for p in truth])
    return rng.poisson(images).astype(float), truth * rng.uniform(0.9, 1.1, truth.shape)


def test_every_front_end_gives_fit_manys_result():
    """Each curve: fit_many by name == curve_fit by name == fit by name, bit for bit (one MINPACK solve each)."""
    data, starts = spots()
    fits = fit_many("gauss_2d", data, starts, workers=1)
    for k in range(len(data)):
        popt, pcov = curve_fit("gauss_2d", None, data[k], starts[k])
        np.testing.assert_array_equal(popt, fits.params[k])
        np.testing.assert_allclose(np.sqrt(np.diag(pcov)), fits.stderr[k], rtol=1e-12)
        result = fit("gauss_2d", None, data[k], starts[k])
        np.testing.assert_array_equal(result.values, fits.params[k])
        assert result.chisqr == pytest.approx(fits.chisqr[k], rel=1e-14)


def test_the_same_as_the_capsules_passed_as_a_compiled_model():
    data, starts = spots()
    model, jacobian = MODELS["gauss_2d"].functions
    by_name = fit_many("gauss_2d", data, starts, workers=1)
    by_capsule = fit_many(model, data, starts, jacobian=jacobian, workers=1)
    for a, b in zip(by_name, by_capsule, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_same_as_leastsq_on_the_same_residuals_in_python():
    """The oracle for one curve: leastsq with the model's values and Jacobian formed from Python."""
    data, starts = spots(K=1)
    model = MODELS["gauss_2d"]
    p, _cov, info, _mesg, ier = leastsq(
        lambda q: model.values(q, m=49) - data[0], starts[0], Dfun=lambda q: model.jacobian(q, m=49), full_output=True
    )
    fits = fit_many("gauss_2d", data, starts, workers=1)
    np.testing.assert_array_equal(fits.params[0], p)
    assert (fits.ier[0], fits.nfev[0]) == (ier, info["nfev"])


def test_names_are_case_insensitive_and_objects_work_too():
    data, starts = spots(K=2)
    expected = fit_many("gauss_2d", data, starts, workers=1).params
    np.testing.assert_array_equal(fit_many("GAUSS_2D", data, starts, workers=1).params, expected)
    np.testing.assert_array_equal(fit_many(MODELS["gauss_2d"], data, starts, workers=1).params, expected)


def test_2d_model_with_coordinates_fits_a_rectangular_image():
    """x of shape (2, m): the image need not be square (here 5 rows of 9 pixels)."""
    rows, columns = np.divmod(np.arange(45), 9)
    xy = np.array([columns, rows], dtype=float)
    truth = np.array([20.0, 5.3, 2.1, 1.2, 3.0])
    image = MODELS["gauss_2d"].values(truth, xy)
    fits = fit_many("gauss_2d", image, [18.0, 5.0, 2.0, 1.0, 2.0], x=xy)
    np.testing.assert_allclose(fits.params[0], truth, rtol=1e-8)
    popt, _ = curve_fit("gauss_2d", xy, image, [18.0, 5.0, 2.0, 1.0, 2.0])
    np.testing.assert_array_equal(popt, fits.params[0])


def test_fit_reports_the_models_parameter_names():
    t = np.linspace(0.0, 4.0, 20)
    y = MODELS["exp_decay"].values([3.0, 1.5, 0.5], t) + 0.01 * np.cos(5 * t)
    result = fit("exp_decay", t, y, p0=[1.0, 1.0, 0.0])
    assert result.names == ("amplitude", "tau", "offset")
    assert list(result.params) == ["amplitude", "tau", "offset"]
    assert "exp_decay" in result.report()
    assert result.to_dict()["model"] == "exp_decay"
    np.testing.assert_array_equal(result.best_fit, MODELS["exp_decay"].values(result.values, t))
    poly = fit("polynomial", t, 1.0 + 2.0 * t - 0.5 * t**2, p0=[0.0, 0.0, 0.0])
    assert poly.names == ("c0", "c1", "c2")
    np.testing.assert_allclose(poly.values, [1.0, 2.0, -0.5], rtol=1e-10)


def test_fit_many_dask_by_name():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    from pyminpack import fit_many_dask

    data, starts = spots(K=9)
    local = fit_many("gauss_2d", data, starts, workers=1)
    lazy = fit_many_dask("gauss_2d", da.from_array(data, chunks=(4, 49)), da.from_array(starts, chunks=(4, 5)))
    remote = ManyFits(*dask.compute(*lazy, scheduler="synchronous"))
    for a, b in zip(local, remote, strict=True):
        np.testing.assert_array_equal(a, b)


# ---- bad input: a clear error before any fit starts -------------------------------------


def front_ends():
    """Each front end as call(model, y (K, m), p0, x, **kwargs)."""

    def dask_call(model, y, p0, x=None, **kwargs):
        pytest.importorskip("dask.array")
        from pyminpack import fit_many_dask

        return fit_many_dask(model, y, p0, x=x, **kwargs)

    return {
        "fit_many": lambda model, y, p0, x=None, **kwargs: fit_many(model, y, p0, x=x, **kwargs),
        "curve_fit": lambda model, y, p0, x=None, **kwargs: curve_fit(model, x, y[0], p0, **kwargs),
        "fit": lambda model, y, p0, x=None, **kwargs: fit(model, x, y[0], p0, **kwargs),
        "fit_many_dask": dask_call,
    }


FRONT_ENDS = front_ends()


@pytest.mark.parametrize("call", FRONT_ENDS.values(), ids=FRONT_ENDS.keys())
def test_unknown_model_name_lists_the_models(call):
    with pytest.raises(ValueError, match=r"no built-in model is named 'gauss2d'; the built-in models are gauss_1d, "):
        call("gauss2d", np.ones((2, 49)), np.ones(5))


@pytest.mark.parametrize("call", FRONT_ENDS.values(), ids=FRONT_ENDS.keys())
def test_wrong_number_of_parameters(call):
    with pytest.raises(ValueError, match=r"model 'gauss_2d' takes 5 parameters \(amplitude, x0, y0, width, offset\); "):
        call("gauss_2d", np.ones((2, 49)), np.ones(4))


@pytest.mark.parametrize("call", FRONT_ENDS.values(), ids=FRONT_ENDS.keys())
def test_pixel_count_that_is_not_a_square(call):
    with pytest.raises(ValueError, match="model 'gauss_2d' reads each curve as a square image, but m = 50 is not"):
        call("gauss_2d", np.ones((2, 50)), np.ones(5))


@pytest.mark.parametrize("call", FRONT_ENDS.values(), ids=FRONT_ENDS.keys())
@pytest.mark.parametrize(
    ("name", "x", "expected"),
    # (2, 11): neither one x for all curves nor one per curve (fit_many reads a (K, m) x as the latter).
    [("gauss_1d", np.ones((2, 11)), r"\(10,\)"), ("gauss_2d", np.ones(10), r"\(2, 10\)")],
)
def test_abscissae_of_the_wrong_shape(call, name, x, expected):
    p0 = np.ones(len(MODELS[name].parameters))
    with pytest.raises(ValueError, match=rf"model '{name}': x must have shape {expected}"):
        call(name, np.ones((2, 10)), p0, x=x)


def test_a_jacobian_or_user_data_with_a_builtin_model():
    jacobian = MODELS["gauss_1d"].functions[1]
    with pytest.raises(TypeError, match="jacobian: the built-in model 'gauss_1d' brings its own analytic Jacobian"):
        fit_many("gauss_1d", np.ones((2, 10)), np.ones(4), jacobian=jacobian)
    with pytest.raises(TypeError, match="jac: the built-in model 'gauss_1d' brings its own analytic Jacobian"):
        curve_fit("gauss_1d", None, np.ones(10), np.ones(4), jac=jacobian)
    with pytest.raises(TypeError, match="user_data: the built-in model 'gauss_1d' takes none"):
        fit_many("gauss_1d", np.ones((2, 10)), np.ones(4), user_data=np.ones(3))
    with pytest.raises(TypeError, match="user_data: the built-in model 'gauss_1d' takes none"):
        curve_fit("gauss_1d", None, np.ones(10), np.ones(4), user_data=np.ones(3))


def test_a_model_made_up_outside_the_registry_is_refused():
    made_up = BuiltinModel("gauss_3d", ("amplitude",), "amplitude", "not built in")
    with pytest.raises(ValueError, match="no built-in model is named 'gauss_3d'"):
        fit_many(made_up, np.ones((2, 10)), np.ones(1))


def test_evaluating_needs_x_or_m():
    with pytest.raises(ValueError, match="give x, or m, the number of points"):
        MODELS["gauss_1d"].values([1.0, 0.0, 1.0, 0.0])


# ---- the exponentials a Gaussian's Jacobian reuses from its values call ------------------

GAUSSIANS = ["gauss_1d", "gauss_2d", "gauss_2d_elliptic", "gauss_2d_rotated"]


def gaussian_cases():
    for name in GAUSSIANS:
        dims = MODELS[name].dimensions
        for x, m in [*LAYOUTS[dims], (None, 2000 if dims == 1 else 2025)]:  # the last: more than the C keeps
            yield pytest.param(name, x, m, id=f"{name}-{'default' if x is None else 'given'}-x-{m}")


def cold_jacobian(model: BuiltinModel, p: np.ndarray, x, m: int) -> np.ndarray:
    """The Jacobian computed from scratch: the last values call was at other parameters."""
    model.values(p + 1.0, x, m=m)
    return model.jacobian(p, x, m=m)


@pytest.mark.parametrize(("name", "x", "m"), list(gaussian_cases()))
def test_the_jacobian_after_the_values_at_its_point_is_the_one_from_scratch(name, x, m):
    """lmder's order, values then Jacobian at the same point, reuses the values call's exponentials: the same
    Jacobian bit for bit as one computed from scratch (which the central-difference test above checks against the
    values), and as one after values at the same point but another model or m (which must not reuse them)."""
    model = MODELS[name]
    rng = seeded(name, m, "kept")
    for _ in range(3):
        p = typical_parameters(name, coordinates(model, x, m), rng)
        expected = cold_jacobian(model, p, x, m)
        model.values(p, x, m=m)
        np.testing.assert_array_equal(model.jacobian(p, x, m=m), expected)
        model.values(p, x, m=m)
        model.jacobian(p, x, m=m)  # twice in a row: still the same
        np.testing.assert_array_equal(model.jacobian(p, x, m=m), expected)
    if MODELS[name].dimensions == 2 and x is None:
        other = "gauss_2d_elliptic" if name == "gauss_2d" else "gauss_2d"
        MODELS[other].values(np.ones(len(MODELS[other].parameters)), m=m)
        np.testing.assert_array_equal(model.jacobian(p, x, m=m), expected)


@pytest.mark.parametrize("name", GAUSSIANS)
def test_x_changed_in_place_between_values_and_jacobian_is_seen(name):
    """The kept exponentials are keyed by x's contents, not only by its address."""
    model = MODELS[name]
    m = 40
    rng = seeded(name, "in place")
    x = rng.uniform(0.0, 6.0, m) if model.dimensions == 1 else rng.uniform(0.0, 6.0, (2, m))
    p = typical_parameters(name, np.atleast_2d(x), rng)
    model.values(p, x)
    x[..., 7] += 0.5
    np.testing.assert_array_equal(model.jacobian(p, x), cold_jacobian(model, p, x.copy(), m))


def test_threads_interleaving_values_and_jacobians_get_their_own():
    """Two threads calling values then Jacobian at their own parameters (the GIL released in each C call, so the
    calls interleave) each get the Jacobian at their own point."""
    model, m = MODELS["gauss_1d"], 64
    params = [np.array([3.0, 20.0 + k, 5.0 + k, 0.1 * k]) for k in range(2)]
    expected = [cold_jacobian(model, p, None, m) for p in params]
    wrong = []

    def work(k: int) -> None:
        for _ in range(300):
            model.values(params[k], m=m)
            if not np.array_equal(model.jacobian(params[k], m=m), expected[k]):
                wrong.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


@pytest.mark.parametrize("name", GAUSSIANS)
def test_fit_many_on_two_workers_is_one_worker_bit_for_bit(name):
    model = MODELS[name]
    x, m = (None, 32) if model.dimensions == 1 else (None, 49)
    rng = seeded(name, "workers")
    truth = np.array([typical_parameters(name, coordinates(model, x, m), rng) for _ in range(600)])
    curves = np.array([model.values(p, x, m=m) for p in truth]) + rng.normal(0.0, 0.05, (600, m))
    start = truth * rng.uniform(0.9, 1.1, truth.shape)
    one, two = fit_many(name, curves, start, workers=1), fit_many(name, curves, start, workers=2)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_builtin_model_called_from_python_carries_its_name():
    # What reports and plots show for the model (not the C function's name).
    assert callable_model(resolve("gauss_1d"), 10).__name__ == "gauss_1d"
