"""nan and inf from func or Dfun: refused where MINPACK would build on them.

MINPACK cannot recover from a non-finite residual at the starting point or
from a non-finite Jacobian entry (analytic, or a forward difference): it
returns garbage, silently, as SciPy does. pyminpack stops the solve at that
evaluation (MINPACK's user-termination flag) and raises a ValueError naming
the function, the evaluation and x. A non-finite residual at a *trial* point
is different: MINPACK rejects the step and shortens it, so those are let
through. With ``allow_nonfinite=True`` the solve still stops at that
evaluation, but ends with ``ier`` -2 instead of raising: letting the values
through would make the outcome depend on the CPU (MINPACK's DMAX1/DMIN1 on
nan compile to x86-64's ``maxsd`` and arm64's ``fmaxnm``, which disagree; see
``_callbacks.nonfinite_handler``). These tests pin the outcomes exactly, and
CI runs them on both (``tools/test-aarch64.sh``).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from small_problems import EXP

from pyminpack import leastsq
from pyminpack._messages import IER_NONFINITE, OUTCOMES
from pyminpack._validation import all_finite

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
    assert mesg == OUTCOMES[IER_NONFINITE].template
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


# leastsq's own checks of long results (func(x0) and Dfun(x0)) sum them
# first; finite values whose sum overflows must still count as finite.
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
}


@pytest.mark.parametrize(("values", "expected"), ALL_FINITE_CASES.values(), ids=ALL_FINITE_CASES.keys())
def test_the_check_of_long_results_is_exact(values, expected):
    assert all_finite(values) is expected
