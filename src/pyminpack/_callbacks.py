"""The Python callables that MINPACK calls back, one evaluation at a time.

f2py hands each callback MINPACK's own work arrays as writable views
(``x``, ``fvec`` and, for ``lmder``, ``fjac``) plus ``iflag``.  The callback
calls the user's function on a *copy* of ``x`` (so that the user can neither
change MINPACK's iterate in place nor keep a view of memory that MINPACK
reuses), writes the result into the work array, and returns ``iflag``.

No exception ever leaves a callback: it would reach f2py, which prints to
stderr and longjmps out of the Fortran.  Instead the exception is stored and
the callback returns a negative ``iflag``, MINPACK's documented way for the
user to stop the solve; the driver re-raises the stored exception unchanged
once MINPACK has returned.  This is also what stops a solve promptly on
``KeyboardInterrupt``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from ._validation import real_output

_FLOAT64 = np.dtype(np.float64)
_SIZE_CHANGED = "The array returned by a function changed size between calls"

#: ``iflag`` value a callback returns to make MINPACK stop.
STOP = -1


class LmdifCallback(Protocol):
    """Signature f2py calls for ``lmdif``: fill ``fvec``, return ``iflag``."""

    def __call__(self, x: NDArray[np.float64], fvec: NDArray[np.float64], iflag: int) -> int: ...


class LmderCallback(Protocol):
    """Signature f2py calls for ``lmder``: fill ``fvec`` (iflag 1) or ``fjac`` (2)."""

    def __call__(
        self, x: NDArray[np.float64], fvec: NDArray[np.float64], fjac: NDArray[np.float64], iflag: int
    ) -> int: ...


def _residuals(func: Callable[..., Any], value: object, m: int) -> NDArray[Any]:
    """Check a residual vector that is not already a float64 array of shape (m,)."""
    array = real_output("leastsq", "func", func, value)
    if array.ndim != 1:
        raise TypeError(
            f"leastsq: the 'func' argument {getattr(func, '__name__', func)!r} must return a "
            f"1-D array of residuals; it returned an array of shape {array.shape}."
        )
    if array.shape[0] != m:
        raise ValueError(_SIZE_CHANGED)
    return array


def _jacobian(func: Callable[..., Any], value: object, rows: int, cols: int) -> NDArray[Any]:
    """Check a Jacobian and return it as a ``rows`` by ``cols`` array.

    As in SciPy, any array of at most two dimensions with ``rows * cols``
    elements is read in row-major order; the first call's shape was checked
    more strictly before the solve.
    """
    array = real_output("leastsq", "Dfun", func, value)
    if array.ndim > 2 or array.size != rows * cols:
        raise ValueError(_SIZE_CHANGED)
    return array.reshape(rows, cols)


def lmdif_callback(func: Callable[..., Any], args: tuple[Any, ...], m: int, errors: list[BaseException]) -> LmdifCallback:
    """Wrap ``func(x, *args)`` as the residual callback of ``lmdif``.

    Parameters
    ----------
    func : callable
        The user's residual function.
    args : tuple
        Its extra arguments.
    m : int
        The number of residuals it returned on the checking call.
    errors : list
        Receives the exception that stopped the solve, if any.

    Returns
    -------
    callable
        ``fcn(x, fvec, iflag) -> iflag`` for the f2py wrapper of ``lmdif``.
    """
    shape = (m,)

    def fcn(x: NDArray[np.float64], fvec: NDArray[np.float64], iflag: int) -> int:
        try:
            out = func(x.copy(), *args)
            if type(out) is not np.ndarray or out.dtype is not _FLOAT64 or out.shape != shape:
                out = _residuals(func, out, m)
            fvec[:] = out
        except BaseException as exc:  # every exception, KeyboardInterrupt included, stops MINPACK
            errors.append(exc)
            return STOP
        return iflag

    return fcn


def lmder_callback(
    func: Callable[..., Any],
    dfun: Callable[..., Any],
    args: tuple[Any, ...],
    m: int,
    col_deriv: bool,
    errors: list[BaseException],
) -> LmderCallback:
    """Wrap ``func`` and ``Dfun`` as the callback of ``lmder``.

    Parameters
    ----------
    func, dfun : callable
        The user's residual function and Jacobian.
    args : tuple
        Their extra arguments.
    m : int
        The number of residuals.
    col_deriv : bool
        True when ``dfun`` returns derivatives down the columns (shape
        ``(n, m)``), False for rows (shape ``(m, n)``).
    errors : list
        Receives the exception that stopped the solve, if any.

    Returns
    -------
    callable
        ``fcn(x, fvec, fjac, iflag) -> iflag`` for the f2py wrapper of ``lmder``.
    """
    residuals = lmdif_callback(func, args, m, errors)

    def fcn(x: NDArray[np.float64], fvec: NDArray[np.float64], fjac: NDArray[np.float64], iflag: int) -> int:
        if iflag != 2:
            return residuals(x, fvec, iflag)
        try:
            n = fjac.shape[1]
            jac = dfun(x.copy(), *args)
            if col_deriv:
                fjac[...] = _jacobian(dfun, jac, n, m).T
            else:
                fjac[...] = _jacobian(dfun, jac, m, n)
        except BaseException as exc:  # every exception, KeyboardInterrupt included, stops MINPACK
            errors.append(exc)
            return STOP
        return iflag

    return fcn
