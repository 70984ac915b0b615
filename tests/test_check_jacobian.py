"""pyminpack.check_jacobian (MINPACK's chkder) and curve_fit(check_jac=True).

Oracles: the analytic Jacobians below are right by construction (checked
once here against central differences), the planted errors are wrong by
construction, and the scores are compared with a line-by-line transcription
of chkder.f's mode 2 formula.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from pyminpack import check_jacobian, curve_fit
from pyminpack._solver import check_jacobian as _check_jacobian
from pyminpack._solver.check_jacobian import SUSPICIOUS_BELOW, JacobianCheck

T = np.linspace(0.1, 2.0, 8)
DECAY_X0 = np.array([2.0, 0.7, 0.3])

# A correct row scores 1 up to the truncation error of chkder's one-sided
# difference, about sqrt(epsmch) * |x|**2 * |f''| relative to |f|: for a
# residual small beside its curvature that costs a few tenths on the log
# scale (0.80 is the lowest here), still well above the 0.5 threshold.
CORRECT_MIN_SCORE = 0.75


def decay(p):
    return p[0] * np.exp(-p[1] * T) + p[2] - 1.0


def decay_jac(p):
    e = np.exp(-p[1] * T)
    return np.column_stack([e, -p[0] * T * e, np.ones_like(T)])


def square(p):
    """Three residuals in three unknowns with a non-symmetric Jacobian."""
    x, y, z = p
    return np.array([x * y - 1.0, y + z**2, np.exp(x) - 3.0 * z])


def square_jac(p):
    x, y, z = p
    return np.array([[y, x, 0.0], [0.0, 1.0, 2.0 * z], [np.exp(x), 0.0, -3.0]])


SQUARE_X0 = np.array([0.7, 1.3, 0.9])


def central_differences(func, x, h=1e-6):
    return np.column_stack([(func(x + h * e) - func(x - h * e)) / (2 * h) for e in np.eye(x.size)])


def chkder_mode2_transcribed(fvec, fvecp, fjac, x):
    """chkder.f's mode 2, statement by statement, in the same IEEE operations and order.

    ``err(i) = err(i) + temp*fjac(i,j)`` accumulates column by column, as
    the Fortran loop does (a BLAS ``fjac @ |x|`` may sum the columns in
    another order or fuse them, which its kernel for the CPU decides), and
    ``log10`` is the C library's, which gfortran's ``dlog10`` calls too.
    """
    epsmch = 2.22044604926e-16  # dpmpar(1), as netlib's dpmpar.f writes it
    eps = math.sqrt(epsmch)
    epsf = 100.0 * epsmch
    epslog = math.log10(eps)
    err = np.zeros(fvec.size)
    for j in range(x.size):
        err = err + (abs(x[j]) or 1.0) * fjac[:, j]
    score = np.empty_like(fvec)
    for i in range(fvec.size):
        temp = 1.0
        if fvec[i] != 0 and fvecp[i] != 0 and abs(fvecp[i] - fvec[i]) >= epsf * abs(fvec[i]):
            temp = eps * abs((fvecp[i] - fvec[i]) / eps - err[i]) / (abs(fvec[i]) + abs(fvecp[i]))
        score[i] = 1.0
        if epsmch < temp < eps:
            score[i] = (math.log10(temp) - epslog) / epslog
        if temp >= eps:
            score[i] = 0.0
    return score


class Recorded:
    """``func`` and ``jac``, remembering what they returned: the values chkder was given."""

    def __init__(self, func, jac):
        self.func, self.jac = func, jac
        self.fvecs, self.fjacs = [], []

    def residuals(self, p):
        self.fvecs.append(np.asarray(self.func(p), dtype=np.float64))
        return self.fvecs[-1]

    def jacobian(self, p):
        self.fjacs.append(np.asarray(self.jac(p), dtype=np.float64))
        return self.fjacs[-1]


PROBLEMS = {"decay": (decay, decay_jac, DECAY_X0), "square": (square, square_jac, SQUARE_X0)}


@pytest.mark.parametrize(("func", "jac", "x0"), PROBLEMS.values(), ids=PROBLEMS.keys())
def test_the_reference_jacobians_are_right(func, jac, x0):
    np.testing.assert_allclose(jac(x0), central_differences(func, x0), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("col_deriv", [False, True])
@pytest.mark.parametrize(("func", "jac", "x0"), PROBLEMS.values(), ids=PROBLEMS.keys())
def test_correct_jacobian_scores_about_one_everywhere(func, jac, x0, col_deriv):
    dfun = (lambda p: jac(p).T) if col_deriv else jac
    result = check_jacobian(func, dfun, x0, col_deriv=col_deriv)
    assert result.ok
    assert np.all(result.err >= CORRECT_MIN_SCORE)
    assert result.unchecked.size == 0
    assert result.summary().startswith("Jacobian looks correct")


def wrong_column(p):
    j = decay_jac(p)
    j[:, 1] *= 1.01  # a 1 % error in d/dk
    return j


def wrong_sign(p):
    j = decay_jac(p)
    j[:, 0] = -j[:, 0]
    return j


def missing_column(p):
    j = decay_jac(p)
    j[:, 2] = 0.0
    return j


PLANTED = {
    "wrong-column": (decay, wrong_column, DECAY_X0, np.arange(T.size)),
    "wrong-sign": (decay, wrong_sign, DECAY_X0, np.arange(T.size)),
    "zero-column": (decay, missing_column, DECAY_X0, np.arange(T.size)),
    # Transposing changes rows 0 and 2 (row 1's sum along chkder's direction,
    # |x| = (0.7, 1.3, 0.9), happens to change as well: x*1 vs 0 and 2z*z vs 0).
    "transposed-square": (square, lambda p: square_jac(p).T, SQUARE_X0, np.array([0, 1, 2])),
}


@pytest.mark.parametrize(("func", "jac", "x0", "wrong_rows"), PLANTED.values(), ids=PLANTED.keys())
def test_planted_errors_are_flagged(func, jac, x0, wrong_rows):
    result = check_jacobian(func, jac, x0)
    assert not result.ok
    np.testing.assert_array_equal(result.suspicious, wrong_rows)
    assert np.all(result.err[wrong_rows] < SUSPICIOUS_BELOW)
    assert "probably wrong" in result.summary()


@pytest.mark.parametrize(
    ("func", "jac", "x0"),
    [*PROBLEMS.values(), (decay, wrong_column, DECAY_X0), (square, lambda p: square_jac(p).T, SQUARE_X0)],
    ids=[*PROBLEMS.keys(), "wrong-column", "transposed-square"],
)
def test_scores_are_chkders_formula(func, jac, x0):
    # The transcription gets the very values chkder got (func at x and at
    # xp, jac at x), not a second evaluation, and repeats chkder's own
    # operations in its order: so the scores agree to the last bit, on any
    # machine.  A tolerance would have to cover a score's sensitivity, not
    # rounding: one unit in the last place of err(i) moves a score by up to
    # 1e-9 relative here (the score is a log of a difference that cancels),
    # which is how this test, comparing with fjac @ |x| on re-evaluated
    # functions, once failed at 6.9e-10 against a tolerance of 1e-10.
    recorded = Recorded(func, jac)
    result = check_jacobian(recorded.residuals, recorded.jacobian, x0)
    (fvec, fvecp), (fjac,) = recorded.fvecs, recorded.fjacs
    np.testing.assert_array_equal(result.x, x0)
    scores = chkder_mode2_transcribed(fvec, fvecp, fjac, result.x)
    np.testing.assert_array_equal(result.err, scores)


def test_chkders_neighbouring_point():
    x = np.array([2.0, 0.0, -3.0])
    result = check_jacobian(lambda p: p + 1.5, lambda p: np.eye(3), x)
    eps = np.sqrt(2.22044604926e-16)
    np.testing.assert_allclose(result.xp, x + eps * np.array([2.0, 1.0, 3.0]), rtol=1e-15)


def test_zero_residual_is_unchecked_not_accused():
    def func(p):
        return np.array([p[0] - 2.0, p[0] * p[1] - 2.0])  # the first is zero at x0

    result = check_jacobian(func, lambda p: np.array([[1.0, 0.0], [p[1], p[0]]]), [2.0, 3.0])
    np.testing.assert_array_equal(result.unchecked, [0])
    assert np.isnan(result.err[0])
    assert result.ok
    assert "1 rows could not be checked" in result.summary()


def test_summary_lists_suspicious_rows():
    result = JacobianCheck(err=np.array([1.0, 0.1, 0.9, 0.0]), x=np.ones(1), xp=np.ones(1))
    assert str(result) == "Jacobian is probably wrong in 2 of 4 rows (score < 0.5): rows 1, 3."


def test_args_are_passed_to_both():
    def func(p, scale):
        return scale * decay(p)

    def jac(p, scale):
        return scale * decay_jac(p)

    assert check_jacobian(func, jac, DECAY_X0, args=(3.0,)).ok


def test_wrong_jacobian_shape_raises_type_error():
    with pytest.raises(TypeError, match=r"check_jacobian: there is a mismatch .*Shape should be \(8, 3\)"):
        check_jacobian(decay, lambda p: decay_jac(p).T, DECAY_X0)


# --- curve_fit(check_jac=True) ---------------------------------------------


def model(x, a, k, c):
    return a * np.exp(-k * x) + c


def model_jac(x, a, k, c):
    e = np.exp(-k * x)
    return np.column_stack([e, -a * x * e, np.ones_like(x)])


def model_jac_wrong_k(x, a, k, c):
    e = np.exp(-k * x)
    return np.column_stack([e, a * x * e, np.ones_like(x)])


Y = model(T, 2.0, 0.7, 0.3) + 0.01 * np.cos(5.0 * T)


def test_check_jac_passes_a_correct_jacobian_through():
    checked = curve_fit(model, T, Y, p0=[1.0, 1.0, 0.0], jac=model_jac, check_jac=True)
    unchecked = curve_fit(model, T, Y, p0=[1.0, 1.0, 0.0], jac=model_jac)
    np.testing.assert_array_equal(checked[0], unchecked[0])


def test_check_jac_passes_exactly_fitted_data():
    """The model is checked, not the residuals, which are zero here."""
    y = model(T, 1.0, 1.0, 0.5)
    popt, _ = curve_fit(model, T, y, p0=[1.0, 1.0, 0.5], jac=model_jac, check_jac=True, absolute_sigma=True)
    np.testing.assert_allclose(popt, [1.0, 1.0, 0.5], rtol=1e-12)


def test_check_jac_raises_naming_the_wrong_rows():
    with pytest.raises(ValueError, match=r"disagrees with the model .* rows 0, 1, 2, 3, 4, 5, 6, 7\."):
        curve_fit(model, T, Y, p0=[1.0, 1.0, 0.0], jac=model_jac_wrong_k, check_jac=True)


def test_check_jac_with_bounds_checks_the_users_jacobian():
    with pytest.raises(ValueError, match=r"disagrees with the model"):
        curve_fit(model, T, Y, p0=[1.0, 1.0, 0.0], jac=model_jac_wrong_k, check_jac=True, bounds=(-5.0, 5.0))


def test_check_jac_without_jac_raises():
    with pytest.raises(ValueError, match=r"check_jac=True needs an analytic Jacobian"):
        curve_fit(model, T, Y, p0=[1.0, 1.0, 0.0], check_jac=True)


def test_module_doctests():
    assert doctest.testmod(_check_jacobian, raise_on_error=False).failed == 0


# --- what chkder compares, and the errors in check_jacobian's words ----------


def test_rows_are_compared_exactly_where_chkder_compares_them():
    # Residuals that take one set of values at x0 and another at chkder's xp,
    # with a zero Jacobian: chkder.f compares row i when fvec(i) and fvecp(i)
    # are nonzero and |fvecp(i) - fvec(i)| >= epsf * |fvec(i)|, inclusive.
    at_x0 = np.array([2.0, 5e-324, 0.0, 1.0, 1.0])
    at_xp = np.array([1.0, 5e-324, 1.0, 0.0, 1.0])

    def two_valued(p):
        return (at_x0 if np.array_equal(p, DECAY_X0) else at_xp).copy()

    result = check_jacobian(two_valued, lambda p: np.zeros((5, 3)), DECAY_X0)
    # row 0: changes to exactly 1, compared, and the zero Jacobian misses the change;
    # row 1: unchanged where epsf * |fvec| underflows to 0, so 0 >= 0: compared, and right;
    # rows 2, 3: zero at one of the points; row 4: unchanged.
    np.testing.assert_array_equal(result.err, [0.0, 1.0, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(result.unchecked, [2, 3, 4])


def test_a_single_argument_is_wrapped_in_a_tuple():
    def func(p, scale):
        return scale * decay(p)

    def jac(p, scale):
        return scale * decay_jac(p)

    np.testing.assert_array_equal(
        check_jacobian(func, jac, DECAY_X0, args=3.0).err, check_jacobian(func, jac, DECAY_X0, args=(3.0,)).err
    )


def test_empty_x0_is_refused():
    with pytest.raises(ValueError) as caught:
        check_jacobian(decay, decay_jac, [])
    assert str(caught.value) == "check_jacobian: x0 is empty; there is no Jacobian column to check."


def returns_at_second_call(value):
    """``decay``, except that its second call (at chkder's xp) returns ``value``."""
    calls = []

    def func(p):
        calls.append(1)
        return decay(p) if len(calls) == 1 else value

    return func


BAD_RETURNS = {
    "func at x0": (
        lambda p: "a",
        decay_jac,
        TypeError,
        "check_jacobian: the 'func' argument '<lambda>' returned str; it must return an array of floats.",
    ),
    "Dfun at x0": (
        decay,
        lambda p: "a",
        TypeError,
        "check_jacobian: the 'Dfun' argument '<lambda>' returned str; it must return an array of floats.",
    ),
    "func at x0, 2-D": (
        lambda p: np.ones((8, 1)),
        decay_jac,
        TypeError,
        "check_jacobian: the 'func' argument '<lambda>' must return a 1-D array of residuals; it returned an array "
        "of shape (8, 1).",
    ),
    "func at xp": (
        returns_at_second_call("a"),
        decay_jac,
        TypeError,
        "check_jacobian: the 'func' argument 'func' returned str; it must return an array of floats.",
    ),
    "func at xp, complex": (
        returns_at_second_call(np.zeros(8, dtype=complex)),
        decay_jac,
        TypeError,
        "check_jacobian: the 'func' argument 'func' returned an array of dtype complex128; it must return real "
        "floating-point numbers.",
    ),
    "func at xp, 2-D": (
        returns_at_second_call(np.ones((8, 1))),
        decay_jac,
        TypeError,
        "check_jacobian: the 'func' argument 'func' must return a 1-D array of residuals; it returned an array of "
        "shape (8, 1).",
    ),
    "func at xp, resized": (
        returns_at_second_call(np.ones(5)),
        decay_jac,
        ValueError,
        "The array returned by a function changed size between calls",
    ),
}


@pytest.mark.parametrize(("func", "jac", "error", "message"), BAD_RETURNS.values(), ids=BAD_RETURNS.keys())
def test_bad_returns_are_named_in_check_jacobians_words(func, jac, error, message):
    with pytest.raises(error) as caught:
        check_jacobian(func, jac, DECAY_X0)
    assert str(caught.value) == message


@pytest.mark.parametrize(("col_deriv", "expected", "got"), [(False, "(8, 3)", "(3, 8)"), (True, "(3, 8)", "(8, 3)")])
def test_wrong_jacobian_shape_message_names_dfun_and_both_shapes(col_deriv, expected, got):
    def jac(p):
        return decay_jac(p) if col_deriv else decay_jac(p).T

    with pytest.raises(TypeError) as caught:
        check_jacobian(decay, jac, DECAY_X0, col_deriv=col_deriv)
    assert str(caught.value) == (
        "check_jacobian: there is a mismatch between the input and output shape of the 'Dfun' argument 'jac'."
        f"Shape should be {expected} but it is {got}."
    )


def test_float32_and_list_returns_are_read_as_float64_values():
    def func32(p):
        return decay(p).astype(np.float32)

    def func32_as_float64(p):
        return func32(p).astype(np.float64)

    def func_list(p):
        return decay(p).tolist()

    def jac_list(p):
        return decay_jac(p).tolist()

    np.testing.assert_array_equal(
        check_jacobian(func_list, jac_list, DECAY_X0).err, check_jacobian(decay, decay_jac, DECAY_X0).err
    )
    np.testing.assert_array_equal(
        check_jacobian(func32, decay_jac, DECAY_X0).err, check_jacobian(func32_as_float64, decay_jac, DECAY_X0).err
    )


@pytest.mark.parametrize(
    ("err", "summary"),
    [
        (
            np.r_[np.zeros(11), 1.0],
            "Jacobian is probably wrong in 11 of 12 rows (score < 0.5): rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 1 more.",
        ),
        (
            np.r_[np.zeros(10), 1.0],
            "Jacobian is probably wrong in 10 of 11 rows (score < 0.5): rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9.",
        ),
        (
            np.full(3, np.nan),
            "Jacobian looks correct: 0 of 3 rows agree with the function. 3 rows could not be checked (residual "
            "zero or unchanged near x).",
        ),
        (np.array([0.75, 1.0]), "Jacobian looks correct: 2 of 2 rows agree with the function (lowest score 0.75)."),
    ],
    ids=["eleven wrong", "ten wrong", "none checked", "all right"],
)
def test_summary_names_the_first_ten_wrong_rows_and_counts_the_rest(err, summary):
    assert JacobianCheck(err=err, x=np.ones(1), xp=np.ones(1)).summary() == summary
