"""leastsq's ``mesg``, warnings and errors for every MINPACK exit code.

The expected strings are written out literally: they are
``scipy.optimize.leastsq``'s, character for character (its odd line breaks
and the space before the second ``\\n`` included), with the tolerances
formatted by ``{:f}`` and ``maxfev`` by ``{}``.  Real solves reach every
code: 1-4 converged, 5 out of evaluations, 6-8 tolerances below what MINPACK
can resolve (MINPACK's "stringent tolerance" tests compare against the
machine epsilon, so they are reached with tolerances of 0), and 0 improper
input (MINPACK refuses negative tolerances, ``factor <= 0``, ``diag <= 0``
and ``maxfev <= 0`` after the default has been applied).
"""

import re
import warnings

import numpy as np
import pytest
from small_problems import EXP, LINE, ORTHOGONAL, ROSENBROCK_OFFSET, Problem

from pyminpack import leastsq
from pyminpack._solver.messages import (
    IER_NONFINITE,
    IMPROPER_INPUT,
    LEASTSQ_FAILURE,
    LEASTSQ_SUCCESS,
    OUTCOMES,
    leastsq_message,
)

DEFAULTS = {"ftol": 1.49012e-08, "xtol": 1.49012e-08, "gtol": 0.0, "maxfev": 800}
#: ``{:f}`` rounds to six decimals: the default tolerances print as zero.
DEFAULT_MESSAGES = {
    0: "Improper input parameters.",
    1: "Both actual and predicted relative reductions in the sum of squares\n  are at most 0.000000",
    2: "The relative error between two consecutive iterates is at most 0.000000",
    3: "Both actual and predicted relative reductions in the sum of squares\n"
    "  are at most 0.000000 and the relative error between two consecutive iterates is at \n"
    "  most 0.000000",
    4: "The cosine of the angle between func(x) and any column of the\n"
    "  Jacobian is at most 0.000000 in absolute value",
    5: "Number of calls to function has reached maxfev = 800.",
    6: "ftol=0.000000 is too small, no further reduction in the sum of squares\n  is possible.",
    7: "xtol=0.000000 is too small, no further improvement in the approximate\n  solution is possible.",
    8: "gtol=0.000000 is too small, func(x) is orthogonal to the columns of\n  the Jacobian to machine precision.",
}

CUSTOM = {"ftol": 0.5, "xtol": 0.25, "gtol": 0.125, "maxfev": 7}
CUSTOM_MESSAGES = {
    0: "Improper input parameters.",
    1: "Both actual and predicted relative reductions in the sum of squares\n  are at most 0.500000",
    2: "The relative error between two consecutive iterates is at most 0.250000",
    3: "Both actual and predicted relative reductions in the sum of squares\n"
    "  are at most 0.500000 and the relative error between two consecutive iterates is at \n"
    "  most 0.250000",
    4: "The cosine of the angle between func(x) and any column of the\n"
    "  Jacobian is at most 0.125000 in absolute value",
    5: "Number of calls to function has reached maxfev = 7.",
    6: "ftol=0.500000 is too small, no further reduction in the sum of squares\n  is possible.",
    7: "xtol=0.250000 is too small, no further improvement in the approximate\n  solution is possible.",
    8: "gtol=0.125000 is too small, func(x) is orthogonal to the columns of\n  the Jacobian to machine precision.",
}


# -- the message table -------------------------------------------------------


@pytest.mark.parametrize("ier", range(9))
@pytest.mark.parametrize(
    ("settings", "messages"), [(DEFAULTS, DEFAULT_MESSAGES), (CUSTOM, CUSTOM_MESSAGES)], ids=["default", "custom"]
)
def test_message_table_is_scipys(ier, settings, messages):
    assert leastsq_message(ier, **settings) == messages[ier]


def test_message_table_has_every_minpack_exit_code():
    # And pyminpack's own: the non-finite guard's quiet stop (allow_nonfinite=True).
    assert sorted(OUTCOMES) == [IER_NONFINITE, *range(9)]


def test_exit_code_classes_are_scipys():
    assert tuple(LEASTSQ_SUCCESS) == (1, 2, 3, 4)
    assert tuple(LEASTSQ_FAILURE) == (5, 6, 7, 8, IER_NONFINITE)
    assert IMPROPER_INPUT == 0
    # scipy's ``errors`` table: TypeError for 0, ValueError for 5-8, None for success.
    assert {ier: OUTCOMES[ier].error for ier in range(9)} == {
        0: TypeError, 1: None, 2: None, 3: None, 4: None,
        5: ValueError, 6: ValueError, 7: ValueError, 8: ValueError,
    }  # fmt: skip


# -- real solves ending with each exit code ----------------------------------

#: (problem, use Dfun, keyword arguments, ier MINPACK ends with, the message).
SOLVES = [
    (EXP, False, {}, 1, DEFAULT_MESSAGES[1]),
    (EXP, True, {"ftol": 0.5}, 1, "Both actual and predicted relative reductions in the sum of squares\n"
     "  are at most 0.500000"),
    (EXP, False, {"ftol": 0.0, "xtol": 1e-3}, 2, "The relative error between two consecutive iterates is at most 0.001000"),
    (EXP, True, {"ftol": 0.0, "xtol": 1e-3}, 2, "The relative error between two consecutive iterates is at most 0.001000"),
    (LINE, True, {}, 3, DEFAULT_MESSAGES[3]),
    (EXP, True, {"ftol": 0.01, "xtol": 0.01}, 3, "Both actual and predicted relative reductions in the sum of squares\n"
     "  are at most 0.010000 and the relative error between two consecutive iterates is at \n  most 0.010000"),
    (EXP, False, {"gtol": 0.1}, 4, "The cosine of the angle between func(x) and any column of the\n"
     "  Jacobian is at most 0.100000 in absolute value"),
    (EXP, True, {"gtol": 0.1}, 4, "The cosine of the angle between func(x) and any column of the\n"
     "  Jacobian is at most 0.100000 in absolute value"),
    (EXP, False, {"maxfev": 5}, 5, "Number of calls to function has reached maxfev = 5."),
    (EXP, True, {"maxfev": 5}, 5, "Number of calls to function has reached maxfev = 5."),
    (ROSENBROCK_OFFSET, False, {"ftol": 0.0, "xtol": 0.0}, 6, DEFAULT_MESSAGES[6]),
    (ROSENBROCK_OFFSET, False, {"ftol": 1e-300, "xtol": 1e-300}, 6, DEFAULT_MESSAGES[6]),
    (EXP, True, {"ftol": 0.0, "xtol": 0.0}, 7, DEFAULT_MESSAGES[7]),
    (EXP, True, {"ftol": 1e-300, "xtol": 1e-300}, 7, DEFAULT_MESSAGES[7]),
    (ORTHOGONAL, False, {"ftol": 0.0}, 8, DEFAULT_MESSAGES[8]),
    (ORTHOGONAL, True, {"ftol": 0.0}, 8, DEFAULT_MESSAGES[8]),
    (ORTHOGONAL, True, {"ftol": 1e-300, "xtol": 1e-300, "gtol": 1e-300}, 8, DEFAULT_MESSAGES[8]),
]  # fmt: skip


def solve_id(case):
    problem, use_dfun, kwargs, ier, _ = case
    settings = ",".join(f"{key}={value:g}" for key, value in kwargs.items())
    return f"ier{ier}-{problem.name}-{'lmder' if use_dfun else 'lmdif'}-{settings or 'defaults'}"


def run(problem: Problem, use_dfun: bool, full_output: bool, **kwargs):
    return leastsq(problem.func, problem.x0, Dfun=problem.jac if use_dfun else None, full_output=full_output, **kwargs)


@pytest.mark.parametrize("case", SOLVES, ids=[solve_id(case) for case in SOLVES])
def test_full_output_returns_message_and_never_warns(case):
    problem, use_dfun, kwargs, ier, message = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, _, mesg, info = run(problem, use_dfun, True, **kwargs)
    assert (info, mesg) == (ier, message)


@pytest.mark.parametrize("case", [c for c in SOLVES if c[3] in (1, 2, 3, 4)], ids=solve_id)
def test_converged_solve_returns_x_and_ier_silently(case):
    problem, use_dfun, kwargs, ier, _ = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, info = run(problem, use_dfun, False, **kwargs)
    assert info == ier
    np.testing.assert_array_equal(x, run(problem, use_dfun, True, **kwargs)[0])


@pytest.mark.parametrize("case", [c for c in SOLVES if c[3] in (5, 6, 7, 8)], ids=solve_id)
def test_unconverged_solve_warns_with_the_message(case):
    problem, use_dfun, kwargs, ier, message = case
    with pytest.warns(RuntimeWarning) as record:
        x, info = run(problem, use_dfun, False, **kwargs)
    assert [str(w.message) for w in record] == [message]
    # stacklevel=2, as in SciPy: the warning points at the caller of leastsq.
    assert record[0].filename == __file__
    assert info == ier
    np.testing.assert_array_equal(x, run(problem, use_dfun, True, **kwargs)[0])


# -- ier 0: improper input ---------------------------------------------------

IMPROPER = {
    "ftol<0": {"ftol": -1.0},
    "ftol=-tiny": {"ftol": -1e-300},
    "xtol<0": {"xtol": -1.0},
    "gtol<0": {"gtol": -1.0},
    "factor=0": {"factor": 0.0},
    "factor<0": {"factor": -100.0},
    "diag=0": {"diag": [1.0, 0.0]},
    "diag<0": {"diag": [-1.0, 1.0]},
    # maxfev=0 means "the default"; a negative limit reaches MINPACK, which
    # refuses it (SciPy >= 1.15's C translation ignores it instead).
    "maxfev<0": {"maxfev": -1},
}


class CountingProblem:
    """``EXP`` that counts how often its residuals and Jacobian are evaluated."""

    def __init__(self):
        self.calls = 0

    def func(self, p):
        self.calls += 1
        return EXP.func(p)

    def jac(self, p):
        self.calls += 1
        return EXP.jac(p)


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("kwargs", IMPROPER.values(), ids=IMPROPER.keys())
def test_improper_input_raises_type_error(kwargs, use_dfun):
    counting = CountingProblem()
    with pytest.raises(TypeError, match=r"^Improper input parameters\.$"):
        leastsq(counting.func, EXP.x0, Dfun=counting.jac if use_dfun else None, **kwargs)
    # Only leastsq's own checking call(s) ran: MINPACK refused before evaluating.
    assert counting.calls == (2 if use_dfun else 1)


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("kwargs", IMPROPER.values(), ids=IMPROPER.keys())
def test_improper_input_with_full_output_returns_ier_0(kwargs, use_dfun):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, cov_x, infodict, mesg, ier = leastsq(
            EXP.func, EXP.x0, Dfun=EXP.jac if use_dfun else None, full_output=True, **kwargs
        )
    assert (ier, mesg, cov_x) == (0, "Improper input parameters.", None)
    assert infodict["nfev"] == 0
    np.testing.assert_array_equal(x, EXP.x0)
    # MINPACK wrote none of these: zeros (ipvt 0-based), never leftover memory.
    assert not infodict["fjac"].any() and not infodict["qtf"].any()
    np.testing.assert_array_equal(infodict["ipvt"], [-1, -1])


def test_warning_is_a_runtime_warning_not_an_error():
    # The ValueError that SciPy's table pairs with 5-8 is never raised.
    with pytest.warns(RuntimeWarning, match=re.escape("maxfev = 5.")):
        leastsq(EXP.func, EXP.x0, maxfev=5)
