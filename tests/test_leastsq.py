"""leastsq's interface: results, arguments, defaults, callbacks and bad input.

These tests need no SciPy: the oracles are closed-form answers, MINPACK's
documented rules (the default ``maxfev``, ``epsfcn`` below the machine
epsilon counting as the machine epsilon) and identities that must hold
between calls.  ``test_scipy_parity.py`` compares the same behaviour with
``scipy.optimize.leastsq`` itself.
"""

import functools
import re
import traceback

import numpy as np
import pytest
from small_problems import EXP, LINE, LINE_RSS, LINE_SOLUTION, LINE_Y, ROSENBROCK_OFFSET, Problem, T, runaway

from pyminpack import leastsq

SIZE_CHANGED = "The array returned by a function changed size between calls"
BOTH_DRIVERS = pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])


def dfun(problem: Problem, use_dfun: bool):
    return problem.jac if use_dfun else None


# -- what comes back ----------------------------------------------------------


@BOTH_DRIVERS
def test_plain_output_is_x_and_ier(use_dfun):
    result = leastsq(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun))
    assert isinstance(result, tuple) and len(result) == 2
    x, ier = result
    assert type(x) is np.ndarray and x.dtype == np.float64 and x.shape == (2,)
    assert type(ier) is int and ier in (1, 2, 3, 4)


@BOTH_DRIVERS
def test_full_output_types_and_shapes(use_dfun):
    problem = ROSENBROCK_OFFSET
    n, m = problem.n, problem.m
    result = leastsq(problem.func, problem.x0, Dfun=dfun(problem, use_dfun), full_output=True)
    assert isinstance(result, tuple) and len(result) == 5
    x, cov_x, infodict, mesg, ier = result
    assert x.dtype == np.float64 and x.shape == (n,)
    assert cov_x.dtype == np.float64 and cov_x.shape == (n, n)
    assert type(mesg) is str and type(ier) is int and ier in (1, 2, 3, 4)
    assert infodict["fvec"].dtype == np.float64 and infodict["fvec"].shape == (m,)
    assert infodict["fjac"].dtype == np.float64 and infodict["fjac"].shape == (n, m)
    assert infodict["ipvt"].dtype == np.int32 and infodict["ipvt"].shape == (n,)
    assert infodict["qtf"].dtype == np.float64 and infodict["qtf"].shape == (n,)
    counts = ["nfev", "njev"] if use_dfun else ["nfev"]
    assert all(type(infodict[key]) is int and infodict[key] > 0 for key in counts)


@pytest.mark.parametrize(
    ("use_dfun", "keys"),
    [(False, ["fvec", "nfev", "fjac", "ipvt", "qtf"]), (True, ["fvec", "nfev", "njev", "fjac", "ipvt", "qtf"])],
    ids=["lmdif", "lmder"],
)
def test_infodict_keys_in_scipys_order(use_dfun, keys):
    infodict = leastsq(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun), full_output=True)[2]
    assert list(infodict) == keys


@BOTH_DRIVERS
def test_fvec_is_func_at_x(use_dfun):
    x, _, infodict, _, _ = leastsq(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun), full_output=True)
    np.testing.assert_array_equal(infodict["fvec"], EXP.func(x))


@BOTH_DRIVERS
def test_plain_and_full_output_agree(use_dfun):
    x, ier = leastsq(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun))
    x_full, _, _, _, ier_full = leastsq(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun), full_output=True)
    np.testing.assert_array_equal(x, x_full)
    assert ier == ier_full


@pytest.mark.parametrize("full_output", [1, "yes", np.True_])
def test_full_output_is_any_truthy_value(full_output):
    assert len(leastsq(EXP.func, EXP.x0, full_output=full_output)) == 5


@pytest.mark.parametrize("full_output", [0, None, "", np.False_])
def test_falsy_full_output_gives_x_and_ier(full_output):
    assert len(leastsq(EXP.func, EXP.x0, full_output=full_output)) == 2


def _scaled_line(p):
    return p[0] + 10.0 * p[1] * T - LINE_Y


def _scaled_line_jac(p):
    return np.column_stack([np.ones_like(T), 10.0 * T])


#: LINE with the slope column ten times larger, so that MINPACK pivots it first.
SCALED_LINE = Problem("scaled_line", _scaled_line, _scaled_line_jac, (0.0, 0.0))


@BOTH_DRIVERS
@pytest.mark.parametrize(("problem", "pivots"), [(LINE, [0, 1]), (SCALED_LINE, [1, 0])], ids=repr)
def test_fjac_and_ipvt_are_the_pivoted_qr_of_the_jacobian(problem, pivots, use_dfun):
    # J P = Q R with P's column j the ipvt[j]-th unit vector (0-based), so
    # (J[:, ipvt]).T @ J[:, ipvt] == R.T @ R.  The Jacobian of a linear model
    # is constant, so the one MINPACK factorised is known exactly.
    x, _, infodict, _, _ = leastsq(problem.func, problem.x0, Dfun=dfun(problem, use_dfun), full_output=True)
    ipvt = infodict["ipvt"]
    assert ipvt.tolist() == pivots
    r = np.triu(infodict["fjac"].T[: problem.n])
    jp = problem.jac(x)[:, ipvt]
    # Forward differences are exact to about sqrt(machine epsilon).
    np.testing.assert_allclose(r.T @ r, jp.T @ jp, rtol=1e-12 if use_dfun else 1e-6)
    # Diagonal of nonincreasing magnitude.
    assert np.all(np.diff(np.abs(np.diag(r))) <= 0)


@BOTH_DRIVERS
def test_ipvt_is_a_permutation_of_range_n(use_dfun):
    problem = ROSENBROCK_OFFSET
    ipvt = leastsq(problem.func, problem.x0, Dfun=dfun(problem, use_dfun), full_output=True)[2]["ipvt"]
    assert sorted(ipvt.tolist()) == list(range(problem.n))


# -- closed-form answers ------------------------------------------------------


@BOTH_DRIVERS
def test_linear_fit_reaches_the_least_squares_solution(use_dfun):
    x, _, infodict, _, ier = leastsq(LINE.func, LINE.x0, Dfun=dfun(LINE, use_dfun), full_output=True)
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, LINE_SOLUTION, rtol=0, atol=1e-8)
    np.testing.assert_allclose(infodict["fvec"] @ infodict["fvec"], LINE_RSS, rtol=1e-12)


@BOTH_DRIVERS
def test_rosenbrock_reaches_its_minimum(use_dfun):
    x, _, infodict, _, ier = leastsq(
        ROSENBROCK_OFFSET.func, ROSENBROCK_OFFSET.x0, Dfun=dfun(ROSENBROCK_OFFSET, use_dfun), full_output=True
    )
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, [1.0, 1.0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(infodict["fvec"] @ infodict["fvec"], 0.01, rtol=1e-10)


def test_scalar_x0_docstring_example():
    seen = []

    def func(x):
        seen.append(x.shape)
        return 2 * (x - 3) ** 2 + 1

    x, ier = leastsq(func, 0)
    assert x.shape == (1,) and ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, [3.0], atol=1e-4)
    assert set(seen) == {(1,)}


def test_2d_x0_is_flattened():
    target = np.arange(4.0).reshape(2, 2)
    seen = []

    def func(x):
        seen.append(x.shape)
        return x - target.ravel()

    x, ier = leastsq(func, np.zeros((2, 2)))
    assert x.shape == (4,) and ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, target.ravel(), atol=1e-10)
    assert set(seen) == {(4,)}


@pytest.mark.parametrize(
    "x0",
    [[1, 1], (1, 1), np.array([1, 1], dtype=np.int32), np.array([[1.0], [1.0]])],
    ids=["int list", "int tuple", "int32 array", "float column"],
)
def test_x0_given_as_ints_tuple_or_column_solves_like_floats(x0):
    x, ier = leastsq(EXP.func, x0)
    assert x.dtype == np.float64 and x.shape == (2,)
    expected = leastsq(EXP.func, np.array([1.0, 1.0]))
    np.testing.assert_array_equal(x, expected[0])
    assert ier == expected[1]


def test_x0_array_of_the_caller_is_not_modified():
    x0 = np.array([1.0, 1.0])
    leastsq(EXP.func, x0)
    np.testing.assert_array_equal(x0, [1.0, 1.0])


# -- args -----------------------------------------------------------------


def _line_with(p, y, scale):
    return scale * (p[0] + p[1] * T - y)


def test_args_tuple_is_unpacked():
    x, _ = leastsq(_line_with, LINE.x0, args=(LINE_Y, 3.0))
    np.testing.assert_allclose(x, LINE_SOLUTION, atol=1e-8)


@pytest.mark.parametrize("args", [5, 2.5, [1.0, 2.0], np.array([1.0, 2.0]), "text", None], ids=repr)
def test_non_tuple_args_is_passed_as_one_argument(args):
    received = []

    def func(x, extra):
        received.append(extra)
        return x - 1.0

    leastsq(func, [0.0], args=args)
    assert all(extra is args for extra in received)


@pytest.mark.parametrize("count", [0, 1, 15, 16, 40])
def test_any_number_of_args(count):
    def func(p, *extra):
        assert extra == tuple(range(count))
        return LINE.func(p)

    def jac(p, *extra):
        assert extra == tuple(range(count))
        return LINE.jac(p)

    for dfun_ in (None, jac):
        x, _ = leastsq(func, LINE.x0, args=tuple(range(count)), Dfun=dfun_)
        np.testing.assert_allclose(x, LINE_SOLUTION, atol=1e-8)


def test_args_reach_dfun_too():
    received = []

    def jac(p, y, scale):
        received.append((y, scale))
        return scale * LINE.jac(p)

    y = LINE_Y
    x, _ = leastsq(_line_with, LINE.x0, args=(y, 2.0), Dfun=jac)
    np.testing.assert_allclose(x, LINE_SOLUTION, atol=1e-8)
    assert received and all(a is y and b == 2.0 for a, b in received)


# -- epsfcn and the dtype of func's output --------------------------------


def _exp_as(dtype):
    def func(p):
        return EXP.func(p).astype(dtype)

    return func


def full(func, x0, **kwargs):
    x, _, infodict, _, ier = leastsq(func, x0, full_output=True, **kwargs)
    return x, infodict["nfev"], ier


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_default_epsfcn_is_the_epsilon_of_funcs_output_dtype(dtype):
    func = _exp_as(dtype)
    default = full(func, EXP.x0)
    explicit = full(func, EXP.x0, epsfcn=float(np.finfo(dtype).eps))
    double = full(func, EXP.x0, epsfcn=float(np.finfo(np.float64).eps))
    np.testing.assert_array_equal(default[0], explicit[0])
    assert default[1:] == explicit[1:]
    assert not np.array_equal(default[0], double[0])


def test_default_epsfcn_is_float64_epsilon_for_float64_and_integer_output():
    default = full(EXP.func, EXP.x0)
    explicit = full(EXP.func, EXP.x0, epsfcn=float(np.finfo(np.float64).eps))
    np.testing.assert_array_equal(default[0], explicit[0])
    assert default[1:] == explicit[1:]


def test_epsfcn_below_machine_epsilon_counts_as_machine_epsilon():
    default = full(EXP.func, EXP.x0)
    tiny = full(EXP.func, EXP.x0, epsfcn=1e-30)
    np.testing.assert_array_equal(default[0], tiny[0])
    assert default[1:] == tiny[1:]


def test_epsfcn_sets_the_forward_difference_step():
    assert full(EXP.func, EXP.x0, epsfcn=1e-4)[1] != full(EXP.func, EXP.x0)[1]


def test_epsfcn_is_ignored_with_dfun():
    default = full(EXP.func, EXP.x0, Dfun=EXP.jac)
    coarse = full(EXP.func, EXP.x0, Dfun=EXP.jac, epsfcn=1e-2)
    np.testing.assert_array_equal(default[0], coarse[0])
    assert default[1:] == coarse[1:]


@pytest.mark.parametrize(
    "convert",
    [
        lambda r: r.astype(">f8"),
        lambda r: np.repeat(r, 2)[::2],
        lambda r: r.tolist(),
        tuple,
        lambda r: r.view(type("Subclass", (np.ndarray,), {})),
        lambda r: np.asfortranarray(r[:, None])[:, 0],
    ],
    ids=["big-endian", "strided", "list", "tuple", "subclass", "column-view"],
)
def test_residuals_in_any_real_float64_container_give_the_same_solve(convert):
    expected = full(EXP.func, EXP.x0)
    result = full(lambda p: convert(EXP.func(p)), EXP.x0)
    np.testing.assert_array_equal(result[0], expected[0])
    assert result[1:] == expected[1:]


# -- maxfev -------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize(("use_dfun", "per_parameter"), [(False, 200), (True, 100)], ids=["lmdif", "lmder"])
def test_default_maxfev(n, use_dfun, per_parameter):
    problem = runaway(n)
    _, _, infodict, mesg, ier = leastsq(problem.func, problem.x0, Dfun=dfun(problem, use_dfun), full_output=True)
    maxfev = per_parameter * (n + 1)
    assert (ier, mesg) == (5, f"Number of calls to function has reached maxfev = {maxfev}.")
    # lmdif may overshoot by the evaluations of one forward-difference Jacobian.
    assert maxfev <= infodict["nfev"] <= maxfev + n


@BOTH_DRIVERS
@pytest.mark.parametrize("maxfev", [7, np.int64(7), np.int32(7)], ids=repr)
def test_explicit_maxfev(maxfev, use_dfun):
    problem = runaway(2)
    mesg, ier = leastsq(problem.func, problem.x0, Dfun=dfun(problem, use_dfun), maxfev=maxfev, full_output=True)[3:]
    assert (ier, mesg) == (5, "Number of calls to function has reached maxfev = 7.")


@pytest.mark.parametrize("maxfev", [2**31 - 1, 2**31, 2**63, 10**30], ids=repr)
def test_maxfev_beyond_a_fortran_integer_means_no_limit(maxfev):
    # SciPy raises OverflowError from 2**31; a larger limit is no limit here.
    x, ier = leastsq(EXP.func, EXP.x0, maxfev=maxfev)
    assert ier in (1, 2, 3, 4)
    np.testing.assert_array_equal(x, leastsq(EXP.func, EXP.x0)[0])


@pytest.mark.parametrize("maxfev", [10.0, np.float64(10.0), "10", None, 10.5], ids=repr)
def test_maxfev_must_be_an_integer(maxfev):
    # SciPy's words (CPython's), after the argument's name
    with pytest.raises(
        TypeError, match=r"^maxfev must be an integer: '.*' object cannot be interpreted as an integer$"
    ):
        leastsq(EXP.func, EXP.x0, maxfev=maxfev)


# -- Dfun -------------------------------------------------------------------


def test_col_deriv_true_and_false_give_the_same_solve():
    rows = leastsq(EXP.func, EXP.x0, Dfun=EXP.jac, full_output=True)
    cols = leastsq(EXP.func, EXP.x0, Dfun=lambda p: EXP.jac(p).T, col_deriv=True, full_output=True)
    np.testing.assert_array_equal(rows[0], cols[0])
    np.testing.assert_array_equal(rows[1], cols[1])
    for key in ("fvec", "fjac", "ipvt", "qtf"):
        np.testing.assert_array_equal(rows[2][key], cols[2][key])
    assert (rows[2]["nfev"], rows[2]["njev"], rows[3], rows[4]) == (cols[2]["nfev"], cols[2]["njev"], cols[3], cols[4])


@pytest.mark.parametrize("col_deriv", [1, "yes"])
def test_col_deriv_is_any_truthy_value(col_deriv):
    x, _ = leastsq(EXP.func, EXP.x0, Dfun=lambda p: EXP.jac(p).T, col_deriv=col_deriv)
    np.testing.assert_array_equal(x, leastsq(EXP.func, EXP.x0, Dfun=EXP.jac)[0])


def test_dfun_may_return_nested_lists():
    x, _ = leastsq(EXP.func, EXP.x0, Dfun=lambda p: EXP.jac(p).tolist())
    np.testing.assert_array_equal(x, leastsq(EXP.func, EXP.x0, Dfun=EXP.jac)[0])


def test_dfun_may_return_a_vector_for_one_parameter():
    # SciPy's rule: a (m,) Jacobian stands for (m, 1).
    x, ier = leastsq(lambda p: p - np.array([1.0, 2.0, 3.0]), [0.0], Dfun=lambda p: np.ones(3))
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, [2.0], atol=1e-12)


def test_dfun_is_used():
    # lmder evaluates the residuals once per iteration, lmdif n+1 times.
    with_dfun = leastsq(EXP.func, EXP.x0, Dfun=EXP.jac, full_output=True)[2]
    without = leastsq(EXP.func, EXP.x0, full_output=True)[2]
    assert with_dfun["nfev"] < without["nfev"]
    assert with_dfun["njev"] >= 1


def jac_named(p):
    return EXP.jac(p).T


@pytest.mark.parametrize(
    ("jac", "col_deriv", "message"),
    [
        (jac_named, False, "leastsq: there is a mismatch between the input and output shape of the 'Dfun' "
         "argument 'jac_named'.Shape should be (5, 2) but it is (2, 5)."),
        (EXP.jac, True, "leastsq: there is a mismatch between the input and output shape of the 'Dfun' "
         "argument '_exp_jac'.Shape should be (2, 5) but it is (5, 2)."),
        (lambda p: np.ones((5, 3)), False, "leastsq: there is a mismatch between the input and output shape of "
         "the 'Dfun' argument '<lambda>'.Shape should be (5, 2) but it is (5, 3)."),
        (lambda p: np.ones(10), False, "leastsq: there is a mismatch between the input and output shape of "
         "the 'Dfun' argument '<lambda>'.Shape should be (5, 2) but it is (10,)."),
        # A callable without __name__ is not named.
        (functools.partial(jac_named), False, "leastsq: there is a mismatch between the input and output shape "
         "of the 'Dfun' argument.Shape should be (5, 2) but it is (2, 5)."),
    ],
    ids=["rows", "cols", "columns", "flat", "unnamed"],
)  # fmt: skip
def test_dfun_of_the_wrong_shape_raises_scipys_type_error(jac, col_deriv, message):
    with pytest.raises(TypeError) as excinfo:
        leastsq(EXP.func, EXP.x0, Dfun=jac, col_deriv=col_deriv)
    assert str(excinfo.value) == message


def test_fewer_residuals_than_parameters_raises_scipys_type_error():
    with pytest.raises(TypeError) as excinfo:
        leastsq(lambda p: p[:2] - 1.0, [0.0, 0.0, 0.0])
    assert str(excinfo.value) == (
        "Improper input: func input vector length N=3 must not exceed func output vector length M=2"
    )


# -- exceptions raised by the user's functions ------------------------------


class Boom(Exception):
    pass


class Failing:
    """EXP whose residuals (or Jacobian) raise on evaluation number ``at``."""

    def __init__(self, where: str, at: int, exception: BaseException):
        self.where, self.at, self.exception = where, at, exception
        self.calls = {"func": 0, "jac": 0}

    def _count(self, name):
        self.calls[name] += 1
        if name == self.where and self.calls[name] == self.at:
            raise self.exception

    def user_residuals(self, p):
        self._count("func")
        return EXP.func(p)

    def user_jacobian(self, p):
        self._count("jac")
        return EXP.jac(p)


#: (which function fails, its evaluation that fails, use Dfun); evaluation 1
#: is leastsq's checking call before MINPACK starts.
FAILURES = {
    "func-first-call-lmdif": ("func", 1, False),
    "func-mid-solve-lmdif": ("func", 6, False),
    "func-first-call-lmder": ("func", 1, True),
    "func-mid-solve-lmder": ("func", 4, True),
    "dfun-first-call": ("jac", 1, True),
    "dfun-mid-solve": ("jac", 3, True),
}


@pytest.mark.parametrize(("where", "at", "use_dfun"), FAILURES.values(), ids=FAILURES.keys())
def test_exception_in_a_callback_reaches_the_caller_unchanged(where, at, use_dfun):
    before = leastsq(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun), full_output=True)
    exception = Boom(f"{where} failed at call {at}")
    failing = Failing(where, at, exception)
    with pytest.raises(Boom) as excinfo:
        leastsq(failing.user_residuals, EXP.x0, Dfun=failing.user_jacobian if use_dfun else None)
    assert excinfo.value is exception
    assert str(excinfo.value) == f"{where} failed at call {at}"
    frames = [frame.name for frame in traceback.extract_tb(excinfo.value.__traceback__)]
    assert frames[-2:] == ["user_residuals" if where == "func" else "user_jacobian", "_count"]
    # The solve stopped at once: nothing was evaluated after the failure.
    assert failing.calls[where] == at
    # And the next solve is unaffected.
    after = leastsq(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun), full_output=True)
    np.testing.assert_array_equal(after[0], before[0])
    assert (after[2]["nfev"], after[3], after[4]) == (before[2]["nfev"], before[3], before[4])


@pytest.mark.parametrize(("where", "at", "use_dfun"), FAILURES.values(), ids=FAILURES.keys())
def test_keyboard_interrupt_in_a_callback_propagates(where, at, use_dfun):
    failing = Failing(where, at, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        leastsq(failing.user_residuals, EXP.x0, Dfun=failing.user_jacobian if use_dfun else None)
    assert failing.calls[where] == at


@pytest.mark.parametrize("exception", [StopIteration("stop"), SystemExit(3), GeneratorExit(), MemoryError()], ids=repr)
def test_any_exception_class_propagates(exception):
    failing = Failing("func", 4, exception)
    with pytest.raises(type(exception)) as excinfo:
        leastsq(failing.user_residuals, EXP.x0)
    assert excinfo.value is exception


@BOTH_DRIVERS
def test_a_solve_inside_func_is_independent(use_dfun):
    def inner_scale(p):
        # Solve 2*s - 2 = 0 for s (s == 1) inside every outer evaluation.
        s, ier = leastsq(lambda s: 2.0 * s - 2.0, [5.0], Dfun=(lambda s: np.array([[2.0]])) if use_dfun else None)
        assert ier in (1, 2, 3, 4)
        return s[0]

    def func(p):
        return inner_scale(p) * EXP.func(p)

    x, _ = leastsq(func, EXP.x0, Dfun=dfun(EXP, use_dfun))
    np.testing.assert_allclose(x, leastsq(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun))[0], rtol=1e-6)


def test_an_error_in_a_nested_solve_reaches_the_outer_caller():
    calls = [0]

    def inner(s):
        calls[0] += 1
        if calls[0] == 30:
            raise Boom("inner")
        return s - 1.0

    def func(p):
        leastsq(inner, [0.0])
        return EXP.func(p)

    with pytest.raises(Boom, match=r"^inner$"):
        leastsq(func, EXP.x0)
    assert calls[0] == 30


def test_solves_in_several_threads_do_not_interfere():
    import threading

    problems = [LINE, EXP, ROSENBROCK_OFFSET]
    expected = {(p.name, d): full(p.func, p.x0, Dfun=dfun(p, d)) for p in problems for d in (False, True)}
    mismatches, errors = [], []

    def worker(i):
        for k in range(12):
            problem, use_dfun = problems[(i + k) % 3], bool((i + k) % 2)
            if k == 5:  # one failing solve per thread, which must stay in its thread
                try:
                    leastsq(Failing("func", 3, Boom(str(i))).user_residuals, EXP.x0)
                except Boom as exc:
                    errors.append(str(exc))
                continue
            result = full(problem.func, problem.x0, Dfun=dfun(problem, use_dfun))
            want = expected[(problem.name, use_dfun)]
            if not (np.array_equal(result[0], want[0]) and result[1:] == want[1:]):
                mismatches.append((i, k))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mismatches == []
    assert sorted(errors) == [str(i) for i in range(6)]


# -- the x the user's functions receive ---------------------------------------


@BOTH_DRIVERS
def test_each_evaluation_receives_its_own_array(use_dfun):
    kept, copies = [], []

    def func(p):
        kept.append(p)
        copies.append(p.copy())
        return EXP.func(p)

    leastsq(func, EXP.x0, Dfun=dfun(EXP, use_dfun))
    assert len({id(p) for p in kept}) == len(kept)
    # The arrays kept are not overwritten by later iterations.
    for p, copy in zip(kept, copies, strict=False):
        np.testing.assert_array_equal(p, copy)
    np.testing.assert_array_equal(kept[0], EXP.x0)
    assert len({tuple(p) for p in copies}) > 2


class Mutating:
    """EXP whose functions overwrite the x they receive, from call ``start`` on."""

    def __init__(self, where, start):
        self.where, self.start = where, start
        self.calls = 0

    def _spoil(self, name, p):
        if name == self.where:
            self.calls += 1
            if self.calls >= self.start:
                p[:] = 100.0

    def func(self, p):
        result = EXP.func(p)
        self._spoil("func", p)
        return result

    def jac(self, p):
        result = EXP.jac(p)
        self._spoil("jac", p)
        return result


@pytest.mark.parametrize(
    ("where", "start", "use_dfun"),
    [
        ("func", 2, False),
        ("func", 2, True),
        ("jac", 2, True),
        ("func", 1, False),
        ("func", 1, True),
        ("jac", 1, True),
    ],
    ids=["func-later-lmdif", "func-later-lmder", "dfun-later", "func-every-lmdif", "func-every-lmder", "dfun-every"],
)
def test_mutating_x_in_a_callback_does_not_change_the_solve(where, start, use_dfun):
    mutating = Mutating(where, start)
    result = full(mutating.func, EXP.x0, Dfun=mutating.jac if use_dfun else None)
    expected = full(EXP.func, EXP.x0, Dfun=dfun(EXP, use_dfun))
    np.testing.assert_array_equal(result[0], expected[0])
    assert result[1:] == expected[1:]


# -- bad input: clear errors before MINPACK runs ------------------------------

BAD_OUTPUTS = {
    "None": (None, "returned NoneType"),
    "str": ("residuals", "returned str"),
    "bytes": (b"residuals", "returned bytes"),
    "complex": (np.array([1.0 + 1j, 2.0, 3.0]), "dtype complex128"),
    "object": (np.array([object(), object(), object()]), "dtype object"),
    "ragged": ([[1.0], [1.0, 2.0]], "not an array of floats"),
    "2-D": (np.ones((3, 2)), r"shape \(3, 2\)"),
    "column": (np.ones((3, 1)), r"shape \(3, 1\)"),
    "longdouble": (np.ones(3, dtype=np.longdouble), "dtype float128|dtype longdouble"),
}
if np.dtype(np.longdouble) == np.dtype(np.float64):
    del BAD_OUTPUTS["longdouble"]


@pytest.mark.parametrize(("value", "pattern"), BAD_OUTPUTS.values(), ids=BAD_OUTPUTS.keys())
def test_func_returning_a_non_array_raises_type_error(value, pattern):
    with pytest.raises(TypeError, match=f"'func'.*({pattern})"):
        leastsq(lambda p: value, [0.0, 0.0])


def returns_after_first_call(value):
    calls = [0]

    def func(p):
        calls[0] += 1
        return EXP.func(p) if calls[0] == 1 else value

    return func


@BOTH_DRIVERS
@pytest.mark.parametrize(("value", "pattern"), BAD_OUTPUTS.values(), ids=BAD_OUTPUTS.keys())
def test_func_returning_a_non_array_mid_solve_raises_type_error(value, pattern, use_dfun):
    with pytest.raises(TypeError, match=f"'func'.*({pattern})"):
        leastsq(returns_after_first_call(value), EXP.x0, Dfun=dfun(EXP, use_dfun))


@pytest.mark.parametrize(
    ("value", "pattern"),
    [(None, "returned NoneType"), ("J", "returned str"), (np.ones((5, 2)) * 1j, "dtype complex128")],
    ids=["None", "str", "complex"],
)
@pytest.mark.parametrize("first_call", [True, False], ids=["first-call", "mid-solve"])
def test_dfun_returning_a_non_array_raises_type_error(value, pattern, first_call):
    calls = [0]

    def jac(p):
        calls[0] += 1
        return value if first_call or calls[0] > 1 else EXP.jac(p)

    with pytest.raises(TypeError, match=f"'Dfun'.*({pattern})"):
        leastsq(EXP.func, EXP.x0, Dfun=jac)


@pytest.mark.parametrize("col_deriv", [False, True], ids=["rows", "col_deriv"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "leastsq: the 'Dfun' argument 'jac' returned NoneType; it must return an array of floats."),
        (
            np.ones((5, 2, 1)),
            "leastsq: the 'Dfun' argument 'jac' must return a 2-D array; it returned an array of shape (5, 2, 1).",
        ),
    ],
    ids=["None", "3-D"],
)
def test_dfun_returning_a_bad_value_mid_solve_is_named_in_full(value, message, col_deriv):
    calls = [0]

    def jac(p):
        calls[0] += 1
        if calls[0] > 1:  # after leastsq's checking call
            return value
        return EXP.jac(p).T if col_deriv else EXP.jac(p)

    with pytest.raises(TypeError) as excinfo:
        leastsq(EXP.func, EXP.x0, Dfun=jac, col_deriv=col_deriv)
    assert str(excinfo.value) == message


@BOTH_DRIVERS
@pytest.mark.parametrize("m", [4, 6, 1])
def test_func_changing_its_output_size_raises_value_error(m, use_dfun):
    func = returns_after_first_call(np.zeros(m))
    with pytest.raises(ValueError) as excinfo:
        leastsq(func, EXP.x0, Dfun=dfun(EXP, use_dfun))
    assert str(excinfo.value) == SIZE_CHANGED


@pytest.mark.parametrize("shape", [(4, 2), (5, 3), (5, 1), (11,)])
def test_dfun_changing_its_output_size_raises_value_error(shape):
    calls = [0]

    def jac(p):
        calls[0] += 1
        return EXP.jac(p) if calls[0] == 1 else np.ones(shape)

    with pytest.raises(ValueError) as excinfo:
        leastsq(EXP.func, EXP.x0, Dfun=jac)
    assert str(excinfo.value) == SIZE_CHANGED


BAD_X0 = {
    "nan": ([1.0, np.nan], ValueError, "finite"),
    "inf": ([np.inf, 1.0], ValueError, "finite"),
    "-inf": ([1.0, -np.inf], ValueError, "finite"),
    "strings": (["1", "2"], TypeError, "real numbers"),
    "complex": ([1.0 + 0j, 1.0], TypeError, "real numbers"),
    "objects": (np.array([1.0, 1.0], dtype=object), TypeError, "real numbers"),
    "none": (None, TypeError, "real numbers"),
    "ragged": ([[1.0, 2.0], [3.0]], ValueError, "an array of numbers"),
}


@pytest.mark.parametrize(("x0", "error", "pattern"), BAD_X0.values(), ids=BAD_X0.keys())
def test_bad_x0_is_refused_before_func_is_called(x0, error, pattern):
    called = []

    def func(p):
        called.append(p)
        return EXP.func(p)

    with pytest.raises(error, match=f"x0.*{pattern}"):
        leastsq(func, x0)
    assert called == []


BAD_NUMBERS = {
    **{f"{name}={value}": (name, value, ValueError, "finite")
       for name in ("ftol", "xtol", "gtol", "factor", "epsfcn") for value in (np.nan, np.inf, -np.inf)},
    **{f"{name}={value!r}": (name, value, TypeError, "real number")
       for name in ("ftol", "xtol", "gtol", "factor", "epsfcn") for value in ("tight", [0.1, 0.2], 1j)},
    "ftol=None": ("ftol", None, TypeError, "real number"),
    **{f"{name}='0.1'": (name, "0.1", TypeError, "real number")
       for name in ("ftol", "xtol", "gtol", "factor", "epsfcn")},
}  # fmt: skip


@pytest.mark.parametrize(("name", "value", "error", "pattern"), BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_bad_tolerance_factor_or_epsfcn_is_refused(name, value, error, pattern):
    with pytest.raises(error, match=f"^{name} must be .*{pattern}"):
        leastsq(EXP.func, EXP.x0, **{name: value})


@pytest.mark.parametrize(
    ("diag", "error", "pattern"),
    [
        ([1.0], ValueError, r"one entry per parameter: expected shape \(2,\), got \(1,\)"),
        ([1.0, 1.0, 1.0], ValueError, r"one entry per parameter: expected shape \(2,\), got \(3,\)"),
        ([[1.0, 1.0]], ValueError, r"one entry per parameter: expected shape \(2,\), got \(1, 2\)"),
        (2.0, ValueError, r"one entry per parameter: expected shape \(2,\), got \(\)"),
        ([1.0, np.nan], ValueError, "finite"),
        ([np.inf, 1.0], ValueError, "finite"),
        (["a", "b"], TypeError, "positive numbers"),
    ],
    ids=["short", "long", "2-D", "scalar", "nan", "inf", "strings"],
)
def test_bad_diag_is_refused(diag, error, pattern):
    with pytest.raises(error, match=f"^diag must .*{pattern}"):
        leastsq(EXP.func, EXP.x0, diag=diag)


@BOTH_DRIVERS
@pytest.mark.parametrize("diag", [[1.0, 1.0], (2.0, 0.5), np.array([1e-3, 1e3])], ids=repr)
def test_diag_scales_the_variables_and_the_solve_still_converges(diag, use_dfun):
    x, ier = leastsq(LINE.func, LINE.x0, Dfun=dfun(LINE, use_dfun), diag=diag)
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, LINE_SOLUTION, atol=1e-8)


@BOTH_DRIVERS
@pytest.mark.parametrize("factor", [0.1, 1, 100, 1e4])
def test_factor_in_its_range_still_converges(factor, use_dfun):
    x, ier = leastsq(LINE.func, LINE.x0, Dfun=dfun(LINE, use_dfun), factor=factor)
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, LINE_SOLUTION, atol=1e-8)


@pytest.mark.parametrize("which", ["func", "Dfun"])
def test_non_callable_raises_type_error(which):
    kwargs = {"func": EXP.func, "x0": EXP.x0, "Dfun": EXP.jac}
    kwargs[which] = 3
    with pytest.raises(TypeError, match=re.escape("'int' object is not callable")):
        leastsq(**kwargs)
