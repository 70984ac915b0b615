"""Functions returning Python lists, tuples and numbers: the same solves, values and errors as with arrays.

``pycallback.c`` converts a list or tuple of Python floats, numpy float64
scalars and int64-sized Python ints itself, and hands anything else to the
Python checkers (``validation.py``).  Whichever path an output takes, the
solve must be the one the equivalent float64 array gives, bit for bit, and
a bad output must raise what it raised before; these tests pin both for
``leastsq`` (lmdif, lmder), ``fsolve`` (hybrd, hybrj) and ``leastsq_rows``.
"""

import numpy as np
import pytest

from pyminpack import fsolve, leastsq, leastsq_rows

SIZE_CHANGED = "The array returned by a function changed size between calls"

T = np.linspace(0.0, 1.0, 6)
Y = 3.0 * np.exp(-2.0 * T) + 0.25


def decay(p):
    return p[0] * np.exp(-p[1] * T) - Y


def decay_rows(p):
    e = np.exp(-p[1] * T)
    return np.column_stack([e, -p[0] * T * e])


def trig(x):
    """SciPy's fsolve docstring example, as an array."""
    return np.array([x[0] * np.cos(x[1]) - 4, x[1] * x[0] - x[1] - 5])


def trig_rows(x):
    return np.array([[np.cos(x[1]), -x[0] * np.sin(x[1])], [x[1], x[0] - 1]])


#: Ways of returning an array's values; every one must give the array's solve.
CONTAINERS = {
    "list of floats": lambda a: a.tolist(),
    "tuple of floats": lambda a: tuple(a.tolist()),
    "list of float64 scalars": list,
    "list of float64 scalars and ints": lambda a: [int(v) if float(v).is_integer() else v for v in a],
}

#: Ways of returning a Jacobian's rows (an (r, c) array): nested, flat, or read row-major in another shape.
JACOBIAN_CONTAINERS = {
    "nested lists": lambda a: a.tolist(),
    "tuple of tuples": lambda a: tuple(map(tuple, a.tolist())),
    "list of float64 scalars' lists": lambda a: [list(row) for row in a],
    "flat list": lambda a: a.ravel().tolist(),
    "transposed shape, read row-major": lambda a: a.reshape(a.shape[::-1]).tolist(),
    "list of arrays": list,
}


def fsolve_full(func, fprime=None, col_deriv=False):
    x, infodict, ier, mesg = fsolve(func, [1.0, 1.0], fprime=fprime, col_deriv=col_deriv, full_output=True)
    return x, infodict["nfev"], infodict.get("njev"), infodict["fvec"], infodict["fjac"], ier, mesg


def leastsq_full(func, Dfun=None, col_deriv=False, x0=(1.0, 1.0), args=()):
    x, cov_x, infodict, mesg, ier = leastsq(func, x0, args, Dfun=Dfun, col_deriv=col_deriv, full_output=True)
    return x, cov_x, infodict["nfev"], infodict.get("njev"), infodict["fvec"], infodict["fjac"], ier, mesg


def assert_same(result, expected):
    for got, want in zip(result, expected, strict=True):
        if isinstance(want, np.ndarray):
            np.testing.assert_array_equal(got, want, strict=True)
        else:
            assert got == want


# ---- the same solves ------------------------------------------------------


@pytest.mark.parametrize("convert", CONTAINERS.values(), ids=CONTAINERS.keys())
@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
def test_leastsq_residuals_in_python_containers_give_the_arrays_solve(convert, use_dfun):
    Dfun = decay_rows if use_dfun else None
    assert_same(leastsq_full(lambda p: convert(decay(p)), Dfun), leastsq_full(decay, Dfun))


@pytest.mark.parametrize("convert", CONTAINERS.values(), ids=CONTAINERS.keys())
@pytest.mark.parametrize("use_fprime", [False, True], ids=["hybrd", "hybrj"])
def test_fsolve_residuals_in_python_containers_give_the_arrays_solve(convert, use_fprime):
    fprime = trig_rows if use_fprime else None
    assert_same(fsolve_full(lambda x: convert(trig(x)), fprime), fsolve_full(trig, fprime))


def converted_after_the_checking_call(jac, convert):
    """``jac``, its output converted after its first call (the checking call, which needs the exact shape)."""
    calls = []

    def converted(x):
        calls.append(1)
        return jac(x).tolist() if len(calls) == 1 else convert(jac(x))

    return converted


@pytest.mark.parametrize("convert", JACOBIAN_CONTAINERS.values(), ids=JACOBIAN_CONTAINERS.keys())
@pytest.mark.parametrize("col_deriv", [False, True], ids=["rows", "col_deriv"])
def test_leastsq_jacobian_in_python_containers_gives_the_arrays_solve(convert, col_deriv):
    jac = (lambda p: decay_rows(p).T) if col_deriv else decay_rows
    converted = converted_after_the_checking_call(jac, convert)
    assert_same(leastsq_full(decay, converted, col_deriv), leastsq_full(decay, jac, col_deriv))


@pytest.mark.parametrize("convert", JACOBIAN_CONTAINERS.values(), ids=JACOBIAN_CONTAINERS.keys())
@pytest.mark.parametrize("col_deriv", [False, True], ids=["rows", "col_deriv"])
def test_fsolve_jacobian_in_python_containers_gives_the_arrays_solve(convert, col_deriv):
    jac = (lambda x: trig_rows(x).T) if col_deriv else trig_rows
    converted = converted_after_the_checking_call(jac, convert)
    assert_same(fsolve_full(trig, converted, col_deriv), fsolve_full(trig, jac, col_deriv))


def test_leastsq_rows_residuals_as_a_list_give_the_arrays_solve():
    def rows(p, block):
        return decay_rows(p)[block]

    expected = leastsq_rows(decay, [1.0, 1.0], rows, full_output=True, block_rows=4)
    result = leastsq_rows(lambda p: decay(p).tolist(), [1.0, 1.0], rows, full_output=True, block_rows=4)
    np.testing.assert_array_equal(result[0], expected[0], strict=True)
    np.testing.assert_array_equal(result[2]["fvec"], expected[2]["fvec"], strict=True)
    assert result[2]["nfev"] == expected[2]["nfev"] and result[4] == expected[4]


def test_one_residual_or_derivative_may_be_a_bare_number():
    assert_same(
        fsolve(lambda x: float(x[0] ** 2 - 2.0), [1.0], fprime=lambda x: float(2.0 * x[0]), full_output=True)[:1],
        fsolve(lambda x: x**2 - 2.0, [1.0], fprime=lambda x: 2.0 * x.reshape(1, 1), full_output=True)[:1],
    )


@pytest.mark.parametrize(
    "value",
    [2**53 + 1, -(2**53) - 3, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 10**17 + 1, True],
    ids=["2**53+1", "-2**53-3", "int64 max", "int64 min", "2**63", "uint64 max", "10**17+1", "True"],
)
def test_python_ints_are_rounded_to_float64_as_numpy_rounds_them(value):
    """Ints beyond 2**53 are rounded; those beyond int64, and bools, go to the checker, which accepts them."""

    def residuals(p, container):
        return container([p[0] - 1.0, value])

    result = leastsq_full(residuals, x0=[0.0], args=(list,))
    assert_same(result, leastsq_full(residuals, x0=[0.0], args=(np.array,)))
    assert result[4][1] == float(value)


# ---- the same errors --------------------------------------------------------


def after_the_checking_call(good, bad, name="func"):
    """A function returning ``good(x)`` on its first call (the checking call) and ``bad`` after."""
    calls = []

    def function(x):
        calls.append(1)
        return good(x) if len(calls) == 1 else bad

    function.__name__ = name
    return function


#: Bad lists after a good first call: what they raise, and its message (a regex).
BAD_LISTS = {
    "too long": ([1.0, 2.0, 3.0], ValueError, f"^{SIZE_CHANGED}$"),
    "too short": ([1.0], ValueError, f"^{SIZE_CHANGED}$"),
    "None inside": ([1.0, None], TypeError, r"^{checker}: the 'func' argument 'func' returned an array of dtype object"),
    "complex inside": ([1.0, 1j], TypeError, r"^{checker}: the 'func' argument 'func' returned an array of dtype complex"),
    "text inside": ([1.0, "2"], TypeError, r"^{checker}: the 'func' argument 'func' returned an array of dtype <U"),
    "int beyond uint64": ([1, 2**64], TypeError, r"^{checker}: the 'func' argument 'func' returned an array of dtype object"),
    "nested": ([[1.0], [2.0]], TypeError, r"^{checker}: the 'func' argument 'func' must return a 1-D array"),
    "ragged": ([[1.0], [2.0, 3.0]], TypeError, r"^{checker}: the 'func' argument 'func' returned a value that is not"),
}  # fmt: skip


#: Each solver, called on a function of two unknowns.
SOLVERS = {
    "leastsq": lambda func: leastsq(func, [1.0, 1.0]),
    "fsolve": lambda func: fsolve(func, [1.0, 1.0]),
    "leastsq_rows": lambda func: leastsq_rows(func, [1.0, 1.0], lambda x, rows: trig_rows(x)[rows]),
}


@pytest.mark.parametrize(("bad", "error", "pattern"), BAD_LISTS.values(), ids=BAD_LISTS.keys())
@pytest.mark.parametrize("solver", SOLVERS)
def test_bad_lists_during_the_solve_raise_what_the_checker_raises(bad, error, pattern, solver):
    func = after_the_checking_call(trig, bad)
    with pytest.raises(error, match=pattern.format(checker=solver)):
        SOLVERS[solver](func)


@pytest.mark.parametrize(
    ("bad", "error", "pattern"),
    [
        ([[1.0, 2.0], [3.0]], TypeError, r"^fsolve: the 'fprime' argument 'jac' returned a value that is not"),
        ([[1.0, 2.0], [3.0, None]], TypeError, r"^fsolve: the 'fprime' argument 'jac' returned an array of dtype obj"),
        ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], ValueError, f"^{SIZE_CHANGED}$"),
        ([1.0, 2.0, 3.0], ValueError, f"^{SIZE_CHANGED}$"),
        ([[[1.0, 2.0], [3.0, 4.0]]], TypeError, r"^fsolve: the 'fprime' argument 'jac' must return a 2-D array"),
    ],
    ids=["ragged", "None inside", "too many", "flat, too few", "3-D"],
)
def test_bad_nested_lists_from_fprime_raise_what_the_checker_raises(bad, error, pattern):
    jac = after_the_checking_call(trig_rows, bad, "jac")
    with pytest.raises(error, match=pattern):
        fsolve(trig, [1.0, 1.0], fprime=jac)


def message_of(solve):
    with pytest.raises(ValueError) as excinfo:
        solve()
    return str(excinfo.value)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_a_list_is_caught_as_in_an_array(value):
    residuals = [1.0, value]
    message = message_of(lambda: fsolve(after_the_checking_call(trig, residuals), [1.0, 1.0]))
    assert message.startswith("fsolve: the 'func' argument 'func' returned nan or inf at evaluation ")
    assert message == message_of(lambda: fsolve(after_the_checking_call(trig, np.array(residuals)), [1.0, 1.0]))
    rows = [[value, 0.0]] * len(T)
    message = message_of(lambda: leastsq(decay, [1.0, 1.0], Dfun=after_the_checking_call(decay_rows, rows, "jac")))
    assert message.startswith("leastsq: the 'Dfun' argument 'jac' returned nan or inf at evaluation ")
    assert message == message_of(
        lambda: leastsq(decay, [1.0, 1.0], Dfun=after_the_checking_call(decay_rows, np.array(rows), "jac"))
    )
