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
    x = np.array(x0, dtype=float)
    n = len(x)
    fvec, fjac = np.zeros(m), np.zeros((n, m))
    diag, qtf = np.zeros(n), np.zeros(n)
    wa1, wa2, wa3, wa4 = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(m)
    ipvt = (ctypes.c_int * n)()
    info, nfev = ctypes.c_int(0), ctypes.c_int(0)
    callback = _Callback(func, None, args)
    fcn = _LMDIF_FCN(callback.lmdif_fcn)
    lib.lmdif_(
        fcn,
        _ref(m, ctypes.c_int),
        _ref(n, ctypes.c_int),
        _ptr(x),
        _ptr(fvec),
        _ref(ftol, ctypes.c_double),
        _ref(xtol, ctypes.c_double),
        _ref(gtol, ctypes.c_double),
        _ref(maxfev, ctypes.c_int),
        _ref(epsfcn, ctypes.c_double),
        _ptr(diag),
        _ref(1, ctypes.c_int),
        _ref(factor, ctypes.c_double),
        _ref(0, ctypes.c_int),
        ctypes.byref(info),
        ctypes.byref(nfev),
        _ptr(fjac),
        _ref(m, ctypes.c_int),
        ipvt,
        _ptr(qtf),
        _ptr(wa1),
        _ptr(wa2),
        _ptr(wa3),
        _ptr(wa4),
    )
    callback.reraise()
    return Result(x, fvec, info.value, nfev.value)


def lmder(lib, func, jac, x0, m, args=(), *, ftol, xtol, gtol, maxfev, factor=100.0):
    """Call ``lmder`` with ``mode = 1`` (internal scaling) and ``nprint = 0``.

    Parameters
    ----------
    lib : ctypes.CDLL
        The library, from :func:`load`.
    func : callable
        ``func(x, *args)`` returning the `m` residuals.
    jac : callable
        ``jac(x, *args)`` returning the Jacobian, shape ``(m, n)``.
    x0 : array_like, shape (n,)
        The starting point.
    m : int
        Number of residuals.
    args : tuple, optional
        Extra arguments of `func` and `jac`.
    ftol, xtol, gtol, maxfev, factor
        ``lmder``'s arguments of the same names.

    Returns
    -------
    Result
    """
    x = np.array(x0, dtype=float)
    n = len(x)
    fvec, fjac = np.zeros(m), np.zeros((n, m))
    diag, qtf = np.zeros(n), np.zeros(n)
    wa1, wa2, wa3, wa4 = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(m)
    ipvt = (ctypes.c_int * n)()
    info, nfev, njev = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
    callback = _Callback(func, jac, args)
    fcn = _LMDER_FCN(callback.lmder_fcn)
    lib.lmder_(
        fcn,
        _ref(m, ctypes.c_int),
        _ref(n, ctypes.c_int),
        _ptr(x),
        _ptr(fvec),
        _ptr(fjac),
        _ref(m, ctypes.c_int),
        _ref(ftol, ctypes.c_double),
        _ref(xtol, ctypes.c_double),
        _ref(gtol, ctypes.c_double),
        _ref(maxfev, ctypes.c_int),
        _ptr(diag),
        _ref(1, ctypes.c_int),
        _ref(factor, ctypes.c_double),
        _ref(0, ctypes.c_int),
        ctypes.byref(info),
        ctypes.byref(nfev),
        ctypes.byref(njev),
        ipvt,
        _ptr(qtf),
        _ptr(wa1),
        _ptr(wa2),
        _ptr(wa3),
        _ptr(wa4),
    )
    callback.reraise()
    return Result(x, fvec, info.value, nfev.value, njev.value)
