"""leastsq with compiled callbacks (pyminpack.Compiled): ctypes, PyCapsule, numba.

The oracle for every result is pyminpack's own Python-callback path on the
same problem, whose arithmetic the compiled functions reproduce operation
for operation (see native_functions.py); that path is itself checked
against SciPy and MINPACK's documented results elsewhere.
"""

from __future__ import annotations

import ctypes
import re
import sys

import native_functions as nf
import numpy as np
import pytest

from pyminpack import Compiled, UserTermination, fit_many, leastsq
from pyminpack._solver.messages import IER_NONFINITE
from pyminpack._solver.signatures import user_data_address

pytestmark = pytest.mark.skipif(nf.compiler() is None, reason="needs a C compiler (cc) to build the test functions")


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    return nf.build(tmp_path_factory.mktemp("native"))


@pytest.fixture(scope="module")
def data():
    x, y = nf.rational_data()
    return x, y, np.concatenate([x, y])


def assert_same(compiled, python):
    """Bit-identical leastsq results (full_output)."""
    assert compiled[4] == python[4]
    assert compiled[3] == python[3]
    np.testing.assert_array_equal(compiled[0], python[0])
    for key in python[2]:
        np.testing.assert_array_equal(compiled[2][key], python[2][key], err_msg=key)
    assert set(compiled[2]) == set(python[2])
    if python[1] is None:
        assert compiled[1] is None
    else:
        np.testing.assert_array_equal(compiled[1], python[1])


@pytest.mark.parametrize("p0", [(1.0, 1.0, 1.0), (0.5, 0.0, 0.1), (3.0, 2.0, 0.0)])
def test_lmdif_bit_identical_to_python_path(native, data, p0):
    x, y, xy = data
    compiled = leastsq(Compiled(native["rational"], len(x), user_data=xy), p0, full_output=True)
    python = leastsq(nf.rational_residuals, p0, args=(x, y), full_output=True)
    assert python[4] in (1, 2, 3, 4)
    assert_same(compiled, python)


@pytest.mark.parametrize("as_dfun", [False, True])
def test_lmder_bit_identical_to_python_path(native, data, as_dfun):
    x, y, xy = data
    if as_dfun:
        compiled = leastsq(
            Compiled(native["rational"], len(x), user_data=xy),
            (1, 1, 1),
            Dfun=native["rational_jacobian"],
            full_output=True,
        )
    else:
        compiled = leastsq(
            Compiled(native["rational"], len(x), jacobian=native["rational_jacobian"], user_data=xy),
            (1, 1, 1),
            full_output=True,
        )
    python = leastsq(nf.rational_residuals, (1, 1, 1), args=(x, y), Dfun=nf.rational_jacobian, full_output=True)
    assert "njev" in compiled[2]
    assert_same(compiled, python)


def test_short_output_and_options(native, data):
    x, y, xy = data
    func = Compiled(native["rational"], len(x), user_data=xy)
    kwargs = {"ftol": 1e-10, "xtol": 1e-12, "maxfev": 500, "epsfcn": 1e-12, "factor": 10.0, "diag": [1.0, 2.0, 3.0]}
    p, ier = leastsq(func, [1, 1, 1], **kwargs)
    q, jer = leastsq(nf.rational_residuals, [1, 1, 1], args=(x, y), **kwargs)
    np.testing.assert_array_equal(p, q)
    assert ier == jer


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from CPython 3.12: its count never moves")
def test_solves_leave_the_reference_count_of_none_as_it_was(native, data):
    """The C entry returns owned references only.

    Without full_output it once handed a borrowed None to its result tuple
    four times per solve, so every solve freed four references it did not
    own, until CPython aborted ("deallocating None").
    """
    x, _y, xy = data
    func = Compiled(native["rational"], len(x), user_data=xy)
    leastsq(func, [1, 1, 1])
    before = sys.getrefcount(None)
    for _ in range(100):
        leastsq(func, [1, 1, 1])
        leastsq(func, [1, 1, 1], full_output=True)
    assert abs(sys.getrefcount(None) - before) < 10


STARTS = {
    "list": lambda: [1.0, 1.0, 1.0],
    "float64": lambda: np.array([1.0, 1.0, 1.0]),
    "float32": lambda: np.array([1.0, 1.0, 1.0], dtype=np.float32),
    "integers": lambda: np.array([1, 1, 1]),
    "strided view": lambda: np.array([1.0, 9.0, 1.0, 9.0, 1.0])[::2],
    "big-endian": lambda: np.array([1.0, 1.0, 1.0], dtype=">f8"),
    "2-D": lambda: np.array([[1.0, 1.0, 1.0]]),
    "read-only": lambda: np.lib.stride_tricks.as_strided(np.ones(3), writeable=False),
}


@pytest.mark.parametrize("make_x0", STARTS.values(), ids=STARTS.keys())
def test_every_kind_of_x0_starts_the_same_solve_and_is_left_as_it_was(native, data, make_x0):
    """A 1-D float array goes to the C entry as it is (copied there); anything else through the Python checks."""
    x, _y, xy = data
    func = Compiled(native["rational"], len(x), user_data=xy)
    x0 = make_x0()
    before = np.array(x0, copy=True)
    p, ier = leastsq(func, x0)
    q, jer = leastsq(func, np.ones(3))
    np.testing.assert_array_equal(p, q)
    assert ier == jer and p.dtype == np.float64 and p.shape == (3,)
    np.testing.assert_array_equal(x0, before)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_nonfinite_x0_is_refused_by_the_compiled_path_in_the_python_paths_words(native, data, dtype):
    x, y, xy = data
    x0 = np.array([1.0, np.nan, 1.0, np.inf])[:3].astype(dtype)
    with pytest.raises(ValueError, match=re.escape("x0 must be finite; it holds nan or inf at indices [1].")):
        leastsq(Compiled(native["rational"], len(x), user_data=xy), x0)
    with pytest.raises(ValueError, match=re.escape("x0 must be finite; it holds nan or inf at indices [1].")):
        leastsq(nf.rational_residuals, x0, args=(x, y))


def test_failure_warns_and_improper_input_raises(native, data):
    x, y, xy = data
    func = Compiled(native["rational"], len(x), user_data=xy)
    with pytest.warns(RuntimeWarning, match="maxfev = 3"):
        leastsq(func, [1, 1, 1], maxfev=3)
    with pytest.raises(TypeError, match="Improper input parameters"):
        leastsq(func, [1, 1, 1], ftol=-1.0)
    full = leastsq(func, [1, 1, 1], ftol=-1.0, full_output=True)
    python = leastsq(nf.rational_residuals, [1, 1, 1], args=(x, y), ftol=-1.0, full_output=True)
    assert full[4] == 0
    np.testing.assert_array_equal(full[2]["fvec"], python[2]["fvec"])  # func(x0), as SciPy reports
    for key in ("fjac", "ipvt", "qtf"):  # never written by MINPACK: the same zeros on both paths
        np.testing.assert_array_equal(full[2][key], python[2][key])


def test_pycapsule(native, data):
    x, y, xy = data
    res = nf.capsule(native["rational"], "int (int, int, const double *, double *, void *)")
    jac = nf.capsule(native["rational_jacobian"], "int (int, int, const double*, double*, int, void*)")
    compiled = leastsq(Compiled(res, len(x), jacobian=jac, user_data=xy), (1, 1, 1), full_output=True)
    python = leastsq(nf.rational_residuals, (1, 1, 1), args=(x, y), Dfun=nf.rational_jacobian, full_output=True)
    assert_same(compiled, python)


@pytest.mark.parametrize("kind", ["ndarray", "pointer", "c_void_p", "int", "ctypes array"])
def test_user_data_kinds(native, data, kind):
    x, y, xy = data
    if kind == "ndarray":
        user_data = xy
    elif kind == "pointer":
        user_data = xy.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
    elif kind == "c_void_p":
        user_data = ctypes.c_void_p(xy.ctypes.data)
    elif kind == "int":
        user_data = xy.ctypes.data
    else:
        user_data = (ctypes.c_double * len(xy))(*xy)
    p, _ier = leastsq(Compiled(native["rational"], len(x), user_data=user_data), (1, 1, 1))
    q, _jer = leastsq(nf.rational_residuals, (1, 1, 1), args=(x, y))
    np.testing.assert_array_equal(p, q)


def test_user_data_array_kept_alive(native, data):
    x, _, xy = data
    func = Compiled(native["rational"], len(x), user_data=xy.copy())  # the only reference is the Compiled's
    expected = leastsq(Compiled(native["rational"], len(x), user_data=xy), (1, 1, 1))[0]
    np.testing.assert_array_equal(leastsq(func, (1, 1, 1))[0], expected)


def test_repr_shows_the_functions_m_and_the_kind_of_user_data(native, data):
    x, _, xy = data
    residuals, jacobian = native["rational"], native["rational_jacobian"]
    assert repr(Compiled(residuals, 3)) == f"Compiled({residuals!r}, m=3)"
    assert (
        repr(Compiled(residuals, len(x), jacobian=jacobian, user_data=xy))
        == f"Compiled({residuals!r}, m={len(x)}, jacobian={jacobian!r}, user_data=ndarray)"
    )


def test_wrong_signatures_refused(native):
    wrong = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, nf.P, nf.P)(("rational", native["lib"]))
    with pytest.raises(TypeError, match=r"does not match the required C signature int \(int m, int n"):
        Compiled(wrong, 40)
    with pytest.raises(TypeError, match="does not match"):
        Compiled(native["rational_jacobian"], 40)  # a Jacobian given as residuals
    with pytest.raises(TypeError, match="does not match"):
        Compiled(native["rational"], 40, jacobian=native["rational"])
    double_return = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.c_int, nf.P, nf.P, ctypes.c_void_p)
    with pytest.raises(TypeError, match="does not match"):
        Compiled(double_return(("rational", native["lib"])), 40)
    unchecked = native["lib"].rational  # argtypes never set
    with pytest.raises(TypeError, match="no argtypes"):
        Compiled(unchecked, 40)
    with pytest.raises(TypeError, match="does not match"):
        Compiled(nf.capsule(native["rational"], "double (double, void *)"), 40)
    with pytest.raises(TypeError, match="named by its C signature"):
        Compiled(nf.capsule(native["rational"], "rational"), 40)
    with pytest.raises(TypeError, match="must be a compiled function"):
        Compiled(lambda x: x, 40)


def test_misuse_with_leastsq(native, data):
    x, y, xy = data
    with pytest.raises(TypeError, match=r"pyminpack.Compiled\(func, m\)"):
        leastsq(native["rational"], (1, 1, 1))
    with pytest.raises(TypeError, match="needs a compiled func"):
        leastsq(nf.rational_residuals, (1, 1, 1), args=(x, y), Dfun=native["rational_jacobian"])
    func = Compiled(native["rational"], len(x), user_data=xy)
    with pytest.raises(TypeError, match="user_data"):
        leastsq(func, (1, 1, 1), args=(x,))
    with pytest.raises(TypeError, match="callback"):
        leastsq(func, (1, 1, 1), callback=print)
    with pytest.raises(ValueError, match="col_deriv"):
        leastsq(func, (1, 1, 1), Dfun=native["rational_jacobian"], col_deriv=True)
    with pytest.raises(TypeError, match="given twice"):
        leastsq(
            Compiled(native["rational"], len(x), jacobian=native["rational_jacobian"], user_data=xy),
            (1, 1, 1),
            Dfun=native["rational_jacobian"],
        )
    with pytest.raises(TypeError, match="must not exceed"):
        leastsq(Compiled(native["rational"], 2, user_data=xy), (1, 1, 1))


def test_user_stop(native):
    state = np.array([0.0, 4.0])  # stop at the 4th call
    with pytest.raises(UserTermination, match="returned 3 at evaluation 4") as caught:
        leastsq(Compiled(native["stopper"], 5, user_data=state), [10.0])
    assert caught.value.status == 3
    assert caught.value.function == "func"
    assert caught.value.nfev == 4
    assert state[0] == 4.0  # MINPACK stopped at once


def test_user_stop_at_the_first_evaluation_in_full(native):
    state = np.array([0.0, 1.0])
    with pytest.raises(UserTermination) as caught:
        leastsq(Compiled(native["stopper"], 5, user_data=state), [0.1, 1 / 3])
    assert str(caught.value) == (
        "leastsq: the compiled 'func' returned 3 at evaluation 1, asking MINPACK to stop; "
        "x = [0.1               , 0.3333333333333333]."
    )
    stop = caught.value
    assert (stop.status, stop.function, stop.nfev, stop.njev) == (3, "func", 1, 0)
    assert stop.x.tolist() == [0.1, 1 / 3]


@pytest.mark.parametrize(("n", "summarised"), [(20, False), (21, True)])
def test_user_stop_summarises_an_x_of_more_than_20_parameters(native, n, summarised):
    with pytest.raises(UserTermination) as caught:
        leastsq(Compiled(native["stopper"], 25, user_data=np.array([0.0, 1.0])), np.arange(n, dtype=float))
    shown = re.search(r"x = (\[.*\])\.$", str(caught.value), flags=re.DOTALL).group(1)
    assert ("..." in shown) is summarised
    assert shown.startswith("[ 0.,  1.,  2.,") and shown.endswith(f"{n - 1:2d}.]")


def test_user_stop_by_the_jacobian(native):
    calls = []

    @nf.JACOBIAN
    def jacobian_stopping_at_its_second_call(m, n, x, fjac, ldfjac, user_data):
        calls.append(x[0])
        for i in range(m):
            fjac[i] = 1.0
        return 5 if len(calls) == 2 else 0

    with pytest.raises(UserTermination) as caught:
        leastsq(Compiled(native["linear"], 3, jacobian=jacobian_stopping_at_its_second_call), [5.0])
    stop = caught.value
    assert (stop.status, stop.function, stop.njev) == (5, "Dfun", 2)
    assert stop.x.tolist() == [calls[-1]]  # where MINPACK asked for the Jacobian
    message = re.fullmatch(
        r"leastsq: the compiled 'Dfun' returned 5 at Jacobian evaluation 2, asking MINPACK to stop; x = \[(.*)\]\.",
        str(stop),
    )
    assert float(message.group(1)) == calls[-1]


def test_nonfinite_at_start_raises(native):
    with pytest.raises(ValueError, match=r"returned nan or inf at evaluation 1 \(at the starting point\)"):
        leastsq(Compiled(native["nan_below_zero"], 4), [-1.0])


def test_nonfinite_at_start_allowed_ends_with_ier_minus_2(native):
    # As with a Python func (test_nonfinite.py): stopped at MINPACK's first evaluation.
    x, _cov, info, _mesg, ier = leastsq(
        Compiled(native["nan_below_zero"], 4), [-1.0], full_output=True, allow_nonfinite=True
    )
    assert (ier, info["nfev"], x.tolist()) == (IER_NONFINITE, 1, [-1.0])
    assert np.isnan(info["fvec"]).all()


def test_nonfinite_trial_point_let_through(native):
    # The first step from 0.1 overshoots far below zero (nan there): MINPACK
    # shortens it, as with a Python callback.
    compiled = leastsq(Compiled(native["nan_below_zero"], 4), [0.1], full_output=True)

    def python(p):
        return np.full(4, np.nan) if p[0] < 0 else p[0] - 1.0 - np.arange(4.0)

    expected = leastsq(python, [0.1], full_output=True)
    np.testing.assert_array_equal(compiled[0], expected[0])
    assert compiled[2]["nfev"] == expected[2]["nfev"]


def test_nonfinite_jacobian_raises(native):
    with pytest.raises(
        ValueError, match=r"'Dfun' argument .* returned nan or inf at evaluation 1 \(forming the Jacobian\)"
    ):
        leastsq(Compiled(native["linear"], 3, jacobian=native["inf_jacobian"]), [5.0])
    x, _cov, info, _mesg, ier = leastsq(
        Compiled(native["linear"], 3, jacobian=native["inf_jacobian"]), [5.0], allow_nonfinite=True, full_output=True
    )
    assert (ier, info["nfev"], info["njev"], x.tolist()) == (IER_NONFINITE, 1, 1, [5.0])  # stopped there


def test_gil_released_during_solve(native):
    func = Compiled(native["slow"], 3)
    result = {}

    def solve():
        result["fit"] = leastsq(func, [10.0], maxfev=60)

    ticks, elapsed = nf.ticks_while_running(solve)
    assert result["fit"][1] in (1, 2, 3, 4)
    assert elapsed > 0.05, "the solve was too quick to tell"
    # With the GIL held for the solve, this thread would be frozen (a handful of ticks).
    assert ticks > 10_000, f"{ticks} ticks in {elapsed:.3f} s"


def test_numba_cfunc(data):
    numba = pytest.importorskip("numba")
    from numba import carray, types

    sig = types.intc(types.intc, types.intc, types.CPointer(types.double), types.CPointer(types.double), types.voidptr)
    jsig = types.intc(
        types.intc, types.intc, types.CPointer(types.double), types.CPointer(types.double), types.intc, types.voidptr
    )

    @numba.cfunc(sig)
    def rational(m, n, p_, f_, ud):
        p = carray(p_, (n,))
        f = carray(f_, (m,))
        xy = carray(_as_double_pointer(ud), (2 * m,))
        for i in range(m):
            f[i] = (p[0] * xy[i] + p[1]) / (1.0 + p[2] * xy[i]) - xy[m + i]
        return 0

    x, y, xy = data
    compiled = leastsq(Compiled(rational, len(x), user_data=xy), (1, 1, 1), full_output=True)
    python = leastsq(nf.rational_residuals, (1, 1, 1), args=(x, y), full_output=True)
    assert_same(compiled, python)
    with pytest.raises(TypeError, match="does not match"):
        Compiled(rational, len(x), jacobian=rational)

    @numba.cfunc(types.intc(types.intc, types.intc, types.CPointer(types.double), types.CPointer(types.double)))
    def wrong(m, n, p_, f_):
        return 0

    with pytest.raises(TypeError, match="numba cfunc 'wrong'"):
        Compiled(wrong, 3)
    assert jsig is not None  # the Jacobian's numba signature, for reference


def _as_double_pointer(ud):  # replaced below when numba is importable
    raise NotImplementedError


try:  # a numba intrinsic: void* -> double*
    from numba import types as _types
    from numba.core import cgutils as _cgutils  # noqa: F401
    from numba.extending import intrinsic as _intrinsic

    @_intrinsic
    def _as_double_pointer(typingctx, src):
        sig = _types.CPointer(_types.double)(src)

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(_types.CPointer(_types.double)))

        return sig, codegen
except ImportError:
    pass


#: Settings leastsq refuses (tests/test_leastsq.py specifies how); a compiled
#: solve and fit_many check them with their own code and must agree.
BAD_SETTINGS = {
    **{f"{name}={value!r}": {name: value} for name in ("ftol", "xtol", "gtol", "factor", "epsfcn")
       for value in (np.nan, np.inf, "tight")},
    **{f"{name}=None": {name: None} for name in ("ftol", "xtol", "gtol", "factor")},  # epsfcn=None is its default
    **{f"maxfev={value!r}": {"maxfev": value} for value in (10.5, "10", None)},
}  # fmt: skip


@pytest.mark.parametrize("settings", BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_bad_settings_are_refused_as_leastsq_refuses_them(native, data, settings):
    x, y, xy = data
    with pytest.raises((TypeError, ValueError)) as python:
        leastsq(nf.rational_residuals, (1.0, 1.0, 1.0), args=(x, y), **settings)
    with pytest.raises(type(python.value)) as compiled:
        leastsq(Compiled(native["rational"], len(x), user_data=xy), (1.0, 1.0, 1.0), **settings)
    assert str(compiled.value) == str(python.value)
    with pytest.raises(type(python.value)) as many:
        fit_many(native["rational_model"], y, (1.0, 1.0, 1.0), x=x, workers=1, **settings)
    assert str(many.value) == str(python.value)


def test_settings_of_other_numeric_types_are_read_as_leastsq_reads_them(native, data):
    x, y, xy = data
    settings = {"ftol": np.float32(1e-5), "xtol": 1, "gtol": np.float64(0.0), "factor": 10, "maxfev": np.int64(40)}
    python = leastsq(nf.rational_residuals, (1.0, 1.0, 1.0), args=(x, y), full_output=True, **settings)
    compiled = leastsq(
        Compiled(native["rational"], len(x), user_data=xy), (1.0, 1.0, 1.0), full_output=True, **settings
    )
    assert_same(compiled, python)


# --- What mutation testing found unpinned (issue 12): whole messages, the names in them, the edges.


def whole(message):
    """A pattern matching exactly ``message``."""
    return "^" + re.escape(message) + "$"


MISUSE = {
    "a bare compiled func": (
        lambda native, func: leastsq(native["rational"], (1, 1, 1)),
        TypeError,
        "leastsq: a compiled residual function cannot report how many residuals it computes; pass "
        "pyminpack.Compiled(func, m) (with jacobian=... or Dfun=... for a compiled Jacobian).",
    ),
    "a compiled Dfun with a Python func": (
        lambda native, func: leastsq(nf.rational_residuals, (1, 1, 1), Dfun=native["rational_jacobian"]),
        TypeError,
        "leastsq: a compiled Dfun needs a compiled func, given as pyminpack.Compiled(func, m).",
    ),
    "args": (
        lambda native, func: leastsq(func, (1, 1, 1), args=(1,)),
        TypeError,
        "leastsq: args cannot be passed to a compiled function; use Compiled(..., user_data=...).",
    ),
    "callback": (
        lambda native, func: leastsq(func, (1, 1, 1), callback=print),
        TypeError,
        "leastsq: callback needs a Python call at every iteration; it is not available with a compiled func.",
    ),
    "col_deriv": (
        lambda native, func: leastsq(func, (1, 1, 1), Dfun=native["rational_jacobian"], col_deriv=True),
        ValueError,
        "leastsq: col_deriv does not apply to a compiled Jacobian, which always writes column-major fjac.",
    ),
    "the Jacobian twice": (
        lambda native, func: leastsq(
            Compiled(native["rational"], 40, jacobian=native["rational_jacobian"]), (1, 1, 1), Dfun=native["linear"]
        ),
        TypeError,
        "leastsq: the Jacobian is given twice (Compiled(jacobian=...) and Dfun).",
    ),
    "m zero": (
        lambda native, func: Compiled(native["rational"], 0),
        ValueError,
        "m (the number of residuals) must be positive; got 0.",
    ),
}


@pytest.mark.parametrize("case", MISUSE)
def test_misuse_is_refused_with_the_whole_message(native, data, case):
    call, error, message = MISUSE[case]
    func = Compiled(native["rational"], 40, user_data=data[2])
    with pytest.raises(error, match=whole(message)):
        call(native, func)


def test_one_residual_is_enough(native):
    # m = 1, the smallest problem: one residual, one parameter.
    x, ier = leastsq(Compiled(native["linear"], 1), [5.0])
    assert ier in (1, 2, 3, 4)
    assert x.tolist() == [0.0]  # linear's only residual is p


@pytest.mark.parametrize(
    ("call", "argname"),
    [
        (lambda native: Compiled(print, 40), "residuals"),
        (lambda native: Compiled(native["rational"], 40, jacobian=print), "jacobian"),
        (lambda native: leastsq(Compiled(native["rational"], 40), (1, 1, 1), Dfun=print), "Dfun"),
    ],
)
def test_a_function_that_is_not_compiled_is_named_by_its_argument(native, call, argname):
    with pytest.raises(TypeError, match=f"^{argname} must be a compiled function "):
        call(native)


def test_a_signature_mismatch_shows_both_signatures(native):
    function = native["rational_jacobian"]
    with pytest.raises(TypeError) as refused:
        Compiled(function, 40)
    assert str(refused.value) == (
        f"residuals: the ctypes function {function!r} with signature int (int, int, double *, double *, int, void *) "
        "does not match the required C signature "
        "int (int m, int n, const double *x, double *fvec, void *user_data)."
    )


@pytest.mark.parametrize("as_dfun", [False, True])
def test_a_nonfinite_jacobian_is_named_as_the_user_gave_it(native, as_dfun):
    jacobian = native["inf_jacobian"]
    func, dfun = (
        (Compiled(native["linear"], 3), jacobian) if as_dfun else (Compiled(native["linear"], 3, jacobian), None)
    )
    with pytest.raises(ValueError, match=re.escape(f"leastsq: the 'Dfun' argument {str(jacobian)!r} returned nan")):
        leastsq(func, [5.0], Dfun=dfun)


def test_nonfinite_residuals_are_named_as_the_user_gave_them(native):
    residuals = native["nan_below_zero"]
    with pytest.raises(ValueError, match=re.escape(f"leastsq: the 'func' argument {str(residuals)!r} returned nan")):
        leastsq(Compiled(residuals, 4), [-1.0])


@pytest.mark.parametrize(
    ("user_data", "address"),
    [
        (None, 0),
        (ctypes.c_void_p(), 0),  # NULL
        (ctypes.POINTER(ctypes.c_double)(), 0),  # NULL
        (ctypes.c_void_p(12345), 12345),
        (0, 0),
        (2**64 - 1, 2**64 - 1),
    ],
)
def test_user_data_addresses(user_data, address):
    assert user_data_address(user_data)[0] == address


@pytest.mark.parametrize("address", [-1, 2**64])
def test_an_int_user_data_outside_the_address_space_is_refused(address):
    with pytest.raises(ValueError, match=whole(f"user_data: {address} is not a valid address.")):
        user_data_address(address)


@pytest.mark.parametrize("user_data", [1.5, "0x1000", True])
def test_user_data_of_another_type_is_refused(user_data):
    with pytest.raises(TypeError, match=f"^user_data must be None, .* got {type(user_data).__name__}\\.$"):
        user_data_address(user_data)


def test_an_unconverged_compiled_solve_warns_at_the_callers_line(native, data):
    # As leastsq does for a Python func (stacklevel 2, as in SciPy).
    with pytest.warns(RuntimeWarning, match="Number of calls to function has reached maxfev = 2") as record:
        leastsq(Compiled(native["rational"], 40, user_data=data[2]), (1, 1, 1), maxfev=2)
    assert [warning.filename for warning in record] == [__file__]


class _AddressParameter:
    """An argtypes entry that is not a ctypes type (ctypes takes any object with from_param)."""

    def from_param(self, value):
        return value

    def __repr__(self):
        return "_AddressParameter()"


def test_a_mismatched_ctypes_signature_is_spelled_out_in_the_error(native):
    # void, a ctypes type by its name, a pointer to a pointer, and an object by its repr.
    prototype = ctypes.CFUNCTYPE(None, ctypes.c_float, ctypes.POINTER(ctypes.POINTER(ctypes.c_double)))
    function = ctypes.cast(native["rational"], prototype)
    function.argtypes = (*function.argtypes, _AddressParameter())
    with pytest.raises(TypeError) as refused:
        Compiled(function, 40)
    assert str(refused.value) == (
        f"residuals: the ctypes function {function!r} with signature void (c_float, double * *, _AddressParameter()) "
        "does not match the required C signature int (int m, int n, const double *x, double *fvec, void *user_data)."
    )


def rosenbrock_nan_off_x0(stop_at=0):
    """Rosenbrock as a ctypes callback, nan wherever both parameters differ from x0 = (-1.2, 1) (MINPACK's trials).

    Forward differences change one parameter and stay finite; ``stop_at`` > 0 asks MINPACK to stop (status 3)
    at that evaluation.
    """
    calls = []

    @nf.RESIDUALS
    def residuals(m, n, x, fvec, user_data):
        calls.append(1)
        if x[0] != -1.2 and x[1] != 1.0:
            fvec[0] = fvec[1] = np.nan
        else:
            fvec[0], fvec[1] = 10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]
        return 3 if len(calls) == stop_at else 0

    return residuals


def test_convergence_on_nonfinite_trials_alone_is_refused_naming_the_function():
    # As for a Python func (test_nonfinite.py): evaluations 1-3 are x0 and its differences, 4-14 nan trials.
    residuals = rosenbrock_nan_off_x0()
    with pytest.raises(
        ValueError,
        match=re.escape(f"leastsq: the 'func' argument {str(residuals)!r} returned nan or inf at evaluations 4 to 14"),
    ):
        leastsq(Compiled(residuals, 2), [-1.2, 1.0])


def test_a_stop_asked_after_nonfinite_trials_is_the_users():
    # The function's own stop (status 3 at evaluation 6, after two nan trials) is reported, not the nan.
    with pytest.raises(UserTermination, match=r"^leastsq: the compiled 'func' returned 3 at evaluation 6, "):
        leastsq(Compiled(rosenbrock_nan_off_x0(stop_at=6), 2), [-1.2, 1.0])


RESIDUALS_SIGNATURE = "int (int m, int n, const double *x, double *fvec, void *user_data)"


def test_a_ctypes_function_without_argtypes_is_refused_with_the_remedy(native):
    unchecked = native["lib"].rational  # argtypes never set
    with pytest.raises(TypeError) as refused:
        Compiled(unchecked, 40)
    assert str(refused.value) == (
        f"residuals: the ctypes function {unchecked!r} has no argtypes, so its signature cannot be checked; "
        f"set .argtypes and .restype to match {RESIDUALS_SIGNATURE}, or make it with ctypes.CFUNCTYPE."
    )


def test_a_null_ctypes_function_pointer_is_refused():
    null = nf.RESIDUALS()
    message = f"residuals: the ctypes function {null!r} with signature int (int, int, double *, double *, void *) "
    with pytest.raises(TypeError, match=whole(message + "is a NULL function pointer.")):
        Compiled(null, 40)


def test_a_capsule_is_refused_naming_its_name(native):
    mismatched = nf.capsule(native["rational"], "double (double, void *)")
    with pytest.raises(TypeError) as refused:
        Compiled(mismatched, 40)
    assert str(refused.value) == (
        "residuals: the PyCapsule named 'double (double, void *)' does not match the required C signature "
        f"{RESIDUALS_SIGNATURE}."
    )
    new = ctypes.pythonapi.PyCapsule_New
    new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    unnamed = new(ctypes.cast(native["rational"], ctypes.c_void_p).value, None, None)
    with pytest.raises(TypeError) as refused:
        Compiled(unnamed, 40)
    assert str(refused.value) == (
        f"residuals: a PyCapsule must be named by its C signature, {RESIDUALS_SIGNATURE!r} "
        "(scipy.LowLevelCallable's convention); this one is named None."
    )


def test_a_python_function_is_refused_naming_its_type():
    with pytest.raises(TypeError) as refused:
        Compiled(print, 40)
    assert str(refused.value) == (
        "residuals must be a compiled function (a numba cfunc, a ctypes function pointer or a PyCapsule) "
        f"with the C signature {RESIDUALS_SIGNATURE}; got builtin_function_or_method."
    )


def test_only_numbas_cfunc_is_taken_for_a_numba_cfunc():
    # Recognised by its class's name and module together: another class named CFunc is not compiled.
    CFunc = type("CFunc", (), {})
    with pytest.raises(TypeError, match=r"^residuals must be a compiled function .*; got CFunc\.$"):
        Compiled(CFunc(), 40)
