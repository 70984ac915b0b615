"""``pyminpack.root``: scipy.optimize.root (1.14.1) with its MINPACK methods 'hybr' and 'lm', without SciPy.

'hybr' is fsolve's solve and 'lm' leastsq's (checked bit for bit against
MINPACK in ``test_libminpack_fsolve.py`` and ``test_libminpack_*.py``);
here each option must reach them as the corresponding fsolve/leastsq
argument, and the result, warnings and errors are SciPy's.
"""

import inspect
import itertools

import numpy as np
import pytest

from pyminpack import OptimizeResult, OptimizeWarning, fsolve, leastsq, root


def trig(x):
    return [x[0] * np.cos(x[1]) - 4, x[1] * x[0] - x[1] - 5]


def trig_jacobian(x):
    return np.array([[np.cos(x[1]), -x[0] * np.sin(x[1])], [x[1], x[0] - 1]])


def trig_by_columns(x):
    return np.ascontiguousarray(trig_jacobian(x).T)


X0 = [1.0, 1.0]


def test_signature_is_scipys():
    parameters = inspect.signature(root).parameters
    assert {name: p.default for name, p in parameters.items()} == {
        "fun": inspect.Parameter.empty,
        "x0": inspect.Parameter.empty,
        "args": (),
        "method": "hybr",
        "jac": None,
        "tol": None,
        "callback": None,
        "options": None,
    }


@pytest.mark.parametrize(
    ("method", "jac", "keys"),
    [
        ("hybr", None, ["x", "success", "status", "method", "nfev", "fjac", "r", "qtf", "fun", "message"]),
        (
            "hybr",
            trig_jacobian,
            ["x", "success", "status", "method", "nfev", "njev", "fjac", "r", "qtf", "fun", "message"],
        ),
        ("lm", None, ["x", "message", "status", "success", "cov_x", "fun", "method", "nfev", "fjac", "ipvt", "qtf"]),
        (
            "lm",
            trig_jacobian,
            ["x", "message", "status", "success", "cov_x", "fun", "method", "nfev", "njev", "fjac", "ipvt", "qtf"],
        ),
    ],
)
def test_result_keys_in_scipys_order(method, jac, keys):
    sol = root(trig, X0, method=method, jac=jac)
    assert isinstance(sol, OptimizeResult)
    assert list(sol) == keys
    assert sol.method == method and sol.success is True


def test_hybr_result_is_fsolves():
    sol = root(trig, X0, jac=trig_jacobian)
    x, infodict, ier, mesg = fsolve(trig, X0, fprime=trig_jacobian, full_output=True)
    assert (sol.status, sol.message, sol.success) == (ier, mesg, True)
    for key in ("nfev", "njev"):
        assert sol[key] == infodict[key]
    for key in ("fjac", "r", "qtf"):
        np.testing.assert_array_equal(sol[key], infodict[key])
    np.testing.assert_array_equal(sol.x, x)
    np.testing.assert_array_equal(sol.fun, infodict["fvec"])


def test_lm_result_is_leastsqs_and_nfev_counts_every_call():
    calls = []

    def fun(x):
        calls.append(1)
        return trig(x)

    sol = root(fun, X0, method="lm")
    n_root = len(calls)
    x, cov_x, infodict, mesg, ier = leastsq(trig, X0, full_output=True, epsfcn=0.0)
    assert (sol.status, sol.message, sol.success) == (ier, mesg, ier in (1, 2, 3, 4))
    assert sol.nfev == n_root == infodict["nfev"] + 1  # leastsq's nfev is MINPACK's; root's every call
    np.testing.assert_array_equal(sol.x, x)
    np.testing.assert_array_equal(sol.cov_x, cov_x)
    np.testing.assert_array_equal(sol.fun, infodict["fvec"])
    np.testing.assert_array_equal(sol.ipvt, infodict["ipvt"])


def test_hybr_failure_neither_warns_nor_raises():
    sol = root(lambda x: x**2 + 1, [1.0])
    assert (sol.success, sol.status) == (False, 5)
    assert sol.message.startswith("The iteration is not making good progress")


#: Each option at a value other than its default, and the same setting as an fsolve argument.
HYBR_OPTIONS = {
    "xtol": 1e-3,
    "maxfev": 5,
    "band": (0, 0),
    "eps": 1e-4,
    "factor": 0.1,
    "diag": [1.0, 30.0],
}
FSOLVE_NAMES = {"eps": "epsfcn"}


def _same_solve(sol, fsolve_output):
    x, infodict, ier, _ = fsolve_output
    return sol.x.tolist() == x.tolist() and (sol.nfev, sol.status) == (infodict["nfev"], ier)


@pytest.mark.parametrize("option", HYBR_OPTIONS)
def test_each_hybr_option_reaches_fsolve(option):
    value = HYBR_OPTIONS[option]
    sol = root(trig, X0, options={option: value})
    assert _same_solve(sol, fsolve(trig, X0, full_output=True, **{FSOLVE_NAMES.get(option, option): value}))
    assert not _same_solve(sol, fsolve(trig, X0, full_output=True)), "the option changes nothing: a useless test"


def test_hybr_col_deriv_option():
    sol = root(trig, X0, jac=trig_by_columns, options={"col_deriv": True})
    assert _same_solve(sol, fsolve(trig, X0, fprime=trig_jacobian, full_output=True))


#: The same for 'lm' and leastsq's arguments.
LM_OPTIONS = {"xtol": 0.1, "ftol": 0.5, "gtol": 0.5, "maxiter": 5, "eps": 1e-4, "factor": 0.1, "diag": [1.0, 30.0]}
LEASTSQ_NAMES = {"maxiter": "maxfev", "eps": "epsfcn"}


def _same_fit(sol, leastsq_output):
    x, _, infodict, _, ier = leastsq_output
    return sol.x.tolist() == x.tolist() and (sol.nfev, sol.status) == (infodict["nfev"] + 1, ier)


@pytest.mark.parametrize("option", LM_OPTIONS)
def test_each_lm_option_reaches_leastsq(option):
    value = LM_OPTIONS[option]
    problem = (lambda x: [10 * (x[1] - x[0] ** 2), 1 - x[0]], [-1.2, 1.0])  # Rosenbrock's
    sol = root(problem[0], problem[1], method="lm", options={option: value})
    kwargs = {LEASTSQ_NAMES.get(option, option): value}
    assert _same_fit(sol, leastsq(problem[0], problem[1], full_output=True, **kwargs))
    assert not _same_fit(sol, leastsq(problem[0], problem[1], full_output=True)), "the option changes nothing"


def test_lm_col_deriv_option_and_eps_default():
    sol = root(trig, X0, method="lm", jac=trig_by_columns, options={"col_deriv": True})
    assert _same_fit(sol, leastsq(trig, X0, Dfun=trig_jacobian, full_output=True))


@pytest.mark.parametrize("method", ["hybr", "lm"])
def test_tol_is_the_default_xtol(method):
    assert (
        root(trig, X0, method=method, tol=1e-3).x.tolist()
        == root(trig, X0, method=method, options={"xtol": 1e-3}).x.tolist()
    )
    explicit = root(trig, X0, method=method, tol=0.5, options={"xtol": 1e-3})
    assert explicit.x.tolist() == root(trig, X0, method=method, options={"xtol": 1e-3}).x.tolist()


@pytest.mark.parametrize(("method", "option"), [("hybr", "maxiter"), ("lm", "maxfev"), ("hybr", "bogus")])
def test_unknown_options_are_ignored_with_scipys_warning(method, option):
    with pytest.warns(OptimizeWarning, match=rf"^Unknown solver options: {option}$") as record:
        sol = root(trig, X0, method=method, options={option: 1})
    assert record[0].filename == __file__
    assert sol.x.tolist() == root(trig, X0, method=method).x.tolist()


def test_several_unknown_options_in_one_warning():
    with pytest.warns(OptimizeWarning, match=r"^Unknown solver options: a, b$"):
        root(trig, X0, options={"a": 1, "xtol": 1e-8, "b": 2})


def test_callback_is_ignored_with_scipys_warning_in_the_methods_spelling():
    with pytest.warns(RuntimeWarning, match=r"^Method HYBR does not accept callback\.$") as record:
        sol = root(trig, X0, method="HYBR", callback=print)
    assert record[0].filename == __file__
    assert sol.method == "hybr"


def test_unknown_and_non_string_methods_are_refused():
    with pytest.raises(ValueError, match=r"^Unknown solver broyden1: pyminpack.root has MINPACK's methods"):
        root(trig, X0, method="broyden1")
    with pytest.raises(TypeError, match=r"method must be a string"):
        root(trig, X0, method=None)


@pytest.mark.parametrize("method", ["hybr", "lm"])
def test_jac_true_means_fun_returns_value_and_jacobian(method):
    points = []

    def fun_and_jac(x):
        points.append(x.copy())
        return trig(x), trig_jacobian(x)

    sol = root(fun_and_jac, X0, method=method, jac=True)
    plain = root(trig, X0, method=method, jac=trig_jacobian)
    assert sol.x.tolist() == plain.x.tolist()
    assert sol.nfev == plain.nfev  # calls of the value half, as SciPy counts them
    # The Jacobian half reuses the value half's call at the same point.
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(points))
    assert len(points) < plain.nfev + plain.njev


@pytest.mark.parametrize("method", ["hybr", "lm"])
def test_jac_false_estimates_the_jacobian(method):
    assert root(trig, X0, method=method, jac=False).x.tolist() == root(trig, X0, method=method).x.tolist()


def test_args_not_a_tuple_is_wrapped():
    assert root(lambda x, c: x - c, [0.0], args=5.0).x == pytest.approx([5.0])


# ---- OptimizeResult -------------------------------------------------------


def test_optimize_result_is_a_dict_with_attribute_access():
    result = OptimizeResult(x=1.0)
    result.nfev = 3
    assert result == {"x": 1.0, "nfev": 3}
    del result.nfev
    assert list(result) == ["x"]
    with pytest.raises(AttributeError, match="nfev"):
        _ = result.nfev
    assert dir(result) == ["x"]


def test_repr_is_scipys():
    """SciPy 1.14.1 prints this result character for character the same (but for ipvt, 1-based there)."""
    sol = root(trig, X0)
    assert repr(sol) == (
        " message: The solution converged.\n"
        " success: True\n"
        "  status: 1\n"
        "     fun: [ 3.732e-12  1.617e-11]\n"
        "       x: [ 6.504e+00  9.084e-01]\n"
        "  method: hybr\n"
        f"    nfev: {sol.nfev}\n"
        "    fjac: [[-5.625e-01 -8.268e-01]\n"
        "           [ 8.268e-01 -5.625e-01]]\n"
        "       r: [-1.091e+00 -1.762e+00 -7.374e+00]\n"
        "     qtf: [ 6.257e-08  2.401e-08]"
    )
    assert repr(OptimizeResult()) == "OptimizeResult()"
    nested = OptimizeResult(a=np.arange(20.0), b={"c": 1, "dd": [1, 2], "x": np.inf})
    assert repr(nested) == (
        " a: [ 0.000e+00  1.000e+00 ...  1.800e+01  1.900e+01]\n b:  x: inf\n     c: 1\n    dd: [1, 2]"
    )


# ---- errors name the user's function; repr at the edges (pinned by mutation testing) ----


def fun_and_jac(x):
    return np.array([x[0] - 1.0, np.nan]), np.eye(2)


class FunAndJac:
    """A callable without ``__name__``, returning three values for two unknowns."""

    def __call__(self, x):
        return np.array([x[0] - 1.0, x[1], 0.0]), np.eye(2)


def test_a_fun_returning_its_jacobian_is_named_in_errors_by_its_own_name():
    with pytest.raises(ValueError) as caught:
        root(fun_and_jac, X0, jac=True)
    assert str(caught.value).startswith(
        "fsolve: the 'func' argument 'fun_and_jac' returned nan or inf at the checking call (at the starting point), "
        "x = [1., 1.]."
    )
    with pytest.raises(TypeError) as caught:
        root(FunAndJac(), X0, jac=True)
    assert str(caught.value) == (
        "fsolve: there is a mismatch between the input and output shape of the 'func' argument 'FunAndJac'."
        "Shape should be (2,) but it is (3,)."
    )


def test_hybr_refuses_nan_at_the_start_as_fsolve_does():
    def nan_fun(x):
        return x * np.nan

    with pytest.raises(ValueError) as caught:
        root(nan_fun, X0)
    assert str(caught.value).startswith(
        "fsolve: the 'func' argument 'nan_fun' returned nan or inf at the checking call"
    )


#: Results whose repr is at an edge of SciPy's layout: an array line exactly as long as the width allows (76
#: columns less the indent), one column short of it, in a nested dict, one entry past the threshold of 12 at which
#: arrays are summarized, and the non-finite entries (SciPy 1.14.1 prints each the same).
REPR_EDGES = [
    (
        {"x": np.linspace(1.0, 2.0, 6), "aaaaaa": 1},
        "      x: [ 1.000e+00  1.200e+00  1.400e+00  1.600e+00  1.800e+00  2.000e+00]\n aaaaaa: 1",
    ),
    (
        {"x": np.linspace(1.0, 2.0, 6), "aaaaaaa": 1},
        "       x: [ 1.000e+00  1.200e+00  1.400e+00  1.600e+00  1.800e+00\n            2.000e+00]\n aaaaaaa: 1",
    ),
    (
        {"x": 1.0, "b": {"fvec": np.linspace(1.0, 2.0, 6), "c": 2}},
        " x: 1.0\n b: fvec: [ 1.000e+00  1.200e+00  1.400e+00  1.600e+00  1.800e+00\n            2.000e+00]\n       c: 2",
    ),
    ({"x": np.linspace(1.0, 2.0, 13), "a": 1}, " x: [ 1.000e+00  1.083e+00 ...  1.917e+00  2.000e+00]\n a: 1"),
    ({"x": np.array([np.nan, np.inf, -np.inf, 1.0])}, " x: [       nan        inf       -inf  1.000e+00]"),
]


@pytest.mark.parametrize(("items", "expected"), REPR_EDGES)
def test_repr_at_the_edges_of_scipys_layout(items, expected):
    assert repr(OptimizeResult(**items)) == expected


def test_repr_is_scipys_for_arrays_of_every_length_under_keys_of_every_width():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    for k, width, nested in itertools.product(range(1, 15), range(1, 12), (False, True)):
        values = np.linspace(1.0, 2.0, k)
        items = {"x": 1.0, "b" * width: {"fvec": values, "c": 2}} if nested else {"x": values, "a" * width: 1}
        assert repr(OptimizeResult(**items)) == repr(scipy_optimize.OptimizeResult(**items)), (k, width, nested)
    for items, expected in REPR_EDGES:
        assert repr(scipy_optimize.OptimizeResult(**items)) == expected
