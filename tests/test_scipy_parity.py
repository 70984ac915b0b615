"""pyminpack.leastsq against scipy.optimize.leastsq, the interface it copies.

SciPy >= 1.15 solves with a C translation of MINPACK, so numbers are
compared with tolerances; the API (signature, exception types and messages,
``mesg`` strings, warnings, ``infodict`` layout) is compared exactly.

Where SciPy's behaviour is an accident rather than a contract, pyminpack
deliberately differs, and those cases are not compared here (they are
specified, without SciPy, in ``test_leastsq.py``):

* nan or inf in ``x0``, a tolerance, ``factor``, ``epsfcn`` or ``diag``:
  SciPy runs and returns garbage or a misleading ier; pyminpack raises
  ValueError.
* ``diag`` of the wrong length: SciPy ignores the extra entries (or reads
  past them); pyminpack raises ValueError.  Non-numeric ``diag``: SciPy's
  ValueError is f2py's ("object of too small depth"); pyminpack raises
  TypeError.
* ``func``/``Dfun`` returning None, text, complex, objects or a 2-D array:
  SciPy reports a misleading "N must not exceed M" or a bare
  ``minpack.error("Result from function call is not a proper array of
  floats.")``; pyminpack raises TypeError naming the function and the
  problem (the exception type is the same where SciPy's is a TypeError).
* ``maxfev < 0``: MINPACK answers "Improper input parameters."; SciPy
  <= 1.14's C wrapper replaced it by the default limit, and SciPy >= 1.15's
  translation ignores the limit.
* ``maxfev >= 2**31``: SciPy raises OverflowError; pyminpack reads it as
  no limit.
* the number of times ``func`` is called: SciPy's C wrapper makes extra
  evaluations, so callbacks that fail "at call k" are compared only where
  both reach call k.
"""

import inspect
import warnings

import numpy as np
import pytest

so = pytest.importorskip("scipy.optimize")

from small_problems import (  # noqa: E402
    EXP,
    LINE,
    ORTHOGONAL,
    ROSENBROCK_OFFSET,
    Problem,
    assert_cov_close,
    runaway,
)

import pyminpack  # noqa: E402
from pyminpack._cli.demo import TUTORIAL_FITS  # noqa: E402

LIBRARIES = {"pyminpack": pyminpack.leastsq, "scipy": so.leastsq}


#: pyminpack's additions, keyword-only so that no positional call changes meaning.
EXTRAS = {"allow_nonfinite": False, "callback": None}


def test_signature_and_defaults_are_scipys():
    ours = dict(inspect.signature(pyminpack.leastsq).parameters)
    extras = {name: ours.pop(name) for name in EXTRAS}
    theirs = inspect.signature(so.leastsq).parameters
    assert list(ours) == list(theirs)
    assert [p.default for p in ours.values()] == [p.default for p in theirs.values()]
    assert [p.kind for p in ours.values()] == [p.kind for p in theirs.values()]
    assert {name: (p.kind, p.default) for name, p in extras.items()} == {
        name: (inspect.Parameter.KEYWORD_ONLY, default) for name, default in EXTRAS.items()
    }


# -- the same exception, type and message -------------------------------------


class Boom(Exception):
    pass


def failing_at(call, what="raise"):
    """EXP's residuals, failing on evaluation ``call`` (1 is the checking call)."""
    calls = [0]

    def user_residuals(p):
        calls[0] += 1
        if calls[0] >= call:
            if what == "raise":
                raise Boom(f"failed at call {call}")
            return np.zeros(what)
        return EXP.func(p)

    return user_residuals


def jac_failing_at(call, what="raise"):
    calls = [0]

    def user_jacobian(p):
        calls[0] += 1
        if calls[0] >= call:
            if what == "raise":
                raise Boom(f"Dfun failed at call {call}")
            return np.ones(what)
        return EXP.jac(p)

    return user_jacobian


class Unnamed:
    """A callable without __name__ (SciPy then names no function)."""

    def __call__(self, p):
        return EXP.jac(p).T


#: name -> a factory of (func, x0, keyword arguments), called afresh for
#: each library (the callbacks count their calls); both raise, with the
#: same type and message.
SAME_ERROR = {
    "m<n": lambda: (lambda p: p[:2], [0.0, 0.0, 0.0], {}),
    "Dfun-transposed": lambda: (EXP.func, EXP.x0, {"Dfun": lambda p: EXP.jac(p).T}),
    "Dfun-transposed-col_deriv": lambda: (EXP.func, EXP.x0, {"Dfun": EXP.jac, "col_deriv": True}),
    "Dfun-flat": lambda: (EXP.func, EXP.x0, {"Dfun": lambda p: EXP.jac(p).ravel()}),
    "Dfun-3d": lambda: (EXP.func, EXP.x0, {"Dfun": lambda p: EXP.jac(p)[None]}),
    "Dfun-unnamed": lambda: (EXP.func, EXP.x0, {"Dfun": Unnamed()}),
    "func-raises-first-call": lambda: (failing_at(1), EXP.x0, {}),
    "func-raises-mid-solve-lmdif": lambda: (failing_at(6), EXP.x0, {}),
    "func-raises-mid-solve-lmder": lambda: (failing_at(3), EXP.x0, {"Dfun": EXP.jac}),
    "Dfun-raises-first-call": lambda: (EXP.func, EXP.x0, {"Dfun": jac_failing_at(1)}),
    "Dfun-raises-mid-solve": lambda: (EXP.func, EXP.x0, {"Dfun": jac_failing_at(2)}),
    "func-grows-mid-solve-lmdif": lambda: (failing_at(3, 6), EXP.x0, {}),
    "func-shrinks-mid-solve-lmdif": lambda: (failing_at(3, 4), EXP.x0, {}),
    "func-grows-mid-solve-lmder": lambda: (failing_at(2, 6), EXP.x0, {"Dfun": EXP.jac}),
    "Dfun-grows-mid-solve": lambda: (EXP.func, EXP.x0, {"Dfun": jac_failing_at(2, (6, 2))}),
    "func-not-callable": lambda: (3, EXP.x0, {}),
    "Dfun-not-callable": lambda: (EXP.func, EXP.x0, {"Dfun": 3}),
    **{f"improper-{key}": (lambda kwargs=kwargs: (EXP.func, EXP.x0, kwargs)) for key, kwargs in {
        "ftol<0": {"ftol": -1.0}, "xtol<0": {"xtol": -1.0}, "gtol<0": {"gtol": -1.0},
        "factor=0": {"factor": 0.0}, "factor<0": {"factor": -1.0},
        "diag=0": {"diag": [0.0, 1.0]}, "diag<0": {"diag": [1.0, -2.0]},
        "diag<0-lmder": {"diag": [1.0, -2.0], "Dfun": EXP.jac},
    }.items()},
}  # fmt: skip


def outcomes_of(case):
    """Run ``case()``'s solve in both libraries: {library: result or exception}."""
    outcomes = {}
    for name, leastsq in LIBRARIES.items():
        func, x0, kwargs = case()
        try:
            outcomes[name] = leastsq(func, x0, **kwargs)
        except Exception as exc:
            outcomes[name] = exc
    return outcomes


@pytest.mark.parametrize("case", SAME_ERROR.values(), ids=SAME_ERROR.keys())
def test_same_exception_as_scipy(case):
    outcomes = outcomes_of(case)
    ours, theirs = outcomes["pyminpack"], outcomes["scipy"]
    assert isinstance(theirs, Exception), "the case no longer makes SciPy raise"
    assert isinstance(ours, Exception), f"pyminpack returned {ours!r}, SciPy raised {theirs!r}"
    assert (type(ours), str(ours)) == (type(theirs), str(theirs))


#: Both raise an instance of the class given; SciPy's message is f2py's,
#: numpy's or misleading, ours names the argument (compared: the class only).
SAME_CLASS = {
    "func-returns-None": (lambda: (lambda p: None, EXP.x0, {}), TypeError),
    "func-returns-str": (lambda: (lambda p: "residuals", EXP.x0, {}), TypeError),
    "Dfun-returns-None": (lambda: (EXP.func, EXP.x0, {"Dfun": lambda p: None}), TypeError),
    "x0-strings": (lambda: (EXP.func, ["1", "x"], {}), TypeError),
    "x0-complex": (lambda: (np.abs, [1j, 1.0], {}), TypeError),
    "ftol-text": (lambda: (EXP.func, EXP.x0, {"ftol": "tight"}), TypeError),
    "ftol-numeric-text": (lambda: (EXP.func, EXP.x0, {"ftol": "0.1"}), TypeError),
    "factor-None": (lambda: (EXP.func, EXP.x0, {"factor": None}), TypeError),
    "maxfev-float": (lambda: (EXP.func, EXP.x0, {"maxfev": 10.0}), TypeError),
    "maxfev-float-lmder": (lambda: (EXP.func, EXP.x0, {"maxfev": 10.0, "Dfun": EXP.jac}), TypeError),
    "maxfev-str": (lambda: (EXP.func, EXP.x0, {"maxfev": "10"}), TypeError),
}


@pytest.mark.parametrize(("case", "error"), SAME_CLASS.values(), ids=SAME_CLASS.keys())
def test_same_exception_class_as_scipy(case, error):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy may warn before it fails
        outcomes = outcomes_of(case)
    assert isinstance(outcomes["scipy"], error), "the case no longer makes SciPy raise this"
    assert isinstance(outcomes["pyminpack"], error)


# -- the same outcome, mesg and warning ---------------------------------------

#: (problem, use Dfun, keyword arguments): solves ending with the same ier in
#: both, one or more for every ier.
SAME_OUTCOME = {
    "ier1-lmdif": (EXP, False, {}),
    "ier1-lmder": (EXP, True, {"ftol": 0.5}),
    "ier2": (EXP, False, {"ftol": 0.0, "xtol": 1e-3}),
    "ier3": (LINE, True, {}),
    "ier3-custom": (EXP, True, {"ftol": 0.01, "xtol": 0.01}),
    "ier4-gtol": (EXP, False, {"gtol": 0.1}),
    "ier4-exact": (ROSENBROCK_OFFSET, True, {}),
    "ier5": (EXP, True, {"maxfev": 5}),
    "ier5-default-maxfev-lmdif": (runaway(3), False, {}),
    "ier5-default-maxfev-lmder": (runaway(3), True, {}),
    "ier6": (ROSENBROCK_OFFSET, False, {"ftol": 0.0, "xtol": 0.0}),
    "ier7": (EXP, True, {"ftol": 0.0, "xtol": 0.0}),
    "ier8-lmdif": (ORTHOGONAL, False, {"ftol": 0.0}),
    "ier8-lmder": (ORTHOGONAL, True, {"ftol": 0.0}),
    "ier0": (EXP, False, {"xtol": -1.0}),
}


def solve_both(problem: Problem, use_dfun, **kwargs):
    return {
        name: leastsq(problem.func, problem.x0, Dfun=problem.jac if use_dfun else None, **kwargs)
        for name, leastsq in LIBRARIES.items()
    }


@pytest.mark.parametrize(("problem", "use_dfun", "kwargs"), SAME_OUTCOME.values(), ids=SAME_OUTCOME.keys())
def test_same_ier_and_mesg_as_scipy(problem, use_dfun, kwargs):
    results = solve_both(problem, use_dfun, full_output=True, **kwargs)
    ours, theirs = results["pyminpack"], results["scipy"]
    assert (ours[4], ours[3]) == (theirs[4], theirs[3])
    assert list(ours[2]) == list(theirs[2])


@pytest.mark.parametrize(
    ("problem", "use_dfun", "kwargs"),
    [case for key, case in SAME_OUTCOME.items() if key[:4] in ("ier5", "ier6", "ier7", "ier8")],
    ids=[key for key in SAME_OUTCOME if key[:4] in ("ier5", "ier6", "ier7", "ier8")],
)
def test_same_warning_as_scipy(problem, use_dfun, kwargs):
    messages = {}
    for name, leastsq in LIBRARIES.items():
        with pytest.warns(RuntimeWarning) as record:
            leastsq(problem.func, problem.x0, Dfun=problem.jac if use_dfun else None, **kwargs)
        messages[name] = [(w.category, str(w.message), w.filename) for w in record]
    assert messages["pyminpack"] == messages["scipy"]


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("problem", [LINE, EXP, ROSENBROCK_OFFSET], ids=repr)
def test_same_infodict_layout_as_scipy(problem, use_dfun):
    results = solve_both(problem, use_dfun, full_output=True)
    ours, theirs = results["pyminpack"][2], results["scipy"][2]
    assert list(ours) == list(theirs)
    for key in ours:
        if key in ("nfev", "njev"):
            assert type(ours[key]) is type(theirs[key])
        else:
            assert (ours[key].dtype, ours[key].shape) == (theirs[key].dtype, theirs[key].shape), key
    np.testing.assert_array_equal(ours["ipvt"], theirs["ipvt"])


@pytest.mark.parametrize("use_dfun", [False, True], ids=["lmdif", "lmder"])
@pytest.mark.parametrize("problem", [LINE, EXP, ROSENBROCK_OFFSET], ids=repr)
def test_same_solution_and_covariance_as_scipy(problem, use_dfun):
    results = solve_both(problem, use_dfun, full_output=True)
    ours, theirs = results["pyminpack"], results["scipy"]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours[2]["fvec"], theirs[2]["fvec"], rtol=1e-6, atol=1e-8)
    assert_cov_close(ours[1], theirs[1], 1e-6)


def test_same_answer_as_scipy_for_the_docstring_example():
    results = {name: leastsq(lambda x: 2 * (x - 3) ** 2 + 1, 0) for name, leastsq in LIBRARIES.items()}
    ours, theirs = results["pyminpack"], results["scipy"]
    assert ours[0].shape == theirs[0].shape == (1,)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert ours[1] in (1, 2, 3, 4) and theirs[1] in (1, 2, 3, 4)


def test_same_default_epsfcn_for_float32_output_as_scipy():
    def func(p):
        return EXP.func(p).astype(np.float32)

    results = {name: leastsq(func, EXP.x0, full_output=True) for name, leastsq in LIBRARIES.items()}
    ours, theirs = results["pyminpack"], results["scipy"]
    assert (ours[2]["nfev"], ours[4]) == (theirs[2]["nfev"], theirs[4])
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)


def test_same_shape_handling_of_x0_and_args_as_scipy():
    def func(p, target, scale):
        return scale * (p - target)

    target = np.arange(4.0)
    results = {
        name: leastsq(func, np.zeros((2, 2), dtype=int), args=(target, 2.0)) for name, leastsq in LIBRARIES.items()
    }
    ours, theirs = results["pyminpack"], results["scipy"]
    assert (ours[0].shape, ours[0].dtype) == (theirs[0].shape, theirs[0].dtype)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-8, atol=1e-12)


# -- the tutorial fits ----------------------------------------------------------


@pytest.mark.parametrize("example", TUTORIAL_FITS, ids=lambda e: e.name)
def test_same_tutorial_fits_as_scipy(example):
    y = example.data()

    def residuals(p, x, y):
        return example.model(x, *p) - y

    results = {
        name: leastsq(residuals, example.initial_guess, args=(example.x, y), full_output=True)
        for name, leastsq in LIBRARIES.items()
    }
    ours, theirs = results["pyminpack"], results["scipy"]
    assert ours[4] in (1, 2, 3, 4) and theirs[4] in (1, 2, 3, 4)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert_cov_close(ours[1], theirs[1], 1e-5)
