"""ctypes access to ``lmdif`` and ``lmder`` of Debian's libminpack1.

Debian's ``libminpack1`` is netlib MINPACK compiled by gfortran, so it serves
as an independent oracle for pyminpack: same Fortran, different build and a
different way of calling it. The routines use the Fortran calling convention
(every argument by reference, arrays in column order, trailing underscore on
the symbol) and take no character arguments, so no hidden lengths are passed.

:func:`load` returns ``None`` when the library is not installed.
"""

import ctypes
import ctypes.util
from dataclasses import dataclass

import numpy as np

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


def load():
    """Load libminpack1.

    Returns
    -------
    ctypes.CDLL or None
        The library, or None if it is not installed.
    """
    name = ctypes.util.find_library("minpack")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.lmdif_.restype = lib.lmder_.restype = None  # subroutines
    return lib


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


def lmdif(lib, func, x0, m, args=(), *, ftol, xtol, gtol, maxfev, epsfcn, factor=100.0):
    """Call ``lmdif`` with ``mode = 1`` (internal scaling) and ``nprint = 0``.

    Parameters
    ----------
    lib : ctypes.CDLL
        The library, from :func:`load`.
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
