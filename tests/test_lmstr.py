"""pyminpack.leastsq_rows: MINPACK's lmstr, the Jacobian asked for by blocks of rows.

Behaviour (blocks, errors, the non-finite guard, callbacks) on small
problems, and the oracle: on the MGH problems, with leastsq's defaults and
with every setting that reaches MINPACK, ``leastsq_rows`` must return what
Debian's libminpack1 ``lmstr`` returns, bit for bit, whatever the block size
(:mod:`libminpack`, which replays x86-64 recordings where the library fuses
multiply-adds).
"""

import ctypes
import math
import warnings
import weakref

import libminpack
import mgh
import numpy as np
import pytest
from minpack_settings import IMPROPER, SETTINGS, STARTS

import pyminpack
from pyminpack import leastsq_rows
from pyminpack._solver.lmstr import BLOCK_DOUBLES

T = np.linspace(0.0, 2.0, 40)
Y = 2.0 * np.exp(-1.5 * T) + 0.5 + 0.01 * np.sin(7.0 * T)
P0 = np.array([1.0, 1.0, 1.0])


def residuals(p):
    return p[0] * np.exp(-p[1] * T) + p[2] - Y


def jacobian(p):
    e = np.exp(-p[1] * T)
    return np.column_stack([e, -p[0] * T * e, np.ones_like(T)])


def jac_rows(p, rows):
    return jacobian(p)[rows]


class RecordingRows:
    """``jac_rows`` that records the slices it is asked for."""

    def __init__(self, rows=jac_rows):
        self.calls = []
        self.rows = rows

    def __call__(self, p, rows, *args):
        self.calls.append((rows.start, rows.stop, rows.step))
        return self.rows(p, rows, *args)


# ---- behaviour ------------------------------------------------------------


def test_solves_as_leastsq_with_dfun_does():
    x, cov_x, info, mesg, ier = leastsq_rows(residuals, P0, jac_rows, full_output=True)
    expected = pyminpack.leastsq(residuals, P0, Dfun=jacobian, full_output=True)
    assert ier in (1, 2, 3, 4) and mesg == expected[3] and ier == expected[4]
    np.testing.assert_allclose(x, expected[0], rtol=1e-9)
    np.testing.assert_allclose(cov_x, expected[1], rtol=1e-6)
    assert set(info) == {"nfev", "njev", "fvec", "fjac", "ipvt", "qtf"}
    assert info["fjac"].shape == (3, 3) and info["ipvt"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(info["fvec"], residuals(x))


@pytest.mark.parametrize("block_rows", [1, 3, 7, 39, 40, 41, 10**9, None])
def test_every_block_size_gives_the_same_bits(block_rows):
    reference = leastsq_rows(residuals, P0, jac_rows, full_output=True, block_rows=1)
    output = leastsq_rows(residuals, P0, jac_rows, full_output=True, block_rows=block_rows)
    libminpack.assert_same_bits(output[0], reference[0])
    for key in ("fvec", "fjac", "qtf"):
        libminpack.assert_same_bits(output[2][key], reference[2][key])
    assert (output[2]["nfev"], output[2]["njev"], output[4]) == (
        reference[2]["nfev"],
        reference[2]["njev"],
        reference[4],
    )


@pytest.mark.parametrize(("block_rows", "expected"), [(7, 7), (40, 40), (1000, 40), (None, 40)])
def test_blocks_cover_the_rows_in_order_once_per_jacobian(block_rows, expected):
    rows = RecordingRows()
    _, _, info, _, _ = leastsq_rows(residuals, P0, rows, full_output=True, block_rows=block_rows)
    checking, *solve = rows.calls
    assert checking == (0, expected, None)  # the checking call at x0: the first block
    one_pass = [(start, min(start + expected, 40), None) for start in range(0, 40, expected)]
    assert solve == one_pass * info["njev"]


def test_default_block_holds_block_doubles():
    assert BLOCK_DOUBLES == 2**15  # the documented default: 256 KiB of rows
    m, n = 3 * BLOCK_DOUBLES // 8, 8
    assert pyminpack._solver.lmstr.block_size(None, m, n) == BLOCK_DOUBLES // n
    assert pyminpack._solver.lmstr.block_size(None, 10, n) == 10
    assert pyminpack._solver.lmstr.block_size(None, m, 2 * BLOCK_DOUBLES) == 1


def test_no_block_of_rows_is_held_while_func_makes_residuals():
    # func's result is the solve's third m-vector: a block held beside it
    # would add to the peak memory that leastsq_rows exists to keep down.
    blocks = []

    def tracked_rows(p, rows):
        block = jac_rows(p, rows)
        blocks.append(weakref.ref(block))
        return block

    def checked_residuals(p):
        assert [ref for ref in blocks if ref() is not None] == []
        return residuals(p)

    _, _, info, _, ier = leastsq_rows(checked_residuals, P0, tracked_rows, full_output=True, block_rows=7)
    assert ier in (1, 2, 3, 4)
    assert len(blocks) == 1 + 6 * info["njev"]  # the checking block, then 40 rows in blocks of 7


def test_rows_are_asked_for_at_the_x_of_the_last_func_call():
    seen = []

    def func(p):
        seen.append(("func", p.tolist()))
        return residuals(p)

    def rows(p, block):
        seen.append(("rows", p.tolist()))
        return jac_rows(p, block)

    leastsq_rows(func, P0, rows, block_rows=16)
    assert [kind for kind, _ in seen[:4]] == ["func", "rows", "func", "rows"]  # the checking calls, then MINPACK's
    last_func_x = None
    for kind, x in seen[2:]:
        if kind == "func":
            last_func_x = x
        else:
            assert x == last_func_x


def test_integer_x0_is_taken_as_floats():
    libminpack.assert_same_bits(
        leastsq_rows(residuals, [1, 1, 1], jac_rows)[0], leastsq_rows(residuals, P0, jac_rows)[0]
    )


def test_more_rows_than_lmstr_can_number_are_refused(compiled_rows):
    # lmstr asks for row i with IFLAG = i + 2, a Fortran INTEGER: m = 2**31 - 1 is one too many.
    with pytest.raises(ValueError, match=r"^leastsq_rows: func returns 2147483647 residuals; lmstr numbers the rows"):
        leastsq_rows(pyminpack.Compiled(compiled_rational, 2**31 - 1), R0, compiled_rows)
    assert ROW_CALLS == []


def test_args_reach_both_functions():
    def func(p, scale, offset):
        return scale * residuals(p) + offset

    def rows(p, block, scale, offset):
        return scale * jac_rows(p, block)

    x, ier = leastsq_rows(func, P0, rows, args=(2.0, 0.0))
    np.testing.assert_allclose(x, leastsq_rows(residuals, P0, jac_rows)[0], rtol=1e-9)
    assert ier in (1, 2, 3, 4)


def test_a_single_argument_is_wrapped_in_a_tuple():
    x, _ = leastsq_rows(lambda p, s: s * residuals(p), P0, lambda p, rows, s: s * jac_rows(p, rows), args=3.0)
    np.testing.assert_allclose(x, leastsq_rows(residuals, P0, jac_rows)[0], rtol=1e-9)


def test_one_parameter_accepts_a_column():
    def func(p):
        return p[0] * T - Y

    def column(p, rows):
        return T[rows]  # shape (count,): the one column

    x, ier = leastsq_rows(func, [0.0], column, block_rows=9)
    np.testing.assert_allclose(x, [np.dot(T, Y) / np.dot(T, T)], rtol=1e-12)
    assert ier in (1, 2, 3, 4)


def test_functions_receive_copies_of_x():
    def func(p):
        out = residuals(p)
        p[:] = 1e6  # must not move MINPACK's iterate
        return out

    def rows(p, block):
        out = jac_rows(p, block)
        p[:] = -1e6
        return out

    np.testing.assert_array_equal(leastsq_rows(func, P0, rows)[0], leastsq_rows(residuals, P0, jac_rows)[0])


def test_float32_and_list_outputs_are_converted():
    def rows32(p, block):
        return jac_rows(p, block).astype(np.float32).tolist()

    x, ier = leastsq_rows(lambda p: residuals(p).astype(np.float32), P0, rows32)
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(x, leastsq_rows(residuals, P0, jac_rows)[0], rtol=1e-4)


def test_non_contiguous_blocks_are_read_right():
    def fortran_ordered(p, rows):
        return np.asfortranarray(jac_rows(p, rows))

    def strided(p, rows):
        return np.repeat(jac_rows(p, rows), 2, axis=1)[:, ::2]

    reference = leastsq_rows(residuals, P0, jac_rows, full_output=True)
    for rows in (fortran_ordered, strided):
        output = leastsq_rows(residuals, P0, rows, full_output=True)
        libminpack.assert_same_bits(output[0], reference[0])
        libminpack.assert_same_bits(output[2]["fjac"], reference[2]["fjac"])


def test_failure_warns_like_leastsq():
    with pytest.warns(RuntimeWarning, match=r"^Number of calls to function has reached maxfev = 2\.$"):
        _, ier = leastsq_rows(residuals, P0, jac_rows, maxfev=2)
    assert ier == 5


def test_default_maxfev_is_lmder_s():
    # lmstr1's default, as leastsq's with Dfun: 100 * (n + 1).  exp(-p (1 + t))
    # has its infimum at p = inf: every step succeeds and none converges.
    def decay(p):
        return np.exp(-p[0] * (1.0 + T))

    def decay_rows(p, rows):
        return (-(1.0 + T[rows]) * np.exp(-p[0] * (1.0 + T[rows])))[:, np.newaxis]

    _, _, info, mesg, ier = leastsq_rows(decay, [0.0], decay_rows, full_output=True, ftol=0, xtol=0)
    assert (info["nfev"], ier, mesg) == (200, 5, "Number of calls to function has reached maxfev = 200.")


def test_callback_sees_start_iterations_and_end():
    reports = []
    _, _, info, _, _ = leastsq_rows(
        residuals, P0, jac_rows, full_output=True, callback=lambda x, fvec: reports.append((x, fvec))
    )
    np.testing.assert_array_equal(reports[0][0], P0)
    np.testing.assert_array_equal(reports[-1][1], info["fvec"])
    assert len(reports) >= info["njev"] + 1


def test_zero_parameters_is_improper_input():
    x, cov_x, info, mesg, ier = leastsq_rows(
        lambda p: Y, [], lambda p, rows: np.empty((len(Y[rows]), 0)), full_output=True
    )
    assert (ier, mesg, cov_x, info["nfev"], info["njev"]) == (0, "Improper input parameters.", None, 0, 0)
    assert x.shape == (0,)
    with pytest.raises(TypeError, match=r"^Improper input parameters\.$"):
        leastsq_rows(lambda p: Y, [], lambda p, rows: np.empty((len(Y[rows]), 0)))


def test_more_parameters_than_residuals_is_scipy_s_type_error():
    with pytest.raises(TypeError, match="N=3 must not exceed func output vector length M=2"):
        leastsq_rows(lambda p: p[:2], P0, lambda p, rows: np.eye(2, 3)[rows])


# ---- errors -----------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, 3, "jac"])
def test_jac_rows_must_be_callable(bad):
    with pytest.raises(TypeError, match=r"^leastsq_rows: jac_rows must be callable as jac_rows\(x, rows, \*args\)"):
        leastsq_rows(residuals, P0, bad)


@pytest.mark.parametrize(
    ("block_rows", "error", "message"),
    [
        (0, ValueError, "block_rows must be positive; got 0."),
        (-3, ValueError, "block_rows must be positive; got -3."),
        (2.5, TypeError, "block_rows must be an integer or None; got float."),
        ("8", TypeError, "block_rows must be an integer or None; got str."),
    ],
)
def test_block_rows_is_checked(block_rows, error, message):
    with pytest.raises(error, match=f"^{message}$".replace(".", r"\.")):
        leastsq_rows(residuals, P0, jac_rows, block_rows=block_rows)


def test_numpy_integer_block_rows_is_accepted():
    rows = RecordingRows()
    leastsq_rows(residuals, P0, rows, block_rows=np.int64(8))
    assert rows.calls[0] == (0, 8, None)


def test_jac_rows_wrong_shape_at_the_checking_call_names_it():
    def transposed(p, rows):
        return jac_rows(p, rows).T

    with pytest.raises(TypeError, match=r"^leastsq_rows: the 'jac_rows' argument 'transposed' must return one row of 3 "
                       r"derivatives per residual asked for, shape \(10, 3\); it returned shape \(3, 10\)\.$"):  # fmt: skip
        leastsq_rows(residuals, P0, transposed, block_rows=10)


@pytest.mark.parametrize(("value", "what"), [(None, "returned NoneType"), ("rows", "returned str")])
def test_jac_rows_returning_no_array_names_it(value, what):
    def bad(p, rows):
        return value

    with pytest.raises(TypeError, match=f"^leastsq_rows: the 'jac_rows' argument 'bad' {what}"):
        leastsq_rows(residuals, P0, bad)


def test_complex_jac_rows_is_refused():
    with pytest.raises(TypeError, match=r"'jac_rows' argument .* of dtype complex128"):
        leastsq_rows(residuals, P0, lambda p, rows: jac_rows(p, rows) + 0j)


def none(p):
    return None


def test_func_errors_name_func():
    with pytest.raises(TypeError, match=r"^leastsq_rows: the 'func' argument 'none' returned NoneType"):
        leastsq_rows(none, P0, jac_rows)


@pytest.mark.parametrize("setting", [{"ftol": math.nan}, {"factor": math.inf}, {"diag": [1.0, 2.0]}])
def test_settings_are_checked_as_leastsq_checks_them(setting):
    with pytest.raises(ValueError) as caught:
        leastsq_rows(residuals, P0, jac_rows, **setting)
    with pytest.raises(ValueError) as expected:
        pyminpack.leastsq(residuals, P0, Dfun=jacobian, **setting)
    assert str(caught.value) == str(expected.value)


class Boom(Exception):
    pass


@pytest.mark.parametrize("where", ["func", "jac_rows", "callback"])
def test_exceptions_reach_the_caller_unchanged(where):
    error = Boom("from the user's function")
    count = {"func": 0, "jac_rows": 0, "callback": 0}

    def fail_on_third(name):
        count[name] += 1
        if where == name and count[name] == 3:
            raise error

    def func(p):
        fail_on_third("func")
        return residuals(p)

    def rows(p, block):
        fail_on_third("jac_rows")  # the third block: the middle of the first Jacobian
        return jac_rows(p, block)

    with pytest.raises(Boom) as caught:
        leastsq_rows(func, P0, rows, block_rows=10, callback=lambda x, f: fail_on_third("callback"))
    assert caught.value is error
    assert caught.value.__traceback__.tb_next is not None  # the user's frame is kept


def test_keyboard_interrupt_stops_the_solve():
    def rows(p, block):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        leastsq_rows(residuals, P0, rows)


# ---- the non-finite guard -------------------------------------------------


def nan_rows_after(jacobians, block_start):
    """``jac_rows`` whose block at ``block_start`` holds a nan from Jacobian ``jacobians`` on."""
    seen = {"jacobians": -1}  # -1: the checking call

    def rows(p, block):
        if block.start == 0:
            seen["jacobians"] += 1
        out = jac_rows(p, block)
        if seen["jacobians"] >= jacobians and block.start == block_start:
            out[0, 1] = np.nan
        return out

    return rows


def test_nan_in_a_later_block_stops_with_an_error_naming_jac_rows():
    with pytest.raises(pyminpack.NonfiniteError, match=r"^leastsq_rows: the 'jac_rows' argument 'rows' returned nan or inf at "
                       r"evaluation 2 \(forming the Jacobian\), x = \[") as caught:  # fmt: skip
        leastsq_rows(residuals, P0, nan_rows_after(2, 20), block_rows=10)
    assert caught.value.x.shape == (3,)


def test_nan_in_the_checking_block_is_refused():
    with pytest.raises(ValueError, match=r"'jac_rows' argument 'rows' returned nan or inf at the checking call"):
        leastsq_rows(residuals, P0, nan_rows_after(0, 0), block_rows=10)


def test_nan_residuals_at_x0_are_refused():
    with pytest.raises(ValueError, match=r"^leastsq_rows: the 'func' argument '<lambda>' returned nan or inf at the "):
        leastsq_rows(lambda p: residuals(p) * np.nan, P0, jac_rows)


def test_allow_nonfinite_ends_with_ier_minus_2():
    with pytest.warns(RuntimeWarning, match="nan or inf"):
        _, ier = leastsq_rows(residuals, P0, nan_rows_after(2, 20), block_rows=10, allow_nonfinite=True)
    assert ier == -2
    _, cov_x, info, _, ier = leastsq_rows(
        residuals, P0, nan_rows_after(2, 20), block_rows=10, allow_nonfinite=True, full_output=True
    )
    assert (ier, cov_x, info["njev"]) == (-2, None, 1)  # stopped while forming the second Jacobian


def test_convergence_on_nonfinite_trials_alone_is_refused():
    # Finite only at the start point: every trial step is nan, and MINPACK shrinks the step until xtol is met.
    def func(p):
        return residuals(p) if np.array_equal(p, P0) else np.full_like(T, np.nan)

    with pytest.raises(
        ValueError, match=r"^leastsq_rows: the 'func' argument 'func' returned nan or inf at evaluations"
    ):
        leastsq_rows(func, P0, jac_rows, xtol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert leastsq_rows(func, P0, jac_rows, xtol=1e-3, allow_nonfinite=True)[1] == -2


# ---- the oracle: libminpack's lmstr, bit for bit ---------------------------

LIB = libminpack.load()
oracle = pytest.mark.skipif(LIB is None, reason="Debian's libminpack1 (the oracle) is not installed")


def mgh_rows(x, rows, nprob, m):
    """The MGH Jacobian's rows ``rows`` (module level: the oracle keys calls by function name)."""
    return mgh.jacobian(x, nprob, m)[rows]


def _libminpack(case, **settings):
    settings = {**libminpack.LEASTSQ_DEFAULTS, "maxfev": 100 * (case.n + 1), **settings}
    expected = libminpack.lmstr(LIB, mgh.residuals, mgh.DriverJacobianRows(), case.x0, case.m, case.args, **settings)
    # As libminpack.Result, whose fjac is seen transposed, as leastsq returns it.
    return libminpack.Result(**{**vars(expected), "fjac": expected.fjac.T})


def _pyminpack(case, **settings):
    return leastsq_rows(mgh.residuals, case.x0, mgh_rows, args=case.args, full_output=True, **settings)


@oracle
@pytest.mark.parametrize("case", mgh.CASES, ids=lambda case: case.id)
def test_matches_libminpack_lmstr(case):
    libminpack.assert_leastsq_matches(_pyminpack(case), _libminpack(case), check_cov_x=case.n <= 12)


@oracle
@pytest.mark.parametrize("block_rows", [1, 4])
@pytest.mark.parametrize("case", mgh.CASES[:12], ids=lambda case: case.id)
def test_small_blocks_match_libminpack_lmstr(case, block_rows):
    libminpack.assert_leastsq_matches(_pyminpack(case, block_rows=block_rows), _libminpack(case))


CASES = [case for case in mgh.CASES if case.id in STARTS]


@oracle
@pytest.mark.parametrize(
    ("name", "case"), [pytest.param(name, case, id=f"{name}-{case.id}") for name in SETTINGS for case in CASES]
)
def test_setting_matches_libminpack_lmstr(name, case):
    settings = SETTINGS[name](case.n)
    libminpack.assert_leastsq_matches(_pyminpack(case, **settings), _libminpack(case, **settings))


@oracle
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_callback_reports_what_nprint_reports(case):
    reports = []
    output = _pyminpack(case, callback=lambda x, fvec: reports.append((x, fvec)))
    expected = _libminpack(case, nprint=1)
    libminpack.assert_leastsq_matches(output, expected)
    assert len(reports) == len(expected.reports)
    for (x, fvec), (expected_x, expected_fvec) in zip(reports, expected.reports, strict=True):
        libminpack.assert_same_bits(x, expected_x)
        libminpack.assert_same_bits(fvec, expected_fvec)


@oracle
@pytest.mark.parametrize("name", IMPROPER)
def test_improper_setting_is_refused_as_lmstr_refuses_it(name):
    case = next(case for case in CASES if case.id == "p04_rosenbrock_n2_m2_x10")
    settings = IMPROPER[name](case.n)
    expected = _libminpack(case, **settings)
    assert (expected.info, expected.nfev) == (0, 0)
    x, cov_x, infodict, mesg, ier = _pyminpack(case, **settings)
    assert (ier, infodict["nfev"], infodict["njev"], cov_x, mesg) == (0, 0, 0, None, "Improper input parameters.")
    libminpack.assert_same_bits(x, case.x0)
    with pytest.raises(TypeError, match=r"^Improper input parameters\.$"):
        leastsq_rows(mgh.residuals, case.x0, mgh_rows, args=case.args, **settings)


# ---- compiled functions: the same solve without a Python call -------------

CP = ctypes.POINTER(ctypes.c_double)
RESIDUALS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, CP, CP, ctypes.c_void_p)
JACOBIAN_ROWS = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_int, ctypes.c_int, CP, ctypes.c_int, ctypes.c_int, CP, ctypes.c_void_p
)

#: A rational model: + - * / only, so numpy's operations and these give the same bits.
XR = np.linspace(0.0, 3.0, 40)
YR = (2.0 * XR + 1.0) / (1.0 + 0.5 * XR) + 0.01 * np.cos(5.0 * XR)


def rational(p):
    return (p[0] * XR + p[1]) / (1.0 + p[2] * XR) - YR


def rational_rows(p, rows):
    t = XR[rows]
    d = 1.0 + p[2] * t
    return np.column_stack([t / d, 1.0 / d, -((p[0] * t + p[1]) * t) / (d * d)])


def _array(pointer, shape):
    return np.ctypeslib.as_array(pointer, shape)


@RESIDUALS
def compiled_rational(m, n, p, fvec, user_data):
    _array(fvec, (m,))[:] = rational(_array(p, (n,)).copy())
    return 0


#: What the compiled jac_rows was asked for, and when it stops (user_data-free test state).
ROW_CALLS: list = []
STOP_AT = {"call": 0, "status": 0, "nan_at": 0}


@JACOBIAN_ROWS
def compiled_rational_rows(m, n, p, first, count, rows, user_data):
    ROW_CALLS.append((first, count))
    block = rational_rows(_array(p, (n,)).copy(), slice(first, first + count))
    if len(ROW_CALLS) == STOP_AT["nan_at"]:
        block[-1, 0] = np.inf
    _array(rows, (count, n))[:] = block
    return STOP_AT["status"] if len(ROW_CALLS) == STOP_AT["call"] else 0


@pytest.fixture
def compiled_rows():
    ROW_CALLS.clear()
    STOP_AT.update(call=0, status=0, nan_at=0)
    yield compiled_rational_rows
    ROW_CALLS.clear()


R0 = np.array([1.0, 1.0, 1.0])


#: Each changes this problem's result: a setting that the compiled path dropped or swapped would show.
COMPILED_SETTINGS = [
    {},
    {"diag": [0.5, 1.0, 2.0]},
    {"factor": 1.0},
    {"ftol": 1e-3},
    {"xtol": 1e-3},
    {"gtol": 0.1},
    {"maxfev": 5},
]


@pytest.mark.parametrize("block_rows", [1, 7, 40, None])
@pytest.mark.parametrize("settings", COMPILED_SETTINGS, ids=lambda settings: ",".join(settings) or "defaults")
def test_compiled_solve_is_bit_identical_to_the_python_one(compiled_rows, block_rows, settings):
    expected = leastsq_rows(rational, R0, rational_rows, full_output=True, block_rows=block_rows, **settings)
    if settings:
        assert not np.array_equal(expected[0], leastsq_rows(rational, R0, rational_rows)[0])
    output = leastsq_rows(
        pyminpack.Compiled(compiled_rational, 40),
        R0,
        compiled_rows,
        full_output=True,
        block_rows=block_rows,
        **settings,
    )
    libminpack.assert_same_bits(output[0], expected[0])
    libminpack.assert_same_bits(output[1], expected[1])
    for key in ("fvec", "fjac", "qtf"):
        libminpack.assert_same_bits(output[2][key], expected[2][key])
    assert output[2]["ipvt"].tolist() == expected[2]["ipvt"].tolist()
    assert (output[2]["nfev"], output[2]["njev"], output[3], output[4]) == (
        expected[2]["nfev"],
        expected[2]["njev"],
        expected[3],
        expected[4],
    )
    size = 40 if block_rows is None else block_rows
    one_pass = [(first, min(size, 40 - first)) for first in range(0, 40, size)]
    assert one_pass * output[2]["njev"] == ROW_CALLS  # no checking call: nothing to check


def test_compiled_solve_leaves_x0_alone_and_refuses_a_nonfinite_one_as_the_python_one_does(compiled_rows):
    x0 = R0.copy()
    x, ier = leastsq_rows(pyminpack.Compiled(compiled_rational, 40), x0, compiled_rows)
    assert ier in (1, 2, 3, 4)
    assert x is not x0
    assert x0.tolist() == R0.tolist()  # MINPACK overwrote a copy
    bad = np.array([1.0, np.nan, 1.0])
    with pytest.raises(ValueError) as python_error:
        leastsq_rows(rational, bad, rational_rows)
    with pytest.raises(ValueError) as compiled_error:
        leastsq_rows(pyminpack.Compiled(compiled_rational, 40), bad, compiled_rows)
    assert str(compiled_error.value) == str(python_error.value)
    assert str(python_error.value) == "x0 must be finite; it holds nan or inf at indices [1]."


def test_compiled_jac_rows_asking_to_stop_raises_user_termination(compiled_rows):
    STOP_AT.update(call=3, status=5)  # the third block of the first Jacobian
    with pytest.raises(pyminpack.UserTermination, match=r"^leastsq_rows: the compiled 'jac_rows' returned 5 at "
                       r"Jacobian evaluation 1, asking MINPACK to stop") as caught:  # fmt: skip
        leastsq_rows(pyminpack.Compiled(compiled_rational, 40), R0, compiled_rows, block_rows=10)
    assert (caught.value.status, caught.value.function, caught.value.njev) == (5, "jac_rows", 1)


def test_compiled_nonfinite_block_names_jac_rows(compiled_rows):
    STOP_AT.update(nan_at=6)  # the second block of the second Jacobian
    with pytest.raises(ValueError, match=r"^leastsq_rows: the 'jac_rows' argument .* returned nan or inf at "
                       r"evaluation 2 \(forming the Jacobian\)"):  # fmt: skip
        leastsq_rows(pyminpack.Compiled(compiled_rational, 40), R0, compiled_rows, block_rows=10)
    ROW_CALLS.clear()
    with pytest.warns(RuntimeWarning):
        _, ier = leastsq_rows(
            pyminpack.Compiled(compiled_rational, 40), R0, compiled_rows, block_rows=10, allow_nonfinite=True
        )
    assert ier == -2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda rows: (compiled_rational, rows, {}), "cannot report how many residuals"),
        (lambda rows: (rational, rows, {}), "a compiled jac_rows needs a compiled func"),
        (lambda rows: (pyminpack.Compiled(compiled_rational, 40), rows, {"args": (1,)}), "args cannot be passed"),
        (lambda rows: (pyminpack.Compiled(compiled_rational, 40), rows, {"callback": print}), "callback needs"),
        (lambda rows: (pyminpack.Compiled(compiled_rational, 40), rational_rows, {}), "jac_rows must be a compiled"),
        (lambda rows: (pyminpack.Compiled(compiled_rational, 40), compiled_rational, {}), "jac_rows: the ctypes"),
    ],
)
def test_compiled_arguments_are_checked(compiled_rows, make, message):
    func, rows, kwargs = make(compiled_rows)
    with pytest.raises(TypeError, match=message):
        leastsq_rows(func, R0, rows, **kwargs)


def test_compiled_whole_column_jacobian_is_refused(compiled_rows):
    JACOBIAN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, CP, CP, ctypes.c_int, ctypes.c_void_p)
    columns = JACOBIAN(lambda m, n, p, fjac, ld, ud: 0)
    with pytest.raises(TypeError, match=r"^leastsq_rows: Compiled\(jacobian=\.\.\.\) writes whole columns"):
        leastsq_rows(pyminpack.Compiled(compiled_rational, 40, jacobian=columns), R0, compiled_rows)


# ---- messages name leastsq_rows' own arguments ------------------------------

#: ier -2's message under leastsq_rows: its Jacobian argument is jac_rows.
NONFINITE_MESSAGE = (
    "func or jac_rows returned nan or inf where MINPACK would build on it (at the starting point\n"
    "  or in a Jacobian); the solve was stopped there."
)


def test_ier_minus_2_message_names_jac_rows():
    with pytest.warns(RuntimeWarning) as caught:
        leastsq_rows(residuals, P0, nan_rows_after(2, 20), block_rows=10, allow_nonfinite=True)
    assert [str(warning.message) for warning in caught] == [NONFINITE_MESSAGE]
    mesg, ier = leastsq_rows(
        residuals, P0, nan_rows_after(2, 20), block_rows=10, allow_nonfinite=True, full_output=True
    )[3:]
    assert (mesg, ier) == (NONFINITE_MESSAGE, -2)


def test_compiled_ier_minus_2_message_names_jac_rows(compiled_rows):
    STOP_AT.update(nan_at=6)  # the second block of the second Jacobian
    mesg, ier = leastsq_rows(
        pyminpack.Compiled(compiled_rational, 40), R0, compiled_rows, block_rows=10, allow_nonfinite=True,
        full_output=True,
    )[3:]  # fmt: skip
    assert (mesg, ier) == (NONFINITE_MESSAGE, -2)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "leastsq_rows: the 'func' argument 'later' returned NoneType; it must return an array of floats."),
        (
            np.ones((40, 1)),
            "leastsq_rows: the 'func' argument 'later' must return a 1-D array of residuals; "
            "it returned an array of shape (40, 1).",
        ),
    ],
    ids=["None", "column"],
)
def test_func_returning_a_bad_value_mid_solve_is_named_under_leastsq_rows(value, message):
    calls = []

    def later(p):
        calls.append(1)
        return residuals(p) if len(calls) < 3 else value

    with pytest.raises(TypeError) as caught:
        leastsq_rows(later, P0, jac_rows)
    assert str(caught.value) == message


# ---- whole messages, default blocks, block dtypes (pinned by mutation testing) ----


@pytest.mark.parametrize(("bad", "kind"), [(3, "int"), ("jac", "str")])
def test_a_jac_rows_that_is_not_callable_is_named_by_its_type(bad, kind):
    with pytest.raises(TypeError) as caught:
        leastsq_rows(residuals, P0, bad)
    assert str(caught.value) == f"leastsq_rows: jac_rows must be callable as jac_rows(x, rows, *args); got {kind}."


def test_a_2d_func_output_at_the_checking_call_is_named_under_leastsq_rows():
    def column(p):
        return residuals(p)[:, np.newaxis]

    with pytest.raises(TypeError) as caught:
        leastsq_rows(column, P0, jac_rows)
    assert str(caught.value) == (
        "leastsq_rows: the 'func' argument 'column' must return a 1-D array of residuals; "
        "it returned an array of shape (40, 1)."
    )


#: How the guard's errors at x0 begin (the point and the advice follow).
AT_X0 = "returned nan or inf at the checking call (at the starting point), x = [1., 1., 1.]. MINPACK cannot"


def test_nan_residuals_at_x0_are_refused_in_whole_words():
    def nan_residuals(p):
        return residuals(p) * np.nan

    with pytest.raises(ValueError) as caught:
        leastsq_rows(nan_residuals, P0, jac_rows)
    assert str(caught.value).startswith(f"leastsq_rows: the 'func' argument 'nan_residuals' {AT_X0}")


def test_nan_in_the_checking_block_is_refused_in_whole_words():
    with pytest.raises(ValueError) as caught:
        leastsq_rows(residuals, P0, nan_rows_after(0, 0), block_rows=10)
    assert str(caught.value).startswith(f"leastsq_rows: the 'jac_rows' argument 'rows' {AT_X0}")


def test_a_wrong_block_during_the_solve_names_jac_rows():
    calls = []

    def short_last_time(p, rows):
        calls.append(rows)
        block = jac_rows(p, rows)
        return block[:-1] if len(calls) == 3 else block

    with pytest.raises(TypeError) as caught:
        leastsq_rows(residuals, P0, short_last_time, block_rows=10)
    assert str(caught.value) == (
        "leastsq_rows: the 'jac_rows' argument 'short_last_time' must return one row of 3 derivatives per "
        "residual asked for, shape (10, 3); it returned shape (9, 3)."
    )


@pytest.mark.parametrize(
    ("n", "block", "message"),
    [
        (1, (40, 2), "must return one row of 1 derivatives per residual asked for, shape (40, 1); it returned "
                     "shape (40, 2)."),
        (2, (40,), "must return one row of 2 derivatives per residual asked for, shape (40, 2); it returned "
                   "shape (40,)."),
    ],
)  # fmt: skip
def test_a_1d_block_is_a_column_for_one_parameter_only(n, block, message):
    def wrong(p, rows):
        return np.ones(block)

    with pytest.raises(TypeError) as caught:
        leastsq_rows(lambda p: T * p.sum() - Y, np.ones(n), wrong)
    assert str(caught.value) == f"leastsq_rows: the 'jac_rows' argument 'wrong' {message}"


def test_convergence_on_nonfinite_trials_alone_names_the_evaluations():
    def func(p):
        return residuals(p) if np.array_equal(p, P0) else np.full_like(T, np.nan)

    with pytest.raises(ValueError) as caught:
        leastsq_rows(func, P0, jac_rows, xtol=1e-3)
    # The checking call and MINPACK's first evaluation are at P0; its trials 2 to 5 are nan.
    assert str(caught.value).startswith(
        "leastsq_rows: the 'func' argument 'func' returned nan or inf at evaluations 2 to 5, every trial point "
        "MINPACK tried after its last finite one, all from x = [1., 1., 1.]. MINPACK rejected those steps and "
        "shortened them until its convergence test (ier 2) was met,"
    )


def test_a_failure_warns_at_the_callers_line():
    with pytest.warns(RuntimeWarning) as caught:
        leastsq_rows(residuals, P0, jac_rows, maxfev=2)
    assert caught[0].filename == __file__


def test_zero_parameters_returns_func_x0_as_floats():
    _, _, info, _, ier = leastsq_rows(
        lambda p: np.arange(3), [], lambda p, rows: np.empty((len(range(3)[rows]), 0)), full_output=True
    )
    assert ier == 0 and info["fvec"].dtype == np.float64 and info["fvec"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.float16])
def test_a_block_of_another_real_dtype_is_read_as_its_float64_values(dtype):
    def narrow(p, rows):
        return jac_rows(p, rows).astype(dtype)

    def widened(p, rows):
        return narrow(p, rows).astype(np.float64)

    output = leastsq_rows(residuals, P0, narrow, full_output=True)
    expected = leastsq_rows(residuals, P0, widened, full_output=True)
    libminpack.assert_same_bits(output[0], expected[0])
    assert output[4] == expected[4]


@pytest.mark.parametrize(("n", "first_block"), [(1, BLOCK_DOUBLES), (2, BLOCK_DOUBLES // 2)])
def test_the_default_block_holds_block_doubles_derivatives(n, first_block):
    # A straight line through many points: one block of BLOCK_DOUBLES // n rows, then the rest.
    t = np.linspace(0.0, 1.0, first_block + 5)
    rows = RecordingRows(lambda p, block: np.column_stack([t[block], np.ones_like(t[block])])[:, :n])
    leastsq_rows(lambda p: p[0] * t + p[-1] * (n - 1) - 2.0 * t, np.ones(n), rows, maxfev=1, full_output=True)
    assert rows.calls[:3] == [(0, first_block, None), (0, first_block, None), (first_block, first_block + 5, None)]


def test_compiled_argument_errors_in_whole_words(compiled_rows):
    with pytest.raises(TypeError) as caught:
        leastsq_rows(compiled_rational, R0, compiled_rows)
    assert str(caught.value) == (
        "leastsq_rows: a compiled residual function cannot report how many residuals it computes; "
        "pass pyminpack.Compiled(func, m)."
    )
    JACOBIAN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, CP, CP, ctypes.c_int, ctypes.c_void_p)
    columns = JACOBIAN(lambda m, n, p, fjac, ld, ud: 0)
    with pytest.raises(TypeError) as caught:
        leastsq_rows(pyminpack.Compiled(compiled_rational, 40, jacobian=columns), R0, compiled_rows)
    assert str(caught.value) == (
        "leastsq_rows: Compiled(jacobian=...) writes whole columns, for leastsq; leastsq_rows takes the "
        "Jacobian by rows, as jac_rows."
    )
    with pytest.raises(ValueError) as caught:
        leastsq_rows(pyminpack.Compiled(compiled_rational, 2**31 - 1), R0, compiled_rows)
    assert str(caught.value) == (
        "leastsq_rows: func returns 2147483647 residuals; lmstr numbers the rows in a Fortran INTEGER, "
        "so at most 2147483646."
    )


def test_a_compiled_nonfinite_block_names_the_jac_rows_given(compiled_rows):
    STOP_AT.update(nan_at=6)  # the second block of the second Jacobian
    with pytest.raises(ValueError) as caught:
        leastsq_rows(pyminpack.Compiled(compiled_rational, 40), R0, compiled_rows, block_rows=10)
    # A ctypes function has no __name__: its repr names it.
    assert str(caught.value).startswith(f"leastsq_rows: the 'jac_rows' argument '{compiled_rows!r}' returned nan")
