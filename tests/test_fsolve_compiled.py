"""fsolve and root('hybr') with compiled callbacks (pyminpack.Compiled with m == n).

The oracle is pyminpack's Python-callback path on the same equations,
whose arithmetic the compiled functions reproduce operation for operation
(native_functions.py); that path is checked bit for bit against MINPACK in
test_libminpack_fsolve.py.  The compiled path makes no checking call, so
its ``nfev`` (every call of ``func``) is one less.
"""

from __future__ import annotations

import ctypes
import gc
import re
import sys

import native_functions as nf
import numpy as np
import pytest

from pyminpack import Compiled, UserTermination, fsolve, leastsq, root

pytestmark = pytest.mark.skipif(nf.compiler() is None, reason="needs a C compiler (cc) to build the test functions")

X0 = [-1.2, 1.0]


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    return nf.build(tmp_path_factory.mktemp("native"))


def rosenbrock(p):
    return np.array([10.0 * (p[1] - p[0] * p[0]), 1.0 - p[0]])


def rosenbrock_jacobian(p):
    return np.array([[-20.0 * p[0], 10.0], [-1.0, 0.0]])


def assert_same(compiled, python):
    """Bit-identical fsolve full_output, but for nfev: the Python path's checking call."""
    (cx, cinfo, cier, cmesg), (px, pinfo, pier, pmesg) = compiled, python
    assert (cier, cmesg) == (pier, pmesg)
    assert list(cinfo) == list(pinfo)
    assert cinfo["nfev"] == pinfo["nfev"] - 1
    assert cinfo.get("njev") == pinfo.get("njev")
    for got, expected in ((cx, px), *((cinfo[k], pinfo[k]) for k in ("fjac", "r", "qtf", "fvec"))):
        assert got.shape == expected.shape
        assert got.tobytes() == expected.tobytes()


def broyden_tridiagonal(p):
    left, right = np.concatenate([[0.0], p[:-1]]), np.concatenate([p[1:], [0.0]])
    return (3.0 - 2.0 * p) * p - left - 2.0 * right + 1.0


#: Settings at values other than their defaults.
SETTINGS = [{}, {"xtol": 1e-3}, {"maxfev": 5}, {"epsfcn": 1e-6}, {"factor": 0.5}, {"diag": [3.0, 0.5]}]
SETTINGS_HYBRD = [*SETTINGS, {"band": (0, 0)}]


@pytest.mark.parametrize("settings", SETTINGS_HYBRD, ids=str)
def test_compiled_residuals_solve_as_the_python_path(native, settings):
    compiled = fsolve(Compiled(native["rosenbrock"], 2), X0, full_output=True, **settings)
    assert_same(compiled, fsolve(rosenbrock, X0, full_output=True, **settings))


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_compiled_jacobian_solves_as_the_python_path(native, settings):
    settings = {key: value for key, value in settings.items() if key != "epsfcn"}
    func = Compiled(native["rosenbrock"], 2, jacobian=native["rosenbrock_jacobian"])
    python = fsolve(rosenbrock, X0, fprime=rosenbrock_jacobian, full_output=True, **settings)
    assert_same(fsolve(func, X0, full_output=True, **settings), python)
    # The Jacobian may also come as fprime.
    assert_same(
        fsolve(
            Compiled(native["rosenbrock"], 2), X0, fprime=native["rosenbrock_jacobian"], full_output=True, **settings
        ),
        python,
    )


@pytest.mark.parametrize("band", [(1, 0), (0, 1), (0, 0), (1, 1)])
def test_band_reaches_hybrd_as_ml_and_mu(native, band):
    """Three unknowns: ml + mu + 1 < 3 makes fdjac1 drop the other diagonals, so swapping ml and mu would show."""
    compiled = fsolve(Compiled(native["broyden_tridiagonal"], 3), [-1.0] * 3, full_output=True, band=band)
    assert_same(compiled, fsolve(broyden_tridiagonal, [-1.0] * 3, full_output=True, band=band))
    swapped = fsolve(broyden_tridiagonal, [-1.0] * 3, full_output=True, band=band[::-1])
    assert (compiled[1]["fvec"].tobytes() != swapped[1]["fvec"].tobytes()) == (band[0] != band[1])


def test_the_settings_change_the_solve(native):
    """Each setting above gives another solve than the defaults, so a dropped one would show."""
    default = fsolve(rosenbrock, X0, full_output=True)
    for settings in SETTINGS_HYBRD[1:]:
        other = fsolve(rosenbrock, X0, full_output=True, **settings)
        assert other[0].tobytes() != default[0].tobytes() or other[1]["nfev"] != default[1]["nfev"], settings


def test_root_hybr_takes_a_compiled_function(native):
    sol = root(Compiled(native["rosenbrock"], 2), X0, options={"factor": 0.5})
    python = fsolve(rosenbrock, X0, full_output=True, factor=0.5)
    assert sol.x.tobytes() == python[0].tobytes()
    assert (sol.status, sol.nfev) == (python[2], python[1]["nfev"] - 1)


def test_root_lm_counts_the_compiled_calls(native):
    """No checking call with a compiled function: nfev is leastsq's, MINPACK's count."""
    state = np.array([0.0, 1e9])  # the stopper counts its calls and never stops
    sol = root(Compiled(native["stopper"], 1, user_data=state.ctypes.data), [5.0], method="lm")
    assert sol.nfev == state[0] > 0


def test_improper_input_is_refused_as_on_the_python_path(native):
    with pytest.raises(TypeError, match=r"^Improper input parameters were entered\.$"):
        fsolve(Compiled(native["rosenbrock"], 2), X0, xtol=-1.0)
    _, infodict, ier, _ = fsolve(Compiled(native["rosenbrock"], 2), X0, xtol=-1.0, full_output=True)
    assert (ier, infodict["nfev"]) == (0, 0)
    np.testing.assert_array_equal(infodict["fvec"], rosenbrock(np.array(X0)))  # func(x0), as SciPy's
    assert not infodict["fjac"].any()


def test_m_must_equal_n(native):
    with pytest.raises(ValueError, match=r"^fsolve: the Compiled func computes m=3 values for n=1 unknowns"):
        fsolve(Compiled(native["linear"], 3), [1.0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"args": (1,)}, TypeError, r"^fsolve: args cannot be passed to a compiled function"),
        ({"callback": print}, TypeError, r"^fsolve: callback needs a Python call"),
        ({"col_deriv": True, "fprime": "jacobian"}, ValueError, r"^fsolve: col_deriv does not apply"),
    ],
)
def test_what_a_compiled_solve_cannot_take_is_refused(native, kwargs, error, match):
    kwargs = {key: native["rosenbrock_jacobian"] if value == "jacobian" else value for key, value in kwargs.items()}
    with pytest.raises(error, match=match):
        fsolve(Compiled(native["rosenbrock"], 2), X0, **kwargs)


def test_a_bare_compiled_function_is_refused_naming_fprime(native):
    with pytest.raises(TypeError, match=r"^fsolve: a compiled residual function cannot report .* fprime=\.\.\."):
        fsolve(native["rosenbrock"], X0)
    with pytest.raises(TypeError, match=r"^fsolve: a compiled fprime needs a compiled func"):
        fsolve(rosenbrock, X0, fprime=native["rosenbrock_jacobian"])


def test_user_termination_names_fsolve(native):
    state = np.array([0.0, 3.0])  # stop at the third call
    func = Compiled(native["stopper"], 1, user_data=state.ctypes.data)
    with pytest.raises(UserTermination, match=r"^fsolve: the compiled 'func' returned 3 at evaluation 3") as excinfo:
        fsolve(func, [5.0])
    assert (excinfo.value.status, excinfo.value.nfev) == (3, 3)


def test_nan_stops_the_compiled_solve_as_the_python_one(native):
    func = Compiled(native["nan_below_zero"], 1)
    with pytest.raises(ValueError, match=r"^fsolve: the 'func' argument .* returned nan or inf at evaluation 1 "):
        fsolve(func, [-1.0])
    x, infodict, ier, _ = fsolve(func, [-1.0], full_output=True, allow_nonfinite=True)
    assert (ier, infodict["nfev"], x.tolist()) == (-2, 1, [-1.0])
    assert not infodict["fjac"].any()


def test_gil_released_during_solve(native):
    func = Compiled(native["slow"], 1)
    result = {}

    def solve():
        result["x"] = fsolve(func, [10.0], maxfev=30)

    ticks, elapsed = nf.ticks_while_running(solve)
    assert result["x"].tolist() == [0.0]
    assert elapsed > 0.05, "the solve was too quick to tell"
    # With the GIL held for the solve, this thread would be frozen (a handful of ticks).
    assert ticks > 10_000, f"{ticks} ticks in {elapsed:.3f} s"


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_the_callers_x0_is_never_overwritten(native, dtype):
    """MINPACK overwrites its x: fsolve hands it a copy, whatever x0's dtype (float64 is not copied twice)."""
    x0 = np.array([-1, 1], dtype=dtype)
    x = fsolve(Compiled(native["rosenbrock"], 2), x0)
    np.testing.assert_array_equal(x0, np.array([-1, 1], dtype=dtype), strict=True)
    assert not np.shares_memory(x, x0)


def test_without_full_output_the_solve_is_the_same(native):
    """Without full_output the compiled solve makes no fvec, fjac, r, qtf arrays; x and the endings are the same."""
    func = Compiled(native["broyden_tridiagonal"], 3)
    full = fsolve(func, [-1.0] * 3, full_output=True)
    np.testing.assert_array_equal(fsolve(func, [-1.0] * 3), full[0], strict=True)
    with pytest.warns(RuntimeWarning, match=r"^The number of calls to function has reached maxfev = 2\.$"):
        x = fsolve(func, [-1.0] * 3, maxfev=2)
    np.testing.assert_array_equal(x, fsolve(func, [-1.0] * 3, maxfev=2, full_output=True)[0], strict=True)
    with pytest.warns(RuntimeWarning, match=r"^func or fprime returned nan or inf"):
        x = fsolve(Compiled(native["nan_below_zero"], 1), [-1.0], allow_nonfinite=True)
    assert x.tolist() == [-1.0]


#: One start, [-1, 1] (exact in every dtype), in every form fsolve takes.
STARTS = {
    "list": lambda: [-1.0, 1.0],
    "float64": lambda: np.array([-1.0, 1.0]),
    "float32": lambda: np.array([-1.0, 1.0], dtype=np.float32),
    "integers": lambda: np.array([-1, 1]),
    "strided view": lambda: np.array([-1.0, 9.0, 1.0, 9.0])[::2],
    "big-endian": lambda: np.array([-1.0, 1.0], dtype=">f8"),
    "2-D": lambda: np.array([[-1.0], [1.0]]),
    "read-only": lambda: np.lib.stride_tricks.as_strided(np.array([-1.0, 1.0]), writeable=False),
}


@pytest.mark.parametrize("make_x0", STARTS.values(), ids=STARTS.keys())
@pytest.mark.parametrize("jacobian", [None, "rosenbrock_jacobian"])
def test_every_kind_of_x0_starts_the_same_solve_and_is_left_as_it_was(native, make_x0, jacobian):
    """A 1-D float array goes to the C entry as it is (copied there); anything else through the Python checks."""
    func = Compiled(native["rosenbrock"], 2, jacobian=None if jacobian is None else native[jacobian])
    x0 = make_x0()
    before = np.array(x0, copy=True)
    x, infodict, ier, mesg = fsolve(func, x0, full_output=True)
    y, expected, jer, expected_mesg = fsolve(func, np.array([-1.0, 1.0]), full_output=True)
    assert (ier, mesg, x.dtype, x.shape) == (jer, expected_mesg, np.float64, (2,)) and ier == 1
    assert x.tobytes() == y.tobytes()
    assert list(infodict) == list(expected)
    for key, value in infodict.items():
        np.testing.assert_array_equal(value, expected[key], strict=True)
    np.testing.assert_array_equal(fsolve(func, x0), x, strict=True)
    np.testing.assert_array_equal(x0, before, strict=True)
    assert not np.shares_memory(x, x0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, ">f8"])
@pytest.mark.parametrize("full_output", [False, True])
def test_a_nonfinite_x0_is_refused_by_the_compiled_path_in_the_python_paths_words(native, dtype, full_output):
    x0 = np.array([-1.0, np.nan, np.inf])[:2].astype(dtype)
    message = re.escape("x0 must be finite; it holds nan or inf at indices [1].")
    with pytest.raises(ValueError, match=message):
        fsolve(Compiled(native["rosenbrock"], 2), x0, full_output=full_output)
    with pytest.raises(ValueError, match=message):
        fsolve(rosenbrock, x0, full_output=full_output)
    with pytest.raises(ValueError, match=message):
        root(Compiled(native["rosenbrock"], 2, jacobian=native["rosenbrock_jacobian"]), x0)


def test_repeated_solves_keep_reference_counts_balanced(native):
    """The C entry's result tuple, its None outputs and its None for a nan x0 are owned references."""
    func = Compiled(native["rosenbrock"], 2)
    x0, bad = np.array([-1.0, 1.0]), np.array([np.nan, 1.0])
    refused = 0
    fsolve(func, x0)
    gc.collect()  # what earlier tests left in reference cycles must not be freed during the count
    before = sys.getrefcount(None)
    for _ in range(100):
        fsolve(func, x0)
        fsolve(func, x0, full_output=True)
        try:
            fsolve(func, bad)
        except ValueError:  # not pytest.raises: its traceback's frames would hold references until collected
            refused += 1
    gc.collect()
    assert abs(sys.getrefcount(None) - before) < 10
    assert refused == 100


@pytest.mark.skipif(np.finfo(np.longdouble).maxexp <= 1024, reason="longdouble is float64 here")
def test_a_longdouble_x0_beyond_float64_is_refused_naming_where(native):
    """MINPACK's x is float64: 1e400 becomes inf there, which the compiled paths refuse, naming its index."""
    x0 = np.array([-1.0, np.longdouble("1e400")], dtype=np.longdouble)
    message = re.escape("x0 must be finite; it holds nan or inf at indices [1].")
    for solve in (fsolve, leastsq):
        with (
            pytest.warns(RuntimeWarning, match="overflow encountered in cast"),
            pytest.raises(ValueError, match=message),
        ):
            solve(Compiled(native["rosenbrock"], 2), x0)


# ---- a compiled fprime that stops the solve is named fprime (pinned by mutation testing) ----

# ctypes callbacks: no compiler needed for these, and the test can count the calls.
P = ctypes.POINTER(ctypes.c_double)
RESIDUALS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_void_p)
JACOBIAN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, P, P, ctypes.c_int, ctypes.c_void_p)

#: What the Jacobian below does at its second call: return this status, or write inf.
SECOND_JACOBIAN = {"status": 0, "inf": False, "calls": 0}


@RESIDUALS
def ctypes_rosenbrock(m, n, p, f, user_data):
    f[0], f[1] = 10.0 * (p[1] - p[0] * p[0]), 1.0 - p[0]
    return 0


@JACOBIAN
def ctypes_rosenbrock_jacobian(m, n, p, fjac, ld, user_data):
    SECOND_JACOBIAN["calls"] += 1
    second = SECOND_JACOBIAN["calls"] == 2
    fjac[0], fjac[1], fjac[ld], fjac[ld + 1] = -20.0 * p[0], -1.0, 10.0, 0.0  # column-major
    if second and SECOND_JACOBIAN["inf"]:
        fjac[0] = np.inf
    return SECOND_JACOBIAN["status"] if second else 0


@pytest.fixture
def second_jacobian():
    SECOND_JACOBIAN.update(status=0, inf=False, calls=0)
    yield SECOND_JACOBIAN
    SECOND_JACOBIAN.update(status=0, inf=False, calls=0)


def test_a_compiled_fprime_asking_to_stop_is_named_fprime(second_jacobian):
    second_jacobian["status"] = 7
    with pytest.raises(UserTermination) as caught:
        fsolve(Compiled(ctypes_rosenbrock, 2), X0, fprime=ctypes_rosenbrock_jacobian)
    assert str(caught.value).startswith("fsolve: the compiled 'fprime' returned 7 at Jacobian evaluation 2, ")
    assert (caught.value.function, caught.value.status, caught.value.njev) == ("fprime", 7, 2)


def test_a_compiled_fprime_returning_inf_is_named_fprime(second_jacobian):
    second_jacobian["inf"] = True
    with pytest.raises(ValueError) as caught:
        fsolve(Compiled(ctypes_rosenbrock, 2), X0, fprime=ctypes_rosenbrock_jacobian)
    assert str(caught.value).startswith(
        f"fsolve: the 'fprime' argument '{ctypes_rosenbrock_jacobian!r}' returned nan or inf at evaluation 2 "
        "(forming the Jacobian), x = "
    )
    second_jacobian["calls"] = 0
    _, infodict, ier, _ = fsolve(
        Compiled(ctypes_rosenbrock, 2), X0, fprime=ctypes_rosenbrock_jacobian, full_output=True, allow_nonfinite=True
    )
    # Stopped before MINPACK factored a Jacobian free of inf: no factors to report, as on the Python path.
    assert ier == -2 and infodict["njev"] == 2
    assert not (infodict["fjac"].any() or infodict["r"].any() or infodict["qtf"].any())


def test_root_hybr_with_a_compiled_function_returns_every_output(native):
    sol = root(Compiled(native["rosenbrock"], 2), X0)
    x, infodict, ier, mesg = fsolve(Compiled(native["rosenbrock"], 2), X0, full_output=True)
    assert (sol.status, sol.message, sol.nfev) == (ier, mesg, infodict["nfev"])
    for key, value in (("x", x), ("fun", infodict["fvec"]), ("fjac", infodict["fjac"]), ("r", infodict["r"])):
        assert sol[key].tobytes() == value.tobytes(), key
    assert sol.qtf.tobytes() == infodict["qtf"].tobytes()


def test_a_compiled_jacobian_makes_epsfcn_and_band_ignored_as_fprime_does(native):
    """hybrj takes neither (SciPy checks neither with fprime): a Compiled(jacobian=...) is fprime."""
    func = Compiled(native["rosenbrock"], 2, jacobian=native["rosenbrock_jacobian"])
    plain = fsolve(func, X0, full_output=True)
    ignored = fsolve(func, X0, full_output=True, epsfcn=np.nan, band=(-1, 0))
    assert plain[0].tobytes() == ignored[0].tobytes() and plain[1]["njev"] == ignored[1]["njev"] > 0
