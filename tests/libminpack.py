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

:func:`leastsq_oracle` calls the routine that ``leastsq`` calls, with
``leastsq``'s defaults spelt out. :meth:`Result.covariance` is the oracle
for ``cov_x``: the covariance that MINPACK's ``fjac`` and ``ipvt`` imply,
computed exactly.
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
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

#: scipy.optimize.leastsq's defaults (pyminpack's), as MINPACK needs them spelt out.
LEASTSQ_DEFAULTS = {"ftol": 1.49012e-08, "xtol": 1.49012e-08, "gtol": 0.0, "factor": 100.0}

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
    fjac : ndarray, shape (n, m)
        ``FJAC`` on return, seen as its transpose (row ``j`` is the Fortran's
        column ``j``): ``R`` of ``J P = Q R`` in its upper triangle, with the
        Householder vectors below it.
    ipvt : ndarray of int, shape (n,)
        The column permutation ``P``, 1-based as MINPACK returns it.
    qtf : ndarray, shape (n,)
        The first ``n`` entries of ``Q.T @ fvec``.
    diag : ndarray, shape (n,)
        ``DIAG`` on return: the scaling MINPACK chose (``mode = 1``) or the
        one it was given (``mode = 2``).
    reports : list of (ndarray, ndarray)
        Copies of ``x`` and ``fvec`` at each call with ``iflag = 0`` (the
        progress reports that ``nprint > 0`` asks for).
    """

    x: np.ndarray
    fvec: np.ndarray
    info: int
    nfev: int
    njev: int | None
    fjac: np.ndarray
    ipvt: np.ndarray
    qtf: np.ndarray
    diag: np.ndarray
    reports: list

    def covariance(self):
        """``inv(J.T @ J)`` as MINPACK's ``R`` and ``P`` imply it, exactly, rounded once to float64.

        ``J P = Q R``, so ``inv(J.T J) = P inv(R) inv(R).T P.T``. The
        inverse of ``R`` (upper triangular: the Fortran's ``FJAC(i, j)``,
        ``i <= j``) is formed by back substitution in rational arithmetic,
        with no rounding at all, and each entry of the product is rounded to
        the nearest float64 only at the end: an answer that any floating-point
        computation of the same formula can be measured against.

        Returns
        -------
        ndarray, shape (n, n), or None
            None when ``R`` has a zero on its diagonal (singular).
        """
        n = len(self.ipvt)
        r = [[Fraction(v) for v in row] for row in self.fjac[:, :n].T.tolist()]
        if any(r[j][j] == 0 for j in range(n)):
            return None
        inv_r = [[Fraction(0)] * n for _ in range(n)]
        for j in range(n):
            inv_r[j][j] = 1 / r[j][j]
            for i in range(j - 1, -1, -1):
                inv_r[i][j] = -sum((r[i][k] * inv_r[k][j] for k in range(i + 1, j + 1)), Fraction(0)) / r[i][i]
        covariance = np.empty((n, n))
        p = self.ipvt - 1  # column j of P is column ipvt[j] of the identity
        for a in range(n):
            for b in range(n):
                exact = sum((inv_r[a][j] * inv_r[b][j] for j in range(max(a, b), n)), Fraction(0))
                covariance[p[a], p[b]] = float(exact)
        return covariance


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
    """A routine's result from :func:`_encode_result`: the dataclass, or the float.

    Its arrays come back as arrays, a field typed ``list`` (``Result.reports``)
    as a list of tuples of arrays.
    """
    if not isinstance(encoded, dict):
        return _decode(encoded)
    cls = _RESULT_TYPES[encoded["type"]]
    values = {}
    for field in fields(cls):
        value = _decode(encoded[field.name])
        if field.type is list:
            value = [tuple(np.array(part) for part in item) for item in value]
        elif isinstance(value, list):
            value = np.array(value)
        values[field.name] = value
    return cls(**values)


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
        self.reports = []

    def _call(self, m, n, x_p, fvec_p, fjac_p, ldfjac, iflag_p):
        try:
            x = np.ctypeslib.as_array(x_p, shape=(n,)).copy()
            if iflag_p[0] == 0:  # a progress report: nothing to compute
                self.reports.append((x, np.ctypeslib.as_array(fvec_p, shape=(m,)).copy()))
            elif iflag_p[0] == 2 and fjac_p is not None:
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

    def __init__(self, x0, m, diag):
        self.x = np.array(x0, dtype=float)
        self.m = m
        self.n = n = len(self.x)
        self.fvec, self.fjac = np.zeros(m), np.zeros((n, m))
        # MODE 1 when no diag is given: MINPACK fills DIAG itself.
        self.mode = 1 if diag is None else 2
        self.diag = np.zeros(n) if diag is None else np.array(diag, dtype=float)
        self.qtf = np.zeros(n)
        self.wa = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(m)
        self.ipvt = (ctypes.c_int * n)()
        self.info, self.nfev, self.njev = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)

    def problem(self):
        """``M, N, X, FVEC``."""
        return _ref(self.m, ctypes.c_int), _ref(self.n, ctypes.c_int), _ptr(self.x), _ptr(self.fvec)

    def jacobian(self):
        """``FJAC, LDFJAC``."""
        return _ptr(self.fjac), _ref(self.m, ctypes.c_int)

    def scaling(self, factor, nprint):
        """``DIAG, MODE, FACTOR, NPRINT``."""
        return _ptr(self.diag), _ref(self.mode, ctypes.c_int), _ref(factor, ctypes.c_double), _ref(nprint, ctypes.c_int)

    def work(self):
        """``IPVT, QTF, WA1, WA2, WA3, WA4``."""
        return (self.ipvt, _ptr(self.qtf), *map(_ptr, self.wa))

    def result(self, callback, njev):
        """The :class:`Result` once MINPACK has returned."""
        callback.reraise()
        ipvt = np.array(self.ipvt[:], dtype=int)
        return Result(
            self.x, self.fvec, self.info.value, self.nfev.value, njev,
            self.fjac, ipvt, self.qtf, self.diag, callback.reports,
        )  # fmt: skip


@_through_oracle
def lmdif(lib, func, x0, m, args=(), *, ftol, xtol, gtol, maxfev, epsfcn, factor=100.0, diag=None, nprint=0):
    """Call ``lmdif``.

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
    ftol, xtol, gtol, maxfev, epsfcn, factor, nprint
        ``lmdif``'s arguments of the same names.
    diag : array_like, shape (n,), optional
        ``DIAG`` with ``MODE = 2``; None for ``MODE = 1`` (internal scaling).

    Returns
    -------
    Result
    """
    w = _Workspace(x0, m, diag)
    callback = _Callback(func, None, args)
    fcn = _LMDIF_FCN(callback.lmdif_fcn)
    # lmdif(fcn, m, n, x, fvec, ftol, xtol, gtol, maxfev, epsfcn, diag, mode, factor, nprint,
    #       info, nfev, fjac, ldfjac, ipvt, qtf, wa1, wa2, wa3, wa4)
    lib.lmdif_(
        fcn,
        *w.problem(),
        *_tolerances(ftol, xtol, gtol, maxfev),
        _ref(epsfcn, ctypes.c_double),
        *w.scaling(factor, nprint),
        ctypes.byref(w.info),
        ctypes.byref(w.nfev),
        *w.jacobian(),
        *w.work(),
    )
    return w.result(callback, None)


@_through_oracle
def lmder(lib, func, jac, x0, m, args=(), *, ftol, xtol, gtol, maxfev, factor=100.0, diag=None, nprint=0):
    """Call ``lmder``.

    Parameters as for :func:`lmdif`, less `epsfcn`, plus `jac`:
    ``jac(x, *args)`` returning the Jacobian, shape ``(m, n)``. Returns a
    :class:`Result` with `njev` set.
    """
    w = _Workspace(x0, m, diag)
    callback = _Callback(func, jac, args)
    fcn = _LMDER_FCN(callback.lmder_fcn)
    # lmder(fcn, m, n, x, fvec, fjac, ldfjac, ftol, xtol, gtol, maxfev, diag, mode, factor, nprint,
    #       info, nfev, njev, ipvt, qtf, wa1, wa2, wa3, wa4)
    lib.lmder_(
        fcn,
        *w.problem(),
        *w.jacobian(),
        *_tolerances(ftol, xtol, gtol, maxfev),
        *w.scaling(factor, nprint),
        ctypes.byref(w.info),
        ctypes.byref(w.nfev),
        ctypes.byref(w.njev),
        *w.work(),
    )
    return w.result(callback, w.njev.value)


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
    reports : list of (ndarray, ndarray)
        Copies of ``x`` and ``fvec`` at each call with ``iflag = 0`` (``nprint > 0``).
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
    reports: list


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
    (0-based) of the Jacobian, ``iflag = 0`` reports progress (kept in
    ``reports``); an exception is kept and re-raised as in
    :class:`_Callback`.
    """

    def __init__(self, func, jac_row, args):
        self.func, self.jac_row, self.args = func, jac_row, args
        self.error = None
        self.reports = []

    def fcn(self, m_p, n_p, x_p, fvec_p, fjrow_p, iflag_p):
        m, n, iflag = m_p[0], n_p[0], iflag_p[0]
        try:
            x = np.ctypeslib.as_array(x_p, shape=(n,)).copy()
            if iflag == 0:
                self.reports.append((x, np.ctypeslib.as_array(fvec_p, shape=(m,)).copy()))
            elif iflag == 1:
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
def lmstr(lib, func, jac_row, x0, m, args=(), *, ftol, xtol, gtol, maxfev, diag=None, factor=100.0, nprint=0):
    """Call ``lmstr``.

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
    ftol, xtol, gtol, maxfev, factor, nprint
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
    diag, (*scaling, _) = _scaling(diag, n, factor)
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
        _ref(nprint, ctypes.c_int),
        ctypes.byref(info),
        ctypes.byref(nfev),
        ctypes.byref(njev),
        ipvt.ctypes.data_as(_int_p),
        _ptr(qtf),
        *map(_ptr, wa),
    )
    callback.reraise()
    return LmstrResult(x, fvec, info.value, nfev.value, njev.value, fjac, ipvt, qtf, diag, callback.reports)


@_through_oracle
def enorm(lib, v):
    """MINPACK's ``enorm``: the Euclidean norm of `v`, as the drivers compute it."""
    v = np.ascontiguousarray(v, dtype=float)
    routine = lib.enorm_
    routine.restype = ctypes.c_double
    return routine(_ref(len(v), ctypes.c_int), _ptr(v))


def leastsq_oracle(lib, func, x0, m, args=(), jac=None, *, maxfev=0, epsfcn=None, **settings):
    """What ``leastsq(func, x0, args, Dfun=jac, ...)`` must return: ``lmder`` with `jac`, else ``lmdif``.

    Settings not given are ``leastsq``'s defaults: :data:`LEASTSQ_DEFAULTS`,
    ``maxfev=0`` meaning ``100 (n + 1)`` with `jac` and ``200 (n + 1)``
    without, ``epsfcn=None`` meaning the machine epsilon of float64 (it only
    reaches ``lmdif``). `settings` may also hold `diag` and `nprint`.
    """
    settings = {**LEASTSQ_DEFAULTS, **settings}
    n = len(x0)
    if jac is not None:
        return lmder(lib, func, jac, x0, m, args, maxfev=maxfev or 100 * (n + 1), **settings)
    epsfcn = float(np.finfo(np.float64).eps) if epsfcn is None else epsfcn
    return lmdif(lib, func, x0, m, args, maxfev=maxfev or 200 * (n + 1), epsfcn=epsfcn, **settings)


def assert_same_bits(actual, expected):
    """Float arrays of the same shape, equal bit for bit (``-0.0 != 0.0``), shown as hex if not."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    assert [v.hex() for v in actual.ravel().tolist()] == [v.hex() for v in expected.ravel().tolist()]


def covariance_oracle(result):
    """``cov_x`` as ``leastsq`` must return it for `result`, and how closely.

    Returns
    -------
    covariance : ndarray or None
        :meth:`Result.covariance` when MINPACK converged (INFO 1 to 4), else
        None (as it is for a singular ``R``).
    atol : float or None
        The rounding errors a floating-point computation of it is allowed:
        a few ``n eps cond(R)`` relative to its largest entry, the forward
        error of inverting a triangular matrix (Higham, *Accuracy and
        Stability of Numerical Algorithms*, chapter 14), plus a few ``eps``
        for scaling it afterwards (``curve_fit``'s ``pcov``, ``fit_many``'s
        standard errors).
    """
    covariance = result.covariance() if result.info in (1, 2, 3, 4) else None
    if covariance is None:
        return None, None
    n = len(result.ipvt)
    cond = np.linalg.cond(np.triu(result.fjac[:, :n].T))
    return covariance, (4 * n * cond + 8) * np.finfo(np.float64).eps * np.abs(covariance).max()


def assert_outputs_match(x, infodict, ier, expected):
    """``leastsq``'s ``x``, ``infodict`` and ``ier`` are what libminpack returned, bit for bit.

    The counts, ``ier``, ``x`` and ``infodict``'s ``fvec``, ``fjac``,
    ``ipvt`` (0-based: MINPACK's less one) and ``qtf``.
    """
    assert (infodict["nfev"], infodict.get("njev"), ier) == (expected.nfev, expected.njev, expected.info)
    assert set(infodict) == {"nfev", "fvec", "fjac", "ipvt", "qtf"} | ({"njev"} if expected.njev is not None else set())
    assert_same_bits(x, expected.x)
    for key in ("fvec", "fjac", "qtf"):
        assert_same_bits(infodict[key], getattr(expected, key))
    assert infodict["ipvt"].tolist() == (expected.ipvt - 1).tolist()


def assert_leastsq_matches(output, expected, *, check_cov_x=True):
    """``leastsq``'s full output is what libminpack returned.

    :func:`assert_outputs_match`, and ``cov_x`` as :func:`covariance_oracle`
    says (unless not `check_cov_x`: the oracle is slow for large ``n``).
    """
    x, cov_x, infodict, _mesg, ier = output
    assert_outputs_match(x, infodict, ier, expected)
    if not check_cov_x:
        return
    covariance, atol = covariance_oracle(expected)
    if covariance is None:
        assert cov_x is None
    else:
        np.testing.assert_allclose(cov_x, covariance, rtol=0, atol=atol)


def load_or_skip():
    """:func:`load`, or skip the calling test module when libminpack1 is not installed."""
    lib = load()
    if lib is None:
        pytest.skip(
            "Debian's libminpack1 (libminpack.so.1, the oracle) is not installed: apt-get install libminpack1",
            allow_module_level=True,
        )
    return lib


#: The results a recording may hold, by name (see :func:`_decode_result`).
_RESULT_TYPES = {cls.__name__: cls for cls in (Result, HybridResult, LmstrResult)}
