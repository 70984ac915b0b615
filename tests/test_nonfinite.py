"""nan and inf from func or Dfun: refused where MINPACK would build on them.

MINPACK cannot recover from a non-finite residual at the starting point or
from a non-finite Jacobian entry (analytic, or a forward difference): it
returns garbage, silently, as SciPy does. pyminpack stops the solve at that
evaluation (MINPACK's user-termination flag) and raises a ValueError naming
the function, the evaluation and x. A non-finite residual at a *trial* point
is different: MINPACK rejects the step and shortens it, so those are let
through -- but a convergence reached only by shortening the step on such
trials is no success, and is refused with the same ValueError. With
``allow_nonfinite=True`` the solve still stops at those points, but ends
with ``ier`` -2 instead of raising: letting the values through would make
the outcome depend on the CPU (MINPACK's DMAX1/DMIN1 on nan compile to
x86-64's ``maxsd`` and arm64's ``fmaxnm``, which disagree; see
``_callbacks.nonfinite_handler``), or a success code for a point MINPACK
never improved on. These tests pin the outcomes exactly, and CI runs them
on both CPUs (``tools/test-aarch64.sh``).
"""

from __future__ import annotations

import ctypes
import functools
import pickle
import re

import libminpack
import numpy as np
import pytest
from small_problems import EXP

from pyminpack import Compiled, curve_fit, fit, fit_many, leastsq
from pyminpack._solver.messages import IER_NONFINITE, OUTCOMES
from pyminpack._solver.validation import all_finite

BAD_VALUES = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}


class SpoiledAt:
    """EXP whose ``which`` output gets ``value`` at that function's call ``call``.

    Call 1 is leastsq's checking call; MINPACK's own evaluations follow.
    """

    def __init__(self, which, call, value):
        self.which, self.call, self.value = which, call, value
        self.calls = {"func": 0, "Dfun": 0}

    def _spoil(self, which, result):
        self.calls[which] += 1
        if which == self.which and self.calls[which] == self.call:
            result = np.array(result, dtype=float)
            result.flat[0] = self.value
        return result

    def func(self, p):
        return self._spoil("func", EXP.func(p))

    def jac(self, p):
        return self._spoil("Dfun", EXP.jac(p))


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
def test_nonfinite_residuals_at_the_start_are_refused_before_minpack_runs(value, use_dfun):
    spoiled = SpoiledAt("func", 1, value)
    pattern = r"the 'func' argument 'func' returned nan or inf at the checking call \(at the starting point\), x = \[1\., 1\.\]"
    with pytest.raises(ValueError, match=pattern):
        leastsq(spoiled.func, EXP.x0, Dfun=spoiled.jac if use_dfun else None)
    assert spoiled.calls["func"] == 1


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_nonfinite_forward_difference_stops_the_solve_at_that_evaluation(value):
    # Evaluation 1 is MINPACK's at x0; evaluations 2 and 3 are fdjac2's columns.
    spoiled = SpoiledAt("func", 3, value)  # the checking call, then evaluations 1 and 2
    with pytest.raises(ValueError, match=r"at evaluation 2 \(forming the forward-difference Jacobian\)"):
        leastsq(spoiled.func, EXP.x0)
    assert spoiled.calls["func"] == 3, "the function was called again after the bad value"


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
@pytest.mark.parametrize("call", [1, 2, 4])
def test_a_nonfinite_analytic_jacobian_stops_the_solve(value, call):
    spoiled = SpoiledAt("Dfun", call, value)
    if call == 1:
        expected = r"the 'Dfun' argument 'jac' returned nan or inf at the checking call \(at the starting point\)"
    else:
        expected = rf"the 'Dfun' argument 'jac' returned nan or inf at evaluation {call - 1} \(forming the Jacobian\)"
    with pytest.raises(ValueError, match=expected):
        leastsq(spoiled.func, EXP.x0, Dfun=spoiled.jac)
    assert spoiled.calls["Dfun"] == call


def test_the_message_shows_x_to_full_precision():
    spoiled = SpoiledAt("Dfun", 3, np.nan)
    with pytest.raises(ValueError) as caught:
        leastsq(spoiled.func, EXP.x0, Dfun=spoiled.jac)
    shown = re.search(r"x = \[(.*?)\]", str(caught.value)).group(1)
    x = np.array([float(v) for v in shown.split(",")])
    assert x.size == 2 and np.all(np.isfinite(x)) and not np.array_equal(x, EXP.x0)
    assert "allow_nonfinite=True" in str(caught.value)


def test_the_whole_message():
    # x as numpy prints it with every digit that tells it apart (here 16 of them).
    with pytest.raises(ValueError) as caught:
        leastsq(lambda p: np.array([np.nan, 1.0]), [0.1, 1 / 3])
    assert str(caught.value) == (
        "leastsq: the 'func' argument '<lambda>' returned nan or inf at the checking call (at the starting point), "
        "x = [0.1               , 0.3333333333333333]. MINPACK cannot make progress from non-finite values; "
        "keep the model finite where it is evaluated (rescale it, or bound the parameters with curve_fit), or pass "
        "allow_nonfinite=True to have the solve end there with ier -2 instead of this error."
    )


def test_a_function_without_a_name_is_shown_by_its_repr():
    func = functools.partial(lambda p, bad: np.array([bad, 1.0]), bad=np.nan)
    with pytest.raises(ValueError, match=f"^leastsq: the 'func' argument {re.escape(repr(repr(func)))} returned nan"):
        leastsq(func, [0.0])


@pytest.mark.parametrize(("n", "summarised"), [(20, False), (21, True)])
def test_an_x_of_more_than_20_parameters_is_summarised_in_the_message(n, summarised):
    with pytest.raises(ValueError) as caught:
        leastsq(lambda p: np.full(n, np.nan), np.arange(n, dtype=float))
    shown = re.search(r"x = (\[.*?\])", str(caught.value), flags=re.DOTALL).group(1)
    assert ("..." in shown) is summarised
    assert shown.startswith("[ 0.,  1.,  2.,") and shown.endswith(f"{n - 1:2d}.]")


def overflowing_exp(p):
    """EXP, but inf once the rate is large: a trial step MINPACK must reject."""
    with np.errstate(over="ignore"):
        return np.where(p[1] > 1.95, np.inf, EXP.func(p))


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
def test_nonfinite_residuals_at_a_trial_point_are_left_to_minpack(use_dfun):
    # EXP's optimum has rate 1.92; steps that overshoot past 1.95 give inf,
    # MINPACK rejects them and shortens the step, and the fit still converges.
    overshoots = []

    def func(p):
        result = overflowing_exp(p)
        overshoots.append(not np.all(np.isfinite(result)))
        return result

    x, ier = leastsq(func, EXP.x0, Dfun=EXP.jac if use_dfun else None)
    expected, _ = leastsq(EXP.func, EXP.x0, Dfun=EXP.jac if use_dfun else None)
    assert any(overshoots), "no trial step produced inf: the test proves nothing"
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, expected, rtol=1e-6)


# -- no success on non-finite trial points alone ------------------------------
#
# The example: Rosenbrock's residuals from (-1.2, 1), nan at every
# trial point.  MINPACK rejects each trial and shortens its step until the
# step-length test of ier 2 holds, and SciPy reports success at x0.  Here the
# residuals are finite only where x differs from x0 in one coordinate at most
# -- x0 itself and its forward-difference points -- and nan elsewhere, which
# is every trial point (MINPACK's steps from x0 move both coordinates).

ROSENBROCK_X0 = np.array([-1.2, 1.0])


def rosenbrock_nan_off_x0(x):
    if np.count_nonzero(x != ROSENBROCK_X0) > 1:
        return np.full(2, np.nan)
    return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


def rosenbrock_jacobian(x):
    return np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]])


#: MINPACK's first trial evaluation: after x0 (1) and, in lmdif, its two forward differences.
FIRST_TRIAL = {"lmdif": 4, "lmder": 2}
DRIVERS = {"lmdif": None, "lmder": rosenbrock_jacobian}


@pytest.mark.parametrize("driver", DRIVERS, ids=DRIVERS.keys())
def test_minpack_itself_claims_convergence_at_x0(driver):
    # What the guard refuses: the original Fortran (Debian's libminpack),
    # left to itself, reports ier 2 at x0 after shortening its step on nan
    # trials alone.
    lib = libminpack.load()
    if lib is None:
        pytest.skip("Debian's libminpack1 (the oracle) is not installed")
    settings = {"ftol": 1.49012e-08, "xtol": 1.49012e-08, "gtol": 0.0}
    if driver == "lmdif":
        raw = libminpack.lmdif(lib, rosenbrock_nan_off_x0, ROSENBROCK_X0, 2, maxfev=600, epsfcn=2.0**-52, **settings)
    else:
        raw = libminpack.lmder(
            lib, rosenbrock_nan_off_x0, rosenbrock_jacobian, ROSENBROCK_X0, 2, maxfev=300, **settings
        )
    assert raw.info == 2  # "The relative error between two consecutive iterates is at most 0.000000"
    np.testing.assert_array_equal(raw.x, ROSENBROCK_X0)
    assert raw.nfev > FIRST_TRIAL[driver] + 5, "MINPACK shortened its step several times"


def refused_convergence(driver):
    """The guard's message for the example: every trial evaluation, from x0."""
    *_, info, _, ier = leastsq(
        rosenbrock_nan_off_x0, ROSENBROCK_X0, Dfun=DRIVERS[driver], full_output=True, allow_nonfinite=True
    )
    assert ier == IER_NONFINITE
    return re.escape(
        f"returned nan or inf at evaluations {FIRST_TRIAL[driver]} to {info['nfev']}, every trial point MINPACK "
        "tried after its last finite one, all from x = [-1.2,  1. ]. MINPACK rejected those steps and shortened "
        "them until its convergence test (ier 2) was met"
    )


@pytest.mark.parametrize("driver", DRIVERS, ids=DRIVERS.keys())
@pytest.mark.parametrize("full_output", [False, True])
def test_convergence_on_nonfinite_trials_alone_is_refused(driver, full_output):
    with pytest.raises(
        ValueError, match=r"^leastsq: the 'func' argument 'rosenbrock_nan_off_x0' " + refused_convergence(driver)
    ) as caught:
        leastsq(rosenbrock_nan_off_x0, ROSENBROCK_X0, Dfun=DRIVERS[driver], full_output=full_output)
    assert str(caught.value).endswith(
        "or pass allow_nonfinite=True to have the solve end there with ier -2 instead of this error."
    )


_DOUBLES = ctypes.POINTER(ctypes.c_double)


@ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, _DOUBLES, _DOUBLES, ctypes.c_void_p)
def compiled_rosenbrock_nan_off_x0(m, n, x, fvec, user_data):
    fvec[0], fvec[1] = rosenbrock_nan_off_x0(np.array([x[0], x[1]]))
    return 0


@ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, _DOUBLES, _DOUBLES, ctypes.c_int, ctypes.c_void_p)
def compiled_rosenbrock_jacobian(m, n, x, fjac, ldfjac, user_data):
    jacobian = rosenbrock_jacobian(np.array([x[0], x[1]]))
    for i in range(2):
        for j in range(2):
            fjac[i + j * ldfjac] = jacobian[i, j]
    return 0


COMPILED_JACOBIANS = {"lmdif": None, "lmder": compiled_rosenbrock_jacobian}


@pytest.mark.parametrize("driver", COMPILED_JACOBIANS, ids=COMPILED_JACOBIANS.keys())
def test_the_compiled_path_refuses_it_too(driver):
    func = Compiled(compiled_rosenbrock_nan_off_x0, 2, jacobian=COMPILED_JACOBIANS[driver])
    with pytest.raises(ValueError, match=refused_convergence(driver)):
        leastsq(func, ROSENBROCK_X0)
    x, _, info, _, ier = leastsq(func, ROSENBROCK_X0, full_output=True, allow_nonfinite=True)
    python = leastsq(rosenbrock_nan_off_x0, ROSENBROCK_X0, Dfun=DRIVERS[driver], full_output=True, allow_nonfinite=True)
    assert (ier, info["nfev"]) == (python[4], python[2]["nfev"]) == (IER_NONFINITE, python[2]["nfev"])
    np.testing.assert_array_equal(x, ROSENBROCK_X0)


def rosenbrock_nan_at_first_trials(trials):
    """Rosenbrock's residuals, nan at MINPACK's first ``trials`` trial points (lmdif), finite after."""
    first_trial = FIRST_TRIAL["lmdif"]
    evaluations = []  # MINPACK's count, after leastsq's checking call (0)

    def residuals(x):
        evaluation = len(evaluations)
        evaluations.append(evaluation)
        if first_trial <= evaluation < first_trial + trials:
            return np.full(2, np.nan)
        return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])

    return residuals


@pytest.mark.parametrize("trials", [1, 3])
def test_nan_trials_followed_by_a_finite_step_stay_a_success(trials):
    # MINPACK shortens the step on the nan trials, then finds finite ones and
    # goes on to Rosenbrock's minimum: the run of nan trials was not the last.
    x, _, info, _, ier = leastsq(rosenbrock_nan_at_first_trials(trials), ROSENBROCK_X0, full_output=True)
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, [1.0, 1.0], rtol=1e-6)
    unchecked = leastsq(rosenbrock_nan_at_first_trials(trials), ROSENBROCK_X0, full_output=True, allow_nonfinite=True)
    np.testing.assert_array_equal(x, unchecked[0])
    assert (ier, info["nfev"]) == (unchecked[4], unchecked[2]["nfev"])
    assert info["nfev"] > FIRST_TRIAL["lmdif"] + trials, "the nan trials were made, and more after them"


def test_allow_nonfinite_ends_where_scipy_claims_success():
    # The same solve, the same x and nfev; SciPy's success code becomes -2.
    so = pytest.importorskip("scipy.optimize")
    ours = leastsq(rosenbrock_nan_off_x0, ROSENBROCK_X0, full_output=True, allow_nonfinite=True)
    theirs = so.leastsq(rosenbrock_nan_off_x0, ROSENBROCK_X0, full_output=True)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert (ours[4], theirs[4]) == (IER_NONFINITE, 2)


def model_nan_off_p0(x, a, b):
    """A line, nan wherever (a, b) differs from the start (1, 1) in both."""
    return np.full_like(x, np.nan) if a != 1.0 and b != 1.0 else a * x + b


LINE_X = np.linspace(0.0, 3.0, 7)
LINE_Y = 2.0 * LINE_X - 1.0


def test_curve_fit_and_fit_refuse_it_as_leastsq_does():
    # The first trial is the straight line's exact solution, (2, -1): nan.
    # The error names the model, not curve_fit's wrapper of it.
    pattern = r"^leastsq: the 'func' argument 'model_nan_off_p0' returned nan or inf at evaluations 4 to \d+, every trial point MINPACK tried after its last finite one, all from x = \[1\., 1\.\]"
    with pytest.raises(ValueError, match=pattern):
        curve_fit(model_nan_off_p0, LINE_X, LINE_Y, p0=[1.0, 1.0])
    with pytest.raises(ValueError, match=pattern):
        fit(model_nan_off_p0, LINE_X, LINE_Y, p0=[1.0, 1.0])
    with pytest.raises(
        RuntimeError,
        match=re.escape("Optimal parameters not found: " + OUTCOMES[IER_NONFINITE].template.format(jacobian="Dfun")),
    ):
        curve_fit(model_nan_off_p0, LINE_X, LINE_Y, p0=[1.0, 1.0], allow_nonfinite=True)
    result = fit(model_nan_off_p0, LINE_X, LINE_Y, p0=[1.0, 1.0], allow_nonfinite=True)
    assert (result.success, result.ier) == (False, IER_NONFINITE)
    np.testing.assert_array_equal(result.values, [1.0, 1.0])


@ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, _DOUBLES, _DOUBLES, _DOUBLES, ctypes.c_void_p)
def compiled_model_nan_off_p0(m, n, p, x, out, user_data):
    out_values = model_nan_off_p0(np.array([x[i] for i in range(m)]), p[0], p[1])
    for i in range(m):
        out[i] = out_values[i]
    return 0


def test_fit_many_reports_it_as_the_guards_failure():
    curves = np.vstack([LINE_Y, 3.0 * LINE_X])
    fits = fit_many(compiled_model_nan_off_p0, curves, [1.0, 1.0], x=LINE_X, workers=1)
    assert (fits.ier == IER_NONFINITE).all()
    assert np.isnan(fits.stderr).all()
    np.testing.assert_array_equal(fits.params, [[1.0, 1.0], [1.0, 1.0]])


def all_nan(p):
    return np.full(5, np.nan)


def ones_jacobian(p):
    return np.ones((5, 2))


@pytest.mark.parametrize("dfun", [None, ones_jacobian], ids=["lmdif", "lmder"])
def test_allow_nonfinite_ends_all_nan_residuals_at_the_start_with_ier_minus_2(dfun):
    # Let through, MINPACK ended this with ier 5 and x nan on x86-64 but
    # ier 4 ("converged") and x0 on arm64, as SciPy does.
    x, cov_x, info, mesg, ier = leastsq(all_nan, EXP.x0, Dfun=dfun, allow_nonfinite=True, full_output=True)
    assert ier == IER_NONFINITE == -2
    assert mesg == OUTCOMES[IER_NONFINITE].template.format(jacobian="Dfun")
    assert info["nfev"] == 1  # MINPACK's own evaluation at x0, where it was stopped
    assert info.get("njev", 0) == 0
    np.testing.assert_array_equal(x, EXP.x0)
    assert np.isnan(info["fvec"]).all()
    assert cov_x is None
    # MINPACK was stopped before forming these: zero, as for ier 0.
    assert not info["fjac"].any() and not info["qtf"].any()


def test_allow_nonfinite_warns_without_full_output():
    with pytest.warns(RuntimeWarning, match="returned nan or inf where MINPACK would build on it"):
        x, ier = leastsq(all_nan, EXP.x0, allow_nonfinite=True)
    assert ier == IER_NONFINITE
    np.testing.assert_array_equal(x, EXP.x0)


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_allow_nonfinite_stops_at_a_nonfinite_forward_difference(value):
    spoiled = SpoiledAt("func", 3, value)  # the checking call, MINPACK's x0, fdjac2's first column
    x, _, info, _, ier = leastsq(spoiled.func, EXP.x0, allow_nonfinite=True, full_output=True)
    assert ier == IER_NONFINITE
    assert spoiled.calls["func"] == 3, "the function was called again after the bad value"
    assert info["nfev"] == 3  # MINPACK counts the whole Jacobian's n evaluations once it starts one
    # MINPACK's x as it stopped: where func returned the bad value, x0 with
    # its first coordinate stepped by fdjac2's h = sqrt(eps) * |x0[0]|.
    np.testing.assert_array_equal(x, [1.0 + np.sqrt(np.finfo(float).eps), 1.0])
    np.testing.assert_array_equal(info["fvec"], EXP.func(EXP.x0))


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
@pytest.mark.parametrize("call", [2, 4])
def test_allow_nonfinite_stops_at_a_nonfinite_analytic_jacobian(value, call):
    spoiled = SpoiledAt("Dfun", call, value)  # call 1 is the checking call
    x, _, info, _, ier = leastsq(spoiled.func, EXP.x0, Dfun=spoiled.jac, allow_nonfinite=True, full_output=True)
    assert ier == IER_NONFINITE
    assert (spoiled.calls["Dfun"], info["njev"]) == (call, call - 1)
    # x is the iterate whose Jacobian was bad; fvec its residuals.
    np.testing.assert_array_equal(info["fvec"], EXP.func(x))
    if call == 2:
        np.testing.assert_array_equal(x, EXP.x0)
    else:
        assert not np.array_equal(x, EXP.x0)


# Left to itself, MINPACK may converge (ier 1 to 4) on a QR factorisation
# it built from nan: here the residuals are zero at the start, so its gtol
# test would pass at once (ier 4) on a nan Jacobian.  With
# allow_nonfinite=True the guard stops it at that Jacobian instead, and no
# exception of pyminpack's own follows: leastsq reports ier -2 with no
# cov_x, curve_fit its RuntimeError for a failed fit, and fit a failed result
# whose report still renders.
X = np.linspace(0.0, 1.0, 5)


def line(x, a, b):
    return a * x + b


def nan_line_jacobian(x, a, b):
    return np.full((x.size, 2), np.nan)


def zero_then_nan(p):
    return np.zeros(5) if np.array_equal(p, EXP.x0) else np.full(5, np.nan)


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
def test_a_nan_jacobian_with_allow_nonfinite_ends_the_solve_with_ier_minus_2(use_dfun):
    if use_dfun:
        func, dfun = (lambda p: np.zeros(5)), (lambda p: np.full((5, 2), np.nan))
    else:  # the forward differences are nan
        func, dfun = zero_then_nan, None
    x, cov_x, info, _, ier = leastsq(func, EXP.x0, Dfun=dfun, allow_nonfinite=True, full_output=True)
    assert ier == IER_NONFINITE
    assert cov_x is None
    # x is where the function returned the values: x0, or (forward
    # differences) x0 with its first coordinate moved by the difference step.
    np.testing.assert_allclose(x, EXP.x0, rtol=np.sqrt(np.finfo(float).eps))
    # Stopped at the first Jacobian; lmdif counts its n difference evaluations at once.
    assert info["nfev"] == (1 if use_dfun else 1 + len(EXP.x0))


def test_curve_fit_on_a_nan_jacobian_with_allow_nonfinite_fails_as_curve_fit_fails():
    with pytest.raises(
        RuntimeError,
        match=re.escape("Optimal parameters not found: " + OUTCOMES[IER_NONFINITE].template.format(jacobian="Dfun")),
    ):
        curve_fit(line, X, line(X, 2.0, 1.0), p0=[2.0, 1.0], jac=nan_line_jacobian, allow_nonfinite=True)


def test_fit_on_a_nan_jacobian_with_allow_nonfinite_reports_a_failed_fit():
    result = fit(line, X, line(X, 2.0, 1.0), p0=[2.0, 1.0], jac=nan_line_jacobian, allow_nonfinite=True)
    assert (result.success, result.ier) == (False, IER_NONFINITE)
    np.testing.assert_array_equal(result.values, [2.0, 1.0])
    assert np.isnan(result.stderr).all()
    assert "[[Variables]]" in result.report()


# Every copy path into MINPACK's arrays scans what it copies: the C fast
# paths (a float64 array of the expected layout, scanned as it is copied)
# and the checker's path (any other array-like, converted by numpy).  The bad
# value goes first, last, or in the middle of a length that is no multiple
# of a vector width, so both a vectorised scan's body and its tail are hit.
T = np.linspace(0.0, 1.0, 37)
Y = 1.0 + 2.0 * T


def line_residuals(p):
    return p[0] + p[1] * T - Y


def line_jacobian_rows(p):
    return np.column_stack([np.ones_like(T), T])


POSITIONS = {"first": 0, "middle": 18, "last": -1}
RESULT_FORMS = {
    "float64": lambda a: a,
    "float32": lambda a: a.astype(np.float32),
    "Fortran-ordered": np.asfortranarray,
    "nested lists": lambda a: a.tolist(),
}


def spoiled_at(function, call, position, form):
    """``function`` whose ``call``-th result has nan at flat ``position``, returned as ``form``."""
    calls = []

    def spoiled(p):
        calls.append(p)
        result = np.array(function(p), dtype=float)
        if len(calls) == call:
            result.flat[position] = np.nan
        return form(result)

    return spoiled


@pytest.mark.parametrize("form", RESULT_FORMS.values(), ids=RESULT_FORMS.keys())
@pytest.mark.parametrize("position", POSITIONS.values(), ids=POSITIONS.keys())
def test_a_nonfinite_forward_difference_is_found_wherever_it_is(form, position):
    func = spoiled_at(line_residuals, 3, position, form)  # the checking call, then evaluations 1 and 2
    with pytest.raises(ValueError, match=r"at evaluation 2 \(forming the forward-difference Jacobian\)"):
        leastsq(func, [0.0, 0.0])


@pytest.mark.parametrize("form", RESULT_FORMS.values(), ids=RESULT_FORMS.keys())
@pytest.mark.parametrize("position", POSITIONS.values(), ids=POSITIONS.keys())
@pytest.mark.parametrize("col_deriv", [False, True], ids=["rows", "col_deriv"])
def test_a_nonfinite_jacobian_entry_is_found_wherever_it_is(form, position, col_deriv):
    def jacobian(p):
        rows = line_jacobian_rows(p)
        return rows.T if col_deriv else rows

    dfun = spoiled_at(jacobian, 2, position, form)  # the checking call, then evaluation 1
    with pytest.raises(ValueError, match=r"returned nan or inf at evaluation 1 \(forming the Jacobian\)"):
        leastsq(line_residuals, [0.0, 0.0], Dfun=dfun, col_deriv=col_deriv)


# leastsq's own checks (x0, func(x0) and Dfun(x0)) sum the values first;
# finite values whose sum overflows must still count as finite.
LONG = 1000
ALL_FINITE_CASES = {
    "moderate": (np.linspace(-1.0, 1.0, LONG), True),
    "huge, the sum overflows": (np.full(LONG, 1e307), True),
    "float32, the sum overflows": (np.full(LONG, 3e38, dtype=np.float32), True),
    "a Jacobian, 2-D": (np.full((LONG, 3), -1e307), True),
    "nan last": (np.append(np.ones(LONG), np.nan), False),
    "inf first": (np.append(np.inf, np.ones(LONG)), False),
    "inf and -inf, the sum is nan": (np.append([np.inf, -np.inf], np.ones(LONG)), False),
    "huge and inf": (np.append(np.full(LONG, 1e307), -np.inf), False),
    # Short ones (a fit's parameters) are summed as Python floats, with the same exactness.
    "short, moderate": (np.array([1.0, -2.0, 3.0]), True),
    "short, the sum overflows": (np.full(3, 1e308), True),
    "short float32, its sum as float64 is finite": (np.full(3, 3e38, dtype=np.float32), True),
    "short, 2-D, the sum overflows": (np.full((2, 2), -1e308), True),
    "short, nan": (np.array([1.0, np.nan]), False),
    "short, inf and -inf, the sum is nan": (np.array([np.inf, -np.inf, 1.0]), False),
    "short, huge and inf": (np.array([1e308, 1e308, -np.inf]), False),
    "short, integers": (np.array([2**62, 2**62]), True),
}


@pytest.mark.parametrize(("values", "expected"), ALL_FINITE_CASES.values(), ids=ALL_FINITE_CASES.keys())
def test_the_finiteness_check_is_exact(values, expected):
    assert all_finite(values) is expected


def test_the_guards_error_survives_pickling_as_a_process_pool_sends_it():
    with pytest.raises(ValueError, match="returned nan or inf") as caught:
        leastsq(lambda p: np.full(3, np.nan), [1.0, 2.0])
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is type(caught.value)
    assert str(copy) == str(caught.value)
    np.testing.assert_array_equal(copy.x, [1.0, 2.0])
