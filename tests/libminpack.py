"""ctypes access to ``lmdif`` and ``lmder`` of Debian's libminpack1.

Debian's ``libminpack1`` is netlib MINPACK compiled by gfortran, so it serves
as an independent oracle for pyminpack: same Fortran, different build and a
different way of calling it. The routines use the Fortran calling convention
(every argument by reference, arrays in column order, trailing underscore on
the symbol) and take no character arguments, so no hidden lengths are passed.

:func:`load` returns ``None`` when the library is not installed.
:func:`leastsq_oracle` calls the routine that ``leastsq`` calls, with
``leastsq``'s defaults spelt out. :meth:`Result.covariance` is the oracle for ``cov_x``: the covariance that
MINPACK's ``fjac`` and ``ipvt`` imply, computed exactly.
"""

import ctypes
import ctypes.util
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest

#: scipy.optimize.leastsq's defaults (pyminpack's), as MINPACK needs them spelt out.
LEASTSQ_DEFAULTS = {"ftol": 1.49012e-08, "xtol": 1.49012e-08, "gtol": 0.0, "factor": 100.0}

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


def lmdif(lib, func, x0, m, args=(), *, ftol, xtol, gtol, maxfev, epsfcn, factor=100.0, diag=None, nprint=0):
    """Call ``lmdif``.

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
