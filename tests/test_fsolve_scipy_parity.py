"""pyminpack.fsolve and root('hybr', 'lm') against the installed SciPy's.

SciPy >= 1.15 solves with a C translation of MINPACK, so numbers are
compared with tolerances; the interface (signature, result keys, exception
types, warnings) exactly, and the messages up to the whitespace that SciPy
1.15 changed (one space after each line break instead of two).  Where
pyminpack deliberately differs (``test_fsolve.py`` pins these without SciPy):

* ``nfev`` counts every call of ``func``: SciPy calls it twice at ``x0``
  (a shape check and its C wrapper's setup call), pyminpack once, so
  SciPy's ``nfev`` is one more for the same solve.
* nan or inf from ``func``/``fprime``: SciPy runs on (and may report
  success); pyminpack raises ValueError (or ends with ier -2).
* nan/inf settings, a ``diag`` of the wrong length, negative ``maxfev`` or
  ``band`` entries, a malformed ``band``: SciPy runs (on undefined memory,
  for a short ``diag``); pyminpack raises.
"""

import inspect
import re
import warnings

import hybrd_problems
import numpy as np
import pytest

import pyminpack

so = pytest.importorskip("scipy.optimize")


def _normalized(message):
    """SciPy >= 1.15 writes one space after each line break, 1.14 two."""
    return re.sub(r"\n +", "\n ", message)


def test_fsolve_signature_is_scipys():
    ours = inspect.signature(pyminpack.fsolve).parameters
    theirs = inspect.signature(so.fsolve).parameters
    assert list(theirs) == [name for name, p in ours.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert all(ours[name].default == p.default for name, p in theirs.items())


def test_root_signature_is_scipys():
    assert inspect.signature(pyminpack.root).parameters.keys() == inspect.signature(so.root).parameters.keys()


@pytest.mark.parametrize("case", hybrd_problems.CASES, ids=[case.id for case in hybrd_problems.CASES])
@pytest.mark.parametrize("with_fprime", [False, True], ids=["hybrd", "hybrj"])
def test_fsolve_agrees_with_scipy_on_minpacks_problems(case, with_fprime):
    fprime = hybrd_problems.jacobian if with_fprime else None
    with np.errstate(all="ignore"):
        ours = pyminpack.fsolve(hybrd_problems.functions, case.x0, case.args, fprime=fprime, full_output=True)
        theirs = so.fsolve(hybrd_problems.functions, case.x0, case.args, fprime=fprime, full_output=True)
    assert list(ours[1]) == list(theirs[1])
    assert all(ours[1][key].shape == theirs[1][key].shape for key in ("fjac", "r", "qtf", "fvec"))
    if ours[2] == theirs[2] == 1:  # the same root, where both converge (paths may part in the last bits)
        np.testing.assert_allclose(
            ours[1]["fvec"], theirs[1]["fvec"], rtol=0, atol=1e-6 * max(1.0, np.abs(case.x0).max())
        )


@pytest.mark.parametrize("ier", [2, 3, 4, 5])
def test_failure_messages_and_warnings_are_scipys(ier):
    problems = {
        2: ((lambda x: x**2 - 2), [1.0], {"maxfev": 3}),
        3: ((lambda x: np.exp(x) - 3), [0.0, 1.0], {"xtol": 0.0}),
        4: ((lambda x: np.abs(x) + 1), [1.0, 2.0], {}),
        5: ((lambda x: x**2 + 1), [1.0], {}),
    }
    func, x0, kwargs = problems[ier]
    ours = pyminpack.fsolve(func, x0, full_output=True, **kwargs)
    theirs = so.fsolve(func, x0, full_output=True, **kwargs)
    assert (ours[2], _normalized(ours[3])) == (theirs[2], _normalized(theirs[3]))
    for solver in (pyminpack.fsolve, so.fsolve):
        with pytest.warns(RuntimeWarning):
            solver(func, x0, **kwargs)


def test_improper_input_is_the_same_type_error():
    for solver in (pyminpack.fsolve, so.fsolve):
        with pytest.raises(TypeError, match=r"^Improper input parameters were entered\.$"):
            solver(lambda x: x, [1.0], xtol=-1.0)


def test_shape_errors_are_the_same_type_errors():
    for solver in (pyminpack.fsolve, so.fsolve):
        with pytest.raises(TypeError, match=r"fsolve: there is a mismatch between the input and output shape"):
            solver(lambda x: np.ones(3), [1.0, 2.0])
        with pytest.raises(TypeError, match=r"fsolve: there is a mismatch between the input and output shape"):
            solver(lambda x: x, [1.0, 2.0], fprime=lambda x: np.ones((3, 3)))


@pytest.mark.parametrize("method", ["hybr", "lm"])
@pytest.mark.parametrize("with_jac", [False, True])
def test_root_results_have_scipys_keys_and_values(method, with_jac):
    def fun(x):
        return [x[0] * np.cos(x[1]) - 4, x[1] * x[0] - x[1] - 5]

    def jac(x):
        return [[np.cos(x[1]), -x[0] * np.sin(x[1])], [x[1], x[0] - 1]]

    jac_arg = jac if with_jac else None
    ours = pyminpack.root(fun, [1.0, 1.0], method=method, jac=jac_arg)
    theirs = so.root(fun, [1.0, 1.0], method=method, jac=jac_arg)
    assert list(ours) == list(theirs)
    assert (ours.success, ours.status, ours.method) == (theirs.success, theirs.status, theirs.method)
    assert _normalized(ours.message) == _normalized(theirs.message)
    np.testing.assert_allclose(ours.x, theirs.x, rtol=1e-10)


def test_root_warnings_are_scipys():
    def fun(x):
        return x - 1

    for solver in (pyminpack.root, so.root):
        with pytest.warns(RuntimeWarning, match=r"^Method hybr does not accept callback\.$"):
            solver(fun, [0.0], callback=print)
    with pytest.warns(pyminpack.OptimizeWarning, match=r"^Unknown solver options: bogus$"):
        pyminpack.root(fun, [0.0], options={"bogus": 1})
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        so.root(fun, [0.0], options={"bogus": 1})
    assert [str(w.message) for w in record] == ["Unknown solver options: bogus"]
