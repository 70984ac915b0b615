"""``pyminpack.fsolve``: scipy.optimize.fsolve's (1.14.1) signature, results, messages, warnings and errors.

Every behaviour here was read from SciPy 1.14.1's ``_minpack_py.py`` and
checked on it; no SciPy is needed to run these.  The solves themselves are
checked bit for bit against MINPACK in ``test_libminpack_fsolve.py``.
"""

import inspect
import threading
import warnings

import numpy as np
import pytest

from pyminpack import fsolve


def linear(x):
    """``x - (1, 2)``: a root at (1, 2), found in one step."""
    return x - np.array([1.0, 2.0])


def no_root(x):
    """``x**2 + 1``: no real root; hybrd stalls (INFO 5)."""
    return x**2 + 1


def trig(x):
    """SciPy's docstring example: a root near (6.504, 0.908)."""
    return [x[0] * np.cos(x[1]) - 4, x[1] * x[0] - x[1] - 5]


def trig_jacobian(x):
    return [[np.cos(x[1]), -x[0] * np.sin(x[1])], [x[1], x[0] - 1]]


# ---- signature, defaults, returns ---------------------------------------


def test_signature_is_scipys_plus_two_keyword_only_extensions():
    parameters = inspect.signature(fsolve).parameters
    defaults = {name: p.default for name, p in parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD}
    assert defaults == {
        "func": inspect.Parameter.empty,
        "x0": inspect.Parameter.empty,
        "args": (),
        "fprime": None,
        "full_output": False,
        "col_deriv": False,
        "xtol": 1.49012e-08,
        "maxfev": 0,
        "band": None,
        "epsfcn": None,
        "factor": 100,
        "diag": None,
    }
    keyword_only = {name: p.default for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY}
    assert keyword_only == {"allow_nonfinite": False, "callback": None}


def test_returns_x_alone_by_default():
    x = fsolve(linear, [0.0, 0.0])
    assert isinstance(x, np.ndarray)
    np.testing.assert_allclose(x, [1.0, 2.0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("fprime", [None, trig_jacobian], ids=["hybrd", "hybrj"])
def test_full_output_is_x_infodict_ier_mesg_in_scipys_key_order(fprime):
    x, infodict, ier, mesg = fsolve(trig, [1, 1], fprime=fprime, full_output=True)
    expected_keys = (
        ["nfev", "fjac", "r", "qtf", "fvec"] if fprime is None else ["nfev", "njev", "fjac", "r", "qtf", "fvec"]
    )
    assert list(infodict) == expected_keys
    assert (ier, mesg) == (1, "The solution converged.")
    assert x.shape == infodict["fvec"].shape == infodict["qtf"].shape == (2,)
    assert infodict["fjac"].shape == (2, 2) and infodict["fjac"].flags.c_contiguous
    assert infodict["r"].shape == (3,)
    assert all(infodict[key].dtype == np.float64 for key in ("fjac", "r", "qtf", "fvec"))
    assert all(type(infodict[key]) is int for key in infodict if key in ("nfev", "njev"))
    np.testing.assert_array_equal(infodict["fvec"], trig(x))


MATRIX = np.array([[2.0, 1.0], [1.0, 3.0]])


def linear_system(x):
    return MATRIX @ x - np.array([1.0, 1.0])


@pytest.mark.parametrize("fprime", [None, lambda x: MATRIX], ids=["hybrd", "hybrj"])
def test_fjac_and_r_factor_the_final_jacobian(fprime):
    """``fjac`` is Q transposed (C order) and ``r`` R packed by rows: Q R is the final Jacobian.

    Linear equations: the Broyden updates keep the Jacobian exact (up to the forward differences' error).
    ``qtf`` (Q^T fvec at the last update's point) is checked bit for bit in test_libminpack_fsolve.py.
    """
    _, infodict, _, _ = fsolve(linear_system, [5.0, -3.0], fprime=fprime, full_output=True)
    q = infodict["fjac"].T
    r = np.zeros((2, 2))
    r[np.triu_indices(2)] = infodict["r"]
    np.testing.assert_allclose(q.T @ q, np.eye(2), rtol=0, atol=1e-15)
    np.testing.assert_allclose(q @ r, MATRIX, rtol=0, atol=1e-7)


def test_x_is_always_1d_float64():
    assert fsolve(lambda x: x - 3, 0).shape == (1,)
    assert fsolve(lambda x: x - 3, np.array([[0, 0], [0, 0]])).shape == (4,)
    assert fsolve(lambda x: x - 3, np.array([1, 2], dtype=np.int32)).dtype == np.float64


def test_nfev_counts_every_call_of_func_and_njev_every_solve_call_of_fprime():
    """nfev: MINPACK's count plus the checking call (SciPy 1.14.1 reports one more: it calls func twice at x0)."""
    calls = {"func": 0, "fprime": 0}

    def func(x):
        calls["func"] += 1
        return trig(x)

    def fprime(x):
        calls["fprime"] += 1
        return trig_jacobian(x)

    _, infodict, _, _ = fsolve(func, [1, 1], fprime=fprime, full_output=True)
    assert infodict["nfev"] == calls["func"]
    assert infodict["njev"] == calls["fprime"] - 1  # the checking call of fprime is not counted, as in SciPy


def decaying(x):
    """``exp(-x)``: its root is at infinity, and every Newton step gains as much as the one before."""
    return np.exp(-x)


@pytest.mark.parametrize(
    ("fprime", "maxfev"), [(None, 400), (lambda x: [[-np.exp(-x[0])]], 200)], ids=["hybrd", "hybrj"]
)
def test_default_maxfev_is_200_n_plus_1_without_fprime_and_100_with_it(fprime, maxfev):
    _, infodict, ier, mesg = fsolve(decaying, [0.0], fprime=fprime, full_output=True)
    assert (ier, mesg) == (2, f"The number of calls to function has reached maxfev = {maxfev}.")
    assert infodict["nfev"] == maxfev + 1  # and the checking call


def test_args_not_a_tuple_is_wrapped():
    assert fsolve(lambda x, c: x - c, [0.0], args=5.0)[0] == pytest.approx(5.0)


def test_func_cannot_move_the_starting_point_or_keep_minpacks_x():
    seen = []

    def func(x):
        seen.append(x)
        out = x - 1.0
        x[:] = 99.0  # a copy: MINPACK's iterate is untouched
        return out

    x0 = np.zeros(2)
    x = fsolve(func, x0)
    np.testing.assert_allclose(x, [1.0, 1.0])
    assert not x0.any()
    assert len({id(a) for a in seen}) == len(seen)


# ---- messages, warnings and errors (SciPy 1.14.1's) ---------------------

#: What each INFO looks like, and a solve that ends with it.
MESSAGES = {
    2: (
        "The number of calls to function has reached maxfev = 3.",
        {"func": lambda x: x**2 - 2, "x0": [1.0], "maxfev": 3},
    ),
    3: (
        "xtol=0.000000 is too small, no further improvement in the approximate\n  solution is possible.",
        {"func": lambda x: np.exp(x) - 3, "x0": [0.0, 1.0], "xtol": 0.0},
    ),
    4: (
        "The iteration is not making good progress, as measured by the \n"
        "  improvement from the last five Jacobian evaluations.",
        {"func": lambda x: np.abs(x) + 1, "x0": [1.0, 2.0]},
    ),
    5: (
        "The iteration is not making good progress, as measured by the \n  improvement from the last ten iterations.",
        {"func": no_root, "x0": [1.0]},
    ),
}


@pytest.mark.parametrize("ier", MESSAGES)
def test_failures_are_scipys_messages_with_full_output_and_runtime_warnings_without(ier):
    message, problem = MESSAGES[ier]
    _, _, got_ier, mesg = fsolve(**problem, full_output=True)
    assert (got_ier, mesg) == (ier, message)
    with pytest.warns(RuntimeWarning) as record:
        fsolve(**problem)
    assert [str(w.message) for w in record] == [message]
    assert record[0].filename == __file__  # stacklevel: the warning points at the caller


def test_xtol_is_printed_as_scipy_prints_it():
    _, _, ier, mesg = fsolve(lambda x: np.exp(x) - 3, [0.0, 1.0], xtol=1e-300, full_output=True)
    assert ier == 3 and mesg.startswith("xtol=0.000000 is too small")


def test_success_neither_warns_nor_raises():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fsolve(trig, [1, 1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"x0": []},
        {"x0": [1.0, 1.0], "xtol": -1.0},
        {"x0": [1.0, 1.0], "factor": 0.0},
        {"x0": [1.0, 1.0], "diag": [1, 0]},
    ],
    ids=["empty x0", "negative xtol", "zero factor", "zero diag"],
)
def test_improper_input_is_scipys_type_error(kwargs):
    func = (lambda x: x) if not len(kwargs["x0"]) else linear
    with pytest.raises(TypeError, match=r"^Improper input parameters were entered\.$"):
        fsolve(func, **kwargs)
    _x, infodict, ier, mesg = fsolve(func, **kwargs, full_output=True)
    assert (ier, mesg) == (0, "Improper input parameters were entered.")
    np.testing.assert_array_equal(infodict["fvec"], func(np.asarray(kwargs["x0"], dtype=float)))


def test_empty_x0_with_full_output_has_empty_outputs():
    x, infodict, ier, _ = fsolve(lambda x: x, [], fprime=lambda x: np.empty((0, 0)), full_output=True)
    assert ier == 0 and x.shape == (0,)
    assert infodict["fjac"].shape == (0, 0) and infodict["r"].shape == (0,) and infodict["qtf"].shape == (0,)
    assert (infodict["nfev"], infodict["njev"]) == (1, 0)


def test_wrong_func_shape_message():
    def func(x):
        return np.ones(3)

    with pytest.raises(TypeError) as excinfo:
        fsolve(func, [1.0, 2.0])
    assert str(excinfo.value) == (
        "fsolve: there is a mismatch between the input and output shape of the 'func' argument 'func'."
        "Shape should be (2,) but it is (3,)."
    )


def test_wrong_fprime_shape_message():
    def jac(x):
        return np.ones((3, 3))

    with pytest.raises(TypeError) as excinfo:
        fsolve(linear, [1.0, 2.0], fprime=jac)
    assert str(excinfo.value) == (
        "fsolve: there is a mismatch between the input and output shape of the 'fprime' argument 'jac'."
        "Shape should be (2, 2) but it is (3, 3)."
    )


def test_one_unknown_and_two_values_is_refused_clearly():
    """SciPy's shape check lets any output through for n = 1 (then fails on the size); here a clear TypeError."""
    with pytest.raises(TypeError, match=r"must return one value per unknown, 1; it returned 2"):
        fsolve(lambda x: [x[0], x[0]], [1.0])


@pytest.mark.parametrize("value", [None, "text", [1j, 2j]], ids=["None", "str", "complex"])
def test_output_that_is_not_real_numbers_is_a_type_error_naming_func(value):
    with pytest.raises(TypeError, match=r"^fsolve: the 'func' argument '<lambda>' returned"):
        fsolve(lambda x: value, [1.0, 2.0])


def test_size_change_during_the_solve_is_scipys_value_error():
    calls = []

    def func(x):
        calls.append(1)
        return linear(x) if len(calls) < 3 else np.ones(3)

    with pytest.raises(ValueError, match=r"^The array returned by a function changed size between calls$"):
        fsolve(func, [0.0, 0.0])


def test_fprime_size_change_names_fprime_when_it_is_not_an_array():
    calls = []

    def jac(x):
        calls.append(1)
        return np.eye(2) if len(calls) < 2 else "text"

    with pytest.raises(TypeError, match=r"^fsolve: the 'fprime' argument 'jac' returned str"):
        fsolve(trig, [1.0, 1.0], fprime=jac)


def test_exceptions_of_func_and_fprime_reach_the_caller_unchanged():
    class Boom(Exception):
        pass

    error = Boom("from func")

    def func(x):
        if x[0] != 0.0:
            raise error
        return x - 1

    with pytest.raises(Boom) as excinfo:
        fsolve(func, [0.0])
    assert excinfo.value is error

    jacobians = []

    def jac(x):  # fine on the checking call, then raises
        jacobians.append(x)
        if len(jacobians) > 1:
            raise KeyError("from fprime")
        return np.eye(2)

    with pytest.raises(KeyError, match="from fprime"):
        fsolve(linear, [0.0, 0.0], fprime=jac, col_deriv=True)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x0": [np.nan, 1.0]}, ValueError, r"x0 must be finite"),
        ({"x0": [1.0, 1.0], "xtol": np.nan}, ValueError, r"xtol must be finite"),
        ({"x0": [1.0, 1.0], "factor": np.inf}, ValueError, r"factor must be finite"),
        ({"x0": [1.0, 1.0], "epsfcn": np.nan}, ValueError, r"epsfcn must be finite"),
        ({"x0": [1.0, 1.0], "diag": [1.0]}, ValueError, r"diag must have one entry per parameter"),
        ({"x0": [1.0, 1.0], "diag": [1.0, np.nan]}, ValueError, r"diag must be finite"),
        ({"x0": [1.0, 1.0], "maxfev": 1.5}, TypeError, r"integer"),
        ({"x0": [1.0, 1.0], "band": (1,)}, TypeError, r"band must be a sequence of two integers"),
        ({"x0": [1.0, 1.0], "band": (1, 2, 3)}, TypeError, r"band must be a sequence of two integers"),
        ({"x0": [1.0, 1.0], "band": (1.0, 2.0)}, TypeError, r"band must be a sequence of two integers"),
        ({"x0": [1.0, 1.0], "band": 5}, TypeError, r"band must be a sequence of two integers"),
        ({"x0": [1.0, 1.0], "band": (-1, 0)}, ValueError, r"band's bandwidths \(ml, mu\) must not be negative"),
    ],
    # No backslash in an id: mutmut (tools/mutation-test.py) runs tests by id, and pytest finds none that holds one.
    ids=lambda v: str(v)[:30] if isinstance(v, dict) else str(v).replace("\\", "") if isinstance(v, str) else None,
)
def test_bad_settings_are_clear_errors(kwargs, error, match):
    """Where SciPy is silent (nan settings "converge", a short diag is read past its end, a negative
    band means full), the error names the argument."""
    with pytest.raises(error, match=match):
        fsolve(linear, **kwargs)


def test_band_and_epsfcn_are_ignored_with_fprime_as_in_scipy():
    plain = fsolve(trig, [1, 1], fprime=trig_jacobian, full_output=True)
    ignored = fsolve(trig, [1, 1], fprime=trig_jacobian, full_output=True, band=(0, 0), epsfcn=0.1)
    np.testing.assert_array_equal(plain[0], ignored[0])
    assert plain[1]["nfev"] == ignored[1]["nfev"]


def test_epsfcn_defaults_to_the_precision_of_funcs_output():
    """float32 output: epsfcn is float32's epsilon, as in SciPy (float64's would step below its resolution)."""

    def func32(x):
        return (x - np.array([1.5, 2.5])).astype(np.float32)

    default = fsolve(func32, [1.0, 1.0], full_output=True)
    explicit = fsolve(func32, [1.0, 1.0], full_output=True, epsfcn=float(np.finfo(np.float32).eps))
    np.testing.assert_array_equal(default[0], explicit[0])
    assert default[1]["nfev"] == explicit[1]["nfev"]


# ---- the non-finite guard -----------------------------------------------


def test_nan_at_the_start_is_a_value_error_naming_func():
    with pytest.raises(
        ValueError, match=r"^fsolve: the 'func' argument '<lambda>' returned nan or inf at the checking"
    ):
        fsolve(lambda x: x * np.nan, [1.0])


def test_nan_in_fprime_is_a_value_error_naming_fprime():
    jacobians = []

    def jac(x):  # finite on the checking call, then nan
        jacobians.append(x)
        return np.eye(2) if len(jacobians) == 1 else np.full((2, 2), np.nan)

    with pytest.raises(ValueError, match=r"^fsolve: the 'fprime' argument 'jac' returned nan or inf at evaluation 1 "):
        fsolve(linear, [1.0, 0.0], fprime=jac)


def overflows_away_from_the_start(x):
    """Finite at x0 = 1, inf beyond x = 3: hybrd's first trial step lands there."""
    return np.where(x > 3.0, np.inf, x**3 - 1000.0)


def test_nan_or_inf_at_a_trial_point_stops_the_solve():
    """hybrd builds its Broyden update on a trial point's values even when it rejects the step."""
    with pytest.raises(ValueError, match=r"at a trial point, which the Broyden update builds on"):
        fsolve(overflows_away_from_the_start, [1.0])


def test_allow_nonfinite_ends_the_solve_with_ier_minus_2_and_a_warning():
    x, infodict, ier, mesg = fsolve(overflows_away_from_the_start, [1.0], full_output=True, allow_nonfinite=True)
    assert ier == -2
    assert mesg == "func or fprime returned nan or inf where MINPACK would build on it; the solve was stopped there."
    assert np.isfinite(x).all()
    assert not infodict["fjac"].any()
    with pytest.warns(RuntimeWarning, match="nan or inf"):
        fsolve(overflows_away_from_the_start, [1.0], allow_nonfinite=True)


# ---- the progress callback and threads ----------------------------------


@pytest.mark.parametrize("fprime", [None, trig_jacobian], ids=["hybrd", "hybrj"])
def test_callback_sees_copies_of_every_iterate_and_changes_nothing(fprime):
    reports = []

    def callback(x, fvec):
        reports.append((x.copy(), fvec.copy()))
        x[:] = np.nan  # a copy: the solve goes on undisturbed
        fvec[:] = np.nan

    plain = fsolve(trig, [1, 1], fprime=fprime, full_output=True)
    watched = fsolve(trig, [1, 1], fprime=fprime, full_output=True, callback=callback)
    np.testing.assert_array_equal(plain[0], watched[0])
    assert plain[1]["nfev"] == watched[1]["nfev"]
    assert len(reports) >= 3
    np.testing.assert_array_equal(reports[0][0], [1.0, 1.0])
    np.testing.assert_array_equal(reports[0][1], trig(np.array([1.0, 1.0])))
    np.testing.assert_array_equal(reports[-1][0], watched[0])
    np.testing.assert_array_equal(reports[-1][1], watched[1]["fvec"])


def test_callback_exception_reaches_the_caller():
    def callback(x, fvec):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        fsolve(trig, [1, 1], callback=callback)


def test_solves_in_threads_and_nested_in_a_callback_do_not_mix():
    expected = fsolve(trig, [1, 1], full_output=True)
    results, errors = [], []

    def nested(x):
        results.append(fsolve(linear, [0.0, 0.0]).tolist())
        return trig(x)

    def work():
        try:
            for _ in range(5):
                got = fsolve(nested, [1, 1], full_output=True)
                assert got[0].tolist() == expected[0].tolist()
                assert got[1]["nfev"] == expected[1]["nfev"]
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 4 * 5 * expected[1]["nfev"]
    assert all(r == pytest.approx([1.0, 2.0]) for r in results)


@pytest.mark.parametrize("fprime", [None, lambda x: np.eye(1)], ids=["hybrd", "hybrj"])
def test_allow_nonfinite_at_the_start_stops_at_minpacks_first_evaluation(fprime):
    x, infodict, ier, _ = fsolve(lambda x: x * np.nan, [1.0], fprime=fprime, full_output=True, allow_nonfinite=True)
    assert (ier, infodict["nfev"], x.tolist()) == (-2, 2, [1.0])  # the checking call and MINPACK's first
    assert not infodict["fjac"].any() and not infodict["r"].any() and not infodict["qtf"].any()


# ---- whole messages at the checking calls (pinned by mutation testing) ----

#: How the guard's errors at x0 = (1, 1) continue after the function's name.
AT_X0 = "returned nan or inf at the checking call (at the starting point), x = [1., 1.]. MINPACK cannot"


def test_nan_from_func_at_the_start_in_whole_words():
    def nan_func(x):
        return x * np.nan

    with pytest.raises(ValueError) as caught:
        fsolve(nan_func, [1.0, 1.0])
    assert str(caught.value).startswith(f"fsolve: the 'func' argument 'nan_func' {AT_X0}")


def nan_jacobian(x):
    return np.full((2, 2), np.nan)


def test_nan_from_fprime_at_the_start_is_refused_at_the_checking_call():
    with pytest.raises(ValueError) as caught:
        fsolve(linear, [1.0, 1.0], fprime=nan_jacobian)
    assert str(caught.value).startswith(f"fsolve: the 'fprime' argument 'nan_jacobian' {AT_X0}")


def test_nan_from_fprime_at_the_start_with_allow_nonfinite_stops_at_minpacks_first_jacobian():
    x, infodict, ier, _ = fsolve(linear, [1.0, 1.0], fprime=nan_jacobian, full_output=True, allow_nonfinite=True)
    assert (ier, infodict["nfev"], infodict["njev"], x.tolist()) == (-2, 2, 1, [1.0, 1.0])


def test_one_unknown_and_two_values_in_whole_words():
    def two(x):
        return [x[0], x[0]]

    with pytest.raises(TypeError) as caught:
        fsolve(two, [1.0])
    assert str(caught.value) == "fsolve: the 'func' argument 'two' must return one value per unknown, 1; it returned 2."


def test_one_unknown_and_a_2d_value_is_refused_naming_func():
    """For n = 1 SciPy's shape check lets any shape through; a (1, 1) array is not a vector of residuals."""

    def square(x):
        return x.reshape(1, 1) - 2.0

    with pytest.raises(TypeError) as caught:
        fsolve(square, [1.0])
    assert str(caught.value) == (
        "fsolve: the 'func' argument 'square' must return a 1-D array of residuals; it returned an array of shape (1, 1)."
    )


def test_empty_x0_without_fprime_returns_func_x0_as_floats_and_no_njev():
    _, infodict, ier, _ = fsolve(lambda x: np.zeros(0, dtype=np.int64), [], full_output=True)
    assert ier == 0 and list(infodict) == ["nfev", "fjac", "r", "qtf", "fvec"]
    assert infodict["fvec"].dtype == np.float64 and infodict["fvec"].shape == (0,)
