"""ctypes access to ``lmdif`` and ``lmder`` of Debian's libminpack1.

Debian's ``libminpack1`` is netlib MINPACK compiled by gfortran, so it serves
as an independent oracle for pyminpack: same Fortran, different build and a
different way of calling it. The routines use the Fortran calling convention
(every argument by reference, arrays in column order, trailing underscore on
the symbol) and take no character arguments, so no hidden lengths are passed.

:func:`load` returns an :class:`Oracle`, or ``None`` when the library is not
installed. The oracle calls the library, unless the library fuses
multiply-adds: Debian builds libminpack1 with gcc's default
``-ffp-contract=fast``, which fuses ``a*b + c`` into one instruction
wherever the CPU has one (arm64: always; x86-64's baseline: never), so that
library no longer gives the bits that pyminpack, built with contraction off,
gives on every CPU. There the oracle replays what the x86-64 library returned
for the same call, recorded in :data:`RECORDINGS` by
``tools/record_libminpack.py`` (every call of :func:`lmdif` and
:func:`lmder` any test makes, keyed by its arguments).
"""

import atexit
import ctypes
import ctypes.util
import functools
import gzip
import inspect
import json
import math
import os
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

import numpy as np

#: libminpack's results on x86-64, one per call the tests make (see :func:`load`).
RECORDINGS = Path(__file__).parent / "data" / "libminpack_x86_64.json.gz"
#: Set to a file name to record every call into it instead (``tools/record_libminpack.py``).
RECORD_ENV = "PYMINPACK_RECORD_LIBMINPACK"

_int_p = ctypes.POINTER(ctypes.c_int)
_double_p = ctypes.POINTER(ctypes.c_double)

# subroutine fcn(m, n, x, fvec, iflag)
_LMDIF_FCN = ctypes.CFUNCTYPE(None, _int_p, _int_p, _double_p, _double_p, _int_p)
# subroutine fcn(m, n, x, fvec, fjac, ldfjac, iflag)
_LMDER_FCN = ctypes.CFUNCTYPE(None, _int_p, _int_p, _double_p, _double_p, _double_p, _int_p, _int_p)


@dataclass
class Result:
    """What ``lmdif``/``lmder`` return.

    Attributes
    ----------
    x : ndarray
        The final estimate of the solution.
    fvec : ndarray
        The residuals at `x`.
    info : int
        MINPACK's exit code, 0 to 8.
    nfev : int
        MINPACK's ``nfev``: all calls of fcn for ``lmdif`` (the ``n`` calls
        per forward-difference Jacobian included), calls with ``iflag = 1``
        for ``lmder``.
    njev : int or None
        ``lmder``'s ``njev`` (calls with ``iflag = 2``); None for ``lmdif``.
    """

    x: np.ndarray
    fvec: np.ndarray
    info: int
    nfev: int
    njev: int | None = None


def _fuses_multiply_adds(lib):
    """Whether `lib` was compiled with floating-point contraction.

    ``enorm`` sums the squares of components of moderate size as
    ``s2 = s2 + x**2``. For ``x = (1, 0.4)``, rounding the square and the sum
    separately gives ``sqrt(fl(1 + fl(0.16...)))``, one bit above what a
    fused multiply-add (one rounding of ``1 + 0.4**2``) gives.
    """
    lib.enorm_.restype = ctypes.c_double
    x = np.array([1.0, 0.4])
    return lib.enorm_(_ref(2, ctypes.c_int), _ptr(x)) != math.sqrt(1.0 + 0.4 * 0.4)


@functools.cache
def load():
    """Load libminpack1 as an oracle (once per process: every test shares its recordings).

    Returns
    -------
    Oracle or None
        The oracle, or None if the library is not installed.
    """
    name = ctypes.util.find_library("minpack")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.lmdif_.restype = lib.lmder_.restype = None  # subroutines
    fused = _fuses_multiply_adds(lib)
    if os.environ.get(RECORD_ENV):
        if fused:
            raise RuntimeError(f"{name} fuses multiply-adds: record on x86-64, whose libminpack does not")
        return Oracle(lib, {}, record_to=Path(os.environ[RECORD_ENV]))
    with gzip.open(RECORDINGS, "rt", encoding="utf-8") as file:
        recordings = json.load(file)
    if fused:
        reason = (
            f"{name} was compiled with fused multiply-adds (its enorm rounds 1 + 0.4**2 once), so it "
            f"cannot give pyminpack's bits: the oracle replays libminpack's x86-64 results ({RECORDINGS.name})"
        )
        return Oracle(None, recordings, replay_reason=reason)
    return Oracle(lib, recordings)


def _encode(value):
    """`value` as JSON: floats as exact hex strings, arrays as lists, functions by name."""
    if callable(value):
        named = value if hasattr(value, "__qualname__") else type(value)  # a callable instance: by its class
        name = f"{named.__module__}.{named.__qualname__}"
        if "<" in name:
            raise TypeError(f"the oracle keys calls by function name: pass a module-level function, not {name}")
        return name
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (np.ndarray, list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value).hex()
    if isinstance(value, (int, np.integer)):
        return int(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"the oracle cannot key a call by a {type(value).__name__}")


def _decode(value):
    """An :func:`_encode`-d float, int or (nested) list of them, back to numbers."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return float.fromhex(value) if isinstance(value, str) else value


def _encode_result(result):
    """A routine's result as JSON: a dataclass as its type's name and its fields, a float as hex."""
    if not is_dataclass(result):
        return _encode(result)
    return {"type": type(result).__name__, **{f.name: _encode(getattr(result, f.name)) for f in fields(result)}}


def _decode_result(encoded):
    """A routine's result from :func:`_encode_result`: the dataclass (lists become arrays), or the float."""
    if not isinstance(encoded, dict):
        return _decode(encoded)
    fields_ = {
        name: np.array(_decode(v)) if isinstance(v, list) else v for name, v in encoded.items() if name != "type"
    }
    return _RESULT_TYPES[encoded["type"]](**fields_)


class Oracle:
    """libminpack1 for :func:`lmdif` and :func:`lmder`: called, or replayed.

    Called, each result is also checked against its x86-64 recording, so the
    recordings that another machine replays cannot go stale; when recording
    (``record_to``), the results are collected instead and written at exit.

    Attributes
    ----------
    replay_reason : str or None
        Why the calls are replayed instead of made; None when they are made.
    """

    def __init__(self, lib, recordings, *, replay_reason=None, record_to=None):
        self.lib, self.recordings, self.replay_reason = lib, recordings, replay_reason
        self.recording = record_to is not None
        if self.recording:
            atexit.register(self._save, record_to)

    def call(self, routine, *args, **kwargs):
        """``routine(lib, *args, **kwargs)``, or its recorded result."""
        bound = inspect.signature(routine).bind(None, *args, **kwargs)
        bound.apply_defaults()
        del bound.arguments["lib"]
        key = json.dumps({"routine": routine.__name__, **_encode(bound.arguments)}, sort_keys=True)
        if self.replay_reason is not None:
            if key not in self.recordings:
                raise LookupError(f"no x86-64 recording of {key}: run tools/record_libminpack.py on x86-64")
            return _decode_result(self.recordings[key])
        result = routine(self.lib, *args, **kwargs)
        encoded = _encode_result(result)
        if self.recording:
            self.recordings[key] = encoded
        elif self.recordings.get(key) != encoded:
            raise AssertionError(
                f"{RECORDINGS.name} lacks or differs from this result (run tools/record_libminpack.py): {key}"
            )
        return result

    def _save(self, path):
        with gzip.GzipFile(path, "wb", mtime=0) as file:  # mtime 0: the same results give the same bytes
            file.write(json.dumps(self.recordings, sort_keys=True, indent=0).encode())


def _through_oracle(routine):
    """Make ``routine(lib, ...)`` callable as ``routine(oracle, ...)`` (see :class:`Oracle`)."""

    @functools.wraps(routine)
    def call(oracle, *args, **kwargs):
        return oracle.call(routine, *args, **kwargs)

    return call


class _Callback:
    """A Python function as a MINPACK ``fcn``.

    An exception cannot propagate through Fortran: it is kept, ``iflag`` is
    set negative so that MINPACK stops at once, and :meth:`reraise` raises it
    once MINPACK has returned.
    """

    def __init__(self, func, jac, args):
        self.func, self.jac, self.args = func, jac, args
        self.error = None

    def _call(self, m, n, x_p, fvec_p, fjac_p, ldfjac, iflag_p):
        try:
            x = np.ctypeslib.as_array(x_p, shape=(n,)).copy()
            if iflag_p[0] == 2 and fjac_p is not None:
                # FJAC(LDFJAC, N) in column order, seen as its transpose.
                fjac = np.ctypeslib.as_array(fjac_p, shape=(n, ldfjac))
                fjac[:, :m] = np.asarray(self.jac(x, *self.args), dtype=float).T
            else:
                fvec = np.ctypeslib.as_array(fvec_p, shape=(m,))
                fvec[:] = self.func(x, *self.args)
        except BaseException as error:
            self.error = error
            iflag_p[0] = -1

    def lmdif_fcn(self, m_p, n_p, x_p, fvec_p, iflag_p):
        self._call(m_p[0], n_p[0], x_p, fvec_p, None, 0, iflag_p)

    def lmder_fcn(self, m_p, n_p, x_p, fvec_p, fjac_p, ldfjac_p, iflag_p):
        self._call(m_p[0], n_p[0], x_p, fvec_p, fjac_p, ldfjac_p[0], iflag_p)

    def reraise(self):
        if self.error is not None:
            raise self.error


def _ref(value, ctype):
    return ctypes.byref(ctype(value))


def _ptr(array):
    return array.ctypes.data_as(_double_p)


def _tolerances(ftol, xtol, gtol, maxfev):
    """``FTOL, XTOL, GTOL, MAXFEV``, in the order both routines take them."""
    return (
        _ref(ftol, ctypes.c_double),
        _ref(xtol, ctypes.c_double),
        _ref(gtol, ctypes.c_double),
        _ref(maxfev, ctypes.c_int),
    )


class _Workspace:
    """The arrays and counters that ``lmdif`` and ``lmder`` both take.

    Each method returns one run of arguments, by reference, in the order of
    the Fortran argument lists (the two lists share these runs and differ in
    where ``FJAC, LDFJAC`` stand and in ``EPSFCN``/``NJEV``).
    """

    def __init__(self, x0, m):
        self.x = np.array(x0, dtype=float)
        self.m = m
        self.n = n = len(self.x)
        self.fvec, self.fjac = np.zeros(m), np.zeros((n, m))
        self.diag, self.qtf = np.zeros(n), np.zeros(n)
        self.wa = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(m)
        self.ipvt = (ctypes.c_int * n)()
        self.info, self.nfev, self.njev = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)

    def problem(self):
        """``M, N, X, FVEC``."""
        return _ref(self.m, ctypes.c_int), _ref(self.n, ctypes.c_int), _ptr(self.x), _ptr(self.fvec)

    def jacobian(self):
        """``FJAC, LDFJAC``."""
        return _ptr(self.fjac), _ref(self.m, ctypes.c_int)

    def scaling(self, factor):
        """``DIAG, MODE, FACTOR, NPRINT`` with ``MODE = 1`` and ``NPRINT = 0``."""
        return _ptr(self.diag), _ref(1, ctypes.c_int), _ref(factor, ctypes.c_double), _ref(0, ctypes.c_int)

    def work(self):
        """``IPVT, QTF, WA1, WA2, WA3, WA4``."""
        return (self.ipvt, _ptr(self.qtf), *map(_ptr, self.wa))


@_through_oracle
def lmdif(lib, func, x0, m, args=(), *, ftol, xtol, gtol, maxfev, epsfcn, factor=100.0):
    """Call ``lmdif`` with ``mode = 1`` (internal scaling) and ``nprint = 0``.

    Parameters
    ----------
    lib : Oracle
        The library, from :func:`load` (called through it as ``ctypes.CDLL``).
    func : callable
        ``func(x, *args)`` returning the `m` residuals.
    x0 : array_like, shape (n,)
        The starting point.
    m : int
        Number of residuals.
    args : tuple, optional
        Extra arguments of `func`.
    ftol, xtol, gtol, maxfev, epsfcn, factor
        ``lmdif``'s arguments of the same names.

    Returns
    -------
    Result
    """
    w = _Workspace(x0, m)
    callback = _Callback(func, None, args)
    fcn = _LMDIF_FCN(callback.lmdif_fcn)
    # lmdif(fcn, m, n, x, fvec, ftol, xtol, gtol, maxfev, epsfcn, diag, mode, factor, nprint,
    #       info, nfev, fjac, ldfjac, ipvt, qtf, wa1, wa2, wa3, wa4)
    lib.lmdif_(
        fcn,
        *w.problem(),
        *_tolerances(ftol, xtol, gtol, maxfev),
        _ref(epsfcn, ctypes.c_double),
        *w.scaling(factor),
        ctypes.byref(w.info),
        ctypes.byref(w.nfev),
        *w.jacobian(),
        *w.work(),
    )
    callback.reraise()
    return Result(w.x, w.fvec, w.info.value, w.nfev.value)


@_through_oracle
def lmder(lib, func, jac, x0, m, args=(), *, ftol, xtol, gtol, maxfev, factor=100.0):
    """Call ``lmder`` with ``mode = 1`` (internal scaling) and ``nprint = 0``.

    Parameters as for :func:`lmdif`, less `epsfcn`, plus `jac`:
    ``jac(x, *args)`` returning the Jacobian, shape ``(m, n)``. Returns a
    :class:`Result` with `njev` set.
    """
    w = _Workspace(x0, m)
    callback = _Callback(func, jac, args)
    fcn = _LMDER_FCN(callback.lmder_fcn)
    # lmder(fcn, m, n, x, fvec, fjac, ldfjac, ftol, xtol, gtol, maxfev, diag, mode, factor, nprint,
    #       info, nfev, njev, ipvt, qtf, wa1, wa2, wa3, wa4)
    lib.lmder_(
        fcn,
        *w.problem(),
        *w.jacobian(),
        *_tolerances(ftol, xtol, gtol, maxfev),
        *w.scaling(factor),
        ctypes.byref(w.info),
        ctypes.byref(w.nfev),
        ctypes.byref(w.njev),
        *w.work(),
    )
    callback.reraise()
    return Result(w.x, w.fvec, w.info.value, w.nfev.value, w.njev.value)


# hybrd, hybrj and lmstr: what fsolve/root (Powell's hybrid method) and a
# row-by-row least-squares solver will be checked against.

# subroutine fcn(n, x, fvec, iflag)
_HYBRD_FCN = ctypes.CFUNCTYPE(None, _int_p, _double_p, _double_p, _int_p)
# subroutine fcn(n, x, fvec, fjac, ldfjac, iflag)
_HYBRJ_FCN = ctypes.CFUNCTYPE(None, _int_p, _double_p, _double_p, _double_p, _int_p, _int_p)
# subroutine fcn(m, n, x, fvec, fjrow, iflag)
_LMSTR_FCN = ctypes.CFUNCTYPE(None, _int_p, _int_p, _double_p, _double_p, _double_p, _int_p)


@dataclass
class HybridResult:
    """What ``hybrd``/``hybrj`` return.

    Attributes
    ----------
    x, fvec : ndarray, shape (n,)
        The final estimate and the functions there.
    info : int
        MINPACK's exit code, 0 to 5.
    nfev : int
        MINPACK's ``nfev``: all calls of fcn for ``hybrd`` (the
        forward-difference Jacobians' included), calls with ``iflag = 1`` for
        ``hybrj``.
    njev : int or None
        ``hybrj``'s ``njev`` (calls with ``iflag = 2``); None for ``hybrd``.
    fjac : ndarray, shape (n, n)
        The orthogonal matrix Q of the QR factorisation of the final
        approximate Jacobian, ``fjac[i, j]`` being ``FJAC(i+1, j+1)``.
    r : ndarray, shape (n (n + 1) / 2,)
        Its upper triangular R, packed by rows.
    qtf : ndarray, shape (n,)
        ``Q^T fvec``.
    diag : ndarray, shape (n,)
        The scaling: as given with ``mode = 2``, MINPACK's own with ``mode = 1``.
    """

    x: np.ndarray
    fvec: np.ndarray
    info: int
    nfev: int
    njev: int | None
    fjac: np.ndarray
    r: np.ndarray
    qtf: np.ndarray
    diag: np.ndarray


@dataclass
class LmstrResult:
    """What ``lmstr`` returns.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The final estimate.
    fvec : ndarray, shape (m,)
        The residuals at `x`.
    info : int
        MINPACK's exit code, 0 to 8.
    nfev, njev : int
        MINPACK's ``nfev`` (calls with ``iflag = 1``) and ``njev`` (whole
        Jacobians, each asked for row by row with ``iflag = 2, ..., m + 1``).
    fjac : ndarray, shape (n, n)
        Upper triangle: R with ``P^T (J^T J) P = R^T R``; ``fjac[i, j]`` is
        ``FJAC(i+1, j+1)``.
    ipvt : ndarray of int, shape (n,)
        The permutation P, as MINPACK's 1-based column numbers.
    qtf : ndarray, shape (n,)
        The first n elements of ``Q^T fvec``.
    diag : ndarray, shape (n,)
        The scaling: as given with ``mode = 2``, MINPACK's own with ``mode = 1``.
    """

    x: np.ndarray
    fvec: np.ndarray
    info: int
    nfev: int
    njev: int
    fjac: np.ndarray
    ipvt: np.ndarray
    qtf: np.ndarray
    diag: np.ndarray


def _subroutine(lib, name):
    """The Fortran subroutine `name` of `lib`, returning nothing."""
    routine = getattr(lib, name)
    routine.restype = None
    return routine


def _scaling(diag, n, factor):
    """``DIAG, MODE, FACTOR, NPRINT`` with ``NPRINT = 0``, and the DIAG array.

    `diag` None is ``MODE = 1`` (MINPACK scales internally and returns its
    scaling in DIAG); an array is ``MODE = 2`` with that scaling.
    """
    mode = 1 if diag is None else 2
    array = np.zeros(n) if diag is None else np.array(diag, dtype=float)
    return array, (_ptr(array), _ref(mode, ctypes.c_int), _ref(factor, ctypes.c_double), _ref(0, ctypes.c_int))


class _HybridWorkspace:
    """The arrays and counters that ``hybrd`` and ``hybrj`` both take."""

    def __init__(self, x0):
        self.x = np.array(x0, dtype=float)
        self.n = n = len(self.x)
        self.fvec, self.qtf = np.zeros(n), np.zeros(n)
        self.fjac = np.zeros((n, n), order="F")
        self.r = np.zeros(n * (n + 1) // 2)
        self.wa = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
        self.info, self.nfev, self.njev = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)

    def triangle(self):
        """``R, LR, QTF, WA1, WA2, WA3, WA4``."""
        return (_ptr(self.r), _ref(len(self.r), ctypes.c_int), _ptr(self.qtf), *map(_ptr, self.wa))

    def result(self, njev, diag):
        return HybridResult(
            self.x, self.fvec, self.info.value, self.nfev.value, njev, self.fjac, self.r, self.qtf, diag
        )


@_through_oracle
def hybrd(lib, func, x0, args=(), *, xtol, maxfev, ml=None, mu=None, epsfcn=0.0, diag=None, factor=100.0):
    """Call ``hybrd`` with ``nprint = 0``.

    Parameters
    ----------
    lib : ctypes.CDLL
        The library, from :func:`load`.
    func : callable
        ``func(x, *args)`` returning the n function values.
    x0 : array_like, shape (n,)
        The starting point.
    args : tuple, optional
        Extra arguments of `func`.
    xtol, maxfev, epsfcn, factor
        ``hybrd``'s arguments of the same names.
    ml, mu : int, optional
        The Jacobian's lower and upper bandwidths; None is ``n - 1`` (full).
    diag : array_like, shape (n,), optional
        The scaling, with ``mode = 2``; None is ``mode = 1`` (internal).

    Returns
    -------
    HybridResult
    """
    w = _HybridWorkspace(x0)
    n = w.n
    callback = _Callback(func, None, args)
    fcn = _HYBRD_FCN(lambda n_p, x_p, fvec_p, iflag_p: callback._call(n_p[0], n_p[0], x_p, fvec_p, None, 0, iflag_p))
    diag, scaling = _scaling(diag, n, factor)
    band = (n - 1 if ml is None else ml, n - 1 if mu is None else mu)
    # hybrd(fcn, n, x, fvec, xtol, maxfev, ml, mu, epsfcn, diag, mode, factor, nprint,
    #       info, nfev, fjac, ldfjac, r, lr, qtf, wa1, wa2, wa3, wa4)
    _subroutine(lib, "hybrd_")(
        fcn,
        _ref(n, ctypes.c_int),
        _ptr(w.x),
        _ptr(w.fvec),
        _ref(xtol, ctypes.c_double),
        _ref(maxfev, ctypes.c_int),
        *(_ref(width, ctypes.c_int) for width in band),
        _ref(epsfcn, ctypes.c_double),
        *scaling,
        ctypes.byref(w.info),
        ctypes.byref(w.nfev),
        _ptr(w.fjac),
        _ref(n, ctypes.c_int),
        *w.triangle(),
    )
    callback.reraise()
    return w.result(None, diag)


@_through_oracle
def hybrj(lib, func, jac, x0, args=(), *, xtol, maxfev, diag=None, factor=100.0):
    """Call ``hybrj`` with ``nprint = 0``.

    Parameters as for :func:`hybrd`, less `ml`, `mu` and `epsfcn`, plus
    `jac`: ``jac(x, *args)`` returning the Jacobian, shape ``(n, n)``, one
    row per function. Returns a :class:`HybridResult` with `njev` set.
    """
    w = _HybridWorkspace(x0)
    n = w.n
    callback = _Callback(func, jac, args)
    fcn = _HYBRJ_FCN(
        lambda n_p, x_p, fvec_p, fjac_p, ldfjac_p, iflag_p: callback._call(
            n_p[0], n_p[0], x_p, fvec_p, fjac_p, ldfjac_p[0], iflag_p
        )
    )
    diag, scaling = _scaling(diag, n, factor)
    # hybrj(fcn, n, x, fvec, fjac, ldfjac, xtol, maxfev, diag, mode, factor, nprint,
    #       info, nfev, njev, r, lr, qtf, wa1, wa2, wa3, wa4)
    _subroutine(lib, "hybrj_")(
        fcn,
        _ref(n, ctypes.c_int),
        _ptr(w.x),
        _ptr(w.fvec),
        _ptr(w.fjac),
        _ref(n, ctypes.c_int),
        _ref(xtol, ctypes.c_double),
        _ref(maxfev, ctypes.c_int),
        *scaling,
        ctypes.byref(w.info),
        ctypes.byref(w.nfev),
        ctypes.byref(w.njev),
        *w.triangle(),
    )
    callback.reraise()
    return w.result(w.njev.value, diag)


class _RowCallback:
    """A residual function and a Jacobian-row function as ``lmstr``'s ``fcn``.

    ``iflag = 1`` asks for the residuals, ``iflag = i + 2`` for row i
    (0-based) of the Jacobian; an exception is kept and re-raised as in
    :class:`_Callback`.
    """

    def __init__(self, func, jac_row, args):
        self.func, self.jac_row, self.args = func, jac_row, args
        self.error = None

    def fcn(self, m_p, n_p, x_p, fvec_p, fjrow_p, iflag_p):
        m, n, iflag = m_p[0], n_p[0], iflag_p[0]
        try:
            x = np.ctypeslib.as_array(x_p, shape=(n,)).copy()
            if iflag == 1:
                np.ctypeslib.as_array(fvec_p, shape=(m,))[:] = self.func(x, *self.args)
            else:
                np.ctypeslib.as_array(fjrow_p, shape=(n,))[:] = self.jac_row(x, iflag - 2, *self.args)
        except BaseException as error:
            self.error = error
            iflag_p[0] = -1

    def reraise(self):
        if self.error is not None:
            raise self.error


@_through_oracle
def lmstr(lib, func, jac_row, x0, m, args=(), *, ftol, xtol, gtol, maxfev, diag=None, factor=100.0):
    """Call ``lmstr`` with ``nprint = 0``.

    Parameters
    ----------
    lib : ctypes.CDLL
        The library, from :func:`load`.
    func : callable
        ``func(x, *args)`` returning the `m` residuals.
    jac_row : callable
        ``jac_row(x, i, *args)`` returning row `i` (0-based) of the Jacobian,
        shape ``(n,)``. lmstr asks for the rows in order, 0 to m - 1, at the
        same `x`.
    x0 : array_like, shape (n,)
        The starting point.
    m : int
        Number of residuals.
    args : tuple, optional
        Extra arguments of `func` and `jac_row`.
    ftol, xtol, gtol, maxfev, factor
        ``lmstr``'s arguments of the same names.
    diag : array_like, shape (n,), optional
        The scaling, with ``mode = 2``; None is ``mode = 1`` (internal).

    Returns
    -------
    LmstrResult
    """
    x = np.array(x0, dtype=float)
    n = len(x)
    fvec, qtf, fjac = np.zeros(m), np.zeros(n), np.zeros((n, n), order="F")
    ipvt = np.zeros(n, dtype=np.intc)
    wa = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(m)
    info, nfev, njev = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
    callback = _RowCallback(func, jac_row, args)
    fcn = _LMSTR_FCN(callback.fcn)
    diag, scaling = _scaling(diag, n, factor)
    # lmstr(fcn, m, n, x, fvec, fjac, ldfjac, ftol, xtol, gtol, maxfev, diag, mode, factor, nprint,
    #       info, nfev, njev, ipvt, qtf, wa1, wa2, wa3, wa4)
    _subroutine(lib, "lmstr_")(
        fcn,
        _ref(m, ctypes.c_int),
        _ref(n, ctypes.c_int),
        _ptr(x),
        _ptr(fvec),
        _ptr(fjac),
        _ref(n, ctypes.c_int),
        *_tolerances(ftol, xtol, gtol, maxfev),
        *scaling,
        ctypes.byref(info),
        ctypes.byref(nfev),
        ctypes.byref(njev),
        ipvt.ctypes.data_as(_int_p),
        _ptr(qtf),
        *map(_ptr, wa),
    )
    callback.reraise()
    return LmstrResult(x, fvec, info.value, nfev.value, njev.value, fjac, ipvt, qtf, diag)


@_through_oracle
def enorm(lib, v):
    """MINPACK's ``enorm``: the Euclidean norm of `v`, as the drivers compute it."""
    v = np.ascontiguousarray(v, dtype=float)
    routine = lib.enorm_
    routine.restype = ctypes.c_double
    return routine(_ref(len(v), ctypes.c_int), _ptr(v))


#: The results a recording may hold, by name (see :func:`_decode_result`).
_RESULT_TYPES = {cls.__name__: cls for cls in (Result, HybridResult, LmstrResult)}
